/**
 * Issue 8's check: change-PIN where the wallet never holds the clear PIN. Three processes: this
 * test (the phone platform, which owns the TEE's touchscreen, and the TSM service on the software
 * HSM with an issuer card), the TEE (startTee: tee-process.ts with the PIN TA), and the wallet
 * (fixtures/wallet-process.ts: enrolls its TEE with the issuer, provisions the PEK, runs
 * WalletApp.changePin over TeePinPad and the issuer API over HTTP). The user types a 12-digit PIN
 * on the touchscreen. Then the wallet's heap snapshot, its stdout and stderr, and every HTTP body
 * it sent (recorded at the server) are scanned for the PIN as ASCII digits, as BCD nibbles and as
 * the ISO 9564-1 format 2 and format 4 PIN fields: none. Then a tap carries the PIN CHANGE script
 * to the card, and VERIFY with the new PIN is accepted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fromHex } from '../../src/bytes/index.ts';
import { deliverIssuerUpdate, manufactureTee, startTee, type TerminalOutcome } from '../../src/device/index.ts';
import { TEE_KIF_LABEL, addApiClient, buildApp, createLogger } from '../../src/tsm/index.ts';
import { importClear } from '../hsm/conformance/fixture.ts';
import { softwareSetup } from '../hsm/software-setup.ts';
import { select, send } from '../se/payment/helpers.ts';
import { KIF_KEK } from '../device/tee/fixture.ts';
import { E2E_PROFILES, paymentWorld, provisionCard, tap, type ProvisionedCard } from './payment-world.ts';

/** Distinctive: 12 digits, none of them in the old PIN, nothing a heap holds by chance. */
const NEW_PIN = '739152846031';
const OLD_PIN = '1234';

/** Every form the PIN could take in memory or on the wire. */
function pinForms(pin: string): { name: string; bytes: Buffer }[] {
  const bcd = Buffer.from(fromHex(pin.length % 2 === 0 ? pin : `${pin}F`));
  const f2 = `2${pin.length.toString(16).toUpperCase()}${pin}`.padEnd(16, 'F');
  const f4 = `4${pin.length.toString(16).toUpperCase()}${pin}`.padEnd(16, 'A');
  return [
    { name: 'ASCII digits', bytes: Buffer.from(pin, 'latin1') },
    { name: 'ASCII digits (UTF-16)', bytes: Buffer.from(pin, 'utf16le') },
    { name: 'BCD nibbles', bytes: bcd },
    { name: 'format 2 PIN field', bytes: Buffer.from(fromHex(f2)) },
    { name: 'format 2 PIN field (hex)', bytes: Buffer.from(f2, 'latin1') },
    { name: 'format 2 PIN field (lower hex)', bytes: Buffer.from(f2.toLowerCase(), 'latin1') },
    { name: 'format 4 PIN field', bytes: Buffer.from(fromHex(f4)) },
    { name: 'format 4 PIN field (hex)', bytes: Buffer.from(f4, 'latin1') },
    { name: 'format 4 PIN field (lower hex)', bytes: Buffer.from(f4.toLowerCase(), 'latin1') },
  ];
}

function assertNoPin(where: string, data: Buffer): void {
  for (const form of pinForms(NEW_PIN)) assert.equal(data.indexOf(form.bytes), -1, `the PIN as ${form.name} is in ${where}`);
}

/** VERIFY of a plaintext PIN (format 2 block) on the selected application. */
function verifyPin(card: ProvisionedCard, pin: string): number {
  select(card.se, card.aid);
  return send(card.se, 0x00, 0x20, 0x00, 0x80, fromHex(`2${pin.length.toString(16)}${pin}`.padEnd(16, 'F'))).sw;
}

function approved(o: TerminalOutcome): Extract<TerminalOutcome, { kind: 'approved' }> {
  assert.equal(o.kind, 'approved', o.kind === 'error' ? o.error.message : o.kind);
  return o;
}

interface WalletRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runWallet(config: Record<string, string>, onLine: (step: Record<string, unknown>) => void): Promise<WalletRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'wallet-process.ts')], {
    env: { ...process.env, WALLET_CONFIG: JSON.stringify(config) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    const before = stdout.length;
    stdout += b.toString('latin1');
    for (const line of stdout.slice(stdout.lastIndexOf('\n', before) + 1).split('\n').slice(0, -1)) {
      try {
        onLine(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a step line
      }
    }
  });
  child.stderr.on('data', (b: Buffer) => void (stderr += b.toString('latin1')));
  const timer = setTimeout(() => child.kill(), 90_000);
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve({ code, stdout, stderr });
  }));
}

