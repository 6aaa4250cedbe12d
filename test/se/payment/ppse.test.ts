/**
 * The PPSE (EMV Book B §3.3; docs/payment-application.md §4.4): Directory Entries personalized with
 * DGI 9102 through the ISD, merged by AID, removed by an entry holding only its 4F; SELECT is the
 * only command it answers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { buildInstall, buildStoreData } from '../../../src/gp/index.ts';
import { encodeDgi, encodeTlv, parseTlv, tlv } from '../../../src/tlv/index.ts';
import { PPSE_AID, encodeCardState } from '../../../src/se/index.ts';
import { isdSession, paymentCard, select, send } from './helpers.ts';

const entry = (aid: string, label?: string, priority?: number): Uint8Array =>
  encodeTlv(tlv(0x61, [tlv(0x4f, fromHex(aid)), ...(label === undefined ? [] : [tlv(0x50, new TextEncoder().encode(label))]), ...(priority === undefined ? [] : [tlv(0x87, Uint8Array.of(priority))])]));

/** The AIDs (and labels) the PPSE lists, in order. */
function listing(data: Uint8Array): string[] {
  const fci = parseTlv(data);
  const a5 = fci.children!.find((c) => c.tag === 0xa5)!;
  const bf0c = a5.children!.find((c) => c.tag === 0xbf0c)!;
  return (bf0c.children ?? []).map((e) => e.children!.map((c) => toHex(c.value)).join('/'));
}

describe('PPSE', () => {
  it('is preinstalled empty; entries merge by AID and an entry with only 4F removes one', async () => {
    const { card } = paymentCard();
    const empty = select(card, PPSE_AID);
    assert.equal(empty.sw, 0x9000);
    assert.equal(toHex(empty.data), toHex(encodeTlv(tlv(0x6f, [tlv(0x84, PPSE_AID), tlv(0xa5, [tlv(0xbf0c, new Uint8Array(0), { opaque: true })])]))));
    assert.equal(send(card, 0x80, 0xca, 0x9f, 0x36, undefined, 256).sw, 0x6d00);
    card.reset();
    const session = await isdSession(card);
    const store = async (value: Uint8Array, dgi = 0x9102): Promise<number> => {
      assert.equal((await session.transmit(buildInstall({ kind: 'personalization', applicationAid: PPSE_AID }))).sw, 0x9000);
      return (await session.transmit(buildStoreData(encodeDgi(dgi, value), { format: 'dgi' }, 200)[0]!)).sw;
    };
    assert.equal(await store(Uint8Array.from([...entry('A0000000031010', 'VISA', 1), ...entry('A0000000041010', 'MC', 2)])), 0x9000);
    assert.equal(await store(entry('A0000000031010', 'VISA DEBIT', 3)), 0x9000);
    assert.equal(await store(entry('A0000000041010')), 0x9000);
    assert.equal(await store(entry('A000000025010801', 'AMEX', 4)), 0x9000);
    // refusals: another DGI, a malformed entry, an AID too short — nothing changes
    const before = encodeCardState(card.state);
    assert.equal(await store(entry('A0000000031010', 'X', 1), 0x9103), 0x6a88);
    assert.equal(await store(fromHex('6F00')), 0x6a80);
    assert.equal(await store(entry('A000', 'X', 1)), 0x6a80);
    assert.equal(encodeCardState(card.state), before);
    session.close();
    card.reset();
    const r = select(card, PPSE_AID);
    assert.deepEqual(listing(r.data), [`A0000000031010/${toHex(new TextEncoder().encode('VISA DEBIT'))}/03`, `A000000025010801/${toHex(new TextEncoder().encode('AMEX'))}/04`]);
    assert.equal(card.stats.internalErrors, 0, String(card.stats.lastInternalError));
  });
});
