/**
 * POST /v1/issuer/tee-enrollments: the issuer gives a TEE its PIN encryption key. 201 with the PEK
 * as a TR-31 block that opens in the TEE (its PIN TA provisions it and the KCVs agree, and a PIN
 * block it makes queues a pin-change script); 200 with the same key on a second enrollment; 400 for
 * a malformed body or a block that does not open; 401 without credentials; 403 for an SP; 409 for
 * an issuer without a TEE KIF key.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { TeePinPad } from '../../../src/device/index.ts';
import { TEE_KIF_LABEL, teePekLabel } from '../../../src/tsm/index.ts';
import { importClear } from '../../hsm/conformance/fixture.ts';
import { KIF_KEK, inProcessTee } from '../../device/tee/fixture.ts';
import { CHAINS, bearer, registerCard, withApp, type HttpFixture } from './fixture.ts';

const URL = '/v1/issuer/tee-enrollments';
const PIN = '739152846031';

async function withKif(f: HttpFixture): Promise<void> {
  await importClear(f.t, { usage: 'K1', algorithm: 'A', modeOfUse: 'B', exportability: 'N', label: TEE_KIF_LABEL }, KIF_KEK);
}

function enroll(f: HttpFixture, body: unknown, token = f.tokens.issuerA) {
  return f.app.inject({ method: 'POST', url: URL, headers: bearer(token), payload: body as Record<string, unknown> });
}

describe('POST /v1/issuer/tee-enrollments', () => {
  it('201: the PEK block opens in the TEE, whose PIN block then queues a pin-change script; 200 on a second enrollment', () => withApp(async (f) => {
    await withKif(f);
    const tee = await inProcessTee();
    const pad = await TeePinPad.open(tee.endpoint);
    try {
      const first = await enroll(f, { teeId: tee.teeId, kbpkBlock: tee.kbpkBlock });
      assert.equal(first.statusCode, 201, first.body);
      const e = first.json<{ teeId: string; pinKey: string; keyBlock: string; kcv: string }>();
      assert.equal(e.teeId, tee.teeId);
      assert.match(e.keyBlock, /^D\d{4}P0AB/);
      const key = await f.t.hsm.getKey(e.pinKey, f.t.ctx);
      assert.deepEqual([key.attributes.usage, key.attributes.algorithm, key.attributes.label, key.kcv], ['P0', 'A', teePekLabel(tee.teeId), e.kcv]);
      assert.equal(await pad.provisionPek(e.pinKey, e.keyBlock), e.kcv);
      // the TEE's KBPK served this one export: the HSM no longer holds it
      assert.deepEqual((await f.t.hsm.listKeys({ label: `tee-kbpk:${tee.teeId}` }, f.t.ctx)).map((k) => k.status), []);

      const chain = CHAINS[0]!;
      const cardId = await registerCard(f, chain);
      const entry = pad.encryptedPinBlock(chain.pan);
      await tee.touchscreen.nextPrompt();
      tee.touchscreen.enter(PIN);
      const pin = await entry;
      const queued = await f.app.inject({ method: 'POST', url: `/v1/issuer/cards/${cardId}/scripts`, headers: bearer(f.tokens.issuerA), payload: { kind: 'pin-change', pin: { key: pin.pinKey, format: 4, block: toHex(pin.block) } } });
      assert.equal(queued.statusCode, 202, queued.body);
      const auth = await f.app.inject({ method: 'POST', url: '/v1/authorizations', headers: bearer(f.tokens.issuerA), payload: (await import('./fixture.ts')).authorizationBody(chain) });
      assert.equal(auth.statusCode, 200, auth.body);
      assert.equal(auth.json<{ scripts: string[] }>().scripts.length, 1, 'the HSM turned the format 4 block into the PIN CHANGE script');

      const again = await enroll(f, { teeId: tee.teeId, kbpkBlock: tee.kbpkBlock });
      assert.equal(again.statusCode, 200, again.body);
      assert.deepEqual(again.json(), { teeId: tee.teeId, pinKey: e.pinKey, kcv: e.kcv });
      assert.equal((await f.t.hsm.listKeys({ label: teePekLabel(tee.teeId) }, f.t.ctx)).length, 1);
      for (const line of f.logs) assert.ok(!line.includes(PIN) && !line.includes(e.keyBlock.slice(16)), 'no PIN or key block in the log');
    } finally {
      await pad.close();
      await tee.close();
    }
  }));

  it('400: malformed body, a block that does not open under the KIF KEK, a block that is not a K1 AES key', () => withApp(async (f) => {
    await withKif(f);
    const tee = await inProcessTee();
    try {
      for (const body of [{}, { teeId: 'bad id!', kbpkBlock: tee.kbpkBlock }, { teeId: 'tee-1', kbpkBlock: 'x' }, { teeId: 'tee-1', kbpkBlock: tee.kbpkBlock, extra: 1 }]) {
        const r = await enroll(f, body);
        assert.equal(r.statusCode, 400, JSON.stringify(body));
      }
      const tampered = tee.kbpkBlock.slice(0, -1) + (tee.kbpkBlock.endsWith('0') ? '1' : '0');
      const r = await enroll(f, { teeId: 'tee-1', kbpkBlock: tampered });
      assert.equal(r.statusCode, 400, r.body);
      assert.equal(r.json<{ error: { code: string } }>().error.code, 'INVALID_ARGUMENT');
      const { wrapKeyBlock } = await import('../../../src/crypto/index.ts');
      const notKbpk = wrapKeyBlock(KIF_KEK, fromHex('00112233445566778899AABBCCDDEEFF'), { header: { version: 'D', usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'N' } });
      assert.equal((await enroll(f, { teeId: 'tee-2', kbpkBlock: notKbpk })).statusCode, 400);
      assert.deepEqual((await f.t.hsm.listKeys({ label: teePekLabel('tee-2') }, f.t.ctx)).length, 0);
    } finally {
      await tee.close();
    }
  }));

  it('401 without credentials, 403 for an SP, 409 for an issuer without a TEE KIF key', () => withApp(async (f) => {
    await withKif(f);
    const tee = await inProcessTee();
    try {
      const body = { teeId: tee.teeId, kbpkBlock: tee.kbpkBlock };
      assert.equal((await f.app.inject({ method: 'POST', url: URL, payload: body })).statusCode, 401);
      assert.equal((await enroll(f, body, f.tokens.spA)).statusCode, 403);
      const other = await enroll(f, body, f.tokens.issuerB);
      assert.equal(other.statusCode, 409, other.body);
      assert.deepEqual((await f.t.hsm.listKeys({ label: teePekLabel(tee.teeId) }, f.t.ctx)).length, 0);
    } finally {
      await tee.close();
    }
  }));
});
