/**
 * What the access-control enforcer answers the Open Mobile API (GlobalPlatform Secure Element Access
 * Control v1.1, "SEAC", §3.2 and §4): for one device app and one applet, which APDUs may pass and
 * whether the app may receive the applet's NFC events. The enforcer (enforcer.ts) computes it from
 * the ARA-M's rules; the OMAPI channel applies it to every transmit.
 */
import type { SeTerminal } from '../terminal.ts';

/** One APDU filter of an APDU-AR-DO (tag D0): a 4-byte command header and its 4-byte mask (SEAC §3.4.1). */
export interface ApduFilter {
  readonly header: Uint8Array;
  readonly mask: Uint8Array;
}

/** APDU access: always, never, or only the commands some filter matches. */
export type ApduAccess = 'always' | 'never' | { readonly filters: readonly ApduFilter[] };

export interface AccessDecision {
  readonly apdu: ApduAccess;
  /** NFC-AR-DO (tag D1); undefined in the rule inherits the APDU decision (SEAC §3.2.1). */
  readonly nfc: boolean;
  /** Which rule decided, for messages and tests (no key or certificate bytes): e.g. "specific AID + app hash". */
  readonly reason: string;
}

/** The calling device application, as the platform knows it. */
export interface DeviceApp {
  /** Android package name (SEAC v1.1 PKG-REF-DO, tag CA). */
  readonly packageName: string;
  /** The app's signing certificate chain, DER, leaf first; rules name a certificate by SHA-1 (20) or SHA-256 (32) hash. */
  readonly certificates: readonly Uint8Array[];
}

/** The phone's access-control enforcer (SEAC §4: the "Access Control Enforcer" on the device side). */
export interface AccessControlEnforcer {
  /**
   * The decision for `app` reaching applet `aid` on `terminal` (undefined `aid`: the basic channel's
   * default application). Throws ERR_DEVICE_SECURITY when the rules cannot be read and the terminal
   * must then be denied (a UICC without ARA-M/ARF).
   */
  decide(terminal: SeTerminal, aid: Uint8Array | undefined, app: DeviceApp): Promise<AccessDecision>;
}

/**
 * Whether `command` passes `access` (SEAC §3.4.1: header AND mask equals the filter's header). The
 * CLA is first brought to its basic-channel coding (ISO/IEC 7816-4 §5.4.1: channel bits cleared, a
 * further-interindustry class mapped to the first-interindustry one), so a filter matches on every channel.
 */
export function apduAllowed(access: ApduAccess, command: Uint8Array): boolean {
  if (access === 'always') return true;
  if (access === 'never' || command.length < 4) return false;
  const cla = command[0]!;
  const basicCla = (cla & 0x40) === 0 ? cla & 0xfc : (cla & 0x80) | ((cla & 0x20) !== 0 ? 0x08 : 0) | (cla & 0x10);
  const header = [basicCla, command[1]!, command[2]!, command[3]!];
  return access.filters.some((f) => header.every((b, i) => (b & f.mask[i]!) === (f.header[i]! & f.mask[i]!)));
}
