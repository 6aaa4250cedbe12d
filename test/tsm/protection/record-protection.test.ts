/**
 * Field-level encryption on the software HSM (src/tsm/protection): round trips, the sealed format
 * checked with the HSM's own primitives (not with the code under test), every way a field must not
 * open — wrong aad, another record's key, altered bytes, another tenant, a destroyed key — as one
 * typed error, and the keyed index.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concat, OpenTsmError, toHex, uintBe } from '../../../src/bytes/index.ts';
import { RECORD_INDEX_LABEL, RECORD_SEAL_LABEL, RecordProtection, TsmError } from '../../../src/tsm/index.ts';
import { CTX, OTHER_CTX, softwareHsm, type SoftwareUnderTest } from '../../hsm/software-setup.ts';

const PAN = '5413330089010434';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function refused(promise: Promise<unknown>, code: string, message?: RegExp): Promise<TsmError> {
  let caught: unknown;
  await assert.rejects(promise, (e: unknown) => ((caught = e), true));
  assert.ok(caught instanceof TsmError, `expected a TsmError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message !== undefined) assert.match(caught.message, message);
  return caught;
}

/** Re-encodes a sealed field with one byte of its body flipped at `at` (negative: from the end). */
function flip(sealed: string, at: number): string {
  const last = sealed.lastIndexOf('.');
  const body = new Uint8Array(Buffer.from(sealed.slice(last + 1), 'base64url'));
  const i = at < 0 ? body.length + at : at;
  body[i] = body[i]! ^ 0x01;
  return `${sealed.slice(0, last + 1)}${Buffer.from(body).toString('base64url')}`;
}

