/**
 * ScriptDialog, the server's side of one SCP81 dialog: scripts in order via Next-URI, each report
 * recorded once, resume re-sends the first unreported script, reports at the wrong place refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { agentPost, OtaError, ScriptDialog, type ScriptStatus } from '../../src/ota/index.ts';
import { responseFor, SCRIPTS } from './scp81-helpers.ts';

const admin = (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_ADMIN';
const open = (resume = false) => agentPost({ uri: '/scp81', from: 'agent', resume, report: undefined });
const report = (i: number, resume = false, status: ScriptStatus = 'ok') =>
  agentPost({ uri: `/scp81/s/x/${i}`, from: 'agent', resume, report: { status, body: responseFor(SCRIPTS[i] ?? SCRIPTS[0]!) } });
const summary = (a: { script: Uint8Array | undefined; nextUri: string | undefined }) => [a.script && toHex(a.script), a.nextUri];

describe('ScriptDialog', () => {
  it('hands out the scripts in order and ends with 204 after the last report', () => {
    const d = new ScriptDialog({ base: '/scp81/s/x', scripts: SCRIPTS });
    assert.deepEqual(summary(d.answer(open())), [toHex(SCRIPTS[0]!), '/scp81/s/x/0']);
    assert.deepEqual(summary(d.answer(report(0))), [toHex(SCRIPTS[1]!), '/scp81/s/x/1']);
    assert.equal(d.state, 'open');
    assert.deepEqual(summary(d.answer(report(1))), [undefined, undefined]);
    assert.equal(d.state, 'done');
    assert.deepEqual(d.reports.map((r) => r?.status), ['ok', 'ok']);
  });

  it('sends the targeted application with every script', () => {
    const d = new ScriptDialog({ base: '/b', scripts: SCRIPTS, targetedApplication: fromHex('A0000001515350') });
    assert.equal(toHex(d.answer(open()).targetedApplication!), 'A0000001515350');
  });

  it('on resume, keeps the first report and re-sends the first unreported script', () => {
    const d = new ScriptDialog({ base: '/scp81/s/x', scripts: SCRIPTS });
    d.answer(open());
    d.answer(report(0)); // answer lost on the way to the card
    const again = d.answer(report(0, true));
    assert.deepEqual(summary(again), [toHex(SCRIPTS[1]!), '/scp81/s/x/1']);
    assert.equal(d.resumes, 1);
    // Re-opening the dialog (resume or a new trigger) also continues where it stands.
    assert.deepEqual(summary(d.answer(open(true))), [toHex(SCRIPTS[1]!), '/scp81/s/x/1']);
    assert.deepEqual(summary(d.answer(report(1))), [undefined, undefined]);
  });

  it('refuses a repeated report without resume, a report before its script, and foreign URIs', () => {
    const d = new ScriptDialog({ base: '/scp81/s/x', scripts: SCRIPTS });
    assert.throws(() => d.answer(report(0)), admin);
    d.answer(open());
    d.answer(report(0));
    assert.throws(() => d.answer(report(0)), admin);
    for (const uri of ['/scp81/s/x/2', '/scp81/s/x/01', '/scp81/s/x/-1', '/scp81/s/x', '/scp81/s/y/0', '/scp81/s/x/0/0']) {
      assert.throws(() => d.answer(agentPost({ uri, from: 'a', resume: false, report: { status: 'ok', body: fromHex('AF00') } })), admin, uri);
    }
    assert.equal(d.reports[1], undefined);
  });

  it('stops after a report that is not ok', () => {
    const d = new ScriptDialog({ base: '/b', scripts: SCRIPTS });
    d.answer(open());
    assert.deepEqual(summary(d.answer(agentPost({ uri: '/b/0', from: 'a', resume: false, report: { status: 'not-a-security-domain', body: new Uint8Array(0) } }))), [undefined, undefined]);
    assert.equal(d.state, 'failed');
    assert.deepEqual(summary(d.answer(open(true))), [undefined, undefined]);
  });

  it('keeps its own copy of the scripts and refuses a bad configuration', () => {
    const script = fromHex('AE80220580CAFF21000000');
    const d = new ScriptDialog({ base: '/b', scripts: [script] });
    script.fill(0);
    assert.equal(toHex(d.answer(open()).script!), 'AE80220580CAFF21000000');
    const param = (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_PARAM';
    assert.throws(() => new ScriptDialog({ base: '/b', scripts: [] }), param);
    assert.throws(() => new ScriptDialog({ base: '/b', scripts: [new Uint8Array(0)] }), param);
    assert.throws(() => new ScriptDialog({ base: 'b', scripts: SCRIPTS }), param);
    assert.throws(() => new ScriptDialog({ base: '/b?x=1', scripts: SCRIPTS }), param);
    assert.ok(d.owns('/b/0') && d.owns('/b') && !d.owns('/bb/0'));
  });
});
