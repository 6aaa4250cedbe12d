/**
 * Personalization refusals (docs/payment-application.md §4.2, §4.3; EMV CPS v1.1): the last STORE
 * DATA completes only whole, consistent data; anything else answers 6A88 / 6A80, keeps nothing of
 * that block, and the application stays unpersonalized (6985 to transaction commands).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { buildSetStatus } from '../../../src/gp/index.ts';
import { encodeTlv, tlv } from '../../../src/tlv/index.ts';
import { encodeCardState } from '../../../src/se/index.ts';
import { getData, gpo, iccKeys, iccRsaKey, installPayment, isdSession, paymentCard, paymentDgis, select, send, storeDgis, terminalValues, type PersoOptions } from './helpers.ts';

const AID = fromHex('A0000000031010');
const OPTIONS: PersoOptions = { profile: 'visa-18', flow: 1, keys: iccKeys('visa-18') };

/** A card with the instance installed, an ISD session, and a way to look at the card between sessions. */
async function installed() {
  const { card } = paymentCard();
  let session = await isdSession(card);
  assert.equal(await installPayment(session, AID), 0x9000);
  return {
    card,
    store: (dgis: ReturnType<typeof paymentDgis>) => storeDgis(session, AID, dgis),
    /** Leaves the SD session, selects the instance and runs `look` on the basic channel, opens a new session. */
    async between<T>(look: () => T): Promise<T> {
      session.close();
      card.reset();
      select(card, AID);
      const out = look();
      session = await isdSession(card);
      return out;
    },
  };
}

