import { TlvError } from './errors.ts';
import { lengthFieldSize, writeLength } from './length.ts';
import type { Tlv } from './node.ts';
import { assertTag, isConstructedTag, tagByteLength, tagHex, writeTag } from './tag.ts';

/**
 * Encodes one BER-TLV object with minimal lengths (ISO/IEC 8825-1 §8.1.3; the canonical form ISO
 * 7816-4 and GP expect). A constructed node is encoded from its `children` (so a parsed object with
 * padding or indefinite length comes out canonical); without children its `value` is used as is.
 * @example encodeTlv(tlv(0x9F70, hex`07`)) // 9F 70 01 07
 */
export function encodeTlv(node: Tlv): Uint8Array {
  return encodeTlvList([node]);
}

/** Encodes a sequence of BER-TLV objects back to back. Iterative: any depth, linear in the output. */
export function encodeTlvList(nodes: readonly Tlv[]): Uint8Array {
  const list: unknown = nodes;
  if (!Array.isArray(list)) throw new TlvError('ERR_TLV_ENCODE', 'encodeTlvList: expected an array of nodes');
  const sizes = contentSizes(nodes);
  let total = 0;
  for (const n of nodes) total += encodedSize(n, sizes);
  const out = new Uint8Array(total);
  const todo: Tlv[] = [...nodes].reverse();
  let pos = 0;
  while (todo.length > 0) {
    const node = todo.pop()!;
    pos = writeTag(node.tag, out, pos);
    pos = writeLength(sizes.get(node)!, out, pos);
    if (node.children === undefined) {
      out.set(node.value, pos);
      pos += node.value.length;
    } else {
      for (let i = node.children.length - 1; i >= 0; i--) todo.push(node.children[i]!);
    }
  }
  return out;
}

function encodedSize(node: Tlv, sizes: Map<Tlv, number>): number {
  const content = sizes.get(node)!;
  return tagByteLength(node.tag) + lengthFieldSize(content) + content;
}

/**
 * Content length of every node reachable from `roots`, computed children first without recursion.
 * Validates each node once and refuses cycles (a shared subtree is fine).
 */
function contentSizes(roots: readonly Tlv[]): Map<Tlv, number> {
  const sizes = new Map<Tlv, number>();
  const open = new Set<Tlv>();
  const stack: Tlv[] = [...roots];
  while (stack.length > 0) {
    const node = stack[stack.length - 1]!;
    if (sizes.has(node)) {
      stack.pop();
      continue;
    }
    if (!open.has(node)) {
      checkNode(node);
      if (node.children === undefined) {
        sizes.set(node, node.value.length);
        stack.pop();
        continue;
      }
      open.add(node);
      for (const child of node.children) {
        if (open.has(child)) throw new TlvError('ERR_TLV_ENCODE', `node ${tagHex(node.tag)} contains itself`);
        if (!sizes.has(child)) stack.push(child);
      }
      continue;
    }
    let size = 0;
    for (const child of node.children!) size += encodedSize(child, sizes);
    lengthFieldSize(size); // throws ERR_TLV_LENGTH past 4 length bytes
    sizes.set(node, size);
    open.delete(node);
    stack.pop();
  }
  return sizes;
}

function checkNode(node: Tlv): void {
  if (typeof node !== 'object' || node === null || node.kind !== 'tlv') {
    throw new TlvError('ERR_TLV_ENCODE', 'expected a Tlv node');
  }
  assertTag(node.tag);
  if (node.constructed !== isConstructedTag(node.tag)) {
    throw new TlvError('ERR_TLV_ENCODE', `node ${tagHex(node.tag)}: constructed flag does not match the tag`);
  }
  if (node.children !== undefined && (!node.constructed || !Array.isArray(node.children))) {
    throw new TlvError('ERR_TLV_ENCODE', `node ${tagHex(node.tag)}: children on a primitive tag`);
  }
  if (node.children === undefined && !(node.value instanceof Uint8Array)) {
    throw new TlvError('ERR_TLV_ENCODE', `node ${tagHex(node.tag)}: value is not a Uint8Array`);
  }
}
