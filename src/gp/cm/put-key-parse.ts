import type { CommandApdu } from '../../apdu/index.ts';
import { ByteReader, assertBytes, concat, equalCt } from '../../bytes/index.ts';
import { GpError } from '../errors.ts';
import { P1_MORE_COMMANDS } from './chain.ts';
import { badData, badHeader, badResponse, guardCard } from './fail.ts';
import { readGpLength } from './gp-length.ts';
import { expectCommand, INS } from './header.ts';
import { KEY_TYPES } from './key-types.ts';
import { isClearComponent, PUT_KEY_MULTIPLE, type KeyComponent, type PutKeyEntry, type PutKeyRequest } from './put-key.ts';

/** A parsed PUT KEY (card side): the request, with each key's implicit key identifier. */
export interface PutKeyCommand extends PutKeyRequest {
  readonly kind: 'put-key';
  readonly multiple: boolean;
  readonly keyIds: readonly number[];
}

function component(r: ByteReader, type: number, dekBlockSize: number): KeyComponent {
  const length = readGpLength(r, 'key component block');
  if (length === 0) throw badData('PUT KEY: empty key component block (Table 11-68: 01 and up)');
  const block = r.bytes(length, 'key component block');
  // §11.8.2.3.3: a block that is not a multiple of the cipher block starts with the clear length
  if (isClearComponent(type) || length % dekBlockSize === 0) return { type, value: block.slice(), clearLength: undefined };
  const sub = new ByteReader(block, 'key component block');
  const clearLength = readGpLength(sub, 'key component value');
  const value = sub.rest();
  if (clearLength === 0 || value.length % dekBlockSize !== 0 || clearLength > value.length) {
    throw badData(`PUT KEY: component of ${clearLength} bytes in ${value.length} encrypted bytes (Table 11-70)`);
  }
  return { type, value: value.slice(), clearLength };
}

function keyData(r: ByteReader, dekBlockSize: number): PutKeyEntry {
  const extended = r.peek('key type') === KEY_TYPES.EXTENDED;
  const components: KeyComponent[] = [];
  for (;;) {
    const b = r.peek('key type or KCV length');
    if (extended ? b !== KEY_TYPES.EXTENDED : b < 0x80) break; // §11.8.2.3.1: types > 7F, KCV length ≤ 7F
    if (!extended && b === KEY_TYPES.EXTENDED) throw badData('PUT KEY: basic and extended key types mixed');
    if (extended) r.u8();
    components.push(component(r, r.u8('key type'), dekBlockSize));
  }
  if (components.length === 0) throw badData('PUT KEY: key data without a key component');
  const kcv = r.lv('KCV').slice(); // a KCV length byte is '00'-'7F' (components end at the first byte < 80)
  if (!extended) return { components, kcv };
  const usage = r.lv('key usage').slice();
  const access = r.lv('key access').slice();
  if (usage.length > 0x7f || access.length > 0x7f) throw badData('PUT KEY: usage / access length above 7F');
  return { components, kcv, extended: { usage, access } };
}

/**
 * Card side: parses PUT KEY (GPC 2.3.1 §11.8, Tables 11-64..11-71). `dekBlockSize` is the block
 * of the cipher the keys are encrypted with (8 for a DES DEK, 16 for AES), which tells a
 * length-prefixed component block (Table 11-70) from a bare one (11-71). Refused with 6A80: KVN 00 or
 * above 7F in the data, a key without components, a truncated field, several keys without P2 b8,
 * trailing bytes; P1 b8 (chain not reassembled) answers 6A86.
 */
export function parsePutKeyCommand(command: CommandApdu, options: { dekBlockSize: 8 | 16 }): PutKeyCommand {
  expectCommand(command, INS.PUT_KEY, 'PUT KEY');
  if ((command.p1 & P1_MORE_COMMANDS) !== 0) throw badHeader('PUT KEY: P1 b8 set; reassemble the chain first (§11.1.5.1)');
  const dekBlockSize = options.dekBlockSize;
  if (dekBlockSize !== 8 && dekBlockSize !== 16) throw badHeader('PUT KEY: dekBlockSize must be 8 or 16');
  const multiple = (command.p2 & PUT_KEY_MULTIPLE) !== 0;
  const firstKeyId = command.p2 & 0x7f;
  return guardCard('PUT KEY', () => {
    const r = new ByteReader(command.data, 'PUT KEY data');
    const newKvn = r.u8('new KVN');
    if (newKvn === 0 || newKvn > 0x7f) throw badData(`PUT KEY: new KVN ${newKvn} (01-7F, §11.8.2.3)`);
    const keys: PutKeyEntry[] = [];
    do {
      keys.push(keyData(r, dekBlockSize));
    } while (!r.done && multiple);
    r.end();
    if (firstKeyId + keys.length - 1 > 0x7f) throw badData('PUT KEY: key identifiers run past 7F');
    return Object.freeze({
      kind: 'put-key',
      replaceKvn: command.p1,
      newKvn,
      firstKeyId,
      multiple,
      keys: Object.freeze(keys),
      keyIds: Object.freeze(keys.map((_, i) => firstKeyId + i)),
    });
  });
}

/** Card side: the PUT KEY response, `KVN ‖ KCV1 ‖ KCV2 …` without lengths (§11.8.3.1). */
export function encodePutKeyResponse(kvn: number, kcvs: readonly Uint8Array[]): Uint8Array {
  return concat(Uint8Array.of(kvn), ...kcvs);
}

/** A PUT KEY response: the KVN and each key's check value (§11.8.3.1). */
export interface PutKeyResponse {
  readonly kvn: number;
  readonly kcvs: readonly Uint8Array[];
}

/**
 * Host side: splits a PUT KEY response `KVN ‖ KCV…` (§11.8.3.1). The KCVs carry no lengths, so the
 * caller says how long each is (as sent: usually 3, 0 for RSA keys).
 * @example parsePutKeyResponse(response.data, [3, 3, 3]) // { kvn: 0x30, kcvs: [3 × 3 bytes] }
 */
export function parsePutKeyResponse(data: Uint8Array, kcvLengths: readonly number[]): PutKeyResponse {
  assertBytes(data, undefined, 'PUT KEY response');
  const total = 1 + kcvLengths.reduce((n, l) => n + l, 0);
  if (data.length !== total) throw badResponse(`PUT KEY response: ${data.length} bytes, ${total} expected`);
  const kcvs: Uint8Array[] = [];
  let offset = 1;
  for (const length of kcvLengths) {
    kcvs.push(data.slice(offset, offset + length));
    offset += length;
  }
  return Object.freeze({ kvn: data[0]!, kcvs: Object.freeze(kcvs) });
}

/**
 * Host side: checks a PUT KEY response against what was sent (§11.8.3.1): the new KVN then each
 * KCV as presented in the command. A mismatch is `ERR_GP_KEY` (the keys on the card are not the ones
 * we think); a response of the wrong length is `ERR_GP_PARSE`.
 */
export function checkPutKeyResponse(data: Uint8Array, request: Pick<PutKeyRequest, 'newKvn' | 'keys'>): void {
  assertBytes(data, undefined, 'PUT KEY response');
  const expected = encodePutKeyResponse(request.newKvn, request.keys.map((k) => k.kcv));
  if (data.length !== expected.length) throw badResponse(`PUT KEY response: ${data.length} bytes, ${expected.length} expected`);
  if (!equalCt(data, expected)) throw new GpError('ERR_GP_KEY', 'PUT KEY response: KVN or key check values differ from the keys sent');
}
