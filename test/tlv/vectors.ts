// Loader for test/vectors/tlv/*.json: expands `${NxHH}` (byte HH repeated N times) in hex fields.
import { readFileSync } from 'node:fs';
import type { TlvParseOptions } from '../../src/tlv/index.ts';

export interface TlvVector {
  name: string;
  source: string;
  hex: string;
  list?: boolean;
  single?: boolean;
  options?: TlvParseOptions;
  dump?: string[];
  canonical?: string;
  code?: string;
}

/** Expands `${NxHH}` into HH repeated N times. */
export function expand(text: string): string {
  return text.replace(/\$\{(\d+)x([0-9A-Fa-f]{2})\}/g, (_, n: string, b: string) => b.repeat(Number(n)));
}

export function loadVectors(file: string): TlvVector[] {
  const raw = JSON.parse(readFileSync(new URL(`../vectors/tlv/${file}`, import.meta.url), 'utf8')) as { cases: TlvVector[] };
  return raw.cases.map((c) => ({
    ...c,
    hex: expand(c.hex),
    dump: c.dump?.map(expand),
  }));
}
