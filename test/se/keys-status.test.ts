/**
 * The life of a Supplementary Security Domain end to end, through the real host side: the SEI's ISD
 * gives a fresh SSD its first keys (PUT KEY after INSTALL [for personalization]), the SP takes the
 * SSD over by replacing them on the SSD's own channel, personalizes it, marks it PERSONALIZED, and the
 * registry reports each step.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { SW } from '../../src/apdu/index.ts';
import {
  GpError,
  SECURITY_DOMAIN_LIFECYCLE,
  buildInstall,
  buildPutKeyWith,
  buildSetStatus,
  buildStoreData,
  getStatusAll,
  type SecureChannelSession,
} from '../../src/gp/index.ts';
import { encodeTlvList, tlv } from '../../src/tlv/index.ts';
import { LEGACY_UICC, STRICT_ESE, STRICT_UICC, type CardProfile } from '../../src/se/index.ts';
import { ISD_KEYS } from './helpers.ts';
import { ISD, aesWrapper, application, desWrapper, keySet, keysCard, openSd, snapshot, ssd } from './keys-fixtures.ts';

const SSD = fromHex('A00000015153504431');
const SCP02_VIA_PARENT: CardProfile = { ...LEGACY_UICC, id: 'scp02-via-parent', ssdInitialKeys: 'put-key-via-parent' };

const keysOf = (s: { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array }) => [s.enc, s.mac, s.dek];

function freshSsdCard(profile: CardProfile) {
  return keysCard({ profile, preinstalled: [ssd(toHex(SSD), ISD, { profile })] });
}

async function registryState(session: SecureChannelSession, aid: Uint8Array): Promise<number | undefined> {
  const entries = await getStatusAll((c) => session.transmit(c), { scope: 'applications', aid });
  return entries[0]?.lifecycle;
}

describe('a Supplementary Security Domain from creation to PERSONALIZED', () => {
  for (const [profile, level] of [[STRICT_ESE, 0x33], [STRICT_UICC, 0x03]] as const) {
    it(`first keys through the ISD, takeover by the SP, personalization, PERSONALIZED (${profile.id}, SL ${level.toString(16)})`, async () => {
      const card = freshSsdCard(profile);
      const wrap = profile.scp.protocol === 3 ? aesWrapper : desWrapper;
      // SEI side: the ISD personalizes the SSD with its initial keys (decrypted with the ISD's DEK)
      const isd = await openSd(card, { level });
      assert.equal((await isd.session.transmit(buildInstall({ kind: 'personalization', applicationAid: SSD }))).sw, SW.OK);
      const initial = keySet(0x30, 0x21, 16);
      const put = await isd.session.transmit(await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x30, firstKeyId: 1 }, keysOf(initial), wrap(isd.session)));
      assert.equal(put.sw, SW.OK);
      const ssdState = () => card.state.applications.find((a) => toHex(a.aid) === toHex(SSD))!;
      assert.deepEqual(ssdState().sd!.keySets.map((s) => [s.kvn, s.counter, s.keys.length]), [[0x30, 0, 3]]);
      assert.deepEqual(card.state.applications[0]!.sd!.keySets.map((s) => toHex(s.keys[0]!.value)), [toHex(ISD_KEYS.enc)], "the ISD's keys are untouched");
      const perso = buildStoreData(encodeTlvList([tlv(0x42, fromHex('5A5A')), tlv(0x45, fromHex('0001'))]), { format: 'ber' }, 200);
      for (const c of perso) assert.equal((await isd.session.transmit(c)).sw, SW.OK);
      assert.equal(toHex(ssdState().sd!.iin!), '5A5A');
      isd.session.close();

      // SP side: its own channel to the SSD, with the initial keys, replaced at once (ARCHITECTURE.md §3)
      const sp = await openSd(card, { level, sdAid: SSD, keys: initial });
      const own = keySet(0x30, 0x99, 16);
      assert.equal((await sp.session.transmit(await buildPutKeyWith({ replaceKvn: 0x30, newKvn: 0x30, firstKeyId: 1 }, keysOf(own), wrap(sp.session)))).sw, SW.OK);
      assert.equal(ssdState().sd!.keySets[0]!.counter, 0);
      assert.equal(await registryState(sp.session, SSD), SECURITY_DOMAIN_LIFECYCLE.SELECTABLE);
      assert.equal((await sp.session.transmit(buildSetStatus({ scope: 'application', aid: SSD, state: SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED }))).sw, SW.OK);
      assert.equal(await registryState(sp.session, SSD), SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED);
      sp.session.close();

      // the operator's copy of the initial keys no longer opens the SSD
      await assert.rejects(openSd(card, { level, sdAid: SSD, keys: initial }), (e: unknown) => e instanceof GpError && e.code === 'ERR_GP_CARD_CRYPTOGRAM');
      const again = await openSd(card, { level, sdAid: SSD, keys: own });
      assert.equal(await registryState(again.session, SSD), SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED);
      assert.equal(card.stats.internalErrors, 0);
    });
  }

  it('over SCP02 the initial DES keys come under the session DEK of the ISD', async () => {
    const card = freshSsdCard(SCP02_VIA_PARENT);
    const isd = await openSd(card, { level: 0x03 });
    assert.equal((await isd.session.transmit(buildInstall({ kind: 'personalization', applicationAid: SSD }))).sw, SW.OK);
    const initial = keySet(0x20, 0x31, 16);
    assert.equal((await isd.session.transmit(await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x20, firstKeyId: 1 }, keysOf(initial), desWrapper(isd.session)))).sw, SW.OK);
    isd.session.close();
    (await openSd(card, { level: 0x01, sdAid: SSD, keys: initial })).session.close();
  });

  it("with 'copy-isd-keys' a PUT KEY in a personalization session stays with the SD that received it", async () => {
    const card = freshSsdCard(LEGACY_UICC);
    const isd = await openSd(card, { level: 0x01 });
    assert.equal((await isd.session.transmit(buildInstall({ kind: 'personalization', applicationAid: SSD }))).sw, SW.OK);
    assert.equal((await isd.session.transmit(await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x21, firstKeyId: 1 }, keysOf(keySet(0x21, 1, 16)), desWrapper(isd.session)))).sw, SW.OK);
    assert.deepEqual(card.state.applications[0]!.sd!.keySets.map((s) => s.kvn), [0x30, 0x21]);
    assert.deepEqual(card.state.applications.find((a) => toHex(a.aid) === toHex(SSD))!.sd!.keySets, []);
  });

  it('with an application as the personalization target, PUT KEY stays with the SD (even if the target is LOCKED)', async () => {
    const app = application('A0000000041010E1', ISD);
    const card = keysCard({ preinstalled: [app] });
    const isd = await openSd(card, { level: 0x01 });
    assert.equal((await isd.session.transmit(buildInstall({ kind: 'personalization', applicationAid: app.aid }))).sw, SW.OK);
    assert.equal((await isd.session.transmit(buildSetStatus({ scope: 'application', aid: app.aid, state: 0x80 }))).sw, SW.OK);
    assert.equal((await isd.session.transmit(await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x31, firstKeyId: 1 }, keysOf(keySet(0x31, 1, 16)), aesWrapper(isd.session)))).sw, SW.OK);
    assert.deepEqual(card.state.applications[0]!.sd!.keySets.map((s) => s.kvn), [0x30, 0x31]);
  });

  it('a personalization target locked meanwhile refuses the keys (6985) and keeps the state', async () => {
    const card = freshSsdCard(STRICT_ESE);
    const isd = await openSd(card, { level: 0x01 });
    assert.equal((await isd.session.transmit(buildInstall({ kind: 'personalization', applicationAid: SSD }))).sw, SW.OK);
    assert.equal((await isd.session.transmit(buildSetStatus({ scope: 'application', aid: SSD, state: 0x80 }))).sw, SW.OK);
    const before = snapshot(card);
    const command = await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x30, firstKeyId: 1 }, keysOf(keySet(0x30, 1, 16)), aesWrapper(isd.session));
    assert.equal((await isd.session.transmit(command)).sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    assert.equal(snapshot(card), before);
  });
});
