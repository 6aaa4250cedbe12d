/**
 * The demo world over the air (`startDemoWorld(db, { bearer })`, `opentsm demo --bearer`): UICC
 * phones registered from the factory key file with their OTA keys, PSK and MSISDN; with `sms` the
 * TSM reaches each card only by a secured trigger SMS through the SMSC simulator and the SCP81
 * session the card then opens; with `scp81` only by the sessions the cards open by polling, no SMS.
 * Each card is deployed through the SP API and taps approved at a POS over the phone's contactless
 * interface; no relay agent exists. Every wait is bounded.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PosTerminal, caKeyFromSpki, deliverIssuerUpdate } from '../../src/device/index.ts';
import { closeDatabase, migrateToLatest, openDatabase, type StoreDb } from '../../src/store/index.ts';
import { DEMO_PRODUCTS } from '../../src/cli/demo/cards.ts';
import { deployPhone } from '../../src/cli/demo/run-demo.ts';
import { startDemoWorld, type DemoBearer, type DemoWorld } from '../../src/cli/demo/world.ts';
import { runCli } from './cli-helpers.ts';

const PHONES = 2;

/** A world of PHONES UICC phones over `bearer`, every card deployed: the world and what went over the air. */
async function deployAll(bearer: DemoBearer, opened: { db?: StoreDb; world?: DemoWorld }): Promise<DemoWorld> {
  const db = await openDatabase(':memory:');
  opened.db = db;
  await migrateToLatest(db);
  const world = await startDemoWorld(db, { phones: PHONES, bearer, jobConcurrency: 4 });
  opened.world = world;
  assert.equal(world.bearer, bearer);
  assert.equal(world.fleet.kind, 'uicc');
  assert.equal(world.fleet.platform, 'strict-uicc');
  assert.equal(world.agents.agents.length, 0, 'no wallet agent on the relay');
  assert.ok(world.phones.every((p) => p.relayToken === undefined && p.phone.ota?.scp81 !== undefined), 'UICCs with a PSK and no relay token');
  const jobs = await Promise.all(world.phones.map((p) => deployPhone(world, p)));
  assert.deepEqual(jobs.map((j) => j.state), Array.from({ length: PHONES }, () => 'succeeded'));
  await world.ota!.cards.idle(); // the sessions end with the server's idle 204
  return world;
}

/** Every phone taps the POS (fDDA, online authorization through the issuer API): the outcomes. */
async function tapAll(world: DemoWorld): Promise<string[]> {
  const { parties } = world;
  const caKeys = DEMO_PRODUCTS.map((p) => caKeyFromSpki(p.aid.subarray(0, 5), parties.caIndex, parties.caSpki));
  const terminal = new PosTerminal({ caKeys, supportedAids: DEMO_PRODUCTS.map((p) => p.aid), authorizer: world.authorizer });
  const kinds: string[] = [];
  for (const phone of world.phones) {
    const outcome = await terminal.transact(phone.phone.transport, { amount: 1250, currency: 978, country: 250, date: '261127' });
    if (outcome.kind === 'approved') assert.ok((await deliverIssuerUpdate(phone.phone.transport, outcome.aid, outcome.authorization)).completed);
    phone.phone.se.reset();
    kinds.push(outcome.kind);
  }
  return kinds;
}

async function closeAll(opened: { db?: StoreDb; world?: DemoWorld }): Promise<void> {
  await opened.world?.close();
  if (opened.db !== undefined) await closeDatabase(opened.db);
}

describe('demo world over the air (--bearer sms | scp81)', { timeout: 90_000 }, () => {
  const sms: { db?: StoreDb; world?: DemoWorld } = {};
  const poll: { db?: StoreDb; world?: DemoWorld } = {};
  after(async () => {
    await closeAll(sms);
    await closeAll(poll);
  });

  it('sms: every UICC deployed by a trigger SMS through the SMSC (PoR OK) and the SCP81 session it asks for; taps approved', { timeout: 45_000 }, async () => {
    const world = await deployAll('sms', sms);
    const s = world.ota!.stats();
    assert.ok(s.triggers >= PHONES, `a trigger per card at least: ${JSON.stringify(s)}`);
    assert.equal(s.porOk, s.triggers, 'every PoR OK');
    assert.equal(s.smsc?.submitted, s.triggers, 'every trigger through the SMSC');
    assert.equal(s.smsc?.replies, s.triggers, 'every PoR back through the SMSC');
    assert.equal(s.agents.requests, s.triggers, 'each trigger asked its card for a session');
    assert.ok(s.agents.working >= PHONES && s.agents.scripts >= PHONES * 40, JSON.stringify(s.agents));
    assert.deepEqual([s.agents.polls, s.agents.failed, s.agents.refused], [0, 0, 0], JSON.stringify(s.agents));
    assert.deepEqual(await tapAll(world), Array.from({ length: PHONES }, () => 'approved'));
    await closeAll(sms);
    sms.world = undefined;
    sms.db = undefined;
  });

  it('scp81: every UICC deployed through sessions the cards open by polling, no SMS; taps approved', { timeout: 45_000 }, async () => {
    const world = await deployAll('scp81', poll);
    const s = world.ota!.stats();
    assert.equal(world.ota!.smsc, undefined, 'no SMSC');
    assert.equal(s.triggers, 0, 'no trigger SMS');
    assert.equal(world.tsm.ota!.sms, undefined, 'no SMS bearer in the service');
    assert.ok(s.agents.working >= PHONES && s.agents.scripts >= PHONES * 40, JSON.stringify(s.agents));
    assert.ok(s.agents.polls >= s.agents.sessions, 'every session a poll');
    assert.equal(s.agents.requests, 0);
    assert.equal(s.agents.failed, 0, JSON.stringify(s.agents));
    assert.deepEqual(await tapAll(world), Array.from({ length: PHONES }, () => 'approved'));
  });

  it('opentsm demo refuses an unknown --bearer with a usage error naming the choices', async () => {
    const r = await runCli(['demo', '--phones', '1', '--bearer', 'carrier-pigeon']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--bearer: expected one of relay, sms, scp81, got "carrier-pigeon"/);
    const help = await runCli(['demo', '--help']);
    assert.match(help.stdout, /--bearer <bearer>/);
    assert.match(help.stdout, /sms +UICCs/);
  });
});
