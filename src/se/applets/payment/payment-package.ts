/**
 * The OpenTSM payment load file as the card factory ships it (docs/payment-application.md §1): one
 * preloaded load file `F04F50454E54534D50` (RID F0… = unregistered, ISO/IEC 7816-5) with two
 * modules — the EMV contactless payment applet and the PPSE — and the PPSE instance
 * "2PAY.SYS.DDF01" (EMV Book B §3.3) associated with the ISD, SELECTABLE, so the ISD can forward its
 * STORE DATA (GPC 2.3.1 §7.3.2). Payment instances are installed by the TSM with INSTALL [for install].
 */
import { fromHex } from '../../../bytes/index.ts';
import { APPLICATION_LIFECYCLE, encodePrivileges } from '../../../gp/index.ts';
import type { ApplicationState, CardState, LoadFileState } from '../../state/card-state.ts';

/** The payment load file (§1). */
export const PAYMENT_LOAD_FILE_AID: Uint8Array = fromHex('F04F50454E54534D50');
/** Module: the EMV contactless payment applet. */
export const PAYMENT_MODULE_AID: Uint8Array = fromHex('F04F50454E54534D5001');
/** Module: the PPSE. */
export const PPSE_MODULE_AID: Uint8Array = fromHex('F04F50454E54534D5002');
/** The PPSE instance, "2PAY.SYS.DDF01" (EMV Book B §3.3). */
export const PPSE_AID: Uint8Array = fromHex('325041592E5359532E4444463031');
/** A Visa-style payment instance AID (any AID the TSM chooses works). */
export const VISA_STYLE_AID: Uint8Array = fromHex('A0000000031010');
/** A Mastercard-style payment instance AID. */
export const MASTERCARD_STYLE_AID: Uint8Array = fromHex('A0000000041010');

/** The preloaded payment load file with both modules, associated with `isdAid`. */
export function paymentLoadFile(isdAid: Uint8Array): LoadFileState {
  return { aid: PAYMENT_LOAD_FILE_AID.slice(), sdAid: isdAid.slice(), modules: [{ aid: PAYMENT_MODULE_AID.slice() }, { aid: PPSE_MODULE_AID.slice() }], size: 0 };
}

/** The preinstalled PPSE instance: SELECTABLE, no privileges, associated with `isdAid`, no entries yet. */
export function ppseInstance(isdAid: Uint8Array): ApplicationState {
  return {
    aid: PPSE_AID.slice(),
    loadFileAid: PAYMENT_LOAD_FILE_AID.slice(),
    moduleAid: PPSE_MODULE_AID.slice(),
    lifecycle: APPLICATION_LIFECYCLE.SELECTABLE,
    privileges: encodePrivileges([]),
    sdAid: isdAid.slice(),
    implicitSelection: [],
    installParameters: new Uint8Array(0),
  };
}

const sameAid = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * `state` with the payment load file and the PPSE instance added where missing (a card manufactured
 * without them, e.g. in a test or by `opentsm se create` without the option). Idempotent.
 */
export function withPaymentPackage(state: CardState): CardState {
  const hasFile = state.loadFiles.some((f) => sameAid(f.aid, PAYMENT_LOAD_FILE_AID));
  const hasPpse = state.applications.some((a) => sameAid(a.aid, PPSE_AID));
  return {
    ...state,
    loadFiles: hasFile ? state.loadFiles : [...state.loadFiles, paymentLoadFile(state.isdAid)],
    applications: hasPpse ? state.applications : [...state.applications, ppseInstance(state.isdAid)],
  };
}
