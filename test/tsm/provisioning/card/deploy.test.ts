/**
 * The card operations of one deploy on a STRICT_ESE card, in the order a job runs them, each read
 * function asked before and after its step: SSD created by the MNO with handover keys, taken over by
 * the SP (the MNO's initial keys then fail on the card, and the MNO tenant holds no handle on the SP's
 * keys), instance installed by the SSD, extradited, personalized, listed in the PPSE, its access rule
 * in the ARA-M; then a POS tap is approved by the issuer.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../../src/bytes/index.ts';
import { SECURITY_DOMAIN_LIFECYCLE } from '../../../../src/gp/index.ts';
import {
  createSsd,
  extraditeToSsd,
  findApplication,
  installInstance,
  isPersonalized,
  openIsd,
  openSsd,
  personalizePayment,
  readAccessRules,
  readCardContent,
  readKeyVersions,
  readPpseEntries,
  readSdKeyVersions,
  takeOverSsd,
  writeAccessRule,
  writePpseEntry,
  type SsdHandover,
  type TakenOverSsd,
} from '../../../../src/tsm/provisioning/card/index.ts';
import { tap, type ProvisionedCard } from '../../../e2e/payment-world.ts';
import { rejectsWith } from '../../../hsm/conformance/fixture.ts';
import { cardWorld, deploy, visaCard, FINAL_KVN, MNO, PAYMENT_LOAD_FILE_AID, PAYMENT_MODULE_AID, SSD_AID, VISA_STYLE_AID, WALLET_CERT_HASH, type CardWorld } from './fixture.ts';

const ssdAid = fromHex(SSD_AID);
const aid = VISA_STYLE_AID;

describe('card operations of a deploy (STRICT_ESE, software HSM)', () => {
  let cw: CardWorld;
  before(async () => {
    cw = await cardWorld(2);
  });
  after(async () => {
    await cw.close();
  });

  it('SSD with key handover, takeover, install, extradite, personalize, PPSE, ARA-M rule, then a tap is approved', async () => {
    const { world, spCtx, mnoCtx, ssdMasters } = cw;
    const hsm = world.t.hsm;
    const phone = cw.phones[0]!;
    const card = visaCard(world);
    const auditStart = world.t.auditEvents().length;

    // — SEI: create the SSD and hand its initial keys over —
    let isd = await openIsd(hsm, mnoCtx, phone.transport, phone.record);
    assert.equal(findApplication(await readCardContent(isd), ssdAid), undefined, 'no SSD yet');
    const handover: SsdHandover = await createSsd(hsm, mnoCtx, isd, { ssdAid }, { spTenant: spCtx.tenant });
    const created = findApplication(await readCardContent(isd), ssdAid);
    assert.equal(created?.lifecycle, SECURITY_DOMAIN_LIFECYCLE.SELECTABLE, 'SSD created, not taken over');
    assert.equal(toHex(created.domainAid!), phone.record.isd.aid, 'associated with the ISD');
    isd.close();
    assert.deepEqual(await readSdKeyVersions(phone.transport, ssdAid), [handover.initialKvn], 'the initial key set is on the SSD');
    assert.match(handover.blocks.enc, /^D/, 'TR-31 version D under the AES KBPK');
    const mnoKeysAfterCreate = await hsm.listKeys({}, mnoCtx);
    assert.ok(mnoKeysAfterCreate.every((k) => k.attributes.class !== 'transient'), 'the MNO kept no initial key');

    // — SP: take the SSD over —
    const taken: TakenOverSsd = await takeOverSsd(hsm, spCtx, phone.transport, { ssdAid, ...handover, masters: ssdMasters, finalKvn: FINAL_KVN, mnoTenant: MNO });
    assert.deepEqual(await readKeyVersions(taken.session), [FINAL_KVN], 'only the SP key set remains');
    const spKeysAfterTakeover = await hsm.listKeys({}, spCtx);
    assert.ok(spKeysAfterTakeover.every((k) => k.attributes.class !== 'transient'), 'the SP kept no initial key (imported transient, destroyed)');
    assert.equal(findApplication(await readCardContent(taken.session), aid), undefined, 'no instance yet');
    const install = await installInstance(taken.session, { loadFileAid: PAYMENT_LOAD_FILE_AID, moduleAid: PAYMENT_MODULE_AID, aid, privileges: '00' });
    assert.deepEqual(install, { created: true });
    taken.session.close();

    // the MNO's initial keys no longer open the SSD (the card has no such key set) and the MNO has no handle on the SP keys
    const mnoIds = new Set((await hsm.listKeys({}, mnoCtx)).map((k) => k.id));
    for (const id of [taken.keys.enc, taken.keys.mac, taken.keys.dek]) assert.ok(!mnoIds.has(id), 'SP key not listed for the MNO');
    for (const id of [taken.keys.enc, taken.keys.mac, taken.keys.dek]) await rejectsWith(hsm.getKey(id, mnoCtx), 'ERR_HSM_TENANT');
    await assert.rejects(openSsd(hsm, mnoCtx, phone.transport, { ssdAid, kvn: FINAL_KVN, keys: taken.keys }), 'the MNO cannot use the SP keys');

    // — SEI: the instance (under the ISD, its load file's SD) moves under the SSD —
    isd = await openIsd(hsm, mnoCtx, phone.transport, phone.record);
    const content = await readCardContent(isd);
    assert.equal(findApplication(content, ssdAid)?.lifecycle, SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED, 'SSD PERSONALIZED after takeover');
    assert.equal(toHex(findApplication(content, aid)!.domainAid!), phone.record.isd.aid);
    assert.deepEqual(await extraditeToSsd(isd, { aid, ssdAid }), { moved: true });
    assert.equal(toHex(findApplication(await readCardContent(isd), aid)!.domainAid!), SSD_AID);
    isd.close();

    // — SP: personalize —
    const ssd = await openSsd(hsm, spCtx, phone.transport, { ssdAid, kvn: FINAL_KVN, keys: taken.keys });
    assert.equal(await isPersonalized(ssd, phone.transport, aid), false);
    await personalizePayment(hsm, spCtx, ssd, { aid, card, issuer: world.issuerKeys });
    assert.equal(await isPersonalized(ssd, phone.transport, aid), true);
    // docs/payment-application.md §4.2: the completed instance takes the application-specific state 0F (GPC 2.3.1 §5.3.1.5)
    assert.equal(findApplication(await readCardContent(ssd), aid)?.lifecycle, 0x0f);
    ssd.close();

    // — SEI: PPSE entry and access rule —
    isd = await openIsd(hsm, mnoCtx, phone.transport, phone.record);
    assert.ok(!(await readPpseEntries(phone.transport)).some((a) => toHex(a) === toHex(aid)));
    await writePpseEntry(isd, aid, card);
    assert.ok((await readPpseEntries(phone.transport)).some((a) => toHex(a) === toHex(aid)), 'listed in the PPSE');
    assert.deepEqual(await readAccessRules(isd, phone.record.araAid!), []);
    assert.deepEqual(await writeAccessRule(isd, phone.record.araAid!, { aid, certHash: WALLET_CERT_HASH }), { written: true });
    const rules = await readAccessRules(isd, phone.record.araAid!);
    assert.deepEqual(rules.map((r) => [toHex(r.aid!), toHex(r.certHash), toHex(r.apdu!), toHex(r.nfc!)]), [[toHex(aid), WALLET_CERT_HASH, '01', '01']]);
    isd.close();
    const hsmCalls = world.t.auditEvents().length - auditStart;

    // — a POS tap, authorized by the issuer —
    const cardId = await world.issuer.registerCard({ pan: card.pan, psn: card.psn, profile: card.profile, imkAc: world.issuerKeys.imkAc, imkSmi: world.issuerKeys.imkSmi, imkSmc: world.issuerKeys.imkSmc });
    const provisioned: ProvisionedCard = { se: phone.se, transport: phone.transport, aid, cardId, record: card };
    const outcome = await tap(world, provisioned);
    assert.equal(outcome.kind, 'approved');
    console.log(`# HSM calls (audit events) for this deploy, read checks included: ${hsmCalls}`);
    assert.ok(hsmCalls < 60, `HSM calls per deploy: ${hsmCalls}`);
    assert.equal(phone.se.stats.internalErrors, 0);
  });

  it('HSM calls of a deploy: 19 by the MNO tenant, 29 by the SP tenant (7 sessions, 3 destroys of the imported initial keys); the MNO tenant never touches an SP key', async () => {
    const phone = cw.phones[1]!;
    const events = cw.world.t.auditEvents;
    const start = events().length;
    await deploy(cw, phone, visaCard(cw.world, '4761730000000051'));
    const calls = events().slice(start);
    const by = (tenant: string) => calls.filter((e) => e.tenant === tenant).map((e) => e.operation);
    assert.ok(calls.every((e) => e.result === 'ok'));
    assert.equal(by(MNO).length, 19, by(MNO).join(', '));
    assert.equal(by(cw.spCtx.tenant).length, 29, by(cw.spCtx.tenant).join(', '));
    assert.equal(by(cw.spCtx.tenant).filter((op) => op === 'destroyKey').length, 3, 'the three transient initial keys, destroyed without custodians');
    const spKeys = new Set(calls.filter((e) => e.tenant === cw.spCtx.tenant).flatMap((e) => e.keys.map((k) => k.id)));
    assert.ok(calls.filter((e) => e.tenant === MNO).every((e) => e.keys.every((k) => !spKeys.has(k.id))), 'the MNO tenant never used an SP key');
  });
});
