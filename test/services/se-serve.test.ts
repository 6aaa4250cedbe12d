/**
 * `opentsm se serve` with a card made by `opentsm se create`, reached through pcscd by opensc-tool
 * and by `opentsm gp --reader` (issue "virtual Secure Element", PC/SC). Uses the second vpcd reader
 * ("Virtual PCD 00 01", port 35964) so it can run beside pcsc-virtual-se.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/index.ts';
import { seServe } from '../../src/cli/commands/se-serve.ts';

const enabled = process.env.OPENTSM_SERVICES === '1';
const READER = 'Virtual PCD 00 01';

function tool(cmd: string, args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 15_000, killSignal: 'SIGKILL' }, (error, stdout) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout });
    });
  });
}

async function captured(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  };
  try {
    return { code: await run(['node', 'opentsm', ...argv]), out };
  } finally {
    process.stdout.write = write;
  }
}

describe('opentsm se serve behind pcscd', { skip: enabled ? false : 'needs pcscd + vpcd: run `npm run test:services`', timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-serve-'));
  const stop = new AbortController();
  let serving: Promise<void> | undefined;
  let cardFile = '';

  before(async () => {
    const made = await captured(['se', 'create', '--profile', 'strict-ese', '--count', '1', '--out', dir]);
    assert.equal(made.code, 0, 'se create');
    const keyFile = JSON.parse(readFileSync(join(dir, 'keyfile.json'), 'utf8')) as { cards: { file?: string; cin?: string }[] };
    assert.equal(keyFile.cards.length, 1);
    cardFile = join(dir, (await import('node:fs')).readdirSync(dir).find((f) => f.endsWith('.json') && f !== 'keyfile.json')!);
    serving = seServe({ card: cardFile, host: '127.0.0.1', port: '35964' }, stop.signal);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { stdout } = await tool('opensc-tool', ['-l']);
      if (/^1\s+Yes\s+.*Virtual PCD 00 01\s*$/m.test(stdout)) break;
      if (Date.now() > deadline) throw new Error(`no card in ${READER}:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  after(async () => {
    stop.abort();
    await serving;
    rmSync(dir, { recursive: true, force: true });
  });

  it('opensc-tool selects the ISD and reads the CPLC', async () => {
    const r = await tool('opensc-tool', ['-r', '1', '-s', '00A4040008A000000151000000', '-s', '80CA9F7F00']);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /SW1=0x90, SW2=0x00/);
    assert.doesNotMatch(r.stdout, /SW1=0x6A, SW2=0x82/);
  });

  it('opentsm gp info --reader reads the card through PC/SC', async () => {
    const r = await captured(['gp', 'info', '--reader', READER]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /CPLC/i);
    assert.match(r.out, /SCP ?03/i);
  });
});
