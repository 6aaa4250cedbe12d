/**
 * The issuer routes through app.inject() (docs/service.md §5): every route's happy path with the
 * published pyemv chains, replayed ATCs, issuer scripts with their published MACs, and tenants that
 * never see each other's cards or keys.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authorizationBody, bearer, CHAINS, errorOf, registerBody, registerCard, vector, withApp } from './fixture.ts';

describe('issuer routes', () => {
  for (const chain of CHAINS) {
    it(`${chain.test}: register (201), the published ARQC approved (200), its ATC then declined atc-replayed`, () =>
      withApp(async (f) => {
        const cardId = await registerCard(f, chain);
        assert.match(cardId, /^card_/);
        const first = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: bearer(f.tokens.issuerA), payload: authorizationBody(chain) });
        assert.equal(first.statusCode, 200, first.body);
        const answer = first.json<Record<string, unknown>>();
        assert.deepEqual([answer['decision'], answer['responseCode'], answer['scripts']], ['approved', '00', []]);
        assert.match(String(answer['issuerAuthenticationData']), /^[0-9A-F]{16,}$/);
        const again = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: bearer(f.tokens.issuerA), payload: authorizationBody(chain) });
        assert.equal(again.statusCode, 200);
        assert.deepEqual(again.json(), { decision: 'declined', reason: 'atc-replayed', responseCode: '05', scripts: [] });
      }));
  }

  it('visa-10: queue (202), the ARPC and the APPLICATION UNBLOCK script equal the published values, confirm, state, terminate', () =>
    withApp(async (f) => {
      const chain = CHAINS.find((c) => c.profile === 'visa-10')!;
      const cardId = await registerCard(f, chain);
      const auth = bearer(f.tokens.issuerA);
      const queued = await f.app.inject({ method: 'POST', url: `/v1/issuer/cards/${cardId}/scripts`, headers: auth, payload: { kind: 'application-unblock' } });
      assert.equal(queued.statusCode, 202, queued.body);
      assert.deepEqual(queued.json(), { cardId, status: 'active', lastAtc: -1, pendingScripts: 1 });
      const r = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: auth, payload: authorizationBody(chain) });
      const answer = r.json<{ issuerAuthenticationData: string; scripts: string[] }>();
      assert.equal(answer.issuerAuthenticationData, `${vector(chain.steps.arpc)}3030`);
      assert.deepEqual(answer.scripts, [`8418000008${vector(chain.steps.unblockMac)}`]);
      const confirmed = await f.app.inject({ method: 'POST', url: `/v1/issuer/cards/${cardId}/scripts/confirm`, headers: auth, payload: { accepted: 1 } });
      assert.equal(confirmed.statusCode, 200, confirmed.body);
      assert.deepEqual(confirmed.json(), { cardId, status: 'active', lastAtc: 0x1c, pendingScripts: 0 });
      const state = await f.app.inject({ method: 'GET', url: `/v1/issuer/cards/${cardId}`, headers: auth });
      assert.deepEqual([state.statusCode, state.json()], [200, { cardId, status: 'active', lastAtc: 0x1c, pendingScripts: 0 }]);
      const tooMany = await f.app.inject({ method: 'POST', url: `/v1/issuer/cards/${cardId}/scripts/confirm`, headers: auth, payload: { accepted: 1 } });
      assert.deepEqual([tooMany.statusCode, errorOf(tooMany.body).message], [400, 'accepted: 0..0']);
      const gone = await f.app.inject({ method: 'DELETE', url: `/v1/issuer/cards/${cardId}`, headers: auth });
      assert.deepEqual([gone.statusCode, gone.body], [204, '']);
      assert.equal((await f.app.inject({ method: 'GET', url: `/v1/issuer/cards/${cardId}`, headers: auth })).statusCode, 404);
      assert.equal((await f.app.inject({ method: 'DELETE', url: `/v1/issuer/cards/${cardId}`, headers: auth })).statusCode, 404);
      const after = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: auth, payload: authorizationBody(chain) });
      assert.deepEqual(after.json(), { decision: 'declined', reason: 'card-unknown', responseCode: '14', scripts: [] });
    }));

  it('visa-18 blocked by a script: declined card-blocked, the ARPC with CSU 00000000 and the block script still go out', () =>
    withApp(async (f) => {
      const chain = CHAINS.find((c) => c.test === 'test_visa_cvn18')!;
      const cardId = await registerCard(f, chain);
      const auth = bearer(f.tokens.issuerA);
      const queued = await f.app.inject({ method: 'POST', url: `/v1/issuer/cards/${cardId}/scripts`, headers: auth, payload: { kind: 'application-block' } });
      assert.equal(queued.json<{ status: string }>().status, 'blocked');
      const r = (await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: auth, payload: authorizationBody(chain) })).json<Record<string, unknown>>();
      assert.deepEqual([r['decision'], r['reason'], r['responseCode']], ['declined', 'card-blocked', '05']);
      assert.equal(r['issuerAuthenticationData'], `${vector(chain.steps.arpc)}00000000`);
      assert.equal(String((r['scripts'] as string[])[0]).slice(0, 10), '841E000008');
    }));

  it('keys by label; a key of the wrong usage is a 400 naming the field; a second registration is a 409', () =>
    withApp(async (f) => {
      const chain = CHAINS[0]!;
      const auth = bearer(f.tokens.issuerA);
      const wrong = await f.app.inject({ method: 'POST', url: '/v1/issuer/cards', headers: auth, payload: { ...registerBody(f, chain), imkAc: f.imk.smi } });
      assert.deepEqual([wrong.statusCode, errorOf(wrong.body).message], [400, 'imkAc: expected a key of usage E0']);
      const missing = await f.app.inject({ method: 'POST', url: '/v1/issuer/cards', headers: auth, payload: { ...registerBody(f, chain), imkSmc: 'NO SUCH LABEL' } });
      assert.deepEqual([missing.statusCode, errorOf(missing.body).code], [404, 'NOT_FOUND']);
      const ok = await f.app.inject({ method: 'POST', url: '/v1/issuer/cards', headers: auth, payload: registerBody(f, chain, true) });
      assert.equal(ok.statusCode, 201, ok.body);
      const twice = await f.app.inject({ method: 'POST', url: '/v1/issuer/cards', headers: auth, payload: registerBody(f, chain) });
      assert.deepEqual([twice.statusCode, errorOf(twice.body).code], [409, 'ALREADY_EXISTS']);
      const approved = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: auth, payload: authorizationBody(chain) });
      assert.equal(approved.json<{ decision: string }>().decision, 'approved');
    }));

  it('another tenant: its card ids are 404 on every card route, its keys are 404, its PANs are unknown cards', () =>
    withApp(async (f) => {
      const chain = CHAINS[0]!;
      const cardId = await registerCard(f, chain);
      const other = bearer(f.tokens.issuerB);
      const attempts = [
        { method: 'GET' as const, url: `/v1/issuer/cards/${cardId}` },
        { method: 'DELETE' as const, url: `/v1/issuer/cards/${cardId}` },
        { method: 'POST' as const, url: `/v1/issuer/cards/${cardId}/scripts`, payload: { kind: 'application-block' } },
        { method: 'POST' as const, url: `/v1/issuer/cards/${cardId}/scripts/confirm`, payload: { accepted: 0 } },
      ];
      for (const a of attempts) {
        const r = await f.app.inject({ ...a, headers: other });
        assert.deepEqual([r.statusCode, errorOf(r.body).code], [404, 'NOT_FOUND'], `${a.method} ${a.url}`);
      }
      const keys = await f.app.inject({ method: 'POST', url: '/v1/issuer/cards', headers: other, payload: registerBody(f, chain) });
      assert.deepEqual([keys.statusCode, errorOf(keys.body).message], [404, 'a key the request names does not exist']);
      const unknown = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: other, payload: authorizationBody(chain) });
      assert.deepEqual(unknown.json(), { decision: 'declined', reason: 'card-unknown', responseCode: '14', scripts: [] });
      // bank-a's card is untouched: still active and its ATC still fresh.
      const own = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: bearer(f.tokens.issuerA), payload: authorizationBody(chain) });
      assert.equal(own.json<{ decision: string }>().decision, 'approved');
    }));

  it('every HSM call of a request runs as the client\'s tenant, with the client id as actor and the request id', () =>
    withApp(async (f) => {
      const chain = CHAINS[0]!;
      await registerCard(f, chain);
      const before = f.t.audit.events.length;
      const r = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: bearer(f.tokens.issuerA), payload: authorizationBody(chain) });
      const requestId = r.headers['x-request-id'];
      const events = f.t.audit.events.slice(before).filter((e) => e.requestId === requestId);
      const clientId = f.tokens.issuerA.split('.')[0]!;
      const issuerCalls = events.filter((e) => e.tenant === 'bank-a');
      assert.ok(issuerCalls.some((e) => e.operation === 'verifyArqc'), JSON.stringify(events.map((e) => e.operation)));
      for (const e of issuerCalls) assert.equal(e.actor, clientId);
      // The credential check ran as the operator for the client's first request (the registration);
      // within the verification TTL this request reused it: no HSM call for it (verified-credentials.ts).
      assert.ok(f.t.audit.events.slice(0, before).some((e) => e.tenant === 'operator' && e.actor === `auth:${clientId}`));
      assert.ok(!events.some((e) => e.actor === `auth:${clientId}`), 'a verified secret is not checked again within the TTL');
    }));

  it('a tampered cryptogram is declined cryptogram-invalid without an ARPC', () =>
    withApp(async (f) => {
      const chain = CHAINS[0]!;
      await registerCard(f, chain);
      const body = authorizationBody(chain);
      const flipped = `${body.cryptogram.slice(0, 15)}${body.cryptogram.endsWith('0') ? '1' : '0'}`;
      const r = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: bearer(f.tokens.issuerA), payload: { ...body, cryptogram: flipped } });
      assert.deepEqual(r.json(), { decision: 'declined', reason: 'cryptogram-invalid', responseCode: '05', scripts: [] });
    }));
});
