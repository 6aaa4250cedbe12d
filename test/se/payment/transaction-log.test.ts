/**
 * The payment applet's transaction log (EMV Book 3 Annex A: 9F4D Log Entry in the FCI's BF0C, 9F4F
 * Log Format; docs/payment-application.md §3.3): one record per cryptogram, newest first, cyclic,
 * persistent; READ RECORD past the last → 6A83; a card personalized without 9F4D keeps no log.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concat, fromHex, toHex } from '../../../src/bytes/index.ts';
import { PAYMENT_DGI, parseDol, splitDolData } from '../../../src/emv/index.ts';
import { encodeTlv, parseTlv, tlv } from '../../../src/tlv/index.ts';
import { DEFAULT_APPLET_LIBRARY, VirtualSecureElement } from '../../../src/se/index.ts';
import { getData, iccKeys, installPayment, isdSession, paymentCard, paymentDgis, select, send, storeDgis, tap, terminalValues, type PersoOptions } from './helpers.ts';

const AID = fromHex('A0000000031010');

/** A payment card whose FCI (DGI 9102) carries `bf0c` as its issuer discretionary data; the status word of the personalization. */
async function cardWithFci(bf0c: Uint8Array | undefined, o: Omit<PersoOptions, 'keys'> = { profile: 'visa-18', flow: 1 }) {
  const { card, store } = paymentCard();
  const session = await isdSession(card);
  assert.equal(await installPayment(session, AID), 0x9000);
  const dgis = paymentDgis({ ...o, keys: iccKeys(o.profile) }).map((d) =>
    d.dgi === PAYMENT_DGI.FCI && bf0c !== undefined ? { dgi: d.dgi, value: concat(d.value, encodeTlv(tlv(0xbf0c, bf0c, { opaque: true }))) } : d);
  const sw = await storeDgis(session, AID, dgis);
  session.close();
  card.reset();
  return { card, store, sw };
}

const logEntry = (sfi: number, records: number): Uint8Array => encodeTlv(tlv(0x9f4d, Uint8Array.of(sfi, records)));
const readRecord = (card: VirtualSecureElement, sfi: number, record: number) => send(card, 0x00, 0xb2, record, (sfi << 3) | 4, undefined, 256);

/** The log record as the wallet reads it: split by the format GET DATA 9F4F answered. */
function readLog(card: VirtualSecureElement, sfi: number): Record<string, string>[] {
  select(card, AID);
  const format = parseTlv(getData(card, 0x9f4f).data);
  assert.equal(format.tag, 0x9f4f);
  const dol = parseDol(format.value);
  const out: Record<string, string>[] = [];
  for (let n = 1; ; n++) {
    const r = readRecord(card, sfi, n);
    if (r.sw === 0x6a83) return out;
    assert.equal(r.sw, 0x9000);
    out.push(Object.fromEntries(Object.entries(splitDolData(dol, r.data)).map(([k, v]) => [k, toHex(v)])));
  }
}

describe('payment transaction log', () => {
  it('9F4D in the FCI; GET DATA 9F4F gives the format; each tap adds a record, newest first (flow gpo)', async () => {
    const { card, sw } = await cardWithFci(logEntry(11, 10));
    assert.equal(sw, 0x9000);
    const fci = parseTlv(select(card, AID).data);
    const a5 = fci.children!.find((c) => c.tag === 0xa5)!;
    assert.equal(toHex(a5.children!.find((c) => c.tag === 0xbf0c)!.value), '9F4D020B0A');
    assert.equal(toHex(getData(card, 0x9f4f).data), '9F4F109F27019F02065F2A029A039C019F3602');
    assert.deepEqual(readLog(card, 11), []);
    tap(card, AID, 1);
    tap(card, AID, 1, { ...terminalValues(), '9F02': fromHex('000000004200'), '9A': fromHex('261128'), '9C': fromHex('01') });
    assert.deepEqual(readLog(card, 11), [
      { '9F27': '80', '9F02': '000000004200', '5F2A': '0978', '9A': '261128', '9C': '01', '9F36': '0002' },
      { '9F27': '80', '9F02': '000000001500', '5F2A': '0978', '9A': '261127', '9C': '00', '9F36': '0001' },
    ]);
    assert.equal(card.stats.internalErrors, 0);
  });

  it('flow generate-ac logs at GENERATE AC (an AAC request logs CID 00); a GPO alone logs nothing', async () => {
    const { card } = await cardWithFci(logEntry(12, 5), { profile: 'mastercard-17', flow: 2 });
    tap(card, AID, 2, terminalValues(), 0x00);
    select(card, AID);
    send(card, 0x80, 0xa8, 0, 0, concat(Uint8Array.of(0x83, 33), new Uint8Array(33)), 256); // GPO, abandoned
    const log = readLog(card, 12);
    assert.equal(log.length, 1);
    assert.deepEqual([log[0]!['9F27'], log[0]!['9F36']], ['00', '0001']);
  });

  it('is cyclic: the oldest record goes beyond the size 9F4D names', async () => {
    const { card } = await cardWithFci(logEntry(11, 3));
    for (let i = 0; i < 5; i++) tap(card, AID, 1);
    assert.deepEqual(readLog(card, 11).map((r) => r['9F36']), ['0005', '0004', '0003']);
    select(card, AID);
    assert.equal(readRecord(card, 11, 4).sw, 0x6a83);
  });

  it('persists across power cycles and a reload from the store', async () => {
    const { card, store } = await cardWithFci(logEntry(11, 10));
    tap(card, AID, 1);
    const reloaded = new VirtualSecureElement(store, { library: DEFAULT_APPLET_LIBRARY });
    assert.deepEqual(readLog(reloaded, 11).map((r) => r['9F36']), ['0001']);
  });

  it('a card without 9F4D keeps no log: GET DATA 9F4F 6A88, READ RECORD of SFI 11 6A83', async () => {
    const { card, sw } = await cardWithFci(undefined);
    assert.equal(sw, 0x9000);
    tap(card, AID, 1);
    select(card, AID);
    assert.equal(getData(card, 0x9f4f).sw, 0x6a88);
    assert.equal(readRecord(card, 11, 1).sw, 0x6a83);
  });

  it('a malformed Log Entry refuses the personalization with 6A80', async () => {
    for (const bad of [logEntry(1, 10), logEntry(2, 10), logEntry(31, 10), logEntry(11, 0), logEntry(11, 31), encodeTlv(tlv(0x9f4d, fromHex('0B')))]) {
      assert.equal((await cardWithFci(bad)).sw, 0x6a80, toHex(bad));
    }
  });

  it('before personalization GET DATA 9F4F answers 6985', async () => {
    const { card } = paymentCard();
    const session = await isdSession(card);
    assert.equal(await installPayment(session, AID), 0x9000);
    session.close();
    card.reset();
    select(card, AID);
    assert.equal(getData(card, 0x9f4f).sw, 0x6985);
  });
});
