/**
 * The keyed index of a card: HMAC-SHA-256 under an HSM key (usage M7) of PAN ‖ PSN, so the store can
 * find a card without ever holding its PAN (ARCHITECTURE.md §2: PANs never in the store in the clear).
 */
import { toHex } from '../../bytes/index.ts';
import type { Hsm, OperationContext } from '../../hsm/index.ts';
import { TsmError } from '../errors.ts';

/** PAN: 12 to 19 digits (ISO/IEC 7812-1); PSN: two digits (EMV 5F34). Values never echoed. */
export function assertPanPsn(pan: unknown, psn: unknown): asserts pan is string {
  if (typeof pan !== 'string' || !/^\d{12,19}$/.test(pan)) throw new TsmError('ERR_TSM_REQUEST', 'pan: expected 12 to 19 decimal digits');
  if (typeof psn !== 'string' || !/^\d{2}$/.test(psn)) throw new TsmError('ERR_TSM_REQUEST', 'psn: expected two decimal digits');
}

/** The hex index of (pan, psn) under HMAC key `key`. */
export async function panIndex(hsm: Hsm, key: string, pan: string, psn: string, ctx: OperationContext): Promise<string> {
  assertPanPsn(pan, psn);
  const mac = await hsm.generateMac(key, new TextEncoder().encode(`${pan}/${psn}`), 'hmac-sha256', ctx);
  return toHex(mac);
}
