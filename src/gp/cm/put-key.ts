import { commandApdu, type CommandApdu } from '../../apdu/index.ts';
import { ByteWriter, assertBytes, assertInt } from '../../bytes/index.ts';
import { badArgument } from './fail.ts';
import { encodeGpLength } from './gp-length.ts';
import { gpCla, INS } from './header.ts';
import { CLEAR_KEY_COMPONENTS, KEY_TYPES } from './key-types.ts';

/** PUT KEY P2 b8: several keys in the data field (GPC 2.3.1 Table 11-66). */
export const PUT_KEY_MULTIPLE = 0x80;

/**
 * One key component as it goes into PUT KEY: already encrypted under the DEK for a secret or
 * private component (the builder never sees a clear key), clear for a public one.
 */
export interface KeyComponent {
  /** Key type (Table 11-16), e.g. 0x80 DES, 0x88 AES. */
  readonly type: number;
  /** The encrypted (or public clear) component value. */
  readonly value: Uint8Array;
  /**
   * Length of the clear value. When given, the component block is `length ‖ value` (Table 11-70);
   * when undefined, the block is the value alone (Table 11-71, only if it is block-aligned).
   */
  readonly clearLength?: number | undefined;
}

/** One key data field (Tables 11-68, 11-69). */
export interface PutKeyEntry {
  readonly components: readonly KeyComponent[];
  /** Key check value (Appendix B.6), usually 3 bytes; empty for RSA keys (§11.8.2.3.5). */
  readonly kcv: Uint8Array;
  /** Extended format (Table 11-69) only: key usage qualifier and key access (empty = not given). */
  readonly extended?: { readonly usage: Uint8Array; readonly access: Uint8Array } | undefined;
}

/** A PUT KEY command's content (Tables 11-64..11-67). */
export interface PutKeyRequest {
  /** P1: KVN of the key set being replaced (1–127), or 0 to add a new key set. */
  readonly replaceKvn: number;
  /** First byte of the data: the KVN of the keys sent (1–127). */
  readonly newKvn: number;
  /** P2 b7–b1: key identifier of the first key; the others follow implicitly (P2+1, P2+2…). */
  readonly firstKeyId: number;
  /** P2 b8 ("multiple keys"); default: set when more than one key is sent. */
  readonly multiple?: boolean | undefined;
  readonly keys: readonly PutKeyEntry[];
}

/** A secret symmetric key wrapped for PUT KEY by whoever holds the DEK (a session or an HSM). */
export interface WrappedKey {
  /** 0x80 (DES) or 0x88 (AES). */
  readonly type: number;
  /** Clear key length: 16 (DES, AES-128), 24, 32. */
  readonly keyLength: number;
  /** The key encrypted under the DEK: SCP02 3DES-ECB with the session DEK, SCP03 AES-CBC with the static DEK, IV 0. */
  readonly ciphertext: Uint8Array;
  readonly kcv: Uint8Array;
}

/**
 * How a key component block is laid out per key type: DES keys as bare ciphertext (Table 11-71:
 * `80 10 <16>`), AES keys with their clear length first as GPC Amd D v1.1.1 Table 7-10 shows
 * (Table 11-70: `88 11 10 <16>`, `88 21 18 <32>`, `88 21 20 <32>`).
 */
export const KEY_BLOCK_LAYOUT: Readonly<Record<number, 'ciphertext' | 'length-prefixed'>> = {
  [KEY_TYPES.DES]: 'ciphertext',
  [KEY_TYPES.AES]: 'length-prefixed',
};

/** Turns a {@link WrappedKey} into a key data field with the layout of {@link KEY_BLOCK_LAYOUT}. */
export function wrappedKeyEntry(key: WrappedKey): PutKeyEntry {
  const layout = KEY_BLOCK_LAYOUT[key.type];
  if (layout === undefined) throw badArgument(`PUT KEY: no component layout for key type ${key.type.toString(16)}`);
  assertInt(key.keyLength, 1, 0xffff, 'key length');
  assertBytes(key.ciphertext, undefined, 'wrapped key');
  if (key.ciphertext.length < key.keyLength || key.ciphertext.length % 8 !== 0) {
    throw badArgument(`PUT KEY: ciphertext of ${key.ciphertext.length} bytes for a ${key.keyLength}-byte key`);
  }
  const clearLength = layout === 'length-prefixed' || key.keyLength % 8 !== 0 ? key.keyLength : undefined;
  return { components: [{ type: key.type, value: key.ciphertext, clearLength }], kcv: key.kcv };
}