describe('change PIN through the TEE: the wallet never holds the PIN (issue 8)', { timeout: 180_000 }, () => {
  it('TEE enrollment, trusted PIN entry, PIN CHANGE script over HTTP; no PIN in the wallet\'s heap, output or requests; the card takes the new PIN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opentsm-e2e-tee-'));
    const world = await paymentWorld(softwareSetup);
    const logs: string[] = [];
    const app = buildApp({ db: world.db, hsm: world.t.hsm, config: { bodyLimit: 16 * 1024, logLevel: 'info' }, logger: createLogger('info', { write: (l: string) => void logs.push(l) }) });
    const bodies: Buffer[] = [];
    // The issuer API as the wallet reaches it: each request recorded as it arrived, then served by the app.
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        bodies.push(Buffer.from(`${req.method} ${req.url}\n`), body);
        const headers: Record<string, string> = {};
        for (const h of ['authorization', 'content-type']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
        void app.inject({ method: req.method as 'POST', url: req.url ?? '/', headers, payload: body }).then((r) => {
          res.writeHead(r.statusCode, { 'content-type': String(r.headers['content-type'] ?? 'application/json') });
          res.end(r.rawPayload);
        });
      });
    });
    let tee: Awaited<ReturnType<typeof startTee>> | undefined;
    try {
      await app.ready();
      await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
      const p = E2E_PROFILES[0]!;
      const card = await provisionCard(world, p, { pin: OLD_PIN });
      approved(await tap(world, card)); // a first online transaction: the card and the issuer agree on the ATC
      await importClear(world.t, { usage: 'K1', algorithm: 'A', modeOfUse: 'B', exportability: 'N', label: TEE_KIF_LABEL }, KIF_KEK);
      const { token } = await addApiClient(world.db, world.t.hsm, { tenant: world.t.ctx.tenant, role: 'issuer' });

      // The phone: a TEE manufactured and booted in its own process; the touchscreen stays here.
      const made = manufactureTee({ storageDir: join(dir, 'tee'), kifKek: KIF_KEK });
      tee = await startTee({ storageDir: join(dir, 'tee'), pinTimeoutMs: 60_000 });
      const touchscreen = tee.touchscreen;
      const typed = touchscreen.nextPrompt().then(() => touchscreen.enter(NEW_PIN));

      const snapshotPath = join(dir, 'wallet.heapsnapshot');
      const steps: Record<string, unknown>[] = [];
      const run = await runWallet({
        teeEndpoint: tee.endpoint, issuerUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token, cardId: card.cardId, pan: p.pan,
        teeId: made.teeId, kbpkBlock: made.kbpkBlock, snapshotPath,
      }, (s) => steps.push(s));
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      await typed;
      assert.deepEqual(steps.map((s) => s.step), ['enrolled', 'provisioned', 'waiting-for-pin', 'queued', 'snapshot']);
      assert.equal(steps[1]!.kcv, steps[0]!.kcv, 'the TEE opened the PEK the issuer made');

      // What the wallet held and said and sent: never the PIN.
      const heap = readFileSync(snapshotPath);
      assert.ok(heap.length > 1_000_000, 'a heap snapshot was written');
      assert.notEqual(heap.indexOf(Buffer.from(String(steps[0]!.pinKey))), -1, 'the scan sees the wallet\'s strings (the PEK id it holds)');
      assertNoPin('the wallet\'s heap snapshot', heap);
      assertNoPin('the wallet\'s stdout', Buffer.from(run.stdout, 'latin1'));
      assertNoPin('the wallet\'s stderr', Buffer.from(run.stderr, 'latin1'));
      assert.equal(bodies.length, 4, 'two requests: the enrollment and the pin-change script');
      assert.match(bodies[3]!.toString(), /"kind":"pin-change".*"format":4/);
      for (const b of bodies) assertNoPin('an HTTP body the wallet sent', b);
      for (const line of logs) assertNoPin('the TSM log', Buffer.from(line));

      // The script reaches the card on the next online transaction; the card takes the new PIN.
      const second = approved(await tap(world, card));
      assert.equal(second.authorization.scripts.length, 1);
      const delivered = await deliverIssuerUpdate(card.transport, card.aid, second.authorization);
      assert.ok(delivered.completed, JSON.stringify(delivered.steps));
      await world.issuer.confirmScripts(card.cardId, 1);
      assert.equal(verifyPin(card, NEW_PIN), 0x9000, 'VERIFY with the new PIN');
      assert.equal(verifyPin(card, OLD_PIN) & 0xfff0, 0x63c0, 'the old PIN no longer verifies');
    } finally {
      await tee?.stop();
      server.close();
      await app.close();
      await world.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
