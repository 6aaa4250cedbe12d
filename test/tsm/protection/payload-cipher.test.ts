/**
 * HsmPayloadCipher (src/tsm/protection): the job engine's sensitive payloads under one transient
 * HSM key each; and a scan of a whole SQLite database file — key records, HSM audit events, jobs,
 * steps, sealed fields — that finds no personal data in the clear, while a job holds it and after.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../src/bytes/index.ts';
import { narrowKeyAttributes } from '../../../src/cli/hsm/context.ts';
import { SoftwareHsm, generateLmk } from '../../../src/hsm/index.ts';
import { appendAuditEvent, closeDatabase, getJob, keyRecordStore, migrateToLatest, openDatabase } from '../../../src/store/index.ts';
import { HsmPayloadCipher, JOB_PAYLOAD_LABEL, JobEngine, RecordProtection, TsmError, defineJobKind } from '../../../src/tsm/index.ts';
import { softwareHsm, type SoftwareUnderTest } from '../../hsm/software-setup.ts';

const PAN = '5413330089010434';
const PERSO = 'CARDHOLDER/JANE Q-0123456789ABCDEF';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function refused(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => e instanceof TsmError && e.code === code);
}

describe('tsm/protection: HsmPayloadCipher', () => {
  let t: SoftwareUnderTest;
  let cipher: HsmPayloadCipher;
  before(async () => {
    t = await softwareHsm();
    cipher = new HsmPayloadCipher(t.hsm);
  });
  after(() => t.close());

  it('seals each payload under its own transient record key and opens it for the same tenant only', async () => {
    const a = await cipher.seal(enc(PAN), 'bank-a');
    const b = await cipher.seal(enc(PAN), 'bank-a');
    assert.notEqual(cipher.recordKeyOf(a), cipher.recordKeyOf(b));
    assert.ok(!Buffer.from(a).includes(Buffer.from(PAN)));
    assert.deepEqual(await cipher.open(a, 'bank-a'), enc(PAN));
    await refused(cipher.open(a, 'bank-b'), 'ERR_TSM_STATE');
    const altered = a.slice();
    altered[altered.length - 3] = altered[altered.length - 3] === 0x41 ? 0x42 : 0x41;
    await refused(cipher.open(altered, 'bank-a'), 'ERR_TSM_STATE');
    await refused(cipher.open(new Uint8Array([0xff, 0xfe]), 'bank-a'), 'ERR_TSM_STATE');
    const key = await t.hsm.getKey(cipher.recordKeyOf(a), { tenant: 'bank-a', actor: 'test' });
    assert.deepEqual([key.attributes.class, key.attributes.label], ['transient', JOB_PAYLOAD_LABEL]);
  });

  it('discard destroys the payload\'s key: it never opens again; the other payload still does', async () => {
    const a = await cipher.seal(enc(PAN), 'bank-a');
    const b = await cipher.seal(enc(PERSO), 'bank-a');
    await refused(cipher.discard(a, 'bank-b'), 'ERR_TSM_NOT_FOUND');
    await cipher.discard(a, 'bank-a');
    await cipher.discard(a, 'bank-a');
    await refused(cipher.open(a, 'bank-a'), 'ERR_TSM_STATE');
    assert.deepEqual(await cipher.open(b, 'bank-a'), enc(PERSO));
  });

  it('digest: keyed per tenant, deterministic, not a bare hash', async () => {
    const d = await cipher.digest(enc(PAN), 'bank-a');
    assert.equal(d.length, 32);
    assert.equal(toHex(await cipher.digest(enc(PAN), 'bank-a')), toHex(d));
    assert.notEqual(toHex(await cipher.digest(enc(PAN), 'bank-b')), toHex(d));
    const { createHash } = await import('node:crypto');
    assert.notEqual(toHex(d), toHex(createHash('sha256').update(PAN).digest()));
  });
});

describe('tsm/protection: no personal data in the clear anywhere in the store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-protection-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Every byte of the database file (and its WAL/journal), searched for the secrets in the forms they could take. */
  function scan(path: string): string[] {
    const files = [path, `${path}-wal`, `${path}-journal`].filter((f) => existsSync(f)).map((f) => readFileSync(f));
    const found: string[] = [];
    for (const secret of [PAN, PERSO]) {
      const forms = [Buffer.from(secret), Buffer.from(toHex(enc(secret))), Buffer.from(toHex(enc(secret)).toLowerCase()), Buffer.from(secret, 'utf16le'), Buffer.from(Buffer.from(secret).toString('base64').slice(0, 16))];
      for (const file of files) for (const form of forms) if (file.includes(form)) found.push(`${secret.slice(0, 4)}… as ${form.toString('latin1').slice(0, 12)}…`);
    }
    return found;
  }

  it('jobs with sensitive payloads, sealed fields and keyed indexes, on one SQLite file with the HSM\'s key records and audit events', async () => {
    const path = join(dir, 'tsm.db');
    const db = await openDatabase(path);
    let closed = false;
    try {
      await migrateToLatest(db);
      const hsm = new SoftwareHsm({
        lmk: generateLmk(), store: keyRecordStore(db, narrowKeyAttributes), scrypt: { N: 1024, r: 8, p: 1 },
        audit: { record: async (event) => void (await appendAuditEvent(db, event)) },
      });
      const protection = new RecordProtection(hsm);
      const cipher = new HsmPayloadCipher(hsm, { protection });
      const seen: string[] = [];
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const kind = defineJobKind('perso', [{ name: 'personalize', run: async (ctx) => { seen.push(new TextDecoder().decode(await ctx.payload())); await gate; return 'done'; } }]);
      const engine = new JobEngine({ db, kinds: [kind], cipher, pollIntervalMs: 0 });
      const job = await engine.submit({ tenant: 'bank-a', seId: 'se-1', kind: 'perso', params: { service: 'visa' }, payload: { data: enc(`${PAN}|${PERSO}`), sensitive: true } }, { idempotencyKey: 'perso-1' });
      const ctx = { tenant: 'bank-a', actor: 'test' };
      const recordKey = await protection.createRecordKey(ctx, 'instance 1');
      const sealedPan = await protection.sealField(ctx, recordKey, enc(PAN), 'instance/1/pan');
      const index = await protection.keyedIndex(ctx, PAN);
      // mid-job: the payload is sealed in the jobs row, the step is waiting with the clear value in memory only
      await engine.resume();
      while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(seen, [`${PAN}|${PERSO}`]);
      assert.deepEqual(await protection.openField(ctx, recordKey, sealedPan, 'instance/1/pan'), enc(PAN));
      assert.match(index, /^[0-9A-F]{64}$/i);
      assert.deepEqual(scan(path), [], 'no secret while the job runs');
      // the scan reads what the store wrote: the record key's id (key_records) and the sealed field's body are in the files
      const written = Buffer.concat([path, `${path}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
      assert.ok(written.includes(Buffer.from(recordKey)), 'the scan sees the key records');
      const sealedPayload = Buffer.from((await getJob(db, job.id))!.payload!);
      assert.ok(written.includes(sealedPayload.subarray(sealedPayload.length - 24)), 'the scan sees the sealed payload');
      release();
      await engine.idle();
      assert.equal((await engine.get(job.id, 'bank-a')).state, 'succeeded');
      await engine.close();
      hsm.close();
      await closeDatabase(db);
      closed = true;
      assert.ok(readFileSync(path).length > 0);
      assert.deepEqual(scan(path), [], 'no secret after the job ended');
    } finally {
      if (!closed) await closeDatabase(db);
    }
  });
});