function writeEntry(w: ByteWriter, entry: PutKeyEntry): void {
  if (entry.components.length === 0) throw badArgument('PUT KEY: a key needs at least one component');
  for (const c of entry.components) {
    assertInt(c.type, 0x80, 0xfe, 'key type'); // types ≥ 80 keep the KCV length unambiguous (§11.8.2.3.1)
    assertBytes(c.value, undefined, 'key component');
    if (entry.extended !== undefined) w.u8(KEY_TYPES.EXTENDED);
    w.u8(c.type);
    const block = c.clearLength === undefined ? c.value : new ByteWriter().bytes(encodeGpLength(c.clearLength)).bytes(c.value).toBytes();
    if (block.length === 0) throw badArgument('PUT KEY: empty key component block');
    w.bytes(encodeGpLength(block.length)).bytes(block);
  }
  if (entry.kcv.length > 0x7f) throw badArgument('PUT KEY: KCV of more than 127 bytes');
  w.lv(entry.kcv, 'KCV');
  if (entry.extended !== undefined) {
    for (const v of [entry.extended.usage, entry.extended.access]) {
      if (v.length > 0x7f) throw badArgument('PUT KEY: usage / access of more than 127 bytes');
      w.lv(v);
    }
  }
}

/**
 * Builds PUT KEY (GPC 2.3.1 §11.8, Tables 11-64..11-71; Amd D §7.2): `80 D8 P1 P2 Lc KVN
 * keydata… 00`, P1 the KVN replaced (0 = new set), P2 the first key id (b8 = several keys). Keys
 * arrive already encrypted (see {@link buildPutKeyWith}); split a long command with `splitGpChain`.
 * @example buildPutKey({ replaceKvn: 0, newKvn: 1, firstKeyId: 1, keys }) // 80 D8 00 81 43 01 80 10 … 00
 */
export function buildPutKey(request: PutKeyRequest, options: { cla?: number } = {}): CommandApdu {
  assertInt(request.replaceKvn, 0, 0x7f, 'replaced KVN'); // Table 11-65: KVN '01'-'7F', 0 = add
  assertInt(request.newKvn, 1, 0x7f, 'new KVN'); // §11.8.2.3: '01' to '7F'
  assertInt(request.firstKeyId, 0, 0x7f, 'key identifier'); // §11.8.2.2: '00' to '7F'
  if (request.keys.length === 0) throw badArgument('PUT KEY: no key');
  const multiple = request.multiple ?? request.keys.length > 1;
  if (!multiple && request.keys.length > 1) throw badArgument('PUT KEY: several keys need P2 b8 (multiple)');
  const w = new ByteWriter().u8(request.newKvn);
  for (const entry of request.keys) writeEntry(w, entry);
  const p2 = request.firstKeyId | (multiple ? PUT_KEY_MULTIPLE : 0);
  return commandApdu({ cla: gpCla(options.cla), ins: INS.PUT_KEY, p1: request.replaceKvn, p2, data: w.toBytes(), ne: 256 });
}

/** Wraps a key for PUT KEY: the caller's session or HSM sees the key (or its handle), we never do. */
export type KeyWrapper<K> = (key: K, keyId: number) => WrappedKey | Promise<WrappedKey>;

/**
 * Builds PUT KEY for keys held elsewhere: `wrap` encrypts each key under the DEK and returns the
 * ciphertext and KCV; key ids run from `firstKeyId`.
 * @example await buildPutKeyWith({ replaceKvn: 0x30, newKvn: 0x31, firstKeyId: 1 }, [enc, mac, dek], hsm.wrapForPutKey)
 */
export async function buildPutKeyWith<K>(
  header: Omit<PutKeyRequest, 'keys'>,
  keys: readonly K[],
  wrap: KeyWrapper<K>,
  options: { cla?: number } = {},
): Promise<CommandApdu> {
  const entries: PutKeyEntry[] = [];
  for (let i = 0; i < keys.length; i++) entries.push(wrappedKeyEntry(await wrap(keys[i]!, header.firstKeyId + i)));
  return buildPutKey({ ...header, keys: entries }, options);
}

/** True when a component of this type travels in clear (public values, §11.8.2.3.2). */
export function isClearComponent(type: number): boolean {
  return CLEAR_KEY_COMPONENTS.has(type);
}
