/**
 * No secret in any record (CONVENTIONS.md §8): entries and HSM events carrying PANs (plain, grouped,
 * as numbers, in subjects), PINs and keys (by field name, as hex in free text) are redacted at
 * entry — then the database file itself is scanned for each secret, in every form.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readAuditChain } from '../../../src/store/index.ts';
import { REDACTED, redactDetail, redactText, verifyAuditLog } from '../../../src/tsm/audit/index.ts';
import { auditFixture, type AuditFixture } from './fixtures.ts';

const PAN = '4111111111111111';
const PAN2 = '5555555555554444';
const KEY = '0123456789ABCDEFFEDCBA9876543210';
const PIN_BLOCK = '041234FFFFFFFFFF';
const SECRETS = [PAN, PAN2, '4111 1111 1111 1111', '4111-1111-1111-1111', KEY, KEY.toLowerCase(), PIN_BLOCK, '1234', 'hunter2-passphrase'];

let f: AuditFixture;
beforeEach(async () => {
  f = await auditFixture();
});
afterEach(() => f.close());

describe('audit chain: redaction at entry', () => {
  it('redacts by field name, PAN-like digits and key-like hex, keeping ids, KCVs, AIDs and small numbers', () => {
    const detail = JSON.parse(redactDetail({
      pan: PAN, pin: '1234', Pin_Block: PIN_BLOCK, clientSecret: 'x', passphrase: 'hunter2-passphrase', key: KEY, nested: { clearKey: KEY, aid: 'A0000000041010', kcv: '1A2B3C' },
      note: `card ${PAN.replace(/(\d{4})(?=\d)/g, '$1 ')} approved`, cardNumber: Number(PAN2), list: [PAN2, `key ${KEY.toLowerCase()}`], atc: 28, keyId: '5f0c1e2a-1b2c-4d5e-8f90-123456789abc',
    })) as Record<string, unknown>;
    assert.deepEqual(detail, {
      Pin_Block: REDACTED, atc: 28, cardNumber: REDACTED, clientSecret: REDACTED, key: REDACTED, keyId: '5f0c1e2a-1b2c-4d5e-8f90-123456789abc',
      list: [REDACTED, `key ${REDACTED}`], nested: { aid: 'A0000000041010', clearKey: REDACTED, kcv: '1A2B3C' }, note: `card ${REDACTED} approved`,
      pan: REDACTED, passphrase: REDACTED, pin: REDACTED,
    });
    assert.equal(redactText(`${PAN}/${KEY}`), `${REDACTED}/${REDACTED}`);
    assert.equal(redactText('passphrase hunter2, PIN: 1234 and password=x'), `passphrase ${REDACTED}, PIN: ${REDACTED} and password=${REDACTED}`);
  });

  it('refuses a detail that is not plain JSON, without quoting it', () => {
    for (const bad of [{ when: new Date() }, { n: Number.NaN }, { f: () => 1 }, { deep: JSON.parse('[[[[[[[[[[1]]]]]]]]]]') as unknown }]) {
      assert.throws(() => redactDetail(bad), (e: Error & { code?: string }) => e.code === 'ERR_TSM_AUDIT' && !e.message.includes(PAN));
    }
  });

  it('no secret reaches the database: appended entries and HSM events with PAN-like and key-like details', async () => {
    await f.log.append({
      tenant: 'bank-a', actor: 'cl_1', kind: 'api-call', action: 'registerCard', subjects: [PAN, 'inst_1'], result: 'ok', requestId: `req-${PAN}`,
      detail: { pan: PAN, body: { pan: PAN2, pinBlock: PIN_BLOCK, note: `PAN ${PAN} key ${KEY}` } },
    });
    await f.log.append({ tenant: 'mno-x', actor: 'system', kind: 'notification', action: 'webhook', result: 'ok', detail: { payload: `{"pan":"${PAN2}","key":"${KEY}"}` } });
    await f.sink.record({
      kind: 'hsm-audit', at: new Date().toISOString(), tenant: 'bank-a', actor: 'alice', operation: 'importComponents',
      keys: [{ id: 'k1', kcv: '1A2B3C' }], result: 'refused', code: 'ERR_HSM_KCV', detail: `component ${KEY} for ${PAN} passphrase hunter2-passphrase`,
    });
    const rows = await readAuditChain(f.db, f.log.logId, 0, 10_000);
    const text = JSON.stringify(rows.map((r) => ({ ...r, prevMac: undefined, mac: undefined })));
    for (const secret of [PAN, PAN2, KEY, KEY.toLowerCase(), PIN_BLOCK]) assert.ok(!text.includes(secret), `a record holds ${secret.slice(0, 4)}…`);
    assert.ok(text.includes(REDACTED));
    assert.equal((await verifyAuditLog(f.db, f.hsm, [])).ok, true, 'redacted records chain like any other');
    for (const file of [f.dbPath, `${f.dbPath}-wal`]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch {
        continue;
      }
      for (const secret of SECRETS.filter((s) => s.length >= 16)) assert.equal(bytes.indexOf(secret), -1, `${file} holds a secret: ${SECRETS.indexOf(secret)}`);
    }
  });
});
