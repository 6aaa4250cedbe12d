/**
 * The ARA-M as the card factory ships it: a preloaded (ROM) load file with one module, and the
 * instance A00000015141434C00 associated with the Issuer Security Domain, SELECTABLE, so that the
 * ISD can forward STORE DATA to it after INSTALL [for personalization] (GPC 2.3.1 §7.3.2).
 *
 * The instance AID is SEAC v1.0 §7.1.3's; the load file and module AIDs are OpenTSM's choice (card
 * vendors use their own): RID A000000151 ‖ "ACL", and the module AID equal to the instance AID.
 */
import { fromHex } from '../../../bytes/index.ts';
import { APPLICATION_LIFECYCLE, encodePrivileges } from '../../../gp/index.ts';
import type { ApplicationState, LoadFileState } from '../../state/card-state.ts';
import { ARA_M_AID } from './ara-m-applet.ts';

/** Executable Load File of the ARA-M (OpenTSM's choice). */
export const ARA_M_LOAD_FILE_AID: Uint8Array = fromHex('A00000015141434C');
/** Executable Module of the ARA-M: the module AID the applet library binds to the TypeScript ARA-M. */
export const ARA_M_MODULE_AID: Uint8Array = fromHex('A00000015141434C00');

/** The preloaded ARA-M load file, associated with `isdAid`. */
export function araMLoadFile(isdAid: Uint8Array): LoadFileState {
  return { aid: ARA_M_LOAD_FILE_AID.slice(), sdAid: isdAid.slice(), modules: [{ aid: ARA_M_MODULE_AID.slice() }], size: 0 };
}

/** The preinstalled ARA-M instance: SELECTABLE, no privileges, associated with `isdAid`, no rules yet. */
export function araMInstance(isdAid: Uint8Array): ApplicationState {
  return {
    aid: ARA_M_AID.slice(),
    loadFileAid: ARA_M_LOAD_FILE_AID.slice(),
    moduleAid: ARA_M_MODULE_AID.slice(),
    lifecycle: APPLICATION_LIFECYCLE.SELECTABLE,
    privileges: encodePrivileges([]),
    sdAid: isdAid.slice(),
    implicitSelection: [],
    installParameters: new Uint8Array(0),
  };
}
