/**
 * Every document the code cites resolves in docs/specs.md (CONVENTIONS.md §5): citations are read
 * from src/ by pattern, normalised to their key, and looked up in the document.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** Citation pattern → the key docs/specs.md must contain for it. */
const FAMILIES: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [/\bGPC (2\.3\.1|2\.2|2\.1\.1)\b/g, (m) => `GPC ${m[1]}`],
  [/\bAmd D v(1\.1\.1|1\.2)\b/g, (m) => `GPC Amd D v${m[1]}`],
  [/\bISO(?:\/IEC)? (\d{4,5}(?:-\d)?)\b/g, (m) => m[1]!],
  [/\bRFC (\d{3,5})\b/g, (m) => `RFC ${m[1]}`],
  [/\bSP 800-(\d+[A-Z]?)\b/g, (m) => `SP 800-${m[1]}`],
  [/\bFIPS (?:PUB )?(\d+(?:-\d)?)\b/g, (m) => `FIPS ${m[1]}`],
  [/\bEMV (?:4\.\d )?Book (\d|[A-E](?:-\d)?)\b/g, (m) => `EMV Book ${m[1]}`],
  [/\b(VIS 1\.5|M\/Chip 4)\b/g, (m) => m[1]!],
  [/\bEMV (CPS|SU-\d+)\b/g, (m) => `EMV ${m[1]}`],
  [/\bETSI TS (\d{3} \d{3})\b/g, (m) => `ETSI TS ${m[1]}`],
  [/\b(?:ANSI )?(X3\.92|X9\.\d+)\b/g, (m) => m[1]!],
  [/\bCPG (2\.04)\b/g, () => 'CPG 2.04'],
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('docs/specs.md', () => {
  it('lists every document cited in src/', () => {
    const doc = readFileSync(join(root, 'docs', 'specs.md'), 'utf8');
    const missing = new Map<string, string>();
    let cited = 0;
    for (const file of sources(join(root, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const [pattern, key] of FAMILIES) {
        for (const m of text.matchAll(pattern)) {
          cited++;
          const k = key(m);
          if (!doc.includes(k)) missing.set(k, file.slice(root.length + 1));
        }
      }
    }
    assert.ok(cited > 100, `only ${cited} citations found: is the pattern list broken?`);
    assert.deepEqual([...missing].map(([k, f]) => `${k} (first in ${f})`), []);
  });
});
