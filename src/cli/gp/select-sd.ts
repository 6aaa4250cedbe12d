/**
 * Selecting the Security Domain `opentsm gp` works with: `--sdaid`, or the Issuer Security Domain
 * found by SELECT without an AID (GPC 2.3.1 §11.9.2.3: the ISD answers, with its AID in the FCI),
 * falling back to the GP default ISD AID A000000151000000 (§H.1.3).
 */
import { transmit, type ApduTransport } from '../../apdu/index.ts';
import { toHex } from '../../bytes/index.ts';
import { GP_ISD_AID, buildSelect, parseFci, type Fci } from '../../gp/index.ts';
import { cardRefused } from './card-status.ts';

/** The selected Security Domain. */
export interface SelectedSd {
  /** Its AID, when known (from --sdaid, the FCI, or the default ISD AID that answered). */
  readonly aid: Uint8Array | undefined;
  /** The FCI, when it parsed (management data '73', maximum command length '9F65'). */
  readonly fci: Fci | undefined;
}

function fciOf(data: Uint8Array): Fci | undefined {
  try {
    return parseFci(data);
  } catch {
    return undefined; // a card whose FCI we cannot read is still usable
  }
}

/**
 * SELECTs `sdAid`, or discovers the ISD. A refusal of an explicit `--sdaid` is `ERR_GP_STATUS`
 * with the status word; discovery that finds nothing asks for `--sdaid`.
 */
export async function selectSecurityDomain(transport: ApduTransport, sdAid: Uint8Array | undefined): Promise<SelectedSd> {
  if (sdAid !== undefined) {
    const r = await transmit(transport, buildSelect(sdAid));
    if (r.sw !== 0x9000) throw cardRefused('SELECT', r.sw, toHex(sdAid));
    return { aid: sdAid.slice(), fci: fciOf(r.data) };
  }
  const implicit = await transmit(transport, buildSelect());
  if (implicit.sw === 0x9000) {
    const fci = fciOf(implicit.data);
    if (fci !== undefined) return { aid: fci.aid, fci };
  }
  const r = await transmit(transport, buildSelect(GP_ISD_AID));
  if (r.sw !== 0x9000) throw cardRefused('SELECT', r.sw, `${toHex(GP_ISD_AID)} (the card named no Issuer Security Domain either: give --sdaid AID)`);
  return { aid: GP_ISD_AID.slice(), fci: fciOf(r.data) };
}
