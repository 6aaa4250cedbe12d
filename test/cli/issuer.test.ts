/**
 * `opentsm issuer`: register a card and verify the published pyemv transaction through the CLI on a
 * data directory, then the replay is declined; output never carries the PAN.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { CVN_PROFILES, buildIad } from '../../src/emv/index.ts';
import { HsmSession } from '../../src/cli/hsm/context.ts';
import { processOutput } from '../../src/cli/gp/output.ts';
import { EMV_CHAINS } from '../helpers/emv-chains.ts';
import { byName, loadCaptured } from '../emv/captured.ts';
import { runCli } from './cli-helpers.ts';
import { splitKey } from '../hsm/conformance/fixture.ts';

const CHAIN = EMV_CHAINS.find((c) => c.profile === 'mastercard-17')!;
const ALICE = { custodian: 'alice', passphrase: 'alice: correct horse battery' };
const BOB = { custodian: 'bob', passphrase: 'bob: staple of the realm' };

describe('opentsm issuer', () => {
  it('registers a card, approves its published ARQC once, declines the replay; never prints the PAN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opentsm-issuer-'));
    try {
      const D = ['--data-dir', join(dir, 'd'), '--tenant', 'bank-a'];
      assert.equal((await runCli(['hsm', 'init', '--data-dir', join(dir, 'd')])).code, 0);
      // The issuer master keys of the published test, entered as two custodians' components.
      const session = await HsmSession.open({ dataDir: join(dir, 'd'), tenant: 'bank-a' }, processOutput());
      try {
        await session.hsm.registerCustodian(ALICE, undefined, session.ctx);
        await session.hsm.registerCustodian(BOB, ALICE, session.ctx);
        const t = { custodians: [ALICE, BOB] } as unknown as Parameters<typeof splitKey>[0];
        for (const [usage, label, hex] of [['E0', 'IMK-AC', CHAIN.imk.ac], ['E2', 'IMK-SMI', CHAIN.imk.smi], ['E1', 'IMK-SMC', CHAIN.imk.smc]] as const) {
          await session.hsm.importComponents({ usage, algorithm: 'T', modeOfUse: 'X', exportability: 'N', length: 16, owner: 'bank-a', label }, splitKey(t, 'T', fromHex(hex)), session.ctx);
        }
      } finally {
        await session.close();
      }
      const card = join(dir, 'card.json');
      writeFileSync(card, JSON.stringify({ pan: CHAIN.pan, psn: CHAIN.psn, profile: CHAIN.profile, imkAc: 'IMK-AC', imkSmi: 'IMK-SMI', imkSmc: 'IMK-SMC' }));
      const reg = await runCli(['issuer', 'register', card, ...D, '--json']);
      assert.equal(reg.code, 0, reg.stderr);
      const id = (JSON.parse(reg.stdout) as { card: string }).card;
      assert.match(id, /^card_/);
      const { CVR, COUNTERS, ...tags } = CHAIN.acElements;
      const data: Record<string, string> = { ...tags, '9F10': toHex(buildIad(CVN_PROFILES[CHAIN.profile], { dki: 1, cvr: fromHex(CVR!), counters: fromHex(COUNTERS!) })) };
      const request = join(dir, 'request.json');
      const arqc = byName(loadCaptured('emv/arqc.json'), CHAIN.steps.arqc).expected;
      writeFileSync(request, JSON.stringify({ pan: CHAIN.pan, psn: CHAIN.psn, cryptogram: arqc, cid: '80', data }));
      const first = await runCli(['issuer', 'verify', request, ...D, '--json']);
      assert.equal(first.code, 0, first.stderr);
      const r1 = JSON.parse(first.stdout) as { decision: string; responseCode: string; tag91: string };
      assert.deepEqual([r1.decision, r1.responseCode, r1.tag91.length], ['approved', '00', 20]);
      const again = await runCli(['issuer', 'verify', request, ...D]);
      assert.match(again.stdout, /decision\s+declined/);
      assert.match(again.stdout, /reason\s+atc-replayed/);
      const state = await runCli(['issuer', 'card', id, ...D, '--json']);
      assert.deepEqual(JSON.parse(state.stdout), { card: id, status: 'active', lastAtc: 0x1c, pendingScripts: 0 });
      const blocked = await runCli(['issuer', 'script', id, 'application-block', ...D, '--json']);
      assert.equal((JSON.parse(blocked.stdout) as { status: string }).status, 'blocked');
      const bad = await runCli(['issuer', 'script', id, 'format-card', ...D]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /application-block/);
      for (const r of [reg, first, again, state, blocked, bad]) assert.ok(!`${r.stdout}${r.stderr}`.includes(CHAIN.pan), 'no PAN in output');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
