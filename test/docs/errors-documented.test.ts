/**
 * Every error code a layer can raise is documented in docs/errors.md, and the document lists no
 * code that does not exist (CONVENTIONS.md §4, after fastify's error-registry test).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

async function allCodes(): Promise<Map<string, string>> {
  const codes = new Map<string, string>();
  for (const layer of readdirSync(join(root, 'src'))) {
    const index = join(root, 'src', layer, 'index.ts');
    if (!statSync(join(root, 'src', layer)).isDirectory() || !existsSync(index)) continue;
    const mod = (await import(index)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (!name.endsWith('_ERROR_CODES') || !Array.isArray(value)) continue;
      for (const code of value as string[]) codes.set(code, layer);
    }
  }
  return codes;
}

describe('docs/errors.md', () => {
  it('documents every error code, and only those', async () => {
    const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/^\|\s*`(ERR_[A-Z0-9_]+)`/gm)].map((m) => m[1]!));
    const codes = await allCodes();
    assert.ok(codes.size > 0, 'no *_ERROR_CODES exports found');
    const missing = [...codes.keys()].filter((c) => !documented.has(c));
    const stale = [...documented].filter((c) => !codes.has(c));
    assert.deepEqual(missing, [], `codes missing from docs/errors.md: ${missing.join(', ')}`);
    assert.deepEqual(stale, [], `docs/errors.md lists codes that do not exist: ${stale.join(', ')}`);
  });
});