describe('payment personalization', () => {
  it('before personalization: FCI without A5, DF70 lists the DGIs, transaction commands 6985', async () => {
    const c = await installed();
    await c.between(() => {
      const fci = select(c.card, AID);
      assert.equal(fci.sw, 0x9000);
      assert.equal(toHex(fci.data), toHex(encodeTlv(tlv(0x6f, [tlv(0x84, AID)]))));
      assert.equal(toHex(getData(c.card, 0xdf70).data), 'DF700B00' + '0D01' + '8000' + '9000' + '9102' + '9104');
      assert.equal(gpo(c.card, terminalValues()).sw, 0x6985);
      assert.equal(send(c.card, 0x00, 0xb2, 1, 0x0c, undefined, 256).sw, 0x6985);
      assert.equal(send(c.card, 0x80, 0xae, 0x80, 0, new Uint8Array(29), 256).sw, 0x6985);
      assert.equal(getData(c.card, 0x9f36).sw, 0x6985);
    });
  });

  it('a missing DGI: 6A88, DF70 lists it; sending it completes personalization', async () => {
    const c = await installed();
    const all = paymentDgis(OPTIONS);
    const lifecycle = () => c.card.state.applications.find((a) => toHex(a.aid) === toHex(AID))!.lifecycle;
    assert.equal(await c.store(all.filter((d) => d.dgi !== 0x9000)), 0x6a88);
    assert.equal(lifecycle(), 0x07, 'not personalized: still SELECTABLE');
    const status = await c.between(() => toHex(getData(c.card, 0xdf70).data));
    assert.ok(status.startsWith('DF70') && status.slice(6, 8) === '00' && status.includes('9000'), status);
    // the refused last block kept nothing: send again what DF70 lists
    const missing = new Set(status.slice(8).match(/.{4}/g)!.map((h) => parseInt(h, 16)));
    assert.equal(await c.store(all.filter((d) => missing.has(d.dgi) && d.dgi !== 0x9000)), 0x6a88);
    assert.equal(await c.store(all.filter((d) => missing.has(d.dgi))), 0x9000);
    assert.equal(await c.between(() => toHex(getData(c.card, 0xdf70).data)), 'DF700101');
    // docs/payment-application.md §4.2: the registry tells it too (application-specific state 0F, GPC 2.3.1 §5.3.1.5)
    assert.equal(lifecycle(), 0x0f);
    // personalized: no more STORE DATA
    assert.equal(await c.store(all.filter((d) => d.dgi === 0x9010)), 0x6985);
  });

  it('the offline PIN is optional, but 8010 and 9010 come together; without it VERIFY and GET DATA 9F17 answer 6A88', async () => {
    const half = await installed();
    assert.equal(await half.store(paymentDgis(OPTIONS).filter((d) => d.dgi !== 0x9010)), 0x6a88);
    const c = await installed();
    assert.equal(await c.store(paymentDgis(OPTIONS).filter((d) => d.dgi !== 0x8010 && d.dgi !== 0x9010)), 0x9000);
    await c.between(() => {
      assert.equal(toHex(getData(c.card, 0xdf70).data), 'DF700101');
      assert.equal(send(c.card, 0x00, 0x20, 0x00, 0x80, fromHex('241234FFFFFFFFFF')).sw, 0x6a88);
      assert.equal(getData(c.card, 0x9f17).sw, 0x6a88);
      assert.equal(gpo(c.card, terminalValues()).sw, 0x9000);
    });
  });

  it('a record the AFL names is required too, and the RSA key when the AIP says DDA', async () => {
    const c = await installed();
    const all = paymentDgis({ ...OPTIONS, rsa: iccRsaKey() });
    assert.equal(await c.store(all.filter((d) => d.dgi !== 0x0202 && d.dgi !== 0x8203)), 0x6a88);
    const status = await c.between(() => toHex(getData(c.card, 0xdf70).data));
    assert.ok(status.includes('0202') && status.includes('8203'), status);
  });

  it('inconsistent data: 6A80 — KCV mismatch (key not stored), unknown profile, a DOL short of the cryptogram input, a wrong RSA component', async () => {
    const kcvCard = await installed();
    const badKcv = paymentDgis(OPTIONS).map((d) => (d.dgi === 0x9000 ? { dgi: d.dgi, value: d.value.map((b, i) => (i === 4 ? b ^ 1 : b)) } : d));
    assert.equal(await kcvCard.store(badKcv), 0x6a80);
    const before = encodeCardState(kcvCard.card.state);
    assert.ok(!before.includes(toHex(OPTIONS.keys.ac)), 'the key is not stored');

    const profileCard = await installed();
    const unknown = paymentDgis(OPTIONS).map((d) => (d.dgi === 0x0d01 ? { dgi: d.dgi, value: encodeTlv(tlv(0xdf01, new TextEncoder().encode('visa-99'))).slice() } : d));
    assert.equal(await profileCard.store(unknown), 0x6a80);

    const dolCard = await installed();
    const shortPdol = paymentDgis(OPTIONS).map((d) => (d.dgi === 0x9102 ? { dgi: d.dgi, value: encodeTlv(tlv(0x9f38, fromHex('9F02069F3704'))) } : d));
    assert.equal(await dolCard.store(shortPdol), 0x6a80);

    const rsaCard = await installed();
    const rsa = iccRsaKey();
    const swapped = paymentDgis({ ...OPTIONS, rsa: { ...rsa, dp: rsa.dq, dq: rsa.dp } });
    assert.equal(await rsaCard.store(swapped), 0x6a80);
    await rsaCard.between(() => assert.equal(gpo(rsaCard.card, terminalValues()).sw, 0x6985));

    const unknownDgi = await installed();
    assert.equal(await unknownDgi.store([{ dgi: 0x9F99, value: fromHex('00') }]), 0x6a88);
    for (const c of [kcvCard, profileCard, dolCard, rsaCard, unknownDgi]) assert.equal(c.card.stats.internalErrors, 0, String(c.card.stats.lastInternalError));
  });

  it('a locked instance (GP SET STATUS) is not selectable: 6A82', async () => {
    const { card } = paymentCard();
    const session = await isdSession(card);
    assert.equal(await installPayment(session, AID), 0x9000);
    assert.equal(await storeDgis(session, AID, paymentDgis(OPTIONS)), 0x9000);
    assert.equal((await session.transmit(buildSetStatus({ scope: 'application', aid: AID, state: 0x87 }))).sw, 0x9000);
    const lifecycle = () => card.state.applications.find((a) => toHex(a.aid) === toHex(AID))!.lifecycle;
    assert.equal(lifecycle(), 0x8f, 'LOCKED over the personalized state');
    session.close();
    card.reset();
    assert.equal(select(card, AID).sw, 0x6a82);
    const again = await isdSession(card);
    assert.equal((await again.transmit(buildSetStatus({ scope: 'application', aid: AID, state: 0x07 }))).sw, 0x9000);
    assert.equal(lifecycle(), 0x0f, 'unlocked: back to 0F (§5.3.1.3)');
    again.close();
    card.reset();
    assert.equal(select(card, AID).sw, 0x9000);
  });
});
