#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's built-in test runner (through tsx), so CI reads the
// runner's own summary. Node 20's --test has no glob support, hence this file list.
// Usage: npm test [-- <path filter>...]   e.g. npm test -- test/crypto   (TEST_CONCURRENCY=n: files at once, default 2)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = join(import.meta.dirname, '..');

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = collect(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((p) => f.startsWith(p) || f.includes(p)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ') || 'test/**/*.test.ts'}`);
  process.exit(1);
}
const reporter = process.env.TEST_REPORTER ?? 'spec';
// Test files run side by side (Node's default on 2 cores is one at a time): many wait on sockets,
// child processes and timers rather than the CPU. TEST_CONCURRENCY=1 runs them one by one.
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-reporter=${reporter}`, `--test-concurrency=${concurrency}`, ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(run.status ?? 1);
