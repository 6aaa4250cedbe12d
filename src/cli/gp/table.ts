/** Plain-text tables for terminal output: columns padded to their widest cell, the last one free. */

/**
 * Lays out `rows` as lines, columns separated by two spaces; trailing blanks trimmed.
 * @example table([['KVN', 'ID'], ['30', '01']]) // ['KVN  ID', '30   01']
 */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}
