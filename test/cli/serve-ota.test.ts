/**
 * `opentsm serve`'s OTA flags (src/cli/commands/serve.ts, docs/service.md "OTA bearers"): the
 * options they make, hostile flag values refused as usage errors, the SMSC password only from
 * OPENTSM_SMPP_PASSWORD (never echoed), the help text; and a service started from a data directory
 * with the SCP81 admin server on loopback and the SMS bearer bound to an SMSC simulator.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { otaOptions, serveConfig, SMPP_PASSWORD_ENV, startService, type ServeFlags } from '../../src/cli/commands/serve.ts';
import { CliError } from '../../src/cli/errors.ts';
import { SmscSimulator } from '../../src/cli/fleet/smsc-simulator.ts';
import { runCli } from './cli-helpers.ts';

const PASSWORD = 'Sm5cPw!';
const env = { [SMPP_PASSWORD_ENV]: PASSWORD };
const smppFlags: ServeFlags = { smpp: '127.0.0.1:2775', smppSystemId: 'tsm', smppSource: '12345' };

describe('opentsm serve: OTA flags', () => {
  it('make the OTA options: none without OTA flags; SCP81 alone; SMSC with the password from the environment; bearer rule', () => {
    assert.equal(otaOptions({}, env), undefined);
    assert.deepEqual(otaOptions({ scp81Port: '0' }, {}), { scp81: { port: 0 } });
    assert.deepEqual(otaOptions({ scp81Port: '8444', scp81Host: '0.0.0.0', scp81PublicHost: 'ota.example.net', scp81PublicPort: '443' }, {}), {
      scp81: { host: '0.0.0.0', port: 8444, publicHost: 'ota.example.net', publicPort: 443 },
    });
    assert.deepEqual(otaOptions(smppFlags, env), { scp81: {}, smpp: { host: '127.0.0.1', port: 2775, systemId: 'tsm', password: PASSWORD, sourceAddress: '12345' } });
    assert.deepEqual(otaOptions({ ...smppFlags, smpp: '[::1]:2775' }, env)?.smpp?.host, '::1');
    assert.deepEqual(otaOptions({ scp81Port: '0', bearerFor: 'strict-uicc=relay, strict-ese=scp81' }, {})?.bearerFor, { 'strict-uicc': 'relay', 'strict-ese': 'scp81' });
  });

  it('refuses hostile or incomplete flags with ERR_CLI_USAGE, never echoing the password', () => {
    const cases: [ServeFlags, Record<string, string>, RegExp][] = [
      [{ scp81Port: '65536' }, {}, /^--scp81-port: expected a port 0\.\.65535/],
      [{ scp81Port: '-1' }, {}, /^--scp81-port:/],
      [{ scp81Port: '0x50' }, {}, /^--scp81-port:/],
      [{ scp81Port: '0', scp81PublicPort: '0' }, {}, /^--scp81-public-port: expected a port 1\.\.65535/],
      [{ scp81Host: '0.0.0.0' }, {}, /^--scp81-host, .*give --scp81-port/],
      [{ bearerFor: 'strict-uicc=scp81' }, {}, /give --scp81-port/],
      [{ smppSystemId: 'tsm' }, env, /^--smpp-system-id \/ --smpp-source: give --smpp/],
      [smppFlags, {}, new RegExp(`^--smpp: set the SMSC password in ${SMPP_PASSWORD_ENV}`)],
      [{ ...smppFlags, smppSource: undefined }, env, /^--smpp: give --smpp-system-id and --smpp-source/],
      [{ ...smppFlags, smpp: 'smsc' }, env, /^--smpp: expected host:port/],
      [{ ...smppFlags, smpp: 'smsc:0' }, env, /^--smpp: expected a port 1\.\.65535/],
      [{ ...smppFlags, smpp: 'sm sc:2775' }, env, /^--smpp: expected host:port/],
      [{ ...smppFlags, smpp: `${PASSWORD}:x` }, env, /^--smpp: expected host:port/],
      [{ scp81Port: '0', bearerFor: 'strict-uicc' }, {}, /^--bearer-for: expected platform=relay\|scp81/],
      [{ scp81Port: '0', bearerFor: 'strict-uicc=sms' }, {}, /^--bearer-for\.strict-uicc: expected 'relay' or 'scp81'/],
      [{ scp81Port: '0', bearerFor: 'a=b=c' }, {}, /^--bearer-for: expected platform=/],
      [{ scp81Port: '0', bearerFor: '__proto__=scp81' }, {}, /^--bearer-for: platform id "__proto__"/],
    ];
    for (const [flags, e, message] of cases) {
      assert.throws(() => otaOptions(flags, e), (err: unknown) => err instanceof CliError && err.code === 'ERR_CLI_USAGE' && message.test(err.message) && !err.message.includes(PASSWORD), `${JSON.stringify(flags)} → ${String(message)}`);
    }
  });

  it('--help names the OTA flags and the password variable', async () => {
    const help = await runCli(['serve', '--help']);
    for (const flag of ['--scp81-port', '--scp81-host', '--scp81-public-host', '--smpp <host:port>', '--smpp-system-id', '--smpp-source', '--bearer-for', SMPP_PASSWORD_ENV]) {
      assert.ok(help.stdout.includes(flag), `${flag} in --help`);
    }
  });

  it('starts the service from a data directory with the SCP81 admin server on loopback and the SMS bearer bound; stops both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opentsm-serve-ota-'));
    const sim = await SmscSimulator.start({ systemId: 'tsm', password: PASSWORD });
    try {
      const data = join(dir, 'd');
      assert.equal((await runCli(['hsm', 'init', '--data-dir', data])).code, 0);
      const ota = otaOptions({ scp81Port: '0', smpp: `127.0.0.1:${sim.port}`, smppSystemId: 'tsm', smppSource: '12345' }, env);
      const service = await startService(serveConfig({ dataDir: data, insecureHttp: true, port: '0', logLevel: 'silent' }, {}), { ota: ota! });
      const bearers = service.service.ota!;
      try {
        assert.equal(bearers.scp81.address.host, '127.0.0.1');
        assert.ok(bearers.scp81.address.port > 0);
        assert.equal(bearers.sms?.state, 'bound');
      } finally {
        await service.close();
      }
      assert.equal(bearers.sms?.state, 'closed');
      // a wrong password: the SMSC refuses the bind and the service does not start
      const refused = otaOptions({ scp81Port: '0', smpp: `127.0.0.1:${sim.port}`, smppSystemId: 'tsm', smppSource: '12345' }, { [SMPP_PASSWORD_ENV]: 'wrong' });
      await assert.rejects(startService(serveConfig({ dataDir: data, insecureHttp: true, port: '0', logLevel: 'silent' }, {}), { ota: refused! }), (e: unknown) => !String(e).includes('wrong') && /ERR_TSM_CONFIG|bind/i.test(`${(e as { code?: string }).code} ${String(e)}`));
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
