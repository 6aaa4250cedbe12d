/**
 * Checks the import rules of docs/architecture.md §2 (ARCHITECTURE.md): which layer may import which,
 * and that a layer is entered only through its index.ts. Type-only imports count too: a type is a
 * dependency. Exit code 1 and one line per violation when a rule is broken.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Layer → the layers it may import (ARCHITECTURE.md §2). `cli` may import anything. */
export const ALLOWED: Readonly<Record<string, readonly string[] | '*'>> = {
  bytes: [],
  tlv: ['bytes'],
  apdu: ['bytes', 'tlv'],
  crypto: ['bytes'],
  hsm: ['gp', 'emv', 'tlv', 'crypto', 'bytes'],
  gp: ['apdu', 'tlv', 'crypto', 'bytes'],
  ota: ['gp', 'apdu', 'tlv', 'crypto', 'bytes'],
  emv: ['tlv', 'apdu', 'crypto', 'bytes'],
  se: ['gp', 'ota', 'emv', 'apdu', 'tlv', 'crypto', 'bytes'],
  device: ['se', 'emv', 'gp', 'apdu', 'tlv', 'crypto', 'bytes'], // crypto: the TEE's PIN TA opens TR-31 blocks and runs AES (docs/tee.md)
  store: ['bytes'],
  tsm: ['hsm', 'gp', 'ota', 'emv', 'store', 'apdu', 'tlv', 'bytes'],
  cli: '*',
};

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|mts)$/.test(name) ? [path] : [];
  });
}

function layerOf(path: string): string | undefined {
  const rel = relative(src, path);
  if (rel.startsWith('..')) return undefined;
  return rel.split(sep)[0];
}

const violations: string[] = [];
for (const layer of readdirSync(src)) {
  if (statSync(join(src, layer)).isDirectory() && !existsSync(join(src, layer, 'index.ts'))) {
    violations.push(`src/${layer}: a layer exposes its API through src/${layer}/index.ts (ARCHITECTURE.md §2)`);
  }
}
for (const file of files(src)) {
  const from = layerOf(file)!;
  const rules = ALLOWED[from];
  if (rules === undefined) {
    violations.push(`${relative(root, file)}: folder src/${from} is not a layer of ARCHITECTURE.md §2`);
    continue;
  }
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith('.')) continue; // packages and node: builtins
    const target = resolve(dirname(file), fileName);
    const to = layerOf(target);
    const where = `${relative(root, file)} imports ${fileName}`;
    if (to === undefined) {
      violations.push(`${where}: src/ must not import outside src/`);
      continue;
    }
    if (to === from) continue;
    if (rules !== '*' && !rules.includes(to)) violations.push(`${where}: layer ${from} may not import ${to}`);
    if (relative(join(src, to), target).replace(/\.ts$/, '') !== 'index') {
      violations.push(`${where}: import src/${to}/index.ts, not its internals`);
    }
  }
}

if (violations.length > 0) {
  console.error(`import rules: ${violations.length} violation(s)\n${violations.join('\n')}`);
  process.exit(1);
}
console.log(`import rules: ${files(src).length} files checked, no violations`);
