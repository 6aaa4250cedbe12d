/**
 * `opentsm fleet` against a TSM in this process (the demo's world: ceremony, service, the bank's
 * services): the MNO registers the phones over the API, their agents connect to the relay, a deploy
 * through the SP API runs on a fleet phone while the fleet runs, SIGTERM stops it cleanly; and the
 * readable errors: no --url, a refused token, a bad KEK file, an unknown KBPK, an unreachable TSM.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/bytes/index.ts';
import { demoCard } from '../../src/cli/demo/cards.ts';
import { DEMO_TENANTS, holdCeremony } from '../../src/cli/demo/ceremony.ts';
import { startDemoWorld, type DemoWorld } from '../../src/cli/demo/world.ts';
import { closeDatabase, migrateToLatest, openDatabase, type StoreDb } from '../../src/store/index.ts';
import { addApiClient, TsmService } from '../../src/tsm/index.ts';
import { selfSignedCertificate } from '../tsm/http/self-signed.ts';
import { forms, json, runCli } from './cli-helpers.ts';

describe('opentsm fleet', () => {
  let dir: string;
  let db: StoreDb;
  let world: DemoWorld;
  let token: string;
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  const flags = (prefix: string): string[] => ['--url', world.baseUrl, '--token-file', join(dir, 'mno.token'), '--kek-file', join(dir, 'kek.hex'), '--prefix', prefix];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'opentsm-fleet-test-'));
    db = await openDatabase(join(dir, 'opentsm.db'));
    await migrateToLatest(db);
    world = await startDemoWorld(db, { phones: 1 });
    token = (await addApiClient(db, world.parties.hsm, { tenant: DEMO_TENANTS.mno, role: 'mno' })).token;
    file('mno.token', `${token}\n`);
    file('kek.hex', `${toHex(world.parties.manufacturerKek)}\n`);
  });

  after(async () => {
    await world?.close();
    await closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers 3 phones and connects their agents for --duration', { timeout: 60_000 }, async () => {
    const r = await runCli(['fleet', ...flags('short'), '--phones', '3', '--duration', '1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = json(r);
    assert.deepEqual([s['phones'], s['registered'], s['connected'], s['firstSeId'], s['lastSeId'], s['stoppedBy']], [3, 3, 3, 'short-00001', 'short-00003', 'duration']);
    assert.match(r.stderr, /MNO: SEs registered, subscriptions and relay tokens: 3\/3/);
    assert.match(r.stderr, /3 wallet agents connected to the relay/);
    for (const secret of [token, world.parties.manufacturerKek]) {
      for (const form of forms(secret)) assert.ok(!Buffer.from(r.stdout + r.stderr).includes(form), 'no secret in the output');
    }
  });

  it('runs a deploy through the SP API on a fleet phone while it runs; SIGTERM stops the agents', { timeout: 120_000 }, async () => {
    const running = runCli(['fleet', ...flags('fleet'), '--phones', '3', '--duration', '110', '--json']);
    const seIds = ['fleet-00001', 'fleet-00002', 'fleet-00003'];
    const deadline = Date.now() + 60_000;
    while (!seIds.every((id) => world.tsm.relay.isConnected(id))) {
      assert.ok(Date.now() < deadline, 'the fleet connected to the hub in time');
      await new Promise((r) => setTimeout(r, 50));
    }
    let r;
    try {
      const { job } = await world.sp.deploy(world.serviceIds[0]!, { seId: 'fleet-00002', card: demoCard(2), validitySeconds: 600 });
      const ended = await world.sp.waitForJob(job.jobId, { timeoutMs: 90_000, intervalMs: 20 });
      assert.equal(ended.state, 'succeeded', JSON.stringify(ended.error));
    } finally {
      process.emit('SIGTERM');
      r = await running;
    }
    assert.equal(r.code, 0, r.stderr);
    const s = json(r);
    assert.deepEqual([s['registered'], s['connected'], s['stoppedBy']], [3, 3, 'signal']);
    assert.ok((s['batches'] as number) > 0 && (s['apdus'] as number) >= (s['batches'] as number), `batches ${String(s['batches'])}, APDUs ${String(s['apdus'])}`);
    const stopped = Date.now() + 5000;
    while (seIds.some((id) => world.tsm.relay.isConnected(id)) && Date.now() < stopped) await new Promise((res) => setTimeout(res, 20));
    assert.ok(seIds.every((id) => !world.tsm.relay.isConnected(id)), 'the agents disconnected');
  });

  it('refuses a missing --url', async () => {
    const r = await runCli(['fleet', '--token-file', join(dir, 'mno.token'), '--kek-file', join(dir, 'kek.hex')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--url: required/);
  });

  it('says the token was refused (401)', async () => {
    const bad = file('bad.token', 'c-nosuchclient.bm90LWEtc2VjcmV0\n');
    const r = await runCli(['fleet', ...flags('bad'), '--token-file', bad, '--phones', '1', '--duration', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refused the MNO token \(401\).*\[ERR_TSM_AUTH\]/);
    assert.doesNotMatch(r.stderr, /bm90LWEtc2VjcmV0/);
  });

  it('refuses a KEK file of the wrong length or not hex, without echoing it', async () => {
    const short = file('short.hex', 'A1B2C3D4E5F60718293A4B5C6D7E8F90\n');
    const r = await runCli(['fleet', ...flags('bad'), '--kek-file', short]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--kek-file: expected an AES-256 key, 64 hex digits \(32 bytes\), got 16 bytes/);
    assert.doesNotMatch(r.stderr, /A1B2C3D4/);
    const notHex = file('nothex.hex', 'not a key\n');
    const r2 = await runCli(['fleet', ...flags('bad'), '--kek-file', notHex]);
    assert.match(r2.stderr, /--kek-file: expected hex digits only \(value withheld\)/);
    const missing = await runCli(['fleet', ...flags('bad'), '--kek-file', join(dir, 'absent.hex')]);
    assert.match(missing.stderr, /--kek-file: cannot read .*ENOENT/);
  });

  it('names an unknown KBPK label with the API\'s message', async () => {
    const r = await runCli(['fleet', ...flags('bad'), '--kbpk', 'no such KBPK', '--phones', '1', '--duration', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /importing the batch keys: POST \/v1\/mno\/batches: 404 .*--kbpk names the transport KBPK in the MNO tenant, "no such KBPK".*\[ERR_TSM_NOT_FOUND\]/);
  });

  it('says when the KEK is not the KBPK\'s counterpart, and when the prefix was used before', { timeout: 30_000 }, async () => {
    const other = file('other.hex', `${'5A'.repeat(32)}\n`);
    const wrong = await runCli(['fleet', ...flags('wrongkek'), '--kek-file', other, '--phones', '1', '--duration', '1']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /opentsm: importing the batch keys: POST \/v1\/mno\/batches: 400 .*not a valid key block under the KBPK.*--kek-file must hold its clear counterpart/);
    const again = await runCli(['fleet', ...flags('short'), '--phones', '1', '--duration', '1']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /opentsm: registering the SEs: .*short-00001.*run each fleet with a new --prefix/);
  });

  it('documents its flags and where the secrets go', async () => {
    const r = await runCli(['fleet', '--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--url', '--phones', '--token-file', '--kek-file', '--kbpk', '--prefix', '--ca', '--duration', '--json', 'OPENTSM_MNO_TOKEN']) assert.ok(r.stdout.includes(flag), flag);
  });

  it('says a TSM is unreachable', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    server.close();
    await once(server, 'close');
    const r = await runCli(['fleet', ...flags('bad'), '--url', `http://127.0.0.1:${port}`, '--phones', '1', '--duration', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot reach the TSM at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED \\[ERR_TSM_UNREACHABLE\\]`));
  });
});

describe('opentsm fleet over https with a private CA', () => {
  it('calls the API and connects the relay over TLS with --ca; says to give --ca without it', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opentsm-fleet-tls-'));
    const db = await openDatabase(join(dir, 'opentsm.db'));
    await migrateToLatest(db);
    const parties = await holdCeremony(db);
    const { cert, key } = selfSignedCertificate();
    const tsm = await TsmService.create({ db, hsm: parties.hsm, config: { bodyLimit: 65_536, logLevel: 'warn' }, logger: pino({ level: 'silent' }), https: { cert, key } });
    try {
      await tsm.listen({ host: '127.0.0.1', port: 0 });
      const url = `https://localhost:${(tsm.app.server.address() as AddressInfo).port}`;
      const write = (name: string, text: string): string => {
        writeFileSync(join(dir, name), text, { mode: 0o600 });
        return join(dir, name);
      };
      const token = write('mno.token', (await addApiClient(db, parties.hsm, { tenant: DEMO_TENANTS.mno, role: 'mno' })).token);
      const kek = write('kek.hex', toHex(parties.manufacturerKek));
      const ca = write('ca.pem', cert);
      const args = ['fleet', '--url', url, '--token-file', token, '--kek-file', kek, '--phones', '2', '--duration', '1', '--json'];
      const untrusted = await runCli([...args, '--prefix', 'tls-a']);
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stderr, /cannot reach the TSM at https:\/\/localhost:\d+: .*give its certificate with --ca/);
      const r = await runCli([...args, '--prefix', 'tls-b', '--ca', ca]);
      assert.equal(r.code, 0, r.stderr);
      const s = json(r);
      assert.deepEqual([s['registered'], s['connected'], s['relay']], [2, 2, `${url.replace('https:', 'wss:')}/v1/relay`]);
    } finally {
      await tsm.close();
      parties.hsm.close();
      await closeDatabase(db);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
