/**
 * `opentsm demo`: the whole chain on a handful of phones — every card deployed, every tap approved
 * with fDDA verified, every wallet reading its card through OMAPI, a PIN changed through the TEE —
 * and nothing printed carries a PAN.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './cli-helpers.ts';

describe('opentsm demo', () => {
  it('deploys a payment card to each phone and every tap is approved', { timeout: 120_000 }, async () => {
    const r = await runCli(['demo', '--phones', '6', '--concurrency', '3', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual([summary['phones'], summary['deployed'], summary['failed'], summary['approved'], summary['fddaVerified'], summary['declined']], [6, 6, 0, 6, 6, 0]);
    assert.match(r.stderr, /key ceremony/);
    assert.match(r.stderr, /deploying payment cards: 6\/6/);
    assert.match(r.stderr, /wallet agents connected to the relay/);
    assert.match(String(summary['lostStolen']), /reported lost \(22\): tap (error|declined); recovered \(121\): tap approved/, 'a lost SE is locked, a recovered one unlocked');
    assert.match(String(summary['wallets']), /^6 of 6 show their card active .*an app of another signer: no-access$/, 'the bank\'s wallet reads every card through OMAPI; a foreign app is refused');
    assert.match(String(summary['pinChange']), /PIN CHANGE script \(delivered at the next tap\); VERIFY with the new PIN: 9000/, 'the PIN changed through the TEE reaches the card');
    assert.doesNotMatch(`${r.stdout}${r.stderr}`, /476173\d{10}/, 'no PAN in the output');
  });

  it('refuses a bad phone count with a usage error', async () => {
    const r = await runCli(['demo', '--phones', '0']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--phones/);
  });
});
