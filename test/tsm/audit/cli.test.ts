/**
 * `opentsm audit` on a real data directory: `hsm init`, `audit checkpoint` (creating the audit keys
 * and log), records appended as the service would, a clean `audit verify`; then the database edited
 * behind the log's back — verify exits non-zero and names the record, in text and in JSON; a
 * tampered checkpoint file is named too. And the help has examples.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { withAuditSession } from '../../../src/cli/audit/session.ts';
import type { Output } from '../../../src/cli/gp/output.ts';
import { closeDatabase, openDatabase } from '../../../src/store/index.ts';
import { openAuditLog } from '../../../src/tsm/audit/index.ts';
import { runCli } from '../../cli/cli-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'opentsm-audit-cli-'));
const checkpoints = join(dir, 'elsewhere');
const quiet: Output = { out: () => undefined, err: () => undefined, status: () => undefined, interactive: false };
after(() => rmSync(dir, { recursive: true, force: true }));

async function tamper(statement: ReturnType<typeof sql>): Promise<void> {
  const db = await openDatabase(join(dir, 'opentsm.db'));
  try {
    await statement.execute(db);
  } finally {
    await closeDatabase(db);
  }
}

describe('opentsm audit', () => {
  before(async () => {
    const init = await runCli(['hsm', 'init', '--data-dir', dir]);
    assert.equal(init.code, 0, init.stderr);
    const first = await runCli(['audit', 'checkpoint', '--data-dir', dir, '--checkpoints', checkpoints]);
    assert.equal(first.code, 0, first.stderr);
    await withAuditSession({ dataDir: dir, checkpoints }, quiet, 'write', async (s) => {
      const log = await openAuditLog(s.db, s.hsm, { setup: false });
      await s.sink?.bind(log);
      for (let i = 0; i < 30; i++) await log.append({ tenant: 'bank-a', actor: 'cl_1', kind: 'api-call', action: 'getServiceInstance', subjects: [`inst_${i}`], result: '200' });
    });
    const second = await runCli(['audit', 'checkpoint', '--data-dir', dir, '--checkpoints', checkpoints, '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.ok((JSON.parse(second.stdout) as { seq: number }).seq > 30);
  });

  it('verifies a clean log: exit 0, a summary on stdout, progress on stderr', async () => {
    const r = await runCli(['audit', 'verify', '--data-dir', dir, '--checkpoints', checkpoints]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /record\(s\) verified; 2 of 2 checkpoint file\(s\) valid, the latest at record \d+/);
    assert.match(r.stderr, /verified \d+ of \d+ records/);
  });

  it('without the checkpoints, says truncation cannot be seen', async () => {
    const r = await runCli(['audit', 'verify', '--data-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /note: no valid checkpoint/);
  });

  it('an edited record: exit 1, the record named, what to do; --json names it too', async () => {
    const db = await openDatabase(join(dir, 'opentsm.db'));
    const { rows } = await sql<{ result: string }>`select result from audit_chain where seq = 20`.execute(db);
    await closeDatabase(db);
    const original = rows[0]!.result;
    await tamper(sql`update audit_chain set result = 'tampered' where seq = 20`);
    const r = await runCli(['audit', 'verify', '--data-dir', dir, '--checkpoints', checkpoints]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FOUND \(edited\): audit log log_[0-9a-f-]+: record 20 was edited or forged: its MAC does not verify/);
    assert.match(r.stderr, /what to do: restore the log from a backup/);
    assert.match(r.stderr, /the first at record 20 \(edited\); see above \[ERR_TSM_AUDIT_TAMPERED\]/);
    const j = await runCli(['audit', 'verify', '--data-dir', dir, '--checkpoints', checkpoints, '--json']);
    assert.equal(j.code, 1);
    const json = JSON.parse(j.stdout) as { ok: boolean; findings: { reason: string; seq: number }[] };
    assert.equal(json.ok, false);
    assert.deepEqual(json.findings.map((x) => [x.reason, x.seq]), [['edited', 20]]);
    await tamper(sql`update audit_chain set result = ${original} where seq = 20`);
  });

  it('deleted newest records: truncated; a tampered checkpoint file: named', async () => {
    const clean = await runCli(['audit', 'verify', '--data-dir', dir, '--checkpoints', checkpoints]);
    assert.equal(clean.code, 0, clean.stderr);
    await tamper(sql`delete from audit_chain where seq > 25`);
    const r = await runCli(['audit', 'verify', '--data-dir', dir, '--checkpoints', checkpoints]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FOUND \(truncated\): .*truncated at record 26/);
    const file = readdirSync(checkpoints).sort()[0]!;
    const json = JSON.parse(readFileSync(join(checkpoints, file), 'utf8')) as { seq: number };
    writeFileSync(join(checkpoints, file), JSON.stringify({ ...json, seq: json.seq + 1 }));
    const c = await runCli(['audit', 'verify', '--data-dir', dir, '--checkpoints', checkpoints]);
    assert.equal(c.code, 1);
    assert.match(c.stderr, new RegExp(`FOUND \\(checkpoint-signature\\): checkpoint ${file.replace(/\./g, '\\.')}: its signature does not verify`));
  });

  it('--help explains and gives examples; a missing data directory is a usage error', async () => {
    const help = await runCli(['audit', '--help']);
    assert.match(help.stdout, /OUTSIDE the database/);
    assert.match(help.stdout, /opentsm audit verify --data-dir/);
    const verifyHelp = await runCli(['audit', 'verify', '--help']);
    assert.match(verifyHelp.stdout, /--checkpoints <dir>/);
    const saved = process.env.OPENTSM_DATA_DIR;
    delete process.env.OPENTSM_DATA_DIR;
    const r = await runCli(['audit', 'verify']).finally(() => {
      if (saved !== undefined) process.env.OPENTSM_DATA_DIR = saved;
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--data-dir: required/);
  });
});
