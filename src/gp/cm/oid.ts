import { assertBytes } from '../../bytes/index.ts';
import { badArgument } from './fail.ts';

/**
 * Object identifiers as dotted strings (ITU-T X.690 §8.19: first two arcs in one subidentifier, then
 * base-128 with b8 as the continuation bit). Used for GP Card Recognition Data (GPC 2.3.1 §H.2).
 */

/** {globalPlatform} = 1.2.840.114283 (GPC 2.3.1 §H.1.1). */
export const GP_OID = '1.2.840.114283';

/**
 * Decodes OID content bytes (no tag, no length), or undefined when they are not a valid minimal OID
 * (empty, truncated, a leading 80 padding byte, an arc beyond 2^53).
 * @example decodeOid(hex`2A864886FC6B040215`) // '1.2.840.114283.4.2.21'
 */
export function decodeOid(bytes: Uint8Array): string | undefined {
  assertBytes(bytes, undefined, 'OID');
  if (bytes.length === 0) return undefined;
  const arcs: number[] = [];
  let value = 0;
  let started = false;
  for (const b of bytes) {
    if (!started && b === 0x80) return undefined; // X.690 §8.19.2: no leading 80 in a subidentifier
    started = true;
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) return undefined;
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0;
      started = false;
    }
  }
  if (started) return undefined; // ends inside a subidentifier
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** Encodes a dotted OID into content bytes (X.690 §8.19). */
export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a))) throw badArgument(`OID ${dotted}: expected dotted decimal arcs`);
  const [a, b] = arcs as [number, number];
  if (a > 2 || (a < 2 && b > 39)) throw badArgument(`OID ${dotted}: invalid first arcs`);
  const out: number[] = [];
  for (const arc of [a * 40 + b, ...arcs.slice(2)]) {
    const group: number[] = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) group.unshift((v % 128) | 0x80);
    out.push(...group);
  }
  return Uint8Array.from(out);
}

/** The arcs after the GP OID (e.g. '4.2.21' → [4, 2, 21]), or undefined for a non-GP OID. */
export function gpArcs(dotted: string | undefined): readonly number[] | undefined {
  if (dotted === undefined || !dotted.startsWith(`${GP_OID}.`)) return undefined;
  return dotted.slice(GP_OID.length + 1).split('.').map(Number);
}
