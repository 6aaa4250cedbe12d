/**
 * Each card operation run twice, stopped halfway and read back: every one is safe to repeat or
 * refuses with a typed error that its read function explains. Also: the MNO's copy of the initial
 * keys after the takeover, lock / unlock by the ISD and the SSD, deletion, loading a CAP.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../../src/bytes/index.ts';
import { GpError, SECURITY_DOMAIN_LIFECYCLE, type SecureChannelSession } from '../../../../src/gp/index.ts';
import type { ApduTransport } from '../../../../src/apdu/index.ts';
import {
  createSsd,
  deleteAccessRule,
  deleteInstance,
  extraditeToSsd,
  findApplication,
  findHandoverKbpk,
  findLoadFile,
  installInstance,
  isPersonalized,
  loadPackage,
  lockApplication,
  openSsd,
  personalizationStatus,
  personalizePayment,
  preparePaymentCommands,
  readAccessRules,
  readApplication,
  readCardContent,
  readPpseEntries,
  readSdKeyVersions,
  removePpseEntry,
  takeOverSsd,
  unlockApplication,
  writeAccessRule,
  writePpseEntry,
} from '../../../../src/tsm/provisioning/card/index.ts';
import { tap, type ProvisionedCard } from '../../../e2e/payment-world.ts';
import { rejectsWith } from '../../../hsm/conformance/fixture.ts';
import { loadVectors } from '../../../helpers/vectors.ts';
import { splitComponents, zipCap } from '../../../gp/cm/helpers.ts';
import {
  FINAL_KVN,
  MNO,
  PAYMENT_LOAD_FILE_AID,
  PAYMENT_MODULE_AID,
  SSD_AID,
  VISA_STYLE_AID,
  WALLET_CERT_HASH,
  cardWorld,
  deploy,
  handOver,
  visaCard,
  withIsd,
  withSsd,
  type CardWorld,
} from './fixture.ts';

const ssdAid = fromHex(SSD_AID);
const aid = VISA_STYLE_AID;

async function rejectsWithSw(promise: Promise<unknown>, sw: number): Promise<void> {
  await assert.rejects(promise, (e: unknown) => e instanceof GpError && e.code === 'ERR_GP_STATUS' && e.sw === sw);
}

describe('card operations: repeated, interrupted, read back', () => {
  let cw: CardWorld;
  before(async () => {
    cw = await cardWorld(6);
  });
  after(async () => {
    await cw.close();
  });

  it('after the takeover the MNO\'s copy of the initial keys opens nothing: that KVN is gone, and on the SP\'s KVN the card cryptogram fails', async () => {
    const phone = cw.phones[0]!;
    const hsm = cw.world.t.hsm;
    const handover = await withIsd(cw, phone, (isd) => createSsd(hsm, cw.mnoCtx, isd, { ssdAid }, { spTenant: cw.spCtx.tenant }));
    // the MNO holds the handover KBPK too, so it could import the blocks it passed on
    const kbpk = await findHandoverKbpk(hsm, cw.mnoCtx, cw.spCtx.tenant);
    const copy = {
      enc: (await hsm.importKeyBlock(kbpk, handover.blocks.enc, { owner: MNO, label: 'GP-ENC' }, cw.mnoCtx)).id,
      mac: (await hsm.importKeyBlock(kbpk, handover.blocks.mac, { owner: MNO, label: 'GP-MAC' }, cw.mnoCtx)).id,
      dek: (await hsm.importKeyBlock(kbpk, handover.blocks.dek, { owner: MNO, label: 'GP-DEK' }, cw.mnoCtx)).id,
    };
    // before the takeover that copy opens the SSD (so the refusals below are the takeover's doing)
    (await openSsd(hsm, cw.mnoCtx, phone.transport, { ssdAid, kvn: handover.initialKvn, keys: copy })).close();
    const taken = await takeOverSsd(hsm, cw.spCtx, phone.transport, { ssdAid, ...handover, masters: cw.ssdMasters, finalKvn: FINAL_KVN, mnoTenant: MNO });
    taken.session.close();
    await rejectsWithSw(openSsd(hsm, cw.mnoCtx, phone.transport, { ssdAid, kvn: handover.initialKvn, keys: copy }), 0x6a88);
    await rejectsWith(openSsd(hsm, cw.mnoCtx, phone.transport, { ssdAid, kvn: FINAL_KVN, keys: copy }), 'ERR_GP_CARD_CRYPTOGRAM');
    // the SP's keys still open it
    (await openSsd(hsm, cw.spCtx, phone.transport, { ssdAid, kvn: FINAL_KVN, keys: taken.keys })).close();
  });

  it('createSsd: refused while an unfinished SSD exists, recreated on request, refused once taken over; takeOverSsd again is safe', async () => {
    const phone = cw.phones[1]!;
    const hsm = cw.world.t.hsm;
    const create = (ifExists?: 'recreate') => withIsd(cw, phone, (isd) => createSsd(hsm, cw.mnoCtx, isd, { ssdAid, ...(ifExists === undefined ? {} : { ifExists }) }, { spTenant: cw.spCtx.tenant }));
    const first = await create();
    await rejectsWith(create(), 'ERR_TSM_STATE');
    const second = await create('recreate');
    assert.notEqual(second.blocks.enc, first.blocks.enc, 'fresh initial keys');
    // the blocks of the deleted SSD no longer fit the card
    await assert.rejects(takeOverSsd(hsm, cw.spCtx, phone.transport, { ssdAid, ...first, masters: cw.ssdMasters, finalKvn: FINAL_KVN, mnoTenant: MNO }));
    const request = { ssdAid, ...second, masters: cw.ssdMasters, finalKvn: FINAL_KVN, mnoTenant: MNO };
    const taken = await takeOverSsd(hsm, cw.spCtx, phone.transport, request);
    taken.session.close();
    await rejectsWith(create('recreate'), 'ERR_TSM_CONFLICT');
    const again = await takeOverSsd(hsm, cw.spCtx, phone.transport, { ...request, keys: taken.keys });
    assert.equal((await readApplication(again.session, ssdAid))?.lifecycle, SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED);
    again.session.close();
  });

  it('a takeover cut off after PUT KEY (before SET STATUS) is finished by running it again', async () => {
    const phone = cw.phones[2]!;
    const hsm = cw.world.t.hsm;
    const handover = await withIsd(cw, phone, (isd) => createSsd(hsm, cw.mnoCtx, isd, { ssdAid }, { spTenant: cw.spCtx.tenant }));
    // the bearer goes away at SET STATUS (INS F0; SCP03 leaves the header in clear)
    const cut: ApduTransport = { transmit: (c) => (c[1] === 0xf0 ? Promise.reject(new Error('bearer lost')) : phone.transport.transmit(c)) };
    const request = { ssdAid, ...handover, masters: cw.ssdMasters, finalKvn: FINAL_KVN, mnoTenant: MNO };
    await assert.rejects(takeOverSsd(hsm, cw.spCtx, cut, request), /bearer lost/);
    assert.deepEqual(await readSdKeyVersions(phone.transport, ssdAid), [FINAL_KVN], 'the SP keys are on the card');
    await withIsd(cw, phone, async (isd) => assert.equal(findApplication(await readCardContent(isd), ssdAid)?.lifecycle, SECURITY_DOMAIN_LIFECYCLE.SELECTABLE, 'not yet PERSONALIZED'));
    const taken = await takeOverSsd(hsm, cw.spCtx, phone.transport, request);
    assert.equal((await readApplication(taken.session, ssdAid))?.lifecycle, SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED);
    taken.session.close();
  });

  it('install, extradition and personalization twice; a half-personalized instance reads as not personalized', async () => {
    const phone = cw.phones[3]!;
    const hsm = cw.world.t.hsm;
    const card = visaCard(cw.world, '4761730000000036');
    const { keys } = await handOver(cw, phone);
    const install = (ssd: SecureChannelSession) => installInstance(ssd, { loadFileAid: PAYMENT_LOAD_FILE_AID, moduleAid: PAYMENT_MODULE_AID, aid });
    assert.deepEqual(await withSsd(cw, phone, keys, install), { created: true });
    // the instance sits under the ISD (its load file's SD) until extradited: the SSD cannot see it, the card says 6A80
    await rejectsWithSw(withSsd(cw, phone, keys, install), 0x6a80);
    assert.deepEqual(await withIsd(cw, phone, (isd) => extraditeToSsd(isd, { aid, ssdAid })), { moved: true });
    assert.deepEqual(await withIsd(cw, phone, (isd) => extraditeToSsd(isd, { aid, ssdAid })), { moved: false });
    assert.deepEqual(await withSsd(cw, phone, keys, install), { created: false });

    await withSsd(cw, phone, keys, async (ssd) => {
      const commands = await preparePaymentCommands(hsm, cw.spCtx, ssd, { aid, card, issuer: cw.world.issuerKeys });
      assert.ok(commands.length >= 4, `${commands.length} commands`);
      for (const c of commands.slice(0, 3)) assert.equal((await ssd.transmit(c)).sw, 0x9000);
      const half = await personalizationStatus(ssd, phone.transport, aid);
      assert.equal(half.personalized, false);
      assert.ok(half.missingDgis.length > 0, 'DGIs still missing');
      assert.equal(await isPersonalized(ssd, phone.transport, aid), false);
    });
    await withSsd(cw, phone, keys, async (ssd) => {
      await personalizePayment(hsm, cw.spCtx, ssd, { aid, card, issuer: cw.world.issuerKeys });
      assert.equal(await isPersonalized(ssd, phone.transport, aid), true);
      // once personalized, the application refuses more STORE DATA (docs/payment-application.md §4)
      await rejectsWithSw(personalizePayment(hsm, cw.spCtx, ssd, { aid, card, issuer: cw.world.issuerKeys }), 0x6985);
    });
  });

  it('lock and unlock by the ISD (lost / stolen) and by the SSD, each twice; PPSE and rule twice; delete twice', async () => {
    const phone = cw.phones[4]!;
    const card = visaCard(cw.world, '4761730000000044');
    const keys = await deploy(cw, phone, card);
    const cardId = await cw.world.issuer.registerCard({ pan: card.pan, psn: card.psn, profile: card.profile, imkAc: cw.world.issuerKeys.imkAc, imkSmi: cw.world.issuerKeys.imkSmi, imkSmc: cw.world.issuerKeys.imkSmc });
    const provisioned: ProvisionedCard = { se: phone.se, transport: phone.transport, aid, cardId, record: card };
    assert.equal((await tap(cw.world, provisioned)).kind, 'approved');

    await withIsd(cw, phone, async (isd) => {
      assert.deepEqual(await lockApplication(isd, aid), { changed: true });
      assert.deepEqual(await lockApplication(isd, aid), { changed: false });
      assert.equal((await readApplication(isd, aid))!.lifecycle, 0x8f, 'LOCKED over the personalized state 0F');
      // the registry still tells it is personalized (8F), though it cannot be selected
      assert.equal(await isPersonalized(isd, phone.transport, aid), true);
    });
    assert.notEqual((await tap(cw.world, provisioned)).kind, 'approved', 'a locked card does not pay');
    await withIsd(cw, phone, async (isd) => {
      assert.deepEqual(await unlockApplication(isd, aid), { changed: true });
      assert.deepEqual(await unlockApplication(isd, aid), { changed: false });
    });
    await withSsd(cw, phone, keys, async (ssd) => {
      assert.deepEqual(await lockApplication(ssd, aid), { changed: true });
      assert.deepEqual(await unlockApplication(ssd, aid), { changed: true });
      assert.equal(await isPersonalized(ssd, phone.transport, aid), true);
    });
    assert.equal((await tap(cw.world, provisioned)).kind, 'approved');

    await withIsd(cw, phone, async (isd) => {
      await writePpseEntry(isd, aid, card);
      assert.deepEqual(await writeAccessRule(isd, phone.record.araAid!, { aid, certHash: WALLET_CERT_HASH }), { written: false }, 'the same rule: nothing to do');
      assert.equal((await readAccessRules(isd, phone.record.araAid!)).length, 1);
      assert.equal((await readPpseEntries(phone.transport)).filter((a) => toHex(a) === toHex(aid)).length, 1);
    });
    await withSsd(cw, phone, keys, async (ssd) => {
      assert.deepEqual(await deleteInstance(ssd, aid), { deleted: true });
      assert.deepEqual(await deleteInstance(ssd, aid), { deleted: false });
      assert.equal(findApplication(await readCardContent(ssd), aid), undefined);
      assert.equal(await isPersonalized(ssd, phone.transport, aid), false);
    });
    await withIsd(cw, phone, async (isd) => {
      await removePpseEntry(isd, aid);
      assert.ok(!(await readPpseEntries(phone.transport)).some((a) => toHex(a) === toHex(aid)));
      assert.deepEqual(await deleteAccessRule(isd, phone.record.araAid!, { aid, certHash: WALLET_CERT_HASH }), { deleted: true });
      assert.deepEqual(await deleteAccessRule(isd, phone.record.araAid!, { aid, certHash: WALLET_CERT_HASH }), { deleted: false });
      assert.deepEqual(await readAccessRules(isd, phone.record.araAid!), []);
    });
    // and it can be installed again
    assert.deepEqual(await withSsd(cw, phone, keys, (ssd) => installInstance(ssd, { loadFileAid: PAYMENT_LOAD_FILE_AID, moduleAid: PAYMENT_MODULE_AID, aid })), { created: true });
  });

  it('loadPackage: a CAP loaded through the SSD and associated with it; loading it again is a no-op', async () => {
    const phone = cw.phones[5]!;
    const vector = loadVectors<{ vectors: { id: string; code_hex: string }[] }>('gp/misc.json').vectors.find((v) => v.id === 'gppro-cap-lfdb')!;
    const cap = zipCap(splitComponents(fromHex(vector.code_hex)));
    const { keys } = await handOver(cw, phone);
    const packageAid = fromHex('0102030405');
    await withSsd(cw, phone, keys, async (ssd) => {
      assert.deepEqual(await loadPackage(ssd, cap, { loadFileAid: packageAid, ssdAid }), { loaded: true });
      const file = findLoadFile(await readCardContent(ssd), packageAid);
      assert.equal(toHex(file!.domainAid!), SSD_AID);
      assert.deepEqual(await loadPackage(ssd, cap, { loadFileAid: packageAid, ssdAid }), { loaded: false });
      await rejectsWith(loadPackage(ssd, cap, { loadFileAid: fromHex('0102030406'), ssdAid }), 'ERR_TSM_REQUEST');
    });
  });
});
