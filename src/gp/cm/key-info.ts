import { ByteReader, ByteWriter, assertBytes, assertInt } from '../../bytes/index.ts';
import { encodeTlv, parseTlv, tlv } from '../../tlv/index.ts';
import { badArgument, badResponse, guardHost } from './fail.ts';
import { KEY_TYPES } from './key-types.ts';

/** One key component in Key Information Data: its type (Table 11-16) and length in bytes. */
export interface KeyComponentInfo {
  readonly type: number;
  /** Length in bytes; 0 in the basic format means "256 or more" (§11.3.3.1.1). */
  readonly length: number;
}

/** Key Information Data, one 'C0' object (GPC 2.3.1 §11.3.3.1.1, Tables 11-28 and 11-29). */
export interface KeyInfo {
  readonly kind: 'key-info';
  readonly format: 'basic' | 'extended';
  readonly keyId: number;
  readonly kvn: number;
  readonly components: readonly KeyComponentInfo[];
  /** Extended format only: key usage qualifier (Table 11-17), when given. */
  readonly usage: Uint8Array | undefined;
  /** Extended format only: key access (Table 11-19), when given. */
  readonly access: Uint8Array | undefined;
}

function parseBasic(r: ByteReader, keyId: number, kvn: number): KeyInfo {
  const components: KeyComponentInfo[] = [];
  while (!r.done) components.push({ type: r.u8('key type'), length: r.u8('key length') }); // Table 11-28
  return Object.freeze({ kind: 'key-info', format: 'basic', keyId, kvn, components: Object.freeze(components), usage: undefined, access: undefined });
}

/**
 * Table 11-29: components `FF type len(2)`, then `len usage`, `len access` (each length 0 or 1).
 * Tolerated: a component whose type is one byte ≥ '80' followed by a 2-byte length, as returned by the
 * card in GPPro TestGPKeyInfo (`… FF A1 0080 A0 0003 …`); the usage length (00/01) ends the list.
 */
function parseExtended(r: ByteReader, keyId: number, kvn: number): KeyInfo {
  const components: KeyComponentInfo[] = [];
  while (r.remaining > 0 && r.peek() >= 0x80) {
    if (r.peek() === KEY_TYPES.EXTENDED) r.u8();
    components.push({ type: r.u8('key type'), length: r.u16('key length') });
  }
  const optional = (what: string): Uint8Array | undefined => {
    const n = r.u8(`${what} length`);
    if (n > 1) throw badResponse(`key information: ${what} length ${n} (0 or 1, Table 11-29)`);
    return n === 0 ? undefined : r.bytes(1, what).slice();
  };
  const usage = optional('key usage');
  const access = optional('key access');
  r.end();
  return Object.freeze({ kind: 'key-info', format: 'extended', keyId, kvn, components: Object.freeze(components), usage, access });
}

/**
 * Parses a GET DATA 'E0' response, the Key Information Template (GPC 2.3.1 §11.3.3.1.1): one 'C0'
 * per key; a first key type of 'FF' selects the extended format (Table 11-29), else basic (11-28).
 * An empty 'C0' (fresh SSD, GPPro) is skipped.
 * @example parseKeyInformationTemplate(hex`E0 06 C0 04 01 01 88 10`) // [{ keyId: 1, kvn: 1, AES 16 }]
 */
export function parseKeyInformationTemplate(data: Uint8Array): readonly KeyInfo[] {
  assertBytes(data, undefined, 'key information template');
  return guardHost('key information template', () => {
    const template = parseTlv(data);
    if (template.tag !== 0xe0 || template.children === undefined) throw badResponse('key information: expected template E0');
    const out: KeyInfo[] = [];
    for (const c0 of template.children) {
      if (c0.tag !== 0xc0) throw badResponse('key information: E0 may only hold C0 objects');
      if (c0.value.length === 0) continue;
      const r = new ByteReader(c0.value, 'key information data');
      const keyId = r.u8('key identifier');
      const kvn = r.u8('key version number');
      if (r.remaining < 2) throw badResponse('key information: no key component');
      out.push(r.peek() === KEY_TYPES.EXTENDED ? parseExtended(r, keyId, kvn) : parseBasic(r, keyId, kvn));
    }
    return Object.freeze(out);
  });
}

/** Card side: builds the Key Information Template 'E0' (Tables 11-28 / 11-29). */
export function encodeKeyInformationTemplate(keys: readonly Omit<KeyInfo, 'kind'>[]): Uint8Array {
  return encodeTlv(tlv(0xe0, keys.map((k) => {
    assertInt(k.keyId, 0, 0xff, 'key identifier');
    assertInt(k.kvn, 0, 0xff, 'key version number');
    if (k.components.length === 0) throw badArgument('key information: at least one component');
    const w = new ByteWriter().u8(k.keyId).u8(k.kvn);
    for (const c of k.components) {
      if (k.format === 'basic') w.u8(c.type, 'key type').u8(c.length, 'key length');
      else w.u8(KEY_TYPES.EXTENDED).u8(c.type, 'key type').u16(c.length, 'key length');
    }
    if (k.format === 'extended') {
      for (const v of [k.usage, k.access]) {
        if (v === undefined) w.u8(0);
        else w.lv(v);
      }
    }
    return tlv(0xc0, w.toBytes());
  })));
}
