import { TlvError } from './errors.ts';
import type { Tlv } from './node.ts';

/**
 * The first object reached by following `path` tag by tag: the first top-level object with
 * `path[0]`, then its first child with `path[1]`, and so on. Undefined when there is none.
 * @example findTlv(fci, 0x6F, 0xA5, 0xBF0C) // FCI issuer discretionary data (EMV Book 1 §11.3.4)
 */
export function findTlv(nodes: Tlv | readonly Tlv[], first: number, ...rest: number[]): Tlv | undefined {
  let level: readonly Tlv[] | undefined = asList(nodes);
  let found: Tlv | undefined;
  for (const tag of [first, ...rest]) {
    if (level === undefined) return undefined;
    found = level.find((n) => n.tag === tag);
    if (found === undefined) return undefined;
    level = found.children;
  }
  return found;
}

/**
 * Every object reached by following `path` through all matching branches, in document order.
 * @example findAllTlv(getStatusResponse, 0xE3, 0x4F) // the AID of every registry entry (GPC 2.3.1 §11.4, GET STATUS)
 */
export function findAllTlv(nodes: Tlv | readonly Tlv[], first: number, ...rest: number[]): readonly Tlv[] {
  let level: readonly Tlv[] = asList(nodes);
  const path = [first, ...rest];
  for (let i = 0; i < path.length; i++) {
    const matches = level.filter((n) => n.tag === path[i]);
    if (i === path.length - 1) return matches;
    level = matches.flatMap((n) => n.children ?? []);
  }
  return [];
}

function asList(nodes: Tlv | readonly Tlv[]): readonly Tlv[] {
  if (Array.isArray(nodes)) return nodes as readonly Tlv[];
  if (typeof nodes === 'object' && nodes !== null && (nodes as Tlv).kind === 'tlv') return [nodes as Tlv];
  throw new TlvError('ERR_TLV_ENCODE', 'findTlv: expected a Tlv node or an array of nodes');
}
