/**
 * PIN blocks inside the HSM (ISO 9564-1 formats 0–4; emv/ pin-block, pin-block-iso4): decrypt a
 * block under its P0 key to the PIN, re-encode and encrypt it under another key and format. The PIN
 * exists as a JS string only inside one operation (emv/ takes PINs as strings; a string cannot be
 * wiped, it is left to the garbage collector) and is never returned, logged or put in an error.
 *
 * Translation rules (PCI PIN Security Requirement 3 [M]; ISO 9564-1 §9): a block bound to a PAN
 * (formats 0, 3, 4) never goes to a format without one (1, 2), and keeps its PAN.
 */
import { wipe } from '../../bytes/index.ts';
import { tdesEcbDecrypt, tdesEcbEncrypt } from '../../crypto/index.ts';
import { decipherPinBlockIso4, decodePinBlock, encipherPinBlockIso4, encodePinBlock } from '../../emv/index.ts';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { EncryptedPinBlock } from '../hsm.ts';
import type { Trail } from '../shared/audit-trail.ts';
import type { SoftwareCore } from './core.ts';
import type { LoadedKey } from './key-vault.ts';

type Format = EncryptedPinBlock['format'];

/** Formats that bind the PAN (ISO 9564-1 §9.1, §9.4, §9.5). */
const PAN_BOUND: ReadonlySet<number> = new Set([0, 3, 4]);

function checkFormat(format: unknown, what: string): asserts format is Format {
  if (format !== 0 && format !== 1 && format !== 2 && format !== 3 && format !== 4) throw new HsmError('ERR_HSM_PARAM', `${what} PIN block format: 0 to 4`);
}

/** Format 4 takes an AES key, formats 0–3 a TDES key. */
function checkKeyFits(key: LoadedKey, format: Format): void {
  const algorithm = key.record.attributes.algorithm;
  if ((format === 4) !== (algorithm === 'A') || (algorithm !== 'A' && algorithm !== 'T')) {
    throw new HsmError('ERR_HSM_USAGE', `key ${key.record.id} (KCV ${key.record.kcv}): format ${format} PIN blocks need ${format === 4 ? 'an AES' : 'a TDES'} key`);
  }
}

function panOf(block: Omit<EncryptedPinBlock, 'block'>, format: Format, what: string): string {
  if (!PAN_BOUND.has(format)) return '';
  if (typeof block.pan !== 'string') throw new HsmError('ERR_HSM_PARAM', `${what}: format ${format} binds the PAN: give it`);
  return block.pan;
}

/** Decrypts `from` to its PIN (inside the HSM only). */
export async function decryptPin(core: SoftwareCore, from: EncryptedPinBlock, ctx: OperationContext, trail: Trail): Promise<string> {
  checkFormat(from?.format, 'source');
  const key = await core.vault.usable(from.key, 'pin-decrypt', ctx, trail);
  checkKeyFits(key, from.format);
  const pan = panOf(from, from.format, 'source PIN block');
  if (!(from.block instanceof Uint8Array) || from.block.length !== (from.format === 4 ? 16 : 8)) {
    throw new HsmError('ERR_HSM_PARAM', `source PIN block: ${from.format === 4 ? 16 : 8} bytes for format ${from.format}`);
  }
  return core.vault.withKey(key.record, (k) => {
    if (from.format === 4) return decipherPinBlockIso4(k, from.block, pan);
    const clear = tdesEcbDecrypt(k, from.block);
    try {
      return from.format === 0 || from.format === 3 ? decodePinBlock(clear, { format: from.format, pan }) : decodePinBlock(clear, { format: from.format });
    } finally {
      wipe(clear);
    }
  });
}

/** Encrypts `pin` as a block of `to.format` under `to.key`. */
async function encryptPin(core: SoftwareCore, pin: string, to: Omit<EncryptedPinBlock, 'block'>, ctx: OperationContext, trail: Trail): Promise<Uint8Array> {
  const key = await core.vault.usable(to.key, 'pin-encrypt', ctx, trail);
  checkKeyFits(key, to.format);
  const pan = panOf(to, to.format, 'target PIN block');
  return core.vault.withKey(key.record, (k) => {
    if (to.format === 4) return encipherPinBlockIso4(k, pin, pan);
    const clear = to.format === 0 || to.format === 3 ? encodePinBlock(pin, { format: to.format, pan }) : encodePinBlock(pin, { format: to.format });
    try {
      return tdesEcbEncrypt(k, clear);
    } finally {
      wipe(clear);
    }
  });
}

/** Re-encrypts a PIN block from one key/format to another (ISO 9564-1; research/hsm-emv.md §1.2 CA/CC). */
export async function translatePinBlock(core: SoftwareCore, from: EncryptedPinBlock, to: Omit<EncryptedPinBlock, 'block'>, ctx: OperationContext, trail: Trail): Promise<Uint8Array> {
  checkFormat(from?.format, 'source');
  checkFormat(to?.format, 'target');
  if (PAN_BOUND.has(from.format) && !PAN_BOUND.has(to.format)) {
    throw new HsmError('ERR_HSM_USAGE', `a format ${from.format} PIN block (PAN-bound) may not be translated to format ${to.format}`);
  }
  if (PAN_BOUND.has(from.format) && from.pan !== to.pan) throw new HsmError('ERR_HSM_PARAM', 'a PAN-bound PIN block keeps its PAN through translation');
  const pin = await decryptPin(core, from, ctx, trail);
  trail.detail = `format ${from.format} -> ${to.format}`;
  return encryptPin(core, pin, to, ctx, trail);
}
