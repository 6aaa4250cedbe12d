/**
 * End to end, the phone side (issue 8): the TSM's job world deploys a payment card to a phone's SE
 * with the ARA-M rule naming the SP's wallet (the service's walletCertHash = the wallet identity's
 * certificate hash); on the phone, the Open Mobile API with the ARA-M enforcer over the eSE terminal.
 * The SP's wallet opens a channel and reads the card; a foreign app gets a security error; a tap at
 * a POS terminal shows up in the wallet (transaction and ATC); the SP suspends the service → the GP-
 * locked applet answers SELECT 6A82, OMAPI says no such element and the wallet shows 'suspended';
 * resume → active; terminate → the rule is gone, the wallet gets a security error ('no-access').
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { commandApdu, encodeCommand, parseResponse } from '../../src/apdu/index.ts';
import { toHex } from '../../src/bytes/index.ts';
import { AraEnforcer, DeviceError } from '../../src/device/index.ts';
import { virtualSeTerminal, type SeTerminal } from '../../src/device/terminal.ts';
import { SEService } from '../../src/device/omapi/se-service.ts';
import { SigningIdentity } from '../../src/device/wallet/signing-identity.ts';
import { WalletApp } from '../../src/device/wallet/wallet-app.ts';
import { readAccessRules, openIsd } from '../../src/tsm/provisioning/card/index.ts';
import { visaCard, VISA_STYLE_AID } from '../tsm/provisioning/card/fixture.ts';
import { jobsWorld, SERVICE_ID, type JobsWorld } from '../tsm/provisioning/jobs-fixture.ts';

const AID = VISA_STYLE_AID;
const WALLET = SigningIdentity.create({ packageName: 'com.opentsm.bank.wallet' });
const FOREIGN = SigningIdentity.create({ packageName: 'com.example.other' });

const isCode = (code: DeviceError['code']) => (e: unknown): boolean => e instanceof DeviceError && e.code === code;

describe('phone side end to end: TSM deploy → OMAPI + ARA-M enforcer → wallet', { timeout: 300_000 }, () => {
  let w: JobsWorld;
  let terminal: SeTerminal;
  let enforcer: AraEnforcer;
  let instanceId: string;
  const sp = (): string => w.cw.spCtx.tenant;

  /** One app's OMAPI service on this phone (the platform's enforcer and terminal are shared by every app). */
  async function omapiFor(identity: SigningIdentity): Promise<SEService> {
    const service = new SEService({ terminals: [terminal], enforcer, app: identity.deviceApp() });
    await service.connected;
    return service;
  }

  /** A raw OMAPI attempt to open a logical channel to the payment applet; the channel is closed again. */
  async function openChannel(identity: SigningIdentity): Promise<Uint8Array | null> {
    const service = await omapiFor(identity);
    try {
      const session = await service.getReaders()[0]!.openSession();
      const channel = await session.openLogicalChannel(AID);
      const select = channel?.getSelectResponse() ?? null;
      await channel?.close();
      return select;
    } finally {
      await service.shutdown();
    }
  }

  /** The ARA-M's rules on the phone's SE as [AID, certificate hash] (read by the MNO through the ISD). */
  async function rulesOnCard(): Promise<string[][]> {
    const phone = w.cw.phones[0]!;
    const isd = await openIsd(w.cw.world.t.hsm, w.cw.mnoCtx, phone.transport, phone.record);
    try {
      return (await readAccessRules(isd, phone.record.araAid!)).map((r) => [r.aid === undefined ? 'default' : toHex(r.aid), toHex(r.certHash)]);
    } finally {
      isd.close();
    }
  }

  async function settle(op: Promise<{ job: { id: string } }>): Promise<void> {
    const done = await w.settle((await op).job.id);
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
  }

  before(async () => {
    w = await jobsWorld(1);
    // the SP declared its wallet's signing certificate in the service
    Object.assign(w.service, { walletCertHash: WALLET.certificateHashHex() });
    terminal = virtualSeTerminal('eSE1', w.cw.phones[0]!.se);
    enforcer = new AraEnforcer();
  });
  after(() => w.close());

  it('the TSM deploys the card; its ARA-M rule names the wallet\'s certificate hash', async () => {
    const { instance, job } = await w.provisioning.deploy(sp(), { serviceId: SERVICE_ID, seId: 'se-0', card: visaCard(w.cw.world) }, { idempotencyKey: 'phone-deploy' });
    assert.equal((await w.settle(job.id)).state, 'succeeded');
    instanceId = instance.instanceId;
    assert.equal((await w.provisioning.instance(sp(), instanceId)).state, 'active');
    assert.deepEqual(await rulesOnCard(), [[toHex(AID), WALLET.certificateHashHex()]]);
  });

  it('the SP\'s wallet opens a channel and reads the card: active, ATC 0, no transactions', async () => {
    const select = await openChannel(WALLET);
    assert.ok(select !== null && select.length > 2);
    assert.equal((select.at(-2)! << 8) | select.at(-1)!, 0x9000);
    const wallet = new WalletApp({ identity: WALLET, seService: await omapiFor(WALLET), paymentAid: AID });
    assert.deepEqual(await wallet.cardView(), { state: 'active', atc: 0, lastTransactions: [] });
  });

  it('a foreign app gets ERR_DEVICE_SECURITY (and its wallet view is no-access)', async () => {
    await assert.rejects(openChannel(FOREIGN), isCode('ERR_DEVICE_SECURITY'));
    const foreign = new WalletApp({ identity: FOREIGN, seService: await omapiFor(FOREIGN), paymentAid: AID });
    assert.deepEqual(await foreign.cardView(), { state: 'no-access', lastTransactions: [] });
  });

  it('a tap at a POS terminal: the wallet shows the transaction and the new ATC', async () => {
    const outcome = await w.cw.world.terminal.transact(w.cw.phones[0]!.transport, { amount: 2599, currency: 978, country: 250, date: '261127' });
    assert.equal(outcome.kind, 'approved', JSON.stringify(outcome));
    // the phone leaves the terminal's field: the contactless session ends (the virtual SE has one
    // interface, so until then the non-multiselectable applet stays selected on the basic channel)
    w.cw.phones[0]!.se.reset();
    const wallet = new WalletApp({ identity: WALLET, seService: await omapiFor(WALLET), paymentAid: AID });
    assert.deepEqual(await wallet.cardView(), {
      state: 'active', atc: 1,
      lastTransactions: [{ atc: 1, amount: 2599, currency: '978', date: '2026-11-27', type: 0, cryptogram: 'ARQC' }],
    });
  });

  it('the SP suspends: SELECT answers 6A82 (GP locked), OMAPI no such element, the wallet shows suspended; resume → active', async () => {
    const wallet = new WalletApp({ identity: WALLET, seService: await omapiFor(WALLET), paymentAid: AID });
    assert.equal((await wallet.cardView()).state, 'active');
    await settle(w.provisioning.suspendOrResume(sp(), instanceId, 'suspend', { idempotencyKey: 'phone-suspend' }));
    const select = parseResponse(await terminal.transmit(encodeCommand(commandApdu({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: AID, ne: 256 }))));
    assert.equal(select.sw, 0x6a82, 'GPC 2.3.1 §11.1.2: a locked application is not selectable');
    await assert.rejects(openChannel(WALLET), isCode('ERR_DEVICE_NO_SUCH_ELEMENT'));
    assert.deepEqual(await wallet.cardView(), { state: 'suspended', lastTransactions: [] });
    await settle(w.provisioning.suspendOrResume(sp(), instanceId, 'resume', { idempotencyKey: 'phone-resume' }));
    const view = await wallet.cardView();
    assert.equal(view.state, 'active');
    assert.equal(view.atc, 1);
    assert.equal(view.lastTransactions.length, 1);
  });

  it('the SP terminates: the rule is gone, the wallet gets ERR_DEVICE_SECURITY and shows no-access', async () => {
    const wallet = new WalletApp({ identity: WALLET, seService: await omapiFor(WALLET), paymentAid: AID });
    await wallet.cardView();
    await settle(w.provisioning.terminate(sp(), instanceId, { idempotencyKey: 'phone-terminate' }));
    assert.equal((await w.provisioning.instance(sp(), instanceId)).state, 'terminated');
    assert.deepEqual(await rulesOnCard(), [], 'the deploy\'s rule is deleted');
    await assert.rejects(openChannel(WALLET), isCode('ERR_DEVICE_SECURITY'));
    assert.deepEqual(await wallet.cardView(), { state: 'no-access', lastTransactions: [] });
  });
});
