/**
 * The ARA-M as the card factory ships it: a preloaded (ROM) load file with one module, and the
 * instance A00000015141434C00 associated with the Issuer Security Domain, SELECTABLE, so that the
 * ISD can forward STORE DATA to it after INSTALL [for personalization] (GPC 2.3.1 §7.3.2).
 *
 * The instance AID is SEAC v1.0 §7.1.3's; the load file and module AIDs are OpenTSM's choice (card
 * vendors use their own): RID A000000151 ‖ "ACL", and the module AID equal to the instance AID.
 *
 * The same load file carries the ARA-C module A00000015141434C01 (OpenTSM's choice; SEAC fixes no
 * ARA-C AID [M]): a TSM installs ARA-C instances from it — INSTALL [for install and make
 * selectable] by the SP's SSD (Authorized Management), the instance then associated with that SSD
 * (extradition by the ISD when the card associates it with the load file's SD, GPC 2.3.1 §9.3.6).
 */
import { fromHex } from '../../../bytes/index.ts';
import { APPLICATION_LIFECYCLE, encodePrivileges } from '../../../gp/index.ts';
import type { ApplicationState, LoadFileState } from '../../state/card-state.ts';
import { ARA_M_AID } from './ara-m-applet.ts';

/** Executable Load File of the ARA-M (OpenTSM's choice). */
export const ARA_M_LOAD_FILE_AID: Uint8Array = fromHex('A00000015141434C');
/** Executable Module of the ARA-M: the module AID the applet library binds to the TypeScript ARA-M. */
export const ARA_M_MODULE_AID: Uint8Array = fromHex('A00000015141434C00');

/** Executable Module of the ARA-C in the same load file (OpenTSM's choice). */
export const ARA_C_MODULE_AID: Uint8Array = fromHex('A00000015141434C01');

/** The preloaded ARA load file (ARA-M and ARA-C modules), associated with `isdAid`. */
export function araMLoadFile(isdAid: Uint8Array): LoadFileState {
  return { aid: ARA_M_LOAD_FILE_AID.slice(), sdAid: isdAid.slice(), modules: [{ aid: ARA_M_MODULE_AID.slice() }, { aid: ARA_C_MODULE_AID.slice() }], size: 0 };
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
