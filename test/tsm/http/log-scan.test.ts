/**
 * No PAN, PIN, key, secret, cryptogram-bearing body or Authorization header in any log line of a
 * run of the issuer routes (CONVENTIONS.md §8), and exactly one structured line per request.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { importClear, SPECS } from '../../hsm/conformance/fixture.ts';
import { createLogger } from '../../../src/tsm/index.ts';
import { authorizationBody, bearer, CHAINS, registerBody, registerCard, vector, withApp } from './fixture.ts';

describe('request log', () => {
  it('one line per request with method, route, status, latency, tenant and request id; no secret anywhere', () =>
    withApp(async (f) => {
      const chain = CHAINS.find((c) => c.profile === 'visa-10')!;
      const auth = bearer(f.tokens.issuerA);
      const cardId = await registerCard(f, chain);
      const answers: string[] = [];
      const calls = [
        { method: 'POST' as const, url: `/v1/issuer/cards/${cardId}/scripts`, headers: auth, payload: { kind: 'application-unblock' } },
        { method: 'POST' as const, url: '/v1/authorizations', headers: auth, payload: authorizationBody(chain) },
        { method: 'POST' as const, url: '/v1/authorizations', headers: auth, payload: authorizationBody(chain) },
        { method: 'POST' as const, url: '/v1/authorizations', headers: auth, payload: { ...authorizationBody(chain), psn: 'x' } },
        { method: 'POST' as const, url: '/v1/authorizations', headers: bearer(`${f.tokens.issuerA}x`), payload: authorizationBody(chain) },
        { method: 'POST' as const, url: '/v1/issuer/cards', headers: auth, payload: registerBody(f, chain) },
        { method: 'POST' as const, url: `/v1/issuer/cards/${cardId}/scripts/confirm`, headers: auth, payload: { accepted: 1 } },
        { method: 'GET' as const, url: `/v1/issuer/cards/${cardId}`, headers: auth },
        { method: 'DELETE' as const, url: `/v1/issuer/cards/${cardId}`, headers: auth },
        { method: 'GET' as const, url: '/readyz' },
      ];
      for (const call of calls) answers.push((await f.app.inject(call)).body);
      const requestLines = f.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'request');
      assert.equal(requestLines.length, calls.length + 1, 'one line per request (the registration included)');
      for (const line of requestLines) {
        for (const field of ['method', 'route', 'status', 'latencyMs', 'requestId', 'time', 'level']) assert.ok(field in line, `${field} in ${JSON.stringify(line)}`);
      }
      const authorized = requestLines.filter((l) => l['route'] === '/v1/authorizations');
      assert.deepEqual(authorized.map((l) => [l['status'], l['tenant']]), [[200, 'bank-a'], [200, 'bank-a'], [400, 'bank-a'], [401, undefined]]);
      assert.ok(answers[1]!.includes(vector(chain.steps.arpc)), 'the ARPC was produced, so the scan below means something');

      const [, secret] = f.tokens.issuerA.split('.') as [string, string];
      const secrets = [
        chain.pan, chain.imk.ac, chain.imk.smi, chain.imk.smc, secret, f.tokens.spA.split('.')[1]!, f.tokens.issuerB.split('.')[1]!,
        vector(chain.steps.arqc), vector(chain.steps.arpc), vector(chain.steps.unblockMac), 'Bearer ', '"authorization"',
        authorizationBody(chain).data['9F10']!,
      ];
      const text = f.logs.join('\n');
      for (const s of secrets) assert.ok(!text.toUpperCase().includes(s.toUpperCase()), `the log holds a secret: ${s.slice(0, 4)}…`);
    }));

  it('a PIN change through the routes: the script goes out enciphered; neither the PIN block nor the PIN field is logged', () =>
    withApp(async (f) => {
      const chain = CHAINS.find((c) => c.profile === 'visa-10')!;
      const pinKey = fromHex('00112233445566778899AABBCCDDEEFF');
      await importClear(f.t, { ...SPECS.pinT, label: 'SP PIN key' }, pinKey);
      // ISO 9564-1 format 0 of PIN 9876 for the PAN, enciphered under the SP's PIN key (the SP's side).
      const pinField = fromHex('049876FFFFFFFFFF');
      const panField = fromHex(`0000${chain.pan.slice(-13, -1)}`);
      const block = toHex(new Uint8Array(createCipheriv('des-ede-ecb', pinKey, null).setAutoPadding(false).update(pinField.map((b, i) => b ^ panField[i]!))));
      const cardId = await registerCard(f, chain);
      const auth = bearer(f.tokens.issuerA);
      const queued = await f.app.inject({ method: 'POST', url: `/v1/issuer/cards/${cardId}/scripts`, headers: auth, payload: { kind: 'pin-change', pin: { key: 'SP PIN key', format: 0, block } } });
      assert.equal(queued.statusCode, 202, queued.body);
      const r = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: auth, payload: authorizationBody(chain) });
      const scripts = r.json<{ scripts: string[] }>().scripts;
      assert.equal(scripts.length, 1);
      assert.match(scripts[0]!, /^8424000218[0-9A-F]{48}$/, 'PIN CHANGE/UNBLOCK P2 02 with 16 enciphered bytes and an 8-byte MAC');
      const text = f.logs.join('\n').toUpperCase();
      for (const s of [block, '049876FFFFFFFFFF', toHex(pinKey), chain.pan, scripts[0]!]) assert.ok(!text.includes(s.toUpperCase()), `the log holds ${s.slice(0, 4)}…`);
    }));

  it('redaction censors headers, bodies and secret-named fields should anything ever log them', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => void lines.push(l) });
    log.info({ req: { headers: { authorization: 'Bearer cl_1.s3cr3t' } }, body: { pan: '4111111111111111' }, card: { pan: '4111111111111111', pin: '1234' }, key: 'K3Y' }, 'oops');
    const text = lines.join('');
    for (const s of ['s3cr3t', '4111111111111111', '1234', 'K3Y']) assert.ok(!text.includes(s), s);
    assert.ok(text.includes('[redacted]'));
  });
});
