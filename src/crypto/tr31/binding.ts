/**
 * The TR-31 / X9.143 key block binding methods: how the key block encryption key (KBEK) and key
 * block authentication key (KBAK) come from the KBPK, and how the payload is encrypted and MACed.
 *
 * - Key variant binding (versions A and C, LEGACY, import only): KBEK = KBPK ⊕ 45…45,
 *   KBAK = KBPK ⊕ 4D…4D; TDES-CBC with IV = the first 8 header characters; MAC = TDES CBC-MAC
 *   (ISO 9797-1 algorithm 1) over header ‖ ciphertext, leftmost 4 bytes.
 * - Key derivation binding (B: TDES, D: AES): KBEK/KBAK = CMAC(KBPK, counter ‖ usage ‖ 00 ‖
 *   algorithm ‖ length in bits) for counter 1…n; MAC = CMAC(KBAK, header ‖ clear payload);
 *   CBC encryption under KBEK with IV = MAC.
 */
import { concat, equalCt, wipe, xor } from '../../bytes/index.ts';
import { aesCbcDecrypt, aesCbcEncrypt } from '../aes.ts';
import { aesCmac, tdesCmac } from '../cmac.ts';
import { tdesCbcDecrypt, tdesCbcEncrypt } from '../des.ts';
import { cbcMacDes } from '../iso9797-mac.ts';
import { CryptoError } from '../errors.ts';
import { aesCmacWith, assertKeyOrHeld, isHeldKey, tdesCmacWith, type HeldKey } from '../held-key.ts';
import { authError } from './fail.ts';
import { versionParams, type KeyBlockVersion, type KeyBlockVersionParams } from './versions.ts';

/** The two keys a KBPK yields for one key block version. Wipe them after use. */
export interface BindingKeys {
  /** Key block encryption key. */
  readonly kbek: Uint8Array;
  /** Key block authentication (MAC) key. */
  readonly kbak: Uint8Array;
}

/** Derivation input fields by cipher and KBPK length: algorithm indicator and key length in bits. */
const DERIVATION = {
  tdes: { 16: [0x0000, 0x0080], 24: [0x0001, 0x00c0] },
  aes: { 16: [0x0002, 0x0080], 24: [0x0003, 0x00c0], 32: [0x0004, 0x0100] },
} as const satisfies Record<'tdes' | 'aes', Record<number, readonly [number, number]>>;

const USAGE_ENCRYPTION = 0x0000;
const USAGE_MAC = 0x0001;

/** Key derivation binding: n CMAC calls with the 8-byte input, output truncated to the KBPK length. */
function derive(kbpk: Uint8Array | HeldKey, cipher: 'tdes' | 'aes', usage: number): Uint8Array {
  const table: Readonly<Record<number, readonly [number, number]>> = DERIVATION[cipher];
  const [algorithm, bits] = table[kbpk.length]!;
  const size = cipher === 'tdes' ? 8 : 16;
  const calls = Math.ceil(kbpk.length / size);
  const out = new Uint8Array(calls * size);
  for (let counter = 1; counter <= calls; counter++) {
    const input = Uint8Array.of(counter, usage >> 8, usage & 0xff, 0x00, algorithm >> 8, algorithm & 0xff, bits >> 8, bits & 0xff);
    const block = cipher === 'tdes' ? tdesCmacWith(kbpk, input, { length: 8 }) : aesCmacWith(kbpk, input, { length: 16 });
    out.set(block, (counter - 1) * size);
    wipe(block);
  }
  const key = out.slice(0, kbpk.length);
  wipe(out);
  return key;
}

/**
 * The KBEK and KBAK of `kbpk` for key block `options.version` (TR-31:2018 A.7 gives worked values).
 * @example deriveKeyBlockKeys(kbpk, { version: 'D' })
 */
export function deriveKeyBlockKeys(kbpk: Uint8Array | HeldKey, options: { version: KeyBlockVersion }): BindingKeys {
  const params = versionParams(options.version);
  assertKeyOrHeld(kbpk, params.cipher, params.kbpkLengths, `TR-31 version ${options.version} KBPK`);
  if (params.binding === 'variant') {
    if (isHeldKey(kbpk)) {
      // the variants are KBPK ⊕ constant: no block-cipher or CMAC primitive computes them
      throw new CryptoError('ERR_CRYPTO_KEY', `TR-31 version ${options.version} (key variant binding) needs the KBPK bytes; a held KBPK opens versions B and D only`);
    }
    return { kbek: xor(kbpk, new Uint8Array(kbpk.length).fill(0x45)), kbak: xor(kbpk, new Uint8Array(kbpk.length).fill(0x4d)) };
  }
  return { kbek: derive(kbpk, params.cipher, USAGE_ENCRYPTION), kbak: derive(kbpk, params.cipher, USAGE_MAC) };
}

function cbc(params: KeyBlockVersionParams, key: Uint8Array, data: Uint8Array, iv: Uint8Array, decrypt: boolean): Uint8Array {
  if (params.cipher === 'aes') return decrypt ? aesCbcDecrypt(key, data, { iv }) : aesCbcEncrypt(key, data, { iv });
  return decrypt ? tdesCbcDecrypt(key, data, { iv }) : tdesCbcEncrypt(key, data, { iv });
}

function derivationMac(params: KeyBlockVersionParams, kbak: Uint8Array, header: Uint8Array, payload: Uint8Array): Uint8Array {
  const input = concat(header, payload);
  try {
    const length = params.macLength;
    return params.cipher === 'aes' ? aesCmac(kbak, input, { length }) : tdesCmac(kbak, input, { length });
  } finally {
    wipe(input);
  }
}

/** Key derivation binding, export side: MAC the clear payload, then encrypt it with IV = MAC. */
export function sealDerivation(
  params: KeyBlockVersionParams,
  keys: BindingKeys,
  header: Uint8Array,
  payload: Uint8Array,
): { ciphertext: Uint8Array; mac: Uint8Array } {
  const mac = derivationMac(params, keys.kbak, header, payload);
  return { ciphertext: cbc(params, keys.kbek, payload, mac, false), mac };
}

/**
 * Key derivation binding, import side: decrypt with IV = MAC, recompute the MAC over header ‖ clear
 * payload and compare in constant time before anything is returned.
 */
export function openDerivation(
  params: KeyBlockVersionParams,
  keys: BindingKeys,
  header: Uint8Array,
  ciphertext: Uint8Array,
  mac: Uint8Array,
): Uint8Array {
  const payload = cbc(params, keys.kbek, ciphertext, mac, true);
  const expected = derivationMac(params, keys.kbak, header, payload);
  if (!equalCt(expected, mac)) {
    wipe(payload);
    throw authError();
  }
  return payload;
}

/**
 * Key variant binding (versions A and C), import side. LEGACY: accepted for import only. The MAC
 * covers header ‖ ciphertext and is checked in constant time before decryption.
 */
export function openVariant(keys: BindingKeys, header: Uint8Array, ciphertext: Uint8Array, mac: Uint8Array): Uint8Array {
  const expected = cbcMacDes(keys.kbak, concat(header, ciphertext), { padding: 1, length: 4 });
  if (!equalCt(expected, mac)) throw authError();
  return tdesCbcDecrypt(keys.kbek, ciphertext, { iv: header.slice(0, 8) });
}
