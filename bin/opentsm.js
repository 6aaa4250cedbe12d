#!/usr/bin/env node
// The `opentsm` command. Runs the compiled CLI (npm run build, done by `npm ci` through `prepare`).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('opentsm: dist/ is missing. Run `npm run build` (npm ci does it for you) and try again.');
  process.exit(1);
}
const { run } = await import(main.href);
// Exit explicitly: a native PC/SC handle left open by the binding must not keep the CLI alive.
process.exit(await run(process.argv));
