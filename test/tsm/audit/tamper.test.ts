/**
 * The chain against an attacker with write access to the database (docs/audit.md §1): a clean log
 * of a few hundred mixed records verifies; then each tampering, done with raw SQL, is found with
 * the right reason at the right record — an edited field, a deleted middle record, the newest
 * records deleted (and the gap refilled by new appends), two records swapped, the whole chain
 * recomputed under another key, a forged record inserted at the end or in the middle, a record
 * re-MACed under another HSM key.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { readAuditChain } from '../../../src/store/index.ts';
import { genesisMac, openAuditLog, recordMacInput, verifyAuditLog, type AuditVerification } from '../../../src/tsm/audit/index.ts';
import { attacker, auditFixture, writeMixed, type AuditFixture } from './fixtures.ts';

const N = 300;
let f: AuditFixture;
/** The seq the checkpoint names (its own signing is the record after it). */
let signed: number;

beforeEach(async () => {
  f = await auditFixture();
  await writeMixed(f, N);
  signed = (await f.checkpoint()).checkpoint.seq;
});
afterEach(() => f.close());

function verify(): Promise<AuditVerification> {
  return verifyAuditLog(f.db, f.hsm, f.checkpoints, { batchSize: 64 });
}

/** Asserts exactly one finding (besides none of the checkpoints), with its reason and seq. */
function assertFound(result: AuditVerification, reason: string, seq: number): void {
  assert.equal(result.ok, false);
  const [first] = result.findings;
  assert.equal(first?.reason, reason, JSON.stringify(result.findings));
  assert.equal(first?.seq, seq, first?.message);
  assert.match(first.message, new RegExp(`record ${seq}\\b`));
  assert.equal(result.findings.length, 1, JSON.stringify(result.findings));
}

