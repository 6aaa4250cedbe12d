/**
 * HttpAuthorizer: the Authorizer a terminal uses to reach the service over HTTP gives the same
 * answers as the issuer service in process — the published ARPC and script, the replay declined —
 * and refuses an answer that is not a 200 AuthorizationResponse.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import type { AuthorizationRequest } from '../../../src/emv/index.ts';
import { HttpAuthorizer, TsmError } from '../../../src/tsm/index.ts';
import { authorizationBody, bearer, CHAINS, registerCard, vector, withApp } from './fixture.ts';

function requestOf(body: ReturnType<typeof authorizationBody>): AuthorizationRequest {
  return {
    pan: body.pan, psn: body.psn, cryptogram: fromHex(body.cryptogram), cid: 0x80,
    data: Object.fromEntries(Object.entries(body.data).map(([tag, hex]) => [tag, fromHex(hex)])),
  };
}

describe('HttpAuthorizer', () => {
  it('authorizes through the service: the published ARPC and unblock script, then the replay is declined', () =>
    withApp(async (f) => {
      const chain = CHAINS.find((c) => c.profile === 'visa-10')!;
      const cardId = await registerCard(f, chain);
      await f.app.inject({ method: 'POST', url: `/v1/issuer/cards/${cardId}/scripts`, headers: bearer(f.tokens.issuerA), payload: { kind: 'application-unblock' } });
      const base = await f.app.listen({ host: '127.0.0.1', port: 0 });
      const authorizer = new HttpAuthorizer({ baseUrl: base, token: f.tokens.issuerA });
      const r = await authorizer.authorize(requestOf(authorizationBody(chain)));
      assert.deepEqual([r.decision, r.responseCode, toHex(r.issuerAuthenticationData!)], ['approved', '00', `${vector(chain.steps.arpc)}3030`]);
      assert.deepEqual(r.scripts.map(toHex), [`8418000008${vector(chain.steps.unblockMac)}`]);
      const again = await authorizer.authorize(requestOf(authorizationBody(chain)));
      assert.deepEqual([again.decision, again.reason, again.issuerAuthenticationData], ['declined', 'atc-replayed', undefined]);
      const wrong = new HttpAuthorizer({ baseUrl: base, token: `${f.tokens.issuerA}x` });
      await assert.rejects(wrong.authorize(requestOf(authorizationBody(chain))), (e: unknown) => e instanceof TsmError && e.message === 'authorization service answered 401 UNAUTHORIZED');
      const garbage = new HttpAuthorizer({ baseUrl: base, token: 't', fetch: () => Promise.resolve(new Response(JSON.stringify({ decision: 'maybe' }), { status: 200 })) });
      await assert.rejects(garbage.authorize(requestOf(authorizationBody(chain))), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_STATE');
    }));
});
