/**
 * What every route does with bad input and bad callers, through app.inject(): schema violations are
 * 400 naming the field and never its value, an oversize body 413, unknown routes a JSON 404,
 * missing or wrong credentials one fixed 401 with WWW-Authenticate, a wrong role 403, and an
 * unexpected failure a 500 whose detail is only in the log.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Hsm } from '../../../src/hsm/index.ts';
import { setApiClientDisabled } from '../../../src/store/index.ts';
import { ERROR_REGISTRY, HSM_ERROR_CODES_FOR_TEST } from './registry-codes.ts';
import { authorizationBody, bearer, CHAINS, errorOf, registerBody, registerCard, withApp } from './fixture.ts';

const chain = CHAINS[0]!;

describe('HTTP errors', () => {
  it('schema violations are 400 naming the field, never echoing the value', () =>
    withApp(async (f) => {
      const good = authorizationBody(chain);
      const cases: [Record<string, unknown>, string][] = [
        [{ ...good, pan: undefined }, 'body.pan: is required'],
        [{ ...good, pan: '4111x11111111111' }, 'body.pan: must match pattern "^[0-9]{12,19}$"'],
        [{ ...good, psn: 7 }, 'body.psn: must be string'],
        [{ ...good, cid: '8000' }, 'body.cid: must match pattern "^([0-9A-Fa-f]{2}){1,1}$"'],
        [{ ...good, extra: 'secret-value-123' }, 'body.extra: is not allowed'],
        [{ ...good, data: { ...good.data, ZZ: '00' } }, 'body.data: must match pattern "^[0-9A-Fa-f]{2,4}$"'],
        [{ ...good, data: { ...good.data, '9F02': 'nothex-secret' } }, 'body.data.9F02: must match pattern "^([0-9A-Fa-f]{2}){0,64}$"'],
      ];
      for (const [payload, message] of cases) {
        const r = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: bearer(f.tokens.issuerA), payload });
        assert.equal(r.statusCode, 400, message);
        assert.deepEqual([errorOf(r.body).code, errorOf(r.body).message], ['INVALID_ARGUMENT', message]);
        for (const secret of ['4111x11111111111', 'secret-value-123', 'nothex-secret']) assert.ok(!r.body.includes(secret), r.body);
      }
      const card = await f.app.inject({ method: 'POST', url: '/v1/issuer/cards', headers: bearer(f.tokens.issuerA), payload: { ...registerBody(f, chain), profile: 'visa-99' } });
      assert.deepEqual([card.statusCode, errorOf(card.body).message], [400, 'body.profile: must be equal to one of the allowed values']);
      const param = await f.app.inject({ method: 'GET', url: '/v1/issuer/cards/bad%20id', headers: bearer(f.tokens.issuerA) });
      assert.deepEqual([param.statusCode, errorOf(param.body).message.startsWith('params.cardId: ')], [400, true]);
      const pin = await f.app.inject({ method: 'POST', url: '/v1/issuer/cards/card_x/scripts', headers: bearer(f.tokens.issuerA), payload: { kind: 'pin-change', pin: { key: 'k', format: 2, block: '00' } } });
      assert.deepEqual([pin.statusCode, errorOf(pin.body).message], [400, 'body.pin.format: must be equal to one of the allowed values']);
    }));

  it('a body over the limit is 413; bad JSON is 400 without echo; another media type 415; an unknown route a JSON 404', () =>
    withApp(async (f) => {
      const auth = bearer(f.tokens.issuerA);
      const big = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: auth, payload: { ...authorizationBody(chain), pad: 'A'.repeat(2048) } });
      assert.deepEqual([big.statusCode, errorOf(big.body).code], [413, 'PAYLOAD_TOO_LARGE']);
      const json = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"pan":"4111111111111111",' });
      assert.deepEqual([json.statusCode, errorOf(json.body).message], [400, 'the request body is not valid JSON']);
      assert.ok(!json.body.includes('4111111111111111'));
      const text = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: { ...auth, 'content-type': 'application/xml' }, payload: '<a/>' });
      assert.deepEqual([text.statusCode, errorOf(text.body).code], [415, 'UNSUPPORTED_MEDIA_TYPE']);
      const none = await f.app.inject({ method: 'GET', url: '/v1/nothing-here', headers: auth });
      assert.deepEqual([none.statusCode, errorOf(none.body).code, none.headers['content-type']], [404, 'NOT_FOUND', 'application/json; charset=utf-8']);
      assert.equal(errorOf(none.body).requestId, none.headers['x-request-id']);
    }, { bodyLimit: 1024 }));

  it('missing, malformed, unknown, wrong or disabled credentials: one 401 with WWW-Authenticate; Basic works too', () =>
    withApp(async (f) => {
      const [id, secret] = f.tokens.issuerA.split('.') as [string, string];
      const wrongSecret = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
      const headers: Record<string, string>[] = [
        {}, { authorization: 'Bearer' }, { authorization: `Bearer ${id}` }, { authorization: `Bearer ${id}.${wrongSecret}` },
        { authorization: `Bearer cl_000000000000000000000000.${secret}` }, { authorization: `Token ${f.tokens.issuerA}` },
        { authorization: `Basic ${Buffer.from(`${id}:${wrongSecret}`).toString('base64')}` }, { authorization: 'x'.repeat(600) },
      ];
      for (const h of headers) {
        const r = await f.app.inject({ method: 'GET', url: '/v1/issuer/cards/card_x', headers: h });
        assert.equal(r.statusCode, 401, JSON.stringify(h));
        assert.deepEqual(errorOf(r.body).message, 'missing or invalid credentials');
        assert.match(String(r.headers['www-authenticate']), /^Bearer realm="opentsm"/);
      }
      const basic = await f.app.inject({ method: 'GET', url: '/v1/issuer/cards/card_x', headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` } });
      assert.equal(basic.statusCode, 404, 'authenticated: the card does not exist');
      // Credentials are checked before the body is read: an unauthenticated caller gets 401, not 413 or 400.
      const unread = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: { 'content-type': 'application/json' }, payload: `{"pad":"${'A'.repeat(40_000)}"` });
      assert.equal(unread.statusCode, 401);
      await setApiClientDisabled(f.db, id, true);
      assert.equal((await f.app.inject({ method: 'GET', url: '/v1/issuer/cards/card_x', headers: bearer(f.tokens.issuerA) })).statusCode, 401);
    }));

  it('a client whose role may not call the route gets 403; no credentials are needed for health, readiness and the document', () =>
    withApp(async (f) => {
      const r = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: bearer(f.tokens.spA), payload: authorizationBody(chain) });
      assert.deepEqual([r.statusCode, errorOf(r.body).code], [403, 'NOT_ALLOWED']);
      assert.deepEqual((await f.app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
      const ready = await f.app.inject({ method: 'GET', url: '/readyz' });
      assert.deepEqual([ready.statusCode, ready.json()], [200, { status: 'ready', checks: { store: 'ok', hsm: 'ok' } }]);
      assert.equal((await f.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode, 200);
    }));

  it('an unexpected failure is a 500 with the request id; its detail only in the log. A closed HSM makes /readyz 503', () => {
    const failing = (hsm: Hsm): Hsm => new Proxy(hsm, {
      get: (target, name) => {
        if (name === 'verifyArqc') return () => Promise.reject(new TypeError('boom: internal detail 42'));
        const value = Reflect.get(target, name) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    return withApp(async (f) => {
      await registerCard(f, chain);
      const r = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: bearer(f.tokens.issuerA), payload: authorizationBody(chain) });
      assert.deepEqual([r.statusCode, errorOf(r.body).code], [500, 'INTERNAL']);
      assert.ok(!r.body.includes('boom'));
      const line = f.logs.find((l) => l.includes('boom: internal detail 42'));
      assert.ok(line !== undefined, 'the detail is logged');
      assert.equal((JSON.parse(line) as { requestId: string }).requestId, errorOf(r.body).requestId);
      f.t.hsm.close();
      const ready = await f.app.inject({ method: 'GET', url: '/readyz' });
      assert.deepEqual([ready.statusCode, ready.json()], [503, { status: 'unavailable', checks: { store: 'ok', hsm: 'failed' } }]);
    }, { wrapHsm: failing });
  });

  it('the registry maps every tsm/, hsm/, store/ and emv/ code to a status and a public message without detail', () => {
    for (const code of HSM_ERROR_CODES_FOR_TEST) {
      const m = ERROR_REGISTRY[code];
      assert.ok(m !== undefined, code);
      assert.ok(m.status >= 400 && m.status < 600, code);
      assert.ok(!/ERR_|stack|at /.test(m.message), code);
    }
  });
});
