/**
 * verifyWebhookSignature (docs/webhooks.md §3) against signatures made independently here with
 * node:crypto: the tolerance window on both sides of the receiver's clock (the replay defence),
 * every tampering and every malformed header answering the same false, the body as text or bytes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signatureHeader, verifyWebhookSignature } from '../../../src/tsm/index.ts';

const SECRET = 'whsec_c2VjcmV0LW9mLXRoZS1lbmRwb2ludC0xMjM0NTY3ODkwYWI';
const BODY = '{"id":"evt_000000000000000000000001","type":"job.succeeded","createdAt":"2026-11-27T13:00:00.000Z","data":{"jobId":"job_1"}}';
const T = 1_764_248_400;
const at = (seconds: number) => () => new Date(seconds * 1000);

function independent(secret: string, t: number, body: string): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

describe('webhook signatures', () => {
  it('signatureHeader equals an independent HMAC-SHA-256 over t "." body, keyed with the secret text', () => {
    assert.equal(signatureHeader(SECRET, T, BODY), independent(SECRET, T, BODY));
  });

  it('a valid signature verifies within the tolerance, before and after; outside it is refused (replay)', () => {
    const header = independent(SECRET, T, BODY);
    for (const now of [T, T + 300, T - 300, T + 17]) assert.equal(verifyWebhookSignature(SECRET, header, BODY, { now: at(now) }), true, `at ${now - T}`);
    for (const now of [T + 301, T - 301, T + 86_400]) assert.equal(verifyWebhookSignature(SECRET, header, BODY, { now: at(now) }), false, `at ${now - T}`);
    assert.equal(verifyWebhookSignature(SECRET, header, BODY, { now: at(T + 10), toleranceSeconds: 5 }), false);
    assert.equal(verifyWebhookSignature(SECRET, header, BODY, { now: at(T + 10), toleranceSeconds: 10 }), true);
  });

  it('the body as received bytes verifies too; uppercase hex is accepted', () => {
    const header = independent(SECRET, T, BODY);
    assert.equal(verifyWebhookSignature(SECRET, header, new TextEncoder().encode(BODY), { now: at(T) }), true);
    const upper = header.replace(/v1=([0-9a-f]+)/, (_, h: string) => `v1=${h.toUpperCase()}`);
    assert.equal(verifyWebhookSignature(SECRET, upper, BODY, { now: at(T) }), true);
  });

  it('any matching v1 among several suffices; unknown schemes are ignored', () => {
    const good = independent(SECRET, T, BODY).split(',')[1]!;
    const wrong = independent('whsec_other', T, BODY).split(',')[1]!;
    assert.equal(verifyWebhookSignature(SECRET, `t=${T},${wrong},v0=abc,${good}`, BODY, { now: at(T) }), true);
    assert.equal(verifyWebhookSignature(SECRET, `t=${T},${wrong},v0=abc`, BODY, { now: at(T) }), false);
  });

  it('tampering answers false: another body, secret, timestamp; a flipped digit', () => {
    const header = independent(SECRET, T, BODY);
    assert.equal(verifyWebhookSignature(SECRET, header, BODY.replace('job_1', 'job_2'), { now: at(T) }), false);
    assert.equal(verifyWebhookSignature(`${SECRET}x`, header, BODY, { now: at(T) }), false);
    assert.equal(verifyWebhookSignature(SECRET, header.replace(`t=${T}`, `t=${T + 1}`), BODY, { now: at(T) }), false);
    const last = header.at(-1)!;
    assert.equal(verifyWebhookSignature(SECRET, header.slice(0, -1) + (last === '0' ? '1' : '0'), BODY, { now: at(T) }), false);
  });

  it('malformed headers answer false, never throw', () => {
    const v1 = independent(SECRET, T, BODY).split(',')[1]!;
    for (const header of [undefined, '', 't=', v1, `t=${T}`, `t=abc,${v1}`, `t=${T},t=${T},${v1}`, `t=${T},v1=zz`, `t=${T};${v1}`, `t=-1,${v1}`, `t=${T},${v1}`.padEnd(5000, ',')]) {
      assert.equal(verifyWebhookSignature(SECRET, header, BODY, { now: at(T) }), false, String(header).slice(0, 40));
    }
  });

  it('a bad secret or tolerance is a programming error (ERR_TSM_REQUEST)', () => {
    assert.throws(() => verifyWebhookSignature('', 't=1,v1=00', BODY), { code: 'ERR_TSM_REQUEST' });
    assert.throws(() => verifyWebhookSignature(SECRET, 't=1,v1=00', BODY, { toleranceSeconds: -1 }), { code: 'ERR_TSM_REQUEST' });
    assert.throws(() => signatureHeader(SECRET, 1.5, BODY), { code: 'ERR_TSM_REQUEST' });
  });
});
