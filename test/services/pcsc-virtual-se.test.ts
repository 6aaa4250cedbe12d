/**
 * The virtual SE in a real PC/SC stack: the vpcd bridge connects the card to pcscd (vsmartcard's
 * vpcd driver), then OpenSC's opensc-tool and OpenTSM's own PC/SC transport talk to it through
 * libpcsclite. Needs pcscd running with vpcd: `npm run test:services` sets that up; under a plain
 * `npm test` this file is skipped.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { commandApdu, SW, transmit } from '../../src/apdu/index.ts';
import { concat, hex, toHex } from '../../src/bytes/index.ts';
import { connectPcsc, listReaders, type PcscTransport } from '../../src/cli/transport/pcsc.ts';
import { VpcdBridge } from '../../src/se/pcsc/vpcd-bridge.ts';
import type { VpcdBridgeEvent } from '../../src/se/pcsc/vpcd-events.ts';
import { createServicesTestCard, TEST_APPLET_AID, TEST_ATR, TEST_ATR_T0, TEST_FCI, TEST_INS } from './helpers/test-card.ts';

const READER = 'Virtual PCD 00 00';
/** The second vpcd reader, on port 35964: a T=0 card goes there. */
const READER_T0 = 'Virtual PCD 00 01';
const SELECT = concat(hex`00 A4 04 00 09`, TEST_APPLET_AID);
const enabled = process.env.OPENTSM_SERVICES === '1';

interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs opensc-tool with a hard timeout; never rejects (the exit code is in the result). */
function openscTool(args: string[], timeoutMs = 15_000): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile('opensc-tool', args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The responses in `opensc-tool -s` output: each "Received (SW1=0x90, SW2=0x00):" and its hex dump (n bytes: n×3 hex chars, then n ASCII chars). */
function parseResponses(stdout: string): string[] {
  const responses: string[] = [];
  let current: { sw: string; data: string } | undefined;
  for (const line of stdout.split('\n')) {
    const received = /^Received \(SW1=0x([0-9A-F]{2}), SW2=0x([0-9A-F]{2})\)/i.exec(line);
    if (received !== null) {
      if (current !== undefined) responses.push(current.data + current.sw);
      current = { sw: `${received[1]}${received[2]}`.toUpperCase(), data: '' };
    } else if (line.startsWith('Sending:') || line.trim() === '') {
      if (current !== undefined) responses.push(current.data + current.sw);
      current = undefined;
    } else if (current !== undefined && line.length % 4 === 0) {
      current.data += line.slice(0, (line.length / 4) * 3).replace(/ /g, '');
    }
  }
  if (current !== undefined) responses.push(current.data + current.sw);
  return responses;
}

/** Polls `opensc-tool -l` until readers 0 and 1 are the vpcd readers and both hold a card. */
async function waitForCards(timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const { stdout } = await openscTool(['-l'], 5000);
    last = stdout;
    if (/^0\s+Yes\s+.*Virtual PCD 00 00\s*$/m.test(stdout) && /^1\s+Yes\s+.*Virtual PCD 00 01\s*$/m.test(stdout)) return stdout;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`pcscd did not report cards in the vpcd readers within ${timeoutMs} ms; opensc-tool -l said:\n${last}`);
}

