/**
 * The card's SCP80 key sets (`CardState.ota.scp80`): which one a packet's KIc/KID name for a
 * Security Domain, and the durable counter per key set (ETSI TS 102 225 §5.1.1).
 *
 * Rule: KIc and KID name a key set by their high nibble (its KVN). When the packet both ciphers and
 * checks (RC/CC), the two must name the same KVN; the key set must belong to the TAR's SD (absent
 * `sdAid`: the ISD) and its algorithm must be the one the KIc/KID low nibble names. Anything else
 * is PoR 06 (unidentified security error).
 */
import type { CommandHeader, OtaAlgorithm, OtaKeys } from '../../ota/index.ts';
import { parseKeyId } from '../../ota/index.ts';
import type { CardState, Scp80KeySetState } from '../state/card-state.ts';
import { sameAid } from '../gp/registry.ts';

/** Key set algorithm (card state) → the KIc/KID algorithm names of ota/. */
const ALGORITHM: Readonly<Record<Scp80KeySetState['algorithm'], OtaAlgorithm>> = { 'tdes-2key': '3des-2key', 'tdes-3key': '3des-3key', aes: 'aes' };

/** The key set a packet uses, or a reason it has none. */
export type KeySetLookup = { readonly kind: 'found'; readonly keySet: Scp80KeySetState; readonly keys: OtaKeys } | { readonly kind: 'none'; readonly reason: string };

function named(byte: number, role: 'KIc' | 'KID', used: boolean, keySet: Scp80KeySetState): string | undefined {
  if (!used) return undefined;
  try {
    const id = parseKeyId(byte, role);
    return id.algorithm === ALGORITHM[keySet.algorithm] ? undefined : `${role} names ${id.algorithm}, key set ${keySet.kvn} is ${keySet.algorithm}`;
  } catch {
    return `${role} ${byte.toString(16)} names no supported algorithm`;
  }
}

/** Finds the key set of a packet for `sdAid` (see the file header for the rule). */
export function findKeySet(state: CardState, sdAid: Uint8Array, h: CommandHeader): KeySetLookup {
  const ciphered = h.spi.ciphered;
  const checked = h.spi.rcCcDs === 'cc';
  const kicKvn = h.kic >> 4;
  const kidKvn = h.kid >> 4;
  if (ciphered && checked && kicKvn !== kidKvn) return { kind: 'none', reason: `KIc names key set ${kicKvn}, KID ${kidKvn}` };
  const kvn = ciphered ? kicKvn : kidKvn;
  const keySet = state.ota?.scp80.find((k) => k.kvn === kvn && sameAid(k.sdAid ?? state.isdAid, sdAid));
  if (keySet === undefined) return { kind: 'none', reason: `no OTA key set ${kvn} for this Security Domain` };
  const wrong = named(h.kic, 'KIc', ciphered, keySet) ?? named(h.kid, 'KID', checked, keySet);
  if (wrong !== undefined) return { kind: 'none', reason: wrong };
  return { kind: 'found', keySet, keys: { kic: keySet.kic, kid: keySet.kid } };
}

/** A counter value as the 5 CNTR bytes. */
export function counterBytes(value: number): Uint8Array {
  return Uint8Array.from({ length: 5 }, (_, i) => Math.floor(value / 2 ** (8 * (4 - i))) % 256);
}

/** The 5 CNTR bytes as a number (exact: at most 2^40 − 1). */
export function counterValue(bytes: Uint8Array): number {
  return bytes.reduce((acc, b) => acc * 256 + b, 0);
}

/** The state with key set `kvn` of `sdAid` at counter `value`. */
export function withCounter(state: CardState, keySet: Scp80KeySetState, value: number): CardState {
  const ota = state.ota!;
  return { ...state, ota: { ...ota, scp80: ota.scp80.map((k) => (k === keySet ? { ...k, counter: value } : k)) } };
}
