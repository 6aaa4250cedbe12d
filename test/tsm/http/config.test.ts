/**
 * The service configuration (docs/service.md §6): defaults < file < environment < flags, and the
 * refusals — plain HTTP off loopback or without --insecure-http, half a TLS pair, unknown
 * settings, values out of range — each naming the setting.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveConfig } from '../../../src/cli/commands/serve.ts';
import { envLayer, isLoopback, resolveConfig, TsmError } from '../../../src/tsm/index.ts';

function refuses(run: () => unknown, setting: string): void {
  assert.throws(run, (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_CONFIG' && e.message.startsWith(`${setting}:`), setting);
}

describe('service configuration', () => {
  it('defaults: 127.0.0.1:8443, software HSM, 64 KiB bodies, info logs; TLS or an explicit --insecure-http is required', () => {
    const c = resolveConfig({ dataDir: '/srv/d', insecureHttp: true });
    assert.deepEqual(c, { listen: { host: '127.0.0.1', port: 8443 }, insecureHttp: true, dataDir: '/srv/d', hsm: { backend: 'software' }, bodyLimit: 65536, logLevel: 'info' });
    refuses(() => resolveConfig({ dataDir: '/srv/d' }), 'tls');
    refuses(() => resolveConfig({ dataDir: '/srv/d', insecureHttp: true, listen: { host: '0.0.0.0' } }), 'insecureHttp');
    refuses(() => resolveConfig({ dataDir: '/srv/d', tls: { cert: 'c.pem', key: 'k.pem' }, insecureHttp: true }), 'insecureHttp');
    refuses(() => resolveConfig({ dataDir: '/srv/d', tls: { cert: 'c.pem' } }), 'tls.key');
    const tls = resolveConfig({ dataDir: '/srv/d', tls: { cert: 'c.pem', key: 'k.pem' }, listen: { host: '0.0.0.0', port: 443 } });
    assert.deepEqual([tls.listen, tls.tls], [{ host: '0.0.0.0', port: 443 }, { cert: 'c.pem', key: 'k.pem' }]);
  });

  it('refuses unknown settings and values out of range, naming the setting', () => {
    const base = { dataDir: '/d', insecureHttp: true };
    refuses(() => resolveConfig({ ...base, lsiten: {} } as never), 'lsiten');
    refuses(() => resolveConfig({ ...base, listen: { port: 70000 } }), 'listen.port');
    refuses(() => resolveConfig({ ...base, bodyLimit: 10 }), 'bodyLimit');
    refuses(() => resolveConfig({ ...base, logLevel: 'loud' }), 'logLevel');
    refuses(() => resolveConfig({ insecureHttp: true }), 'dataDir');
    refuses(() => resolveConfig({ ...base, hsm: { backend: 'pkcs11', token: 'opentsm' } }), 'hsm.pinFile (the PIN itself is never configuration: a file of mode 0600)');
    refuses(() => resolveConfig({ ...base, hsm: { backend: 'pkcs11', token: 't', pinFile: 'p', pin: '1234' } }), 'hsm.pin');
    const p = resolveConfig({ ...base, hsm: { backend: 'pkcs11', token: 'opentsm', pinFile: '/run/secrets/pin', module: '/usr/lib/softhsm/libsofthsm2.so' } });
    assert.deepEqual(p.hsm, { backend: 'pkcs11', token: 'opentsm', pinFile: '/run/secrets/pin', module: '/usr/lib/softhsm/libsofthsm2.so' });
    assert.deepEqual([isLoopback('127.0.0.1'), isLoopback('127.1.2.3'), isLoopback('::1'), isLoopback('localhost'), isLoopback('10.0.0.1'), isLoopback('0.0.0.0')], [true, true, true, true, false, false]);
  });

  it('a file, then OPENTSM_* variables, then flags: each beats the one before', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opentsm-config-'));
    try {
      const file = join(dir, 'opentsm.json');
      writeFileSync(file, JSON.stringify({ listen: { host: '127.0.0.2', port: 9000 }, dataDir: '/from/file', insecureHttp: true, logLevel: 'warn', bodyLimit: 4096 }));
      const env = { OPENTSM_CONFIG: file, OPENTSM_LISTEN_PORT: '9100', OPENTSM_LOG_LEVEL: 'debug', OPENTSM_DB: 'postgres://u@db/opentsm' };
      const c = serveConfig({ port: '9200' }, env);
      assert.deepEqual([c.listen, c.logLevel, c.dataDir, c.db, c.bodyLimit], [{ host: '127.0.0.2', port: 9200 }, 'debug', '/from/file', 'postgres://u@db/opentsm', 4096]);
      assert.equal(serveConfig({}, env).listen.port, 9100);
      writeFileSync(file, '{ not json');
      refuses(() => serveConfig({}, env), `config file ${file}`);
      assert.throws(() => envLayer({ OPENTSM_LISTEN_PORT: 'eighty' }), /OPENTSM_LISTEN_PORT: expected an integer/);
      assert.deepEqual(envLayer({ OPENTSM_INSECURE_HTTP: '1', OPENTSM_PKCS11_TOKEN: 't' }), { insecureHttp: true, hsm: { token: 't' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