describe('PC/SC: the virtual SE behind pcscd and vpcd', { skip: enabled ? false : 'needs pcscd + vpcd: run `npm run test:services`', timeout: 90_000 }, () => {
  const events: VpcdBridgeEvent[] = [];
  let bridge: VpcdBridge | undefined;
  let bridgeT0: VpcdBridge | undefined;

  before(async () => {
    bridge = new VpcdBridge(createServicesTestCard(), { onEvent: (e) => events.push(e) });
    bridgeT0 = new VpcdBridge(createServicesTestCard(TEST_ATR_T0), { port: 35964, onEvent: (e) => events.push(e) });
    bridge.start();
    bridgeT0.start();
    await waitForCards(20_000);
  });

  after(async () => {
    await Promise.all([bridge?.close(), bridgeT0?.close()]);
  });

  it('opensc-tool lists the vpcd reader with a card in it', async () => {
    const { code, stdout } = await openscTool(['-l']);
    assert.equal(code, 0);
    assert.match(stdout, /^0\s+Yes\s+.*Virtual PCD 00 00\s*$/m);
    assert.ok(bridge?.connected);
  });

  it('opensc-tool reads the card ATRs', async () => {
    for (const [reader, atr] of [['0', TEST_ATR], ['1', TEST_ATR_T0]] as const) {
      const { code, stdout } = await openscTool(['-r', reader, '-a']);
      assert.equal(code, 0);
      assert.equal(stdout.trim().replace(/:/g, '').toUpperCase(), toHex(atr));
    }
  });

  it('opensc-tool sends APDUs and gets the applet answers', async () => {
    const apdus = [toHex(SELECT), '8001000003AABBCC', '8002000000', '80030000', '80030000', '80FF0000', '00A4040003F00000'];
    const { code, stdout, stderr } = await openscTool(['-r', '0', ...apdus.flatMap((a) => ['-s', a])]);
    assert.equal(code, 0, stderr);
    const fill = toHex(Uint8Array.from({ length: 256 }, (_, i) => i));
    const [first, second] = parseResponses(stdout).slice(3, 5);
    assert.deepEqual(parseResponses(stdout), [
      toHex(TEST_FCI) + '9000',
      'AABBCC9000',
      fill + '9000',
      first, // the counter persists across commands: n, then n + 1
      second,
      '6D00', // INS not supported
      '6A82', // SELECT of an AID that is not on the card
    ]);
    assert.match(first!, /^[0-9A-F]{4}9000$/);
    assert.equal(parseInt(second!.slice(0, 4), 16), parseInt(first!.slice(0, 4), 16) + 1);
  });

  it('listReaders() names both vpcd readers', async () => {
    const readers = await listReaders();
    assert.ok(readers.includes(READER), readers.join(', '));
    assert.ok(readers.includes(READER_T0), readers.join(', '));
  });

  it('the PC/SC transport (shared) exchanges APDUs with the card, T=1 as the ATR offers', async () => {
    const card = await connectPcsc(READER, { share: 'shared' });
    try {
      assert.equal(card.reader, READER);
      assert.equal(toHex(card.atr), toHex(TEST_ATR));
      assert.equal(card.protocol, 'T=1');
      await exchangeWithTestApplet(card);
    } finally {
      await card.close();
    }
  });

  it('the PC/SC transport negotiates T=0 with a T=0-only card', async () => {
    const card = await connectPcsc(READER_T0);
    try {
      assert.equal(toHex(card.atr), toHex(TEST_ATR_T0));
      assert.equal(card.protocol, 'T=0');
      await exchangeWithTestApplet(card);
    } finally {
      await card.close();
    }
  });

  it('the PC/SC transport (exclusive) keeps other connections out until closed', async () => {
    const card = await connectPcsc('virtual pcd 00 00', { share: 'exclusive', disposition: 'leave' });
    try {
      await assert.rejects(connectPcsc(READER, { timeoutMs: 3000 }), /Sharing violation/i);
      const select = await transmit(card, commandApdu({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: TEST_APPLET_AID }));
      assert.equal(select.sw, SW.OK);
    } finally {
      await card.close();
    }
    await assert.rejects(card.transmit(SELECT), /closed/);
    const again = await connectPcsc(READER, { share: 'shared' });
    await again.close();
  });

  it('the bridge saw no protocol errors', () => {
    assert.deepEqual(events.filter((e) => e.kind === 'protocol-error'), []);
    assert.ok((bridge?.stats.commands ?? 0) > 0);
  });
});

async function exchangeWithTestApplet(card: PcscTransport): Promise<void> {
  const select = await transmit(card, commandApdu({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: TEST_APPLET_AID, ne: 256 }));
  assert.equal(select.sw, SW.OK);
  assert.equal(toHex(select.data), toHex(TEST_FCI));
  const echo = await transmit(card, commandApdu({ cla: 0x80, ins: TEST_INS.ECHO, p1: 0, p2: 0, data: hex`01 02 03 04 05`, ne: 256 }));
  assert.equal(toHex(echo.data) + echo.sw.toString(16), '0102030405' + '9000');
  const fill = await transmit(card, commandApdu({ cla: 0x80, ins: TEST_INS.FILL, p1: 0, p2: 0, ne: 256 }));
  assert.equal(fill.data.length, 256);
  assert.equal(fill.data[255], 0xff);
  // the raw transport: bytes in, bytes out
  const raw = await card.transmit(hex`80 FF 00 00`);
  assert.equal(toHex(raw), '6D00');
}
