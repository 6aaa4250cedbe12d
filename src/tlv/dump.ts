import { toHex } from '../bytes/index.ts';
import type { Tlv } from './node.ts';
import { tagHex } from './tag.ts';

/** Options for {@link dumpTlv}. */
export interface TlvDumpOptions {
  /** Tags whose value is printed as `<redacted>` (keys, PINs, PANs: CONVENTIONS.md §8). */
  redactTags?: Iterable<number>;
  /** Indentation per nesting level; default two spaces. */
  indent?: string;
}

/**
 * A readable multi-line dump: one line per object with tag hex, value length in bytes, and for
 * primitives the value hex; children indented under their parent. Iterative (any depth).
 * Do not log the dump of secret-bearing data without `redactTags`.
 * @example
 * dumpTlv(parseTlv(hex`E3 09 4F 07 A0000001510000`))
 * // E3 (9)
 * //   4F (7) A0000001510000
 */
export function dumpTlv(nodes: Tlv | readonly Tlv[], options: TlvDumpOptions = {}): string {
  const redact = new Set(options.redactTags ?? []);
  const indent = options.indent ?? '  ';
  const list: readonly Tlv[] = Array.isArray(nodes) ? (nodes as readonly Tlv[]) : [nodes as Tlv];
  const lines: string[] = [];
  const todo: { node: Tlv; depth: number }[] = [];
  for (let i = list.length - 1; i >= 0; i--) todo.push({ node: list[i]!, depth: 0 });
  while (todo.length > 0) {
    const { node, depth } = todo.pop()!;
    const head = `${indent.repeat(depth)}${tagHex(node.tag)} (${node.value.length})`;
    if (node.children !== undefined) {
      lines.push(head);
      for (let i = node.children.length - 1; i >= 0; i--) todo.push({ node: node.children[i]!, depth: depth + 1 });
    } else if (redact.has(node.tag)) {
      lines.push(`${head} <redacted>`);
    } else {
      lines.push(node.value.length === 0 ? head : `${head} ${toHex(node.value)}`);
    }
  }
  return lines.join('\n');
}
