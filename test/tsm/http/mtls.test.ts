/**
 * Optional mutual TLS (docs/service.md §3): with a client CA, the HTTPS server asks for a client
 * certificate in the handshake and refuses one that is missing or signed by another CA — on every
 * path, /healthz included; a client with a good certificate still needs its bearer credentials.
 * The setting through file, environment and `--client-ca`, and `opentsm serve` end to end.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveConfig, startService } from '../../../src/cli/commands/serve.ts';
import { readTls, resolveConfig, TsmError } from '../../../src/tsm/index.ts';
import { runCli } from '../../cli/cli-helpers.ts';
import { CHAINS, registerBody, withApp } from './fixture.ts';
import { clientCertificate, selfSignedCertificate, testCa } from './self-signed.ts';

interface Answer { status: number; body: string }
interface ClientTls { readonly ca: string; readonly cert?: string; readonly key?: string }

function call(url: string, tls: ClientTls, method = 'GET', token?: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method, ca: tls.ca, ...(tls.cert === undefined ? {} : { cert: tls.cert, key: tls.key }), agent: false,
      headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The handshake (or the first read after it, in TLS 1.3) fails: the server refused the client's certificate. */
const REFUSED = /certificate|alert|ECONNRESET|socket hang up|EPIPE/i;

describe('mutual TLS', () => {
  it('a client certificate signed by the client CA gets answers (and still needs its token); none, or one of another CA, fails the handshake — /healthz too', () => {
    const server = selfSignedCertificate();
    const ca = testCa();
    const good = clientCertificate(ca, 'bank-a host');
    const other = clientCertificate(testCa('another CA'), 'bank-a host');
    return withApp(async (f) => {
      const base = (await f.app.listen({ host: '127.0.0.1', port: 0 })).replace('http:', 'https:');
      const withCert = { ca: server.cert, cert: good.cert, key: good.key };
      assert.equal((await call(`${base}/healthz`, withCert)).status, 200);
      assert.equal((await call(`${base}/v1/issuer/cards`, withCert, 'POST', f.tokens.issuerA, registerBody(f, CHAINS[0]!))).status, 201);
      const noToken = await call(`${base}/v1/issuer/cards/card_none`, withCert);
      assert.equal(noToken.status, 401, 'the certificate does not replace the credentials');
      assert.equal((await call(`${base}/v1/issuer/cards/card_none`, withCert, 'GET', f.tokens.issuerA)).status, 404);

      await assert.rejects(call(`${base}/healthz`, { ca: server.cert }), REFUSED, 'no client certificate');
      await assert.rejects(call(`${base}/v1/issuer/cards/card_none`, { ca: server.cert }, 'GET', f.tokens.issuerA), REFUSED, 'a token without a certificate');
      await assert.rejects(call(`${base}/healthz`, { ca: server.cert, cert: other.cert, key: other.key }), REFUSED, 'a certificate of another CA');
    }, { https: { ...server, clientCa: ca.cert } });
  });

  it('without a client CA, HTTPS asks for no certificate', () => {
    const server = selfSignedCertificate();
    return withApp(async (f) => {
      const base = (await f.app.listen({ host: '127.0.0.1', port: 0 })).replace('http:', 'https:');
      assert.equal((await call(`${base}/healthz`, { ca: server.cert })).status, 200);
    }, { https: server });
  });

  it('configuration: tls.clientCa from the file, OPENTSM_TLS_CLIENT_CA or --client-ca (flags win); needs tls.cert and tls.key; read at start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opentsm-mtls-'));
    try {
      const base = { dataDir: '/d', tls: { cert: 'c.pem', key: 'k.pem' } };
      assert.deepEqual(resolveConfig({ ...base, tls: { ...base.tls, clientCa: 'ca.pem' } }).tls, { cert: 'c.pem', key: 'k.pem', clientCa: 'ca.pem' });
      assert.equal(resolveConfig(base).tls?.clientCa, undefined);
      const refused = (layer: Record<string, unknown>, setting: string): void =>
        assert.throws(() => resolveConfig({ dataDir: '/d', ...layer }), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_CONFIG' && e.message.startsWith(`${setting}:`), setting);
      refused({ tls: { clientCa: 'ca.pem' } }, 'tls.cert');
      refused({ insecureHttp: true, tls: { clientCa: 'ca.pem' } }, 'tls.cert');
      refused({ tls: { cert: 'c', key: 'k', clientCa: '' } }, 'tls.clientCa');
      refused({ tls: { cert: 'c', key: 'k', ca: 'x' } }, 'tls.ca');

      const env = { OPENTSM_TLS_CERT: 'env-c.pem', OPENTSM_TLS_KEY: 'env-k.pem', OPENTSM_TLS_CLIENT_CA: 'env-ca.pem' };
      assert.deepEqual(serveConfig({ dataDir: '/d' }, env).tls, { cert: 'env-c.pem', key: 'env-k.pem', clientCa: 'env-ca.pem' });
      assert.deepEqual(serveConfig({ dataDir: '/d', clientCa: 'flag-ca.pem' }, env).tls, { cert: 'env-c.pem', key: 'env-k.pem', clientCa: 'flag-ca.pem' }, 'a flag for one TLS file keeps the others');
      const file = join(dir, 'config.json');
      writeFileSync(file, JSON.stringify({ dataDir: '/d', tls: { cert: 'f-c.pem', key: 'f-k.pem', clientCa: 'f-ca.pem' } }));
      assert.deepEqual(serveConfig({ config: file }, {}).tls, { cert: 'f-c.pem', key: 'f-k.pem', clientCa: 'f-ca.pem' });
      assert.deepEqual(serveConfig({ config: file, cert: 'flag-c.pem' }, {}).tls, { cert: 'flag-c.pem', key: 'f-k.pem', clientCa: 'f-ca.pem' });

      const server = selfSignedCertificate();
      const ca = testCa();
      for (const [name, text] of [['c.pem', server.cert], ['k.pem', server.key], ['ca.pem', ca.cert]] as const) writeFileSync(join(dir, name), text);
      const read = readTls({ cert: join(dir, 'c.pem'), key: join(dir, 'k.pem'), clientCa: join(dir, 'ca.pem') });
      assert.equal(Buffer.from(read.clientCa ?? []).toString(), ca.cert);
      assert.equal(readTls({ cert: join(dir, 'c.pem'), key: join(dir, 'k.pem') }).clientCa, undefined);
      assert.throws(() => readTls({ cert: join(dir, 'c.pem'), key: join(dir, 'k.pem'), clientCa: join(dir, 'missing.pem') }), (e: unknown) => e instanceof TsmError && e.message.startsWith('tls.clientCa '));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opentsm serve --cert --key --client-ca: the running service requires the client certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opentsm-mtls-serve-'));
    try {
      const data = join(dir, 'd');
      assert.equal((await runCli(['hsm', 'init', '--data-dir', data])).code, 0);
      const server = selfSignedCertificate();
      const ca = testCa();
      const good = clientCertificate(ca);
      for (const [name, text] of [['c.pem', server.cert], ['k.pem', server.key], ['ca.pem', ca.cert]] as const) writeFileSync(join(dir, name), text);
      const service = await startService(serveConfig({
        dataDir: data, port: '0', logLevel: 'silent', cert: join(dir, 'c.pem'), key: join(dir, 'k.pem'), clientCa: join(dir, 'ca.pem'),
      }, {}));
      try {
        assert.match(service.url, /^https:\/\/127\.0\.0\.1:\d+$/);
        assert.equal((await call(`${service.url}/readyz`, { ca: server.cert, cert: good.cert, key: good.key })).status, 200);
        await assert.rejects(call(`${service.url}/readyz`, { ca: server.cert }), REFUSED);
      } finally {
        await service.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
