/**
 * The app on a real socket: plain HTTP on loopback and HTTPS with a test certificate (made in
 * process: no openssl needed), the issuer routes end to end, and `opentsm serve` from the CLI —
 * a client added with `serve client add`, the service started from its configuration.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveConfig, startService } from '../../../src/cli/commands/serve.ts';
import { runCli } from '../../cli/cli-helpers.ts';
import { authorizationBody, CHAINS, registerBody, withApp } from './fixture.ts';
import { selfSignedCertificate } from './self-signed.ts';

interface Answer { status: number; body: string }

function httpsCall(url: string, ca: string | undefined, method: string, token?: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method, ...(ca === undefined ? {} : { ca }),
      headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('over a socket', () => {
  it('plain HTTP on loopback: health, register, authorize, replay', () =>
    withApp(async (f) => {
      const base = await f.app.listen({ host: '127.0.0.1', port: 0 });
      const auth = { authorization: `Bearer ${f.tokens.issuerA}`, 'content-type': 'application/json' };
      const chain = CHAINS[0]!;
      assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' });
      const reg = await fetch(`${base}/v1/issuer/cards`, { method: 'POST', headers: auth, body: JSON.stringify(registerBody(f, chain)) });
      assert.equal(reg.status, 201);
      const first = await fetch(`${base}/v1/authorizations`, { method: 'POST', headers: auth, body: JSON.stringify(authorizationBody(chain)) });
      assert.equal(((await first.json()) as { decision: string }).decision, 'approved');
      const again = await fetch(`${base}/v1/authorizations`, { method: 'POST', headers: auth, body: JSON.stringify(authorizationBody(chain)) });
      assert.equal(((await again.json()) as { reason: string }).reason, 'atc-replayed');
      const big = await fetch(`${base}/v1/authorizations`, { method: 'POST', headers: auth, body: JSON.stringify({ pad: 'A'.repeat(20_000) }) });
      assert.equal(big.status, 413);
      assert.equal((await fetch(`${base}/v1/authorizations`, { method: 'POST', body: '{}' })).status, 401);
    }));

  it('HTTPS with a self-signed test certificate: the client that trusts it gets answers, one that does not is refused', () => {
    const tls = selfSignedCertificate();
    return withApp(async (f) => {
      const address = await f.app.listen({ host: '127.0.0.1', port: 0 });
      const base = address.replace('http:', 'https:');
      assert.ok(base.startsWith('https://127.0.0.1:'), base);
      assert.deepEqual([(await httpsCall(`${base}/healthz`, tls.cert, 'GET')).status], [200]);
      const chain = CHAINS[0]!;
      assert.equal((await httpsCall(`${base}/v1/issuer/cards`, tls.cert, 'POST', f.tokens.issuerA, registerBody(f, chain))).status, 201);
      const answer = await httpsCall(`${base}/v1/authorizations`, tls.cert, 'POST', f.tokens.issuerA, authorizationBody(chain));
      assert.equal((JSON.parse(answer.body) as { decision: string }).decision, 'approved');
      await assert.rejects(httpsCall(`${base}/healthz`, undefined, 'GET'), /self[- ]signed|unable to verify|certificate/i);
    }, { https: tls });
  });

  it('opentsm serve: `serve client add` prints the secret once; the service starts from the data directory and knows the client', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opentsm-serve-'));
    try {
      const data = join(dir, 'd');
      assert.equal((await runCli(['hsm', 'init', '--data-dir', data])).code, 0);
      const added = await runCli(['serve', 'client', 'add', '--data-dir', data, '--tenant', 'bank-a', '--role', 'issuer', '--json']);
      assert.equal(added.code, 0, added.stderr);
      const { token, clientId } = JSON.parse(added.stdout) as { token: string; clientId: string };
      const listed = await runCli(['serve', 'client', 'list', '--data-dir', data]);
      assert.ok(listed.stdout.includes(clientId) && !listed.stdout.includes(token.split('.')[1]!), 'listed without its secret');
      const service = await startService(serveConfig({ dataDir: data, insecureHttp: true, port: '0', logLevel: 'silent' }, {}));
      try {
        assert.match(service.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.deepEqual(await (await fetch(`${service.url}/readyz`)).json(), { status: 'ready', checks: { store: 'ok', hsm: 'ok' } });
        const card = await fetch(`${service.url}/v1/issuer/cards/card_none`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(card.status, 404, 'authenticated, and the card does not exist');
        assert.equal((await runCli(['serve', 'client', 'disable', clientId, '--data-dir', data])).code, 0);
        assert.equal((await fetch(`${service.url}/v1/issuer/cards/card_none`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
      } finally {
        await service.close();
      }
      // the service chained every API call and HSM event and signed its head at stop: `opentsm audit verify` agrees
      const verified = await runCli(['audit', 'verify', '--data-dir', data, '--json']);
      assert.equal(verified.code, 0, verified.stderr);
      const report = JSON.parse(verified.stdout) as { ok: boolean; verified: number; checkpoints: { valid: number }; findings: unknown[] };
      assert.equal(report.ok, true);
      assert.ok(report.verified > 3, `records chained: ${verified.stdout}`);
      assert.ok(report.checkpoints.valid >= 1, `a checkpoint was written at stop: ${verified.stdout}`);
      assert.deepEqual(report.findings, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
