/**
 * The wallet app model against a real virtual SE: the card world's phone (ARA-M, payment package),
 * the payment card deployed by the TSM's card operations with the ARA-M rule naming THIS wallet's
 * certificate hash, and on the phone the Open Mobile API with the ARA-M enforcer. Each state of
 * docs/wallet.md §2 is reached the way it happens in the field.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../../../src/bytes/index.ts';
import { AraEnforcer } from '../../../src/device/access-control/enforcer.ts';
import { DeviceError } from '../../../src/device/errors.ts';
import { deliverIssuerUpdate } from '../../../src/device/index.ts';
import { SEService } from '../../../src/device/omapi/se-service.ts';
import { virtualSeTerminal } from '../../../src/device/terminal.ts';
import { SigningIdentity } from '../../../src/device/wallet/signing-identity.ts';
import { WalletApp, type EncryptedPin, type IssuerLink, type PinEntry, type WalletSeService } from '../../../src/device/wallet/wallet-app.ts';
import { extraditeToSsd, installInstance, lockApplication, personalizePayment, unlockApplication, writeAccessRule, writePpseEntry } from '../../../src/tsm/provisioning/card/index.ts';
import { PAYMENT_LOAD_FILE_AID, PAYMENT_MODULE_AID, SSD_AID, VISA_STYLE_AID, cardWorld, handOver, visaCard, withIsd, withSsd, type CardWorld, type Phone } from '../../tsm/provisioning/card/fixture.ts';

const WALLET = SigningIdentity.create({ packageName: 'com.opentsm.bank.wallet' });
const FOREIGN = SigningIdentity.create({ packageName: 'com.example.other' });
const AID = VISA_STYLE_AID;

/** A phone-side OMAPI service for `identity` over the phone's SE, the ARA-M enforcer in front. */
async function omapi(phone: Phone, identity: SigningIdentity, enforcer = new AraEnforcer()): Promise<SEService> {
  const service = new SEService({ terminals: [virtualSeTerminal('eSE1', phone.se)], enforcer, app: identity.deviceApp() });
  await service.connected;
  return service;
}

