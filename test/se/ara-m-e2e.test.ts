/**
 * ARA-M end to end on a virtual SE: the TSM installs rules through the ISD (SCP03, INSTALL [for
 * personalization], STORE DATA forwarded by the SD) and a device reads them on a logical channel
 * the way AOSP's AccessRuleApplet does (GET DATA [All] / [Next] / [Refresh tag]).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { commandApdu, encodeCommand, parseResponse, SW } from '../../src/apdu/index.ts';
import { buildInstall, buildSelect, buildStoreData, GpError, openScp03, plainScp03Keys, type SecureChannelSession } from '../../src/gp/index.ts';
import { encodeTlv, parseTlvList, tlv, type Tlv } from '../../src/tlv/index.ts';
import {
  ARA_M_AID,
  araMInstance,
  araMLoadFile,
  DEFAULT_APPLET_LIBRARY,
  encodeCardState,
  MemoryCardStore,
  newCardState,
  STRICT_ESE,
  STRICT_UICC,
  VirtualSecureElement,
  type CardProfile,
} from '../../src/se/index.ts';
import { CardPortTransport, ISD_KEYS, TEST_CPLC } from './helpers.ts';

const ISD = fromHex('A000000151000000');
const HOST_KEYS = { keyVersion: ISD_KEYS.kvn, enc: ISD_KEYS.enc, mac: ISD_KEYS.mac, dek: ISD_KEYS.dek };
const WALLET_HASH = fromHex('5A4E7C1FD0C3B2A19080706050403020100F0E0D');

function araCard(profile: CardProfile): { card: VirtualSecureElement; store: MemoryCardStore } {
  const state = newCardState({
    profile,
    isdKeys: ISD_KEYS,
    cplc: TEST_CPLC,
    kdd: fromHex('00010203040506070809'),
    preloaded: [araMLoadFile(profile.isdAid)],
    preinstalled: [araMInstance(profile.isdAid)],
  });
  const store = new MemoryCardStore(state);
  return { card: new VirtualSecureElement(store, { library: DEFAULT_APPLET_LIBRARY }), store };
}

async function tsmSession(card: VirtualSecureElement): Promise<SecureChannelSession> {
  const transport = new CardPortTransport(card);
  const select = parseResponse(await transport.transmit(encodeCommand(buildSelect(ISD))));
  assert.equal(select.sw, SW.OK);
  return openScp03(transport, plainScp03Keys(HOST_KEYS), { securityLevel: 0x33, sdAid: ISD });
}

/** INSTALL [for personalization] of the ARA-M, then the STORE DATA blocks of `stream`; returns the last status word. */
async function personalize(session: SecureChannelSession, stream: Uint8Array, format: 'ber' | 'none' = 'ber'): Promise<number> {
  const install = await session.transmit(buildInstall({ kind: 'personalization', applicationAid: ARA_M_AID }));
  assert.equal(install.sw, SW.OK, `INSTALL [for personalization] → ${install.sw.toString(16)}`);
  let sw: number = SW.OK;
  for (const cmd of buildStoreData(stream, { format }, 200)) {
    sw = (await session.transmit(cmd)).sw;
    if (sw !== SW.OK) break;
  }
  return sw;
}

/** The device side: a logical channel with the ARA-M selected. */
function deviceChannel(card: VirtualSecureElement): { send(ins: string, p1p2: string, data?: string): { sw: number; data: Uint8Array } } {
  const open = parseResponse(card.process(fromHex('0070000001')));
  assert.equal(open.sw, SW.OK);
  const ch = open.data[0]!;
  const sel = parseResponse(card.process(encodeCommand(commandApdu({ cla: ch, ins: 0xa4, p1: 0x04, p2: 0x00, data: ARA_M_AID, ne: 256 }))));
  assert.equal(sel.sw, SW.OK, 'SELECT ARA-M');
  return {
    send(ins, p1p2, data = '') {
      const d = fromHex(data);
      const cmd = commandApdu({ cla: 0x80 | ch, ins: parseInt(ins, 16), p1: parseInt(p1p2.slice(0, 2), 16), p2: parseInt(p1p2.slice(2), 16), data: d, ne: 256 });
      return parseResponse(card.process(encodeCommand(cmd)));
    },
  };
}

/** AOSP-style read of all rules: GET DATA [All], then [Next] until the FF40 length is complete. */
function readAll(dev: ReturnType<typeof deviceChannel>): readonly Tlv[] {
  const first = dev.send('CA', 'FF40');
  assert.equal(first.sw, SW.OK);
  assert.equal(toHex(first.data.subarray(0, 2)), 'FF40');
  const l = first.data[2]!;
  const n = l < 0x80 ? 0 : l & 0x7f;
  const length = n === 0 ? l : [...first.data.subarray(3, 3 + n)].reduce((a, b) => a * 256 + b, 0);
  let bytes = first.data;
  while (bytes.length < 3 + n + length) {
    const next = dev.send('CA', 'FF60');
    assert.equal(next.sw, SW.OK);
    bytes = Uint8Array.from([...bytes, ...next.data]);
  }
  return parseTlvList(bytes.subarray(3 + n));
}

const rule = (aid: Uint8Array, hash: Uint8Array, apdu: number): Tlv =>
  tlv(0xe2, [tlv(0xe1, [tlv(0x4f, aid), tlv(0xc1, hash)]), tlv(0xe3, [tlv(0xd0, Uint8Array.of(apdu))])]);