describe('audit chain: tampering by a database writer', () => {
  it('a clean log of mixed records verifies, checkpoint included, and reports progress', async () => {
    const progress: number[] = [];
    const records = await readAuditChain(f.db, f.log.logId, 0, 1000);
    assert.deepEqual([...new Set(records.map((r) => r.kind))].sort(), ['admin', 'api-call', 'job-step', 'key-operation', 'notification']);
    const keyOps = records.filter((r) => r.kind === 'key-operation');
    // the HSM's events before the log was bound (custodians, the audit keys' creation) come first, in order
    assert.deepEqual(keyOps.slice(0, 3).map((r) => r.action), ['registerCustodian', 'registerCustodian', 'registerCustodian']);
    for (const action of ['generateKey', 'generateKeyPair', 'generateMac', 'sign']) assert.ok(keyOps.some((r) => r.action === action), action);
    assert.ok(!keyOps.some((r) => r.subjects.includes(f.keys.macKey) && r.action === 'generateMac'), 'the chain\'s own MACs are not chained');
    const result = await verifyAuditLog(f.db, f.hsm, f.checkpoints, { batchSize: 64, onProgress: (p) => progress.push(p.checked) });
    assert.deepEqual(result.findings, []);
    assert.equal(result.ok, true);
    assert.ok(result.verified >= N, `${result.verified}`);
    assert.equal(result.checkpoints.valid, 1);
    assert.ok(result.checkpoints.latest!.seq >= N);
    assert.ok(progress.length >= Math.floor(N / 64), 'one progress call per batch');
    assert.deepEqual(result.notices, []);
  });

  it('an edited field of one record: edited, at that record', async () => {
    await attacker(f.db, sql`update audit_chain set actor = 'mallory' where seq = 137`);
    assertFound(await verify(), 'edited', 137);
  });

  it('an edited detail or result: edited', async () => {
    await attacker(f.db, sql`update audit_chain set detail = '{"note":"nothing happened"}' where seq = 12`);
    assertFound(await verify(), 'edited', 12);
    await attacker(f.db, sql`update audit_chain set result = 'refused' where seq = 1`);
    assertFound(await verify(), 'edited', 1);
  });

  it('a deleted middle record: removed, naming the missing seq', async () => {
    await attacker(f.db, sql`delete from audit_chain where seq = 150`);
    assertFound(await verify(), 'removed', 150);
  });

  it('the newest records deleted: truncated, at the first missing seq (the checkpoint names more)', async () => {
    const end = signed;
    await attacker(f.db, sql`delete from audit_chain where seq > ${end - 5}`);
    const result = await verify();
    assertFound(result, 'truncated', end - 4);
    assert.match(result.findings[0]!.message, new RegExp(`names record ${end}, the log ends at ${end - 5}`));
  });

  it('the newest records deleted and the seqs refilled by new, validly MACed appends: truncated at the checkpoint', async () => {
    const end = signed;
    const fresh = await openAuditLog(f.db, f.hsm, { setup: false }); // a restarted service: reads the head at its first append
    await attacker(f.db, sql`delete from audit_chain where seq > ${end - 5}`);
    for (let i = 0; i < 10; i++) await fresh.append({ tenant: 'bank-a', actor: 'system', kind: 'admin', action: 'noop', result: 'ok' });
    const result = await verify();
    assertFound(result, 'truncated', end);
    assert.match(result.findings[0]!.message, /differs from the record there now/);
  });

  it('two records swapped: reordered, at the first of them', async () => {
    await attacker(f.db, sql`update audit_chain set seq = -1 where seq = 50`);
    await attacker(f.db, sql`update audit_chain set seq = 50 where seq = 60`);
    await attacker(f.db, sql`update audit_chain set seq = 60 where seq = -1`);
    assertFound(await verify(), 'reordered', 50);
  });

  it('the whole chain recomputed under another key (from the genesis): edited, at record 1', async () => {
    const wrongKey = randomBytes(32);
    let prev = genesisMac(f.log.logId);
    for (const r of await readAuditChain(f.db, f.log.logId, 0, 10_000)) {
      const mac = new Uint8Array(createHmac('sha256', wrongKey).update(recordMacInput(r, prev)).digest());
      await attacker(f.db, sql`update audit_chain set prev_mac = ${prev}, mac = ${mac} where seq = ${r.seq}`);
      prev = mac;
    }
    assertFound(await verify(), 'edited', 1);
  });

  it('a forged record appended at the end: edited, at its seq', async () => {
    const head = await f.log.head();
    const [last] = await readAuditChain(f.db, f.log.logId, head.seq - 1, 1);
    await attacker(f.db, sql`insert into audit_chain (log_id, seq, at, tenant, actor, kind, action, request_id, subjects, result, detail, mac_key, prev_mac, mac)
      values (${f.log.logId}, ${head.seq + 1}, ${last!.at}, 'bank-a', 'cl_x', 'admin', 'clientAdd', null, '[]', 'ok', '{}', ${f.keys.macKey}, ${head.mac}, ${randomBytes(32)})`);
    assertFound(await verify(), 'edited', head.seq + 1);
  });

  it('a forged record inserted in the middle, later seqs shifted up: edited, at the inserted seq', async () => {
    const [r69] = await readAuditChain(f.db, f.log.logId, 68, 1);
    await attacker(f.db, sql`update audit_chain set seq = seq + 1000000 where seq >= 70`);
    await attacker(f.db, sql`update audit_chain set seq = seq - 999999 where seq >= 1000000`);
    await attacker(f.db, sql`insert into audit_chain (log_id, seq, at, tenant, actor, kind, action, request_id, subjects, result, detail, mac_key, prev_mac, mac)
      values (${f.log.logId}, 70, ${r69!.at}, 'bank-a', 'cl_x', 'admin', 'clientAdd', null, '[]', 'ok', '{}', ${f.keys.macKey}, ${r69!.mac}, ${randomBytes(32)})`);
    assertFound(await verify(), 'edited', 70);
  });

  it('a record re-MACed under another HSM key of the operator: edited (not the audit MAC key)', async () => {
    const other = await f.hsm.generateKey({ usage: 'M7', algorithm: 'H', modeOfUse: 'C', exportability: 'N', length: 32, owner: 'operator', label: 'something else' }, { tenant: 'operator', actor: 'mallory' });
    const [r] = await readAuditChain(f.db, f.log.logId, 41, 1);
    const edited = { ...r!, actor: 'mallory' };
    const mac = await f.hsm.generateMac(other.id, recordMacInput(edited, edited.prevMac), 'hmac-sha256', { tenant: 'operator', actor: 'mallory' });
    await attacker(f.db, sql`update audit_chain set actor = 'mallory', mac_key = ${other.id}, mac = ${mac} where seq = 42`);
    const result = await verify();
    assertFound(result, 'edited', 42);
    assert.match(result.findings[0]!.message, /not the audit MAC key/);
  });

  it('the checkpoint directory emptied: the log verifies, with a notice that truncation is undetectable', async () => {
    const result = await verifyAuditLog(f.db, f.hsm, [], {});
    assert.equal(result.ok, true);
    assert.match(result.notices[0] ?? '', /no valid checkpoint/);
  });
});
