/**
 * How the card factory exports secret keys: TR-31 / ANSI X9.143 key blocks under the operator's
 * transport KEK (version D under an AES KEK, B under a TDES KEK), never in the clear
 * (ARCHITECTURE.md §3). The header binds what each key is for; X9.143 has no GlobalPlatform or
 * ETSI OTA usages, so OpenTSM maps them onto the standard codes below and names the exact role in a
 * label optional block "LB" (X9.143:2021 §6.3.6.10), which the HSM import reads to file the key:
 *
 * | key | usage | mode | export | key version | LB label |
 * |---|---|---|---|---|---|
 * | ISD master ENC / MAC / DEK (per batch) | B3 key derivation key (non-X9.24) | X derive | N | ISD KVN | `GP-ISD-MK-ENC` / `-MAC` / `-DEK` |
 * | SCP80 KIc (per card) | D0 symmetric data encryption | B | N | KIc/KID KVN | `SCP80-KIC` |
 * | SCP80 KID, 3DES (per card) | M1 ISO 9797-1 MAC algorithm 1 (CBC-MAC) | C | N | KVN | `SCP80-KID` |
 * | SCP80 KID, AES (per card) | M6 ISO 9797-1:2011 MAC algorithm 5 (CMAC) | C | N | KVN | `SCP80-KID` |
 * | SCP81 TLS PSK (per card) | M7 HMAC key, algorithm H, HM = 21 (SHA-256) | C | E | PSK KVN | `SCP81-PSK` |
 *
 * Masters are derivation keys: per-card ISD keys are diversified from them with the card's KDD and
 * are not exported (the key file lists their KCVs). The PSK is exportable under a trusted key
 * because the TLS endpoint terminating SCP81 needs it in memory (ota.md §3: Node's `pskCallback` is
 * synchronous).
 */
import { createHmac } from 'node:crypto';
import { toHex } from '../../bytes/index.ts';
import { kcv, wrapKeyBlock, type KeyBlockHeaderInput, type KcvMethod } from '../../crypto/index.ts';
import { SeError } from '../errors.ts';

/** The operator's transport key: AES (TR-31 version D) or TDES (version B). */
export interface TransportKek {
  readonly algorithm: 'aes' | 'tdes';
  readonly key: Uint8Array;
}

/** A wrapped key as the key file shows it: the block and a check value, never the key. */
export interface ExportedKey {
  /** Check value of the clear key, for comparison with the HSM after import. */
  readonly kcv: string;
  readonly kcvMethod: KcvMethod | 'hmac-sha256-zeros';
  readonly keyBlock: string;
}

/** The roles of exported keys (the LB label of each block). */
export type KeyRole = 'GP-ISD-MK-ENC' | 'GP-ISD-MK-MAC' | 'GP-ISD-MK-DEK' | 'SCP80-KIC' | 'SCP80-KID' | 'SCP81-PSK';

/** The TR-31 version for a KEK algorithm. */
export function keyBlockVersion(kek: TransportKek): 'B' | 'D' {
  return kek.algorithm === 'aes' ? 'D' : 'B';
}

/** The KCV method the key file uses for a key of `algorithm` (the one TR-31 importers report: X9.24-1). */
export function kcvMethodOf(algorithm: 'aes' | 'tdes'): KcvMethod {
  return algorithm === 'aes' ? 'aes-cmac' : 'tdes-zeros';
}

/** A check value for a PSK (no X9.24 KCV exists for HMAC keys): HMAC-SHA-256(key, 16 zero bytes), 3 bytes. */
export function pskCheckValue(psk: Uint8Array): string {
  return toHex(new Uint8Array(createHmac('sha256', psk).update(new Uint8Array(16)).digest()).subarray(0, 3));
}

function header(kek: TransportKek, role: KeyRole, algorithm: 'aes' | 'tdes' | 'hmac', kvn: number): KeyBlockHeaderInput {
  const keyVersion = kvn.toString(16).toUpperCase().padStart(2, '0');
  const base = { version: keyBlockVersion(kek), keyVersion, algorithm: algorithm === 'aes' ? 'A' : algorithm === 'tdes' ? 'T' : 'H' } as const;
  const label = { id: 'LB', data: role };
  switch (role) {
    case 'GP-ISD-MK-ENC':
    case 'GP-ISD-MK-MAC':
    case 'GP-ISD-MK-DEK':
      return { ...base, usage: 'B3', modeOfUse: 'X', exportability: 'N', optionalBlocks: [label] };
    case 'SCP80-KIC':
      return { ...base, usage: 'D0', modeOfUse: 'B', exportability: 'N', optionalBlocks: [label] };
    case 'SCP80-KID':
      return { ...base, usage: algorithm === 'aes' ? 'M6' : 'M1', modeOfUse: 'C', exportability: 'N', optionalBlocks: [label] };
    case 'SCP81-PSK':
      // X9.143:2021 §6.3.6.5 table 13: HM 21 = SHA-256, the TLS 1.2 PRF hash of the SCP81 suites
      return { ...base, usage: 'M7', modeOfUse: 'C', exportability: 'E', optionalBlocks: [{ id: 'HM', data: '21' }, label] };
  }
}

/** Wraps one key for the key file. */
export function exportKey(kek: TransportKek, key: Uint8Array, role: KeyRole, algorithm: 'aes' | 'tdes' | 'hmac', kvn: number): ExportedKey {
  let keyBlock: string;
  try {
    keyBlock = wrapKeyBlock(kek.key, key, { header: header(kek, role, algorithm, kvn) });
  } catch (e) {
    throw new SeError('ERR_SE_CONFIG', `cannot wrap ${role} under the transport KEK: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (algorithm === 'hmac') return { kcv: pskCheckValue(key), kcvMethod: 'hmac-sha256-zeros', keyBlock };
  const method = kcvMethodOf(algorithm);
  return { kcv: toHex(kcv(key, method, 3)), kcvMethod: method, keyBlock };
}