for (const profile of [STRICT_ESE, STRICT_UICC]) {
  describe(`ARA-M end to end (${profile.id})`, () => {
    it('stores rules through the ISD and a device reads them back, with paging and a changing refresh tag', async () => {
      const { card, store } = araCard(profile);
      const dev = deviceChannel(card);
      assert.equal(toHex(dev.send('CA', 'FF40').data), 'FF4000');
      const tag0 = toHex(dev.send('CA', 'DF20').data);
      const session = await tsmSession(card);
      const payment = fromHex('A0000000041010AA0001');
      assert.equal(await personalize(session, encodeTlv(tlv(0xf0, [rule(payment, WALLET_HASH, 0x01)]))), SW.OK);
      const tag1 = toHex(dev.send('CA', 'DF20').data);
      assert.notEqual(tag1, tag0);
      assert.deepEqual(readAll(dev).map((r) => toHex(encodeTlv(r))), [toHex(encodeTlv(rule(payment, WALLET_HASH, 0x01)))]);
      // a long rule set, sent in several STORE DATA blocks, read in several pages
      const many = Array.from({ length: 25 }, (_, i) => rule(fromHex(`A00000000410100B${i.toString(16).padStart(4, '0')}`), WALLET_HASH, i % 2));
      assert.equal(await personalize(session, encodeTlv(tlv(0xf0, many))), SW.OK);
      const tag2 = toHex(dev.send('CA', 'DF20').data);
      assert.notEqual(tag2, tag1);
      assert.equal(readAll(dev).length, 26);
      // a conflicting rule: 6A89, nothing changes
      const before = encodeCardState(card.state);
      assert.equal(await personalize(session, encodeTlv(tlv(0xf0, [rule(payment, WALLET_HASH, 0x00)]))), 0x6a89);
      assert.equal(encodeCardState(card.state), before);
      assert.equal(toHex(dev.send('CA', 'DF20').data), tag2);
      // power cut: a new card object over the same memory has the rules and the tag
      const rebooted = new VirtualSecureElement(store, { library: DEFAULT_APPLET_LIBRARY });
      const dev2 = deviceChannel(rebooted);
      assert.equal(toHex(dev2.send('CA', 'DF20').data), tag2);
      assert.equal(readAll(dev2).length, 26);
      // delete the payment rule by REF-DO, then everything
      assert.equal(await personalize(session, encodeTlv(tlv(0xf1, [tlv(0xe1, [tlv(0x4f, payment), tlv(0xc1, WALLET_HASH)])]))), SW.OK);
      assert.equal(readAll(dev).length, 25);
      assert.equal(await personalize(session, fromHex('F100')), SW.OK);
      assert.equal(toHex(dev.send('CA', 'FF40').data), 'FF4000');
      assert.equal(card.stats.internalErrors, 0);
      session.close();
    });

    it('a power cut while the rules are written leaves the previous rules and refresh tag', async () => {
      const { card, store } = araCard(profile);
      const session = await tsmSession(card);
      const payment = fromHex('A0000000041010AA0001');
      assert.equal(await personalize(session, encodeTlv(tlv(0xf0, [rule(payment, WALLET_HASH, 0x01)]))), SW.OK);
      const before = encodeCardState(store.load());
      const save = store.save.bind(store);
      store.save = () => {
        throw new Error('power cut');
      };
      // the card answers 6581 (its commit failed) — unprotected, so the host may also drop the session
      const sw = await personalize(session, encodeTlv(tlv(0xf0, [rule(ARA_M_AID, WALLET_HASH, 0x00)]))).catch((e: unknown) => (e instanceof GpError ? e.sw : -1));
      assert.equal(sw, 0x6581);
      store.save = save;
      assert.equal(encodeCardState(store.load()), before);
      const rebooted = new VirtualSecureElement(store, { library: DEFAULT_APPLET_LIBRARY });
      const rules = readAll(deviceChannel(rebooted));
      assert.deepEqual(rules.map((r) => toHex(encodeTlv(r))), [toHex(encodeTlv(rule(payment, WALLET_HASH, 0x01)))]);
      assert.equal(rebooted.stats.internalErrors, 0);
    });

    it('refuses STORE DATA sent to the ARA-M outside the SD (6982) and without INSTALL [for personalization]', async () => {
      const { card } = araCard(profile);
      const dev = deviceChannel(card);
      assert.equal(dev.send('E2', '9000', 'F0' + '00').sw, SW.SECURITY_STATUS_NOT_SATISFIED);
      const session = await tsmSession(card);
      // without INSTALL [for personalization] the STORE DATA is for the ISD itself, which refuses F0
      const direct = await session.transmit(buildStoreData(encodeTlv(tlv(0xf0, [rule(ARA_M_AID, WALLET_HASH, 1)])), { format: 'ber' }, 200)[0]!);
      assert.notEqual(direct.sw, SW.OK);
      assert.equal(toHex(dev.send('CA', 'FF40').data), 'FF4000');
      session.close();
    });

    it('fast-check: random STORE DATA through the SD and random GET DATA on the device channel give status words only, and refusals change nothing', async () => {
      const { card } = araCard(profile);
      const dev = deviceChannel(card);
      const session = await tsmSession(card);
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 180 }), fc.integer({ min: 0, max: 0xffff }), async (data, p1p2) => {
          const before = encodeCardState(card.state);
          const sw = await personalize(session, data, 'none').catch(() => -1);
          assert.notEqual(sw, -1, 'the host session survived');
          if (sw !== SW.OK) assert.equal(encodeCardState(card.state), before);
          const g = dev.send('CA', p1p2.toString(16).padStart(4, '0'), toHex(data.subarray(0, 60)));
          assert.ok(g.sw > 0);
          assert.equal(card.stats.internalErrors, 0, String(card.stats.lastInternalError));
        }),
        { numRuns: 300 },
      );
      session.close();
    });
  });
}
