/**
 * PIN blocks with the PIN keys in the token (ISO 9564-1 formats 0–4; the software backend's rules,
 * software/pin-ops.ts): a block is decrypted in the token (C_Decrypt 3DES-ECB, or both AES passes
 * of format 4 through a held key), the PIN decoded and re-encoded on the host, and encrypted in the
 * token under the target key.
 *
 * HOST MEMORY: the clear PIN block (wiped) and the PIN, for the duration of one translation. No
 * PKCS#11 mechanism translates a PIN block (that is a payment-HSM command, research/hsm-emv.md §1.2
 * CA/CC), and SoftHSM2 has none. The PIN is a JavaScript string, as emv/ takes it: it cannot be
 * wiped and is left to the garbage collector; it is never returned, logged or put in an error.
 */
import { wipe } from '../../bytes/index.ts';
import { decipherPinBlockIso4, decodePinBlock, encipherPinBlockIso4, encodePinBlock } from '../../emv/index.ts';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { EncryptedPinBlock } from '../hsm.ts';
import type { Trail } from '../shared/audit-trail.ts';
import { CKM } from './ck.ts';
import type { Pkcs11Core } from './core.ts';
import type { TokenKey } from './key-objects.ts';

type Format = EncryptedPinBlock['format'];

/** Formats that bind the PAN (ISO 9564-1 §9.1, §9.4, §9.5). */
const PAN_BOUND: ReadonlySet<number> = new Set([0, 3, 4]);

function checkFormat(format: unknown, what: string): asserts format is Format {
  if (format !== 0 && format !== 1 && format !== 2 && format !== 3 && format !== 4) throw new HsmError('ERR_HSM_PARAM', `${what} PIN block format: 0 to 4`);
}

/** Format 4 takes an AES key, formats 0–3 a TDES key. */
function checkKeyFits(key: TokenKey, format: Format): void {
  const algorithm = key.meta.attributes.algorithm;
  if ((format === 4) !== (algorithm === 'A') || (algorithm !== 'A' && algorithm !== 'T')) {
    throw new HsmError('ERR_HSM_USAGE', `key ${key.meta.id} (KCV ${key.meta.kcv}): format ${format} PIN blocks need ${format === 4 ? 'an AES' : 'a TDES'} key`);
  }
}

function panOf(block: Omit<EncryptedPinBlock, 'block'>, format: Format, what: string): string {
  if (!PAN_BOUND.has(format)) return '';
  if (typeof block.pan !== 'string') throw new HsmError('ERR_HSM_PARAM', `${what}: format ${format} binds the PAN: give it`);
  return block.pan;
}

/** Decrypts `from` to its PIN (HOST MEMORY: see the file header). */
export function decryptPin(core: Pkcs11Core, from: EncryptedPinBlock, ctx: OperationContext, trail: Trail): string {
  checkFormat(from?.format, 'source');
  const key = core.keys.usable(from.key, 'pin-decrypt', ctx, trail);
  checkKeyFits(key, from.format);
  const pan = panOf(from, from.format, 'source PIN block');
  if (!(from.block instanceof Uint8Array) || from.block.length !== (from.format === 4 ? 16 : 8)) {
    throw new HsmError('ERR_HSM_PARAM', `source PIN block: ${from.format === 4 ? 16 : 8} bytes for format ${from.format}`);
  }
  if (from.format === 4) return decipherPinBlockIso4(core.keys.held(key), from.block, pan); // both AES⁻¹ passes in the token
  const clear = core.token.decrypt({ mechanism: CKM.DES3_ECB }, key.object, from.block);
  try {
    return from.format === 0 || from.format === 3 ? decodePinBlock(clear, { format: from.format, pan }) : decodePinBlock(clear, { format: from.format });
  } finally {
    wipe(clear);
  }
}

/** Encrypts `pin` as a block of `to.format` under `to.key` (in the token). */
function encryptPin(core: Pkcs11Core, pin: string, to: Omit<EncryptedPinBlock, 'block'>, ctx: OperationContext, trail: Trail): Uint8Array {
  const key = core.keys.usable(to.key, 'pin-encrypt', ctx, trail);
  checkKeyFits(key, to.format);
  const pan = panOf(to, to.format, 'target PIN block');
  if (to.format === 4) return encipherPinBlockIso4(core.keys.held(key), pin, pan);
  const clear = to.format === 0 || to.format === 3 ? encodePinBlock(pin, { format: to.format, pan }) : encodePinBlock(pin, { format: to.format });
  try {
    return core.token.encrypt({ mechanism: CKM.DES3_ECB }, key.object, clear);
  } finally {
    wipe(clear);
  }
}

/** Re-encrypts a PIN block from one key/format to another (ISO 9564-1; research/hsm-emv.md §1.2 CA/CC). */
export function translatePinBlock(core: Pkcs11Core, from: EncryptedPinBlock, to: Omit<EncryptedPinBlock, 'block'>, ctx: OperationContext, trail: Trail): Uint8Array {
  checkFormat(from?.format, 'source');
  checkFormat(to?.format, 'target');
  if (PAN_BOUND.has(from.format) && !PAN_BOUND.has(to.format)) {
    throw new HsmError('ERR_HSM_USAGE', `a format ${from.format} PIN block (PAN-bound) may not be translated to format ${to.format}`);
  }
  if (PAN_BOUND.has(from.format) && from.pan !== to.pan) throw new HsmError('ERR_HSM_PARAM', 'a PAN-bound PIN block keeps its PAN through translation');
  const pin = decryptPin(core, from, ctx, trail);
  trail.detail = `format ${from.format} -> ${to.format}`;
  return encryptPin(core, pin, to, ctx, trail);
}