describe('tsm/protection: RecordProtection on the software HSM', () => {
  let t: SoftwareUnderTest;
  let fields: RecordProtection;
  before(async () => {
    t = await softwareHsm();
    fields = new RecordProtection(t.hsm);
  });
  after(() => t.close());

  it('round-trips fields of every length around the block size; each seal has a fresh IV', async () => {
    const key = await fields.createRecordKey(CTX, 'instance 1');
    for (const n of [0, 1, 15, 16, 17, 31, 32, 1000]) {
      const plain = new Uint8Array(n).map((_, i) => (i * 7 + n) & 0xff);
      const sealed = await fields.sealField(CTX, key, plain, `instance/1/f${n}`);
      assert.match(sealed, new RegExp(`^v1\\.${key}\\.[A-Za-z0-9_-]+$`));
      assert.deepEqual(await fields.openField(CTX, key, sealed, `instance/1/f${n}`), plain);
    }
    const a = await fields.sealField(CTX, key, enc(PAN), 'instance/1/pan');
    const b = await fields.sealField(CTX, key, enc(PAN), 'instance/1/pan');
    assert.notEqual(a, b);
  });

  it('the format as docs/protection.md states it, checked with the HSM primitives: CBC under the record key, method-2 padding, HMAC over domain, key id, aad, IV, ciphertext', async () => {
    const key = await fields.createRecordKey(CTX, 'instance 2');
    const aad = 'instance/2/pan';
    const sealed = await fields.sealField(CTX, key, enc(PAN), aad);
    const body = new Uint8Array(Buffer.from(sealed.split('.').at(-1)!, 'base64url'));
    const iv = body.subarray(0, 16);
    const ct = body.subarray(16, body.length - 32);
    const tag = body.subarray(body.length - 32);
    assert.equal(ct.length, 32, '16 digits + 80 00… pad to two blocks');
    const padded = await t.hsm.decryptData(key, ct, { mode: 'cbc', iv }, CTX);
    assert.equal(toHex(padded), toHex(concat(enc(PAN), new Uint8Array([0x80]), new Uint8Array(15))));
    const [sealKey] = await t.hsm.listKeys({ label: RECORD_SEAL_LABEL }, CTX);
    assert.deepEqual([sealKey?.attributes.usage, sealKey?.attributes.exportability], ['M7', 'N']);
    const id = enc(key);
    const input = concat(enc('opentsm/sealed-field/v1'), uintBe(id.length, 4), id, uintBe(enc(aad).length, 4), enc(aad), iv, ct);
    assert.equal(await t.hsm.verifyMac(sealKey!.id, input, tag, 'hmac-sha256', CTX), true);
    const handle = await t.hsm.getKey(key, CTX);
    assert.deepEqual([handle.attributes.usage, handle.attributes.algorithm, handle.attributes.modeOfUse, handle.attributes.length, handle.attributes.exportability, handle.attributes.class, handle.attributes.label], ['D0', 'A', 'B', 32, 'N', 'transient', 'instance 2']);
  });

  it('does not open with the wrong aad, another record\'s key, altered bytes, another tenant, garbage — one fixed ERR_TSM_STATE', async () => {
    const key = await fields.createRecordKey(CTX, 'instance 3');
    const other = await fields.createRecordKey(CTX, 'instance 4');
    const sealed = await fields.sealField(CTX, key, enc(PAN), 'instance/3/pan');
    const underOther = await fields.sealField(CTX, other, enc(PAN), 'instance/3/pan');
    const swappedId = `v1.${other}.${sealed.split('.').at(-1)!}`;
    const attempts: [string, Promise<unknown>][] = [
      ['wrong aad', fields.openField(CTX, key, sealed, 'instance/4/pan')],
      ['another record key', fields.openField(CTX, other, sealed, 'instance/3/pan')],
      ['sealed under another key', fields.openField(CTX, key, underOther, 'instance/3/pan')],
      ['key id swapped in the text', fields.openField(CTX, other, swappedId, 'instance/3/pan')],
      ['IV flipped', fields.openField(CTX, key, flip(sealed, 0), 'instance/3/pan')],
      ['ciphertext flipped', fields.openField(CTX, key, flip(sealed, 20), 'instance/3/pan')],
      ['tag flipped', fields.openField(CTX, key, flip(sealed, -1), 'instance/3/pan')],
      ['truncated', fields.openField(CTX, key, sealed.slice(0, -4), 'instance/3/pan')],
      ['version 2', fields.openField(CTX, key, `v2${sealed.slice(2)}`, 'instance/3/pan')],
      ['another tenant', fields.openField(OTHER_CTX, key, sealed, 'instance/3/pan')],
      ['garbage', fields.openField(CTX, key, 'v1..', 'instance/3/pan')],
      ['not a string', fields.openField(CTX, key, 42 as unknown as string, 'instance/3/pan')],
    ];
    const messages = new Set<string>();
    for (const [what, attempt] of attempts) {
      const e = await refused(attempt, 'ERR_TSM_STATE').catch((err: unknown) => assert.fail(`${what}: ${String(err)}`));
      messages.add(e.message);
    }
    assert.equal(messages.size, 1, `one fixed message, got ${[...messages].join(' | ')}`);
    assert.ok(![...messages][0]!.includes(PAN));
    assert.deepEqual(await fields.openField(CTX, key, sealed, 'instance/3/pan'), enc(PAN), 'the original still opens');
  });

  it('destroying the record key makes its fields unrecoverable — by the tenant alone, idempotently; not another tenant\'s key, not a non-record key', async () => {
    const key = await fields.createRecordKey(CTX, 'instance 5');
    const sealed = await fields.sealField(CTX, key, enc(PAN), 'instance/5/pan');
    await refused(fields.destroyRecordKey(OTHER_CTX, key), 'ERR_TSM_NOT_FOUND');
    const before = t.audit.events.length;
    await fields.destroyRecordKey(CTX, key);
    const events = t.audit.events.slice(before);
    assert.deepEqual(events.filter((e) => e.operation === 'destroyKey').map((e) => [e.result, e.detail]), [['ok', 'transient key: destroyed by its owner']]);
    await refused(fields.openField(CTX, key, sealed, 'instance/5/pan'), 'ERR_TSM_STATE', /unrecoverable/);
    await refused(fields.sealField(CTX, key, enc(PAN), 'instance/5/pan'), 'ERR_TSM_STATE');
    await fields.destroyRecordKey(CTX, key); // again: done
    await refused(fields.destroyRecordKey(CTX, 'no-such-key'), 'ERR_TSM_NOT_FOUND');
    const [indexKey] = await t.hsm.listKeys({ label: RECORD_SEAL_LABEL }, CTX);
    await refused(fields.destroyRecordKey(CTX, indexKey!.id), 'ERR_TSM_REQUEST');
    const longLived = await t.hsm.generateKey({ usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'N', length: 32, owner: CTX.tenant }, CTX);
    await refused(fields.destroyRecordKey(CTX, longLived.id), 'ERR_TSM_REQUEST');
    assert.equal((await t.hsm.getKey(longLived.id, CTX)).status, 'active');
  });

  it('refuses bad arguments with ERR_TSM_REQUEST', async () => {
    const key = await fields.createRecordKey(CTX, 'instance 6');
    await refused(fields.createRecordKey(CTX, ''), 'ERR_TSM_REQUEST');
    await refused(fields.sealField(CTX, key, PAN as unknown as Uint8Array, 'a'), 'ERR_TSM_REQUEST');
    await refused(fields.sealField(CTX, key, enc(PAN), 7 as unknown as string), 'ERR_TSM_REQUEST');
    await refused(fields.sealField(CTX, key, enc(PAN), 'x'.repeat(1025)), 'ERR_TSM_REQUEST');
    await refused(fields.sealField(CTX, 'not a key id!', enc(PAN), 'a'), 'ERR_TSM_REQUEST');
    await refused(fields.keyedIndex(CTX, ''), 'ERR_TSM_REQUEST');
  });

  it('keyedIndex: HMAC-SHA-256 under the tenant\'s record index key — equal within a tenant, different across tenants and values', async () => {
    const a = await fields.keyedIndex(CTX, PAN);
    assert.match(a, /^[0-9A-F]{64}$/i);
    assert.equal(await fields.keyedIndex(CTX, PAN), a);
    assert.notEqual(await fields.keyedIndex(OTHER_CTX, PAN), a);
    assert.notEqual(await fields.keyedIndex(CTX, '5413330089010442'), a);
    const keys = await t.hsm.listKeys({ label: RECORD_INDEX_LABEL }, CTX);
    assert.deepEqual(keys.map((k) => [k.attributes.usage, k.attributes.algorithm, k.attributes.exportability]), [['M7', 'H', 'N']]);
    // under that key, of a domain tag and the value: checked with the HSM's own MAC
    const expected = await t.hsm.generateMac(keys[0]!.id, enc(`opentsm/record-index/v1\0${PAN}`), 'hmac-sha256', CTX);
    assert.equal(a.toUpperCase(), toHex(expected));
  });

  it('no plaintext in the HSM audit trail or in any error message', async () => {
    const key = await fields.createRecordKey(CTX, 'instance 7');
    const sealed = await fields.sealField(CTX, key, enc(PAN), 'instance/7/pan');
    const errors: string[] = [];
    await fields.openField(CTX, key, flip(sealed, 20), 'instance/7/pan').catch((e: unknown) => errors.push(e instanceof OpenTsmError ? `${e.message} ${String(e.cause)}` : String(e)));
    await fields.keyedIndex(CTX, PAN);
    const text = JSON.stringify(t.audit.events) + errors.join('\n');
    assert.ok(errors.length === 1);
    assert.ok(!text.includes(PAN) && !text.includes(toHex(enc(PAN))));
  });
});