describe('WalletApp on a real virtual SE', { timeout: 300_000 }, () => {
  let cw: CardWorld;
  let phone: Phone;
  let cardId: string;
  const card = (): ReturnType<typeof visaCard> => visaCard(cw.world);

  before(async () => {
    cw = await cardWorld(1);
    phone = cw.phones[0]!;
  });
  after(() => cw.close());

  it('a rule but no instance yet: not-installed (the wallet was not told of a deployment)', async () => {
    await withIsd(cw, phone, (isd) => writeAccessRule(isd, phone.record.araAid!, { aid: AID, certHash: WALLET.certificateHash() }));
    const wallet = new WalletApp({ identity: WALLET, seService: await omapi(phone, WALLET), paymentAid: AID });
    assert.deepEqual(await wallet.cardView(), { state: 'not-installed', lastTransactions: [] });
    assert.equal(wallet.knowsDeployed, false);
    const told = new WalletApp({ identity: WALLET, seService: await omapi(phone, WALLET), paymentAid: AID, deployed: true });
    assert.equal((await told.cardView()).state, 'suspended', 'told it exists: a missing applet reads as suspended');
  });

  it('deployed: active, ATC 0, no transactions; a foreign app gets no access', async () => {
    const { keys } = await handOver(cw, phone);
    await withSsd(cw, phone, keys, (ssd) => installInstance(ssd, { loadFileAid: PAYMENT_LOAD_FILE_AID, moduleAid: PAYMENT_MODULE_AID, aid: AID }));
    await withIsd(cw, phone, (isd) => extraditeToSsd(isd, { aid: AID, ssdAid: SSD_AID }));
    await withSsd(cw, phone, keys, (ssd) => personalizePayment(cw.world.t.hsm, cw.spCtx, ssd, { aid: AID, card: card(), issuer: cw.world.issuerKeys }));
    await withIsd(cw, phone, (isd) => writePpseEntry(isd, AID, card()));
    const k = cw.world.issuerKeys;
    cardId = await cw.world.issuer.registerCard({ pan: card().pan, psn: card().psn, profile: card().profile, imkAc: k.imkAc, imkSmi: k.imkSmi, imkSmc: k.imkSmc });
    const wallet = new WalletApp({ identity: WALLET, seService: await omapi(phone, WALLET), paymentAid: AID });
    assert.deepEqual(await wallet.cardView(), { state: 'active', atc: 0, lastTransactions: [] });
    assert.equal(wallet.knowsDeployed, true);
    const foreign = new WalletApp({ identity: FOREIGN, seService: await omapi(phone, FOREIGN), paymentAid: AID });
    assert.deepEqual(await foreign.cardView(), { state: 'no-access', lastTransactions: [] });
  });

  it('after taps: the ATC and the log, newest first, as the card recorded them', async () => {
    const first = await cw.world.terminal.transact(phone.transport, { amount: 1500, currency: 978, country: 250, date: '261127' });
    assert.equal(first.kind, 'approved');
    await cw.world.terminal.transact(phone.transport, { amount: 4250, currency: 978, country: 250, date: '261128' });
    phone.se.reset(); // the phone leaves the terminal's field
    const wallet = new WalletApp({ identity: WALLET, seService: await omapi(phone, WALLET), paymentAid: AID });
    const view = await wallet.cardView();
    assert.equal(view.state, 'active');
    assert.equal(view.atc, 2);
    assert.deepEqual(view.lastTransactions, [
      { atc: 2, amount: 4250, currency: '978', date: '2026-11-28', type: 0, cryptogram: 'ARQC' },
      { atc: 1, amount: 1500, currency: '978', date: '2026-11-27', type: 0, cryptogram: 'ARQC' },
    ]);
    const short = new WalletApp({ identity: WALLET, seService: await omapi(phone, WALLET), paymentAid: AID, maxTransactions: 1 });
    assert.equal((await short.cardView()).lastTransactions.length, 1);
  });

  it('locked by the TSM (SET STATUS): SELECT 6A82 → suspended for a wallet that knows its card; unlocked → active', async () => {
    const wallet = new WalletApp({ identity: WALLET, seService: await omapi(phone, WALLET), paymentAid: AID });
    await wallet.cardView();
    await withIsd(cw, phone, (isd) => lockApplication(isd, AID));
    assert.deepEqual(await wallet.cardView(), { state: 'suspended', lastTransactions: [] });
    const fresh = new WalletApp({ identity: WALLET, seService: await omapi(phone, WALLET), paymentAid: AID });
    assert.equal((await fresh.cardView()).state, 'not-installed', 'a wallet that never saw the card cannot tell');
    await withIsd(cw, phone, (isd) => unlockApplication(isd, AID));
    assert.equal((await wallet.cardView()).state, 'active');
  });

  it('blocked by an issuer script (APPLICATION BLOCK): SELECT 6283 → blocked, the ATC and log still read', async () => {
    await cw.world.issuer.queueScript(cardId, { kind: 'application-block' });
    const declined = await cw.world.terminal.transact(phone.transport, { amount: 100, currency: 978, country: 250, date: '261129' });
    assert.equal(declined.kind, 'declined');
    assert.ok(declined.kind === 'declined' && (await deliverIssuerUpdate(phone.transport, AID, declined.authorization)).completed);
    phone.se.reset(); // the phone leaves the terminal's field
    const wallet = new WalletApp({ identity: WALLET, seService: await omapi(phone, WALLET), paymentAid: AID });
    const view = await wallet.cardView();
    assert.equal(view.state, 'blocked');
    assert.equal(view.atc, 3);
    assert.equal(view.lastTransactions[0]?.atc, 3);
    assert.equal(view.lastTransactions[0]?.amount, 100);
  });

  it('change-PIN: the PIN entry\'s encrypted block goes to the issuer link for the card; nothing else', async () => {
    const block = fromHex('00112233445566778899AABBCCDDEEFF');
    const pinPad: PinEntry = { encryptedPinBlock: (pan) => Promise.resolve({ pinKey: `pek-for-${pan.length}`, format: 4, block }) };
    const sent: { cardId: string; pin: EncryptedPin }[] = [];
    const issuerLink: IssuerLink = { queuePinChange: (id, pin) => { sent.push({ cardId: id, pin }); return Promise.resolve({ pendingScripts: 1 }); } };
    const wallet = new WalletApp({ identity: WALLET, seService: await omapi(phone, WALLET), paymentAid: AID, pinPad, issuerLink, cardId });
    assert.deepEqual(await wallet.changePin(card().pan), { pendingScripts: 1 });
    assert.deepEqual(sent, [{ cardId, pin: { pinKey: 'pek-for-16', format: 4, block } }]);
    await assert.rejects(new WalletApp({ identity: WALLET, seService: await omapi(phone, WALLET), paymentAid: AID }).changePin(card().pan, cardId), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_ILLEGAL_STATE');
    await assert.rejects(new WalletApp({ identity: WALLET, seService: await omapi(phone, WALLET), paymentAid: AID, pinPad, issuerLink }).changePin(card().pan), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_PARAM');
    const badPad: PinEntry = { encryptedPinBlock: () => Promise.resolve({ pinKey: 'k', format: 4, block: new Uint8Array(8) }) };
    await assert.rejects(new WalletApp({ identity: WALLET, seService: await omapi(phone, WALLET), paymentAid: AID, pinPad: badPad, issuerLink, cardId }).changePin(card().pan), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_PARAM');
  });

  it('refuses a bad AID; no present SE / unknown reader is a transport error; an I/O failure is thrown, not a state', async () => {
    const seService = await omapi(phone, WALLET);
    assert.throws(() => new WalletApp({ identity: WALLET, seService, paymentAid: new Uint8Array(4) }), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_PARAM');
    assert.throws(() => new WalletApp({ identity: WALLET, seService, paymentAid: AID, maxTransactions: -1 }), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_PARAM');
    await assert.rejects(new WalletApp({ identity: WALLET, seService, paymentAid: AID, readerName: 'SIM1' }).cardView(), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_TRANSPORT');
    const absent = new SEService({ terminals: [virtualSeTerminal('eSE1', phone.se, { present: () => false })], enforcer: new AraEnforcer(), app: WALLET.deviceApp() });
    await absent.connected;
    await assert.rejects(new WalletApp({ identity: WALLET, seService: absent, paymentAid: AID }).cardView(), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_TRANSPORT');
    let closed = 0;
    const failing: WalletSeService = {
      getReaders: () => [{
        getName: () => 'eSE1', isSecureElementPresent: () => true,
        openSession: () => ({ close: () => { closed++; }, openLogicalChannel: () => Promise.reject(new DeviceError('ERR_DEVICE_TRANSPORT', 'eSE1: gone')) }),
      }],
    };
    await assert.rejects(new WalletApp({ identity: WALLET, seService: failing, paymentAid: AID }).cardView(), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_TRANSPORT');
    assert.equal(closed, 1, 'the session is closed on every path');
  });
});
