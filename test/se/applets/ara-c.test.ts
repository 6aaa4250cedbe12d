/**
 * ARA-C on a virtual SE: an SP's SSD installs an ARA-C from the preloaded ARA load file, personalizes
 * it through its own secure channel, the ISD registers it with the ARA-M (F7), and a device reading
 * the ARA-M (GET DATA [All] / [Specific] / [Refresh tag]) sees the aggregate (aggregate.ts), and
 * the conflict rule: one rule per REF-DO, the ARA-M's first, then ARA-Cs in registration order.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { commandApdu, encodeCommand, parseResponse, SW } from '../../../src/apdu/index.ts';
import {
  SET_STATUS_LOCK,
  buildDelete,
  buildInstall,
  buildSetStatus,
  buildStoreData,
  encodeInstallParameters,
  encodePrivileges,
  type SecureChannelSession,
} from '../../../src/gp/index.ts';
import { encodeTlv, parseTlvList, tlv, type Tlv } from '../../../src/tlv/index.ts';
import { ARA_M_AID, araMInstance, araMLoadFile, ARA_M_LOAD_FILE_AID, DEFAULT_APPLET_LIBRARY, type CardState } from '../../../src/se/index.ts';
import { ARA_C_MODULE_AID } from '../../../src/se/applets/ara-m/ara-m-package.ts';
import { contentCard, ISD, openSd, sdEntry, SSD_KEYS } from '../content-helpers.ts';
import type { VirtualSecureElement } from '../../../src/se/index.ts';

const SSD_A = fromHex('A0000005591010FFFFFFFF8900000100');
const SSD_B = fromHex('A0000005591010FFFFFFFF8900000200');
const ARA_C_A = fromHex('A00000015141434301');
const ARA_C_B = fromHex('A00000015141434302');
const PAYMENT_A = fromHex('A0000000041010AA0001');
const PAYMENT_B = fromHex('A0000000041010BB0001');
const WALLET_A = fromHex('5A4E7C1FD0C3B2A19080706050403020100F0E0D5A4E7C1FD0C3B2A190807060');
const WALLET_B = fromHex('0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20');

function araCard(): VirtualSecureElement {
  const withAra = (s: CardState): CardState => ({
    ...s,
    loadFiles: [...s.loadFiles, araMLoadFile(ISD)],
    applications: [...s.applications, araMInstance(ISD), sdEntry(SSD_A, ['SecurityDomain', 'AuthorizedManagement', 'TrustedPath'], { keys: SSD_KEYS }), sdEntry(SSD_B, ['SecurityDomain', 'AuthorizedManagement', 'TrustedPath'], { keys: SSD_KEYS })],
  });
  return contentCard({ change: withAra, library: DEFAULT_APPLET_LIBRARY });
}

const isdSession = async (card: VirtualSecureElement) => (await openSd(card, { securityLevel: 0x33 })).session;
const ssdSession = async (card: VirtualSecureElement, ssd: Uint8Array) => (await openSd(card, { sdAid: ssd, keys: SSD_KEYS, securityLevel: 0x33 })).session;

/** The SSD installs an ARA-C (it lands under the load file's SD, the ISD) and the ISD extradites it to the SSD. */
async function installAraC(card: VirtualSecureElement, ssd: Uint8Array, aid: Uint8Array): Promise<void> {
  const s = await ssdSession(card, ssd);
  const install = buildInstall({
    kind: 'install', loadFileAid: ARA_M_LOAD_FILE_AID, moduleAid: ARA_C_MODULE_AID, applicationAid: aid, privileges: encodePrivileges([]),
    parameters: encodeInstallParameters({ applicationSpecific: new Uint8Array(0) }), makeSelectable: true,
  });
  assert.equal((await s.transmit(install)).sw, SW.OK, 'INSTALL of the ARA-C by the SSD');
  const isd = await isdSession(card);
  assert.equal((await isd.transmit(buildInstall({ kind: 'extradition', securityDomainAid: ssd, aid }))).sw, SW.OK, 'extradition to the SSD');
}

/** INSTALL [for personalization] of `target` through `session`'s SD, then STORE DATA of `stream`; the first refusing status word. */
async function personalize(session: SecureChannelSession, target: Uint8Array, stream: Uint8Array): Promise<number> {
  const install = await session.transmit(buildInstall({ kind: 'personalization', applicationAid: target }));
  if (install.sw !== SW.OK) return install.sw;
  let sw: number = SW.OK;
  for (const cmd of buildStoreData(stream, { format: 'ber' }, 200)) {
    sw = (await session.transmit(cmd)).sw;
    if (sw !== SW.OK) break;
  }
  return sw;
}

const refDo = (aid: Uint8Array, hash: Uint8Array): Tlv => tlv(0xe1, [tlv(0x4f, aid), tlv(0xc1, hash)]);
const rule = (aid: Uint8Array, hash: Uint8Array, apdu: number): Tlv => tlv(0xe2, [refDo(aid, hash), tlv(0xe3, [tlv(0xd0, Uint8Array.of(apdu)), tlv(0xd1, Uint8Array.of(apdu))])]);
const storeRules = (...rules: Tlv[]): Uint8Array => encodeTlv(tlv(0xf0, rules));
const register = (...aids: Uint8Array[]): Uint8Array => encodeTlv(tlv(0xf7, aids.map((a) => tlv(0x4f, a))));

/** The device: GET DATA to the ARA-M on a fresh logical channel. */
function device(card: VirtualSecureElement) {
  const open = parseResponse(card.process(fromHex('0070000001')));
  assert.equal(open.sw, SW.OK);
  const ch = open.data[0]!;
  assert.equal(parseResponse(card.process(encodeCommand(commandApdu({ cla: ch, ins: 0xa4, p1: 4, p2: 0, data: ARA_M_AID, ne: 256 })))).sw, SW.OK);
  const send = (p1p2: number, data: Uint8Array = new Uint8Array(0)) =>
    parseResponse(card.process(encodeCommand(commandApdu({ cla: 0x80 | ch, ins: 0xca, p1: p1p2 >> 8, p2: p1p2 & 0xff, data, ne: 256 }))));
  return {
    send,
    tag: (): string => toHex(send(0xdf20).data),
    /** Every REF-AR-DO of GET DATA [All] (and [Next]), hex. */
    rules(): string[] {
      const first = send(0xff40);
      assert.equal(first.sw, SW.OK);
      const l = first.data[2]!;
      const n = l < 0x80 ? 0 : l & 0x7f;
      const length = n === 0 ? l : [...first.data.subarray(3, 3 + n)].reduce((a, b) => a * 256 + b, 0);
      let bytes = first.data;
      while (bytes.length < 3 + n + length) {
        const next = send(0xff60);
        assert.equal(next.sw, SW.OK);
        bytes = Uint8Array.from([...bytes, ...next.data]);
      }
      return parseTlvList(bytes.subarray(3 + n)).map((r) => toHex(encodeTlv(r)));
    },
  };
}

const hex = (t: Tlv): string => toHex(encodeTlv(t));

describe('ARA-C: an SP keeps its access rules in its own Security Domain', () => {
  it('its rules appear in the ARA-M\'s FF40 once registered, and every change moves the refresh tag', async () => {
    const card = araCard();
    const dev = device(card);
    const isd = await isdSession(card);
    assert.equal(await personalize(isd, ARA_M_AID, storeRules(rule(PAYMENT_B, WALLET_B, 1))), SW.OK);
    await installAraC(card, SSD_A, ARA_C_A);
    const ssd = await ssdSession(card, SSD_A);
    assert.equal(await personalize(ssd, ARA_C_A, storeRules(rule(PAYMENT_A, WALLET_A, 1))), SW.OK);
    // not registered yet: the device sees the ARA-M's rule only, and the ARA-M's own tag
    assert.deepEqual(dev.rules(), [hex(rule(PAYMENT_B, WALLET_B, 1))]);
    const tag0 = dev.tag();
    assert.equal(await personalize(await isdSession(card), ARA_M_AID, register(ARA_C_A)), SW.OK);
    const tag1 = dev.tag();
    assert.notEqual(tag1, tag0);
    assert.deepEqual(dev.rules(), [hex(rule(PAYMENT_B, WALLET_B, 1)), hex(rule(PAYMENT_A, WALLET_A, 1))]);
    // GET DATA [Specific] finds the ARA-C's rule
    const specific = dev.send(0xff50, encodeTlv(refDo(PAYMENT_A, WALLET_A)));
    assert.equal(specific.sw, SW.OK);
    assert.equal(toHex(specific.data), 'FF50' + '08' + 'E306D00101D10101');
    // a change in the ARA-C alone changes the ARA-M's tag
    assert.equal(await personalize(await ssdSession(card, SSD_A), ARA_C_A, encodeTlv(tlv(0xf1, [refDo(PAYMENT_A, WALLET_A)]))), SW.OK);
    const tag2 = dev.tag();
    assert.notEqual(tag2, tag1);
    assert.deepEqual(dev.rules(), [hex(rule(PAYMENT_B, WALLET_B, 1))]);
    assert.equal(await personalize(await ssdSession(card, SSD_A), ARA_C_A, fromHex('F200')), SW.OK);
    assert.notEqual(dev.tag(), tag2);
    assert.equal(card.stats.internalErrors, 0);
  });

  it('an unregistered ARA-C\'s rules do not appear; unregistering hides them again', async () => {
    const card = araCard();
    await installAraC(card, SSD_A, ARA_C_A);
    await installAraC(card, SSD_B, ARA_C_B);
    assert.equal(await personalize(await ssdSession(card, SSD_A), ARA_C_A, storeRules(rule(PAYMENT_A, WALLET_A, 1))), SW.OK);
    assert.equal(await personalize(await ssdSession(card, SSD_B), ARA_C_B, storeRules(rule(PAYMENT_B, WALLET_B, 1))), SW.OK);
    assert.equal(await personalize(await isdSession(card), ARA_M_AID, register(ARA_C_B)), SW.OK);
    const dev = device(card);
    assert.deepEqual(dev.rules(), [hex(rule(PAYMENT_B, WALLET_B, 1))]);
    assert.equal(await personalize(await isdSession(card), ARA_M_AID, register(ARA_C_A, ARA_C_B)), SW.OK);
    assert.deepEqual(dev.rules(), [hex(rule(PAYMENT_A, WALLET_A, 1)), hex(rule(PAYMENT_B, WALLET_B, 1))]);
    const before = dev.tag();
    assert.equal(await personalize(await isdSession(card), ARA_M_AID, register(ARA_C_A)), SW.OK);
    assert.deepEqual(dev.rules(), [hex(rule(PAYMENT_A, WALLET_A, 1))]);
    assert.notEqual(dev.tag(), before);
    // a registered AID that is not an ARA-C (the ISD itself) shares nothing
    assert.equal(await personalize(await isdSession(card), ARA_M_AID, register(ISD)), SW.OK);
    assert.equal(toHex(dev.send(0xff40).data), 'FF4000');
    assert.equal(card.stats.internalErrors, 0);
  });

  it('STORE DATA to the ARA-C outside its own SD\'s secure channel is refused and changes nothing', async () => {
    const card = araCard();
    await installAraC(card, SSD_A, ARA_C_A);
    const araCData = () => card.state.applications.find((a) => toHex(a.aid) === toHex(ARA_C_A))?.data;
    // the ISD and another SSD: INSTALL [for personalization] of an application not associated with them
    assert.equal(await personalize(await isdSession(card), ARA_C_A, storeRules(rule(PAYMENT_A, WALLET_A, 1))), SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    assert.notEqual(await personalize(await ssdSession(card, SSD_B), ARA_C_A, storeRules(rule(PAYMENT_A, WALLET_A, 1))), SW.OK);
    // straight to the selected ARA-C, no secure channel: 6982; GET DATA: 6D00 (the device reads the ARA-M)
    const sel = parseResponse(card.process(encodeCommand(commandApdu({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: ARA_C_A, ne: 256 }))));
    assert.equal(sel.sw, SW.OK);
    const direct = buildStoreData(storeRules(rule(PAYMENT_A, WALLET_A, 1)), { format: 'ber' }, 200)[0]!;
    assert.equal(parseResponse(card.process(encodeCommand(direct))).sw, SW.SECURITY_STATUS_NOT_SATISFIED);
    assert.equal(parseResponse(card.process(fromHex('80CAFF4000'))).sw, SW.INS_NOT_SUPPORTED);
    assert.equal(araCData(), undefined, 'no rule store was written');
  });

  it('an ARA-C takes only its own commands and specific rules', async () => {
    const card = araCard();
    await installAraC(card, SSD_A, ARA_C_A);
    const ssd = await ssdSession(card, SSD_A);
    // F7 / F6 / F8 belong to the ARA-M: 6981
    assert.equal(await personalize(ssd, ARA_C_A, register(ARA_C_A)), 0x6981);
    assert.equal(await personalize(await ssdSession(card, SSD_A), ARA_C_A, fromHex('F600')), 0x6981);
    // a wildcard rule (all SE applications, or the default one) is refused: 6A80
    const all = tlv(0xe2, [tlv(0xe1, [tlv(0x4f, new Uint8Array(0)), tlv(0xc1, WALLET_A)]), tlv(0xe3, [tlv(0xd0, Uint8Array.of(1))])]);
    assert.equal(await personalize(await ssdSession(card, SSD_A), ARA_C_A, storeRules(all)), SW.INCORRECT_DATA);
    const dflt = tlv(0xe2, [tlv(0xe1, [tlv(0xc0, new Uint8Array(0)), tlv(0xc1, WALLET_A)]), tlv(0xe3, [tlv(0xd0, Uint8Array.of(1))])]);
    assert.equal(await personalize(await ssdSession(card, SSD_A), ARA_C_A, storeRules(dflt)), SW.INCORRECT_DATA);
    // the ARA-M itself still takes wildcards
    assert.equal(await personalize(await isdSession(card), ARA_M_AID, storeRules(all)), SW.OK);
  });

  it('deleting the ARA-C instance removes its rules from the ARA-M\'s view and changes the tag', async () => {
    const card = araCard();
    await installAraC(card, SSD_A, ARA_C_A);
    assert.equal(await personalize(await ssdSession(card, SSD_A), ARA_C_A, storeRules(rule(PAYMENT_A, WALLET_A, 1))), SW.OK);
    assert.equal(await personalize(await isdSession(card), ARA_M_AID, register(ARA_C_A)), SW.OK);
    const dev = device(card);
    assert.equal(dev.rules().length, 1);
    const tag = dev.tag();
    const ssd = await ssdSession(card, SSD_A);
    assert.equal((await ssd.transmit(buildDelete({ kind: 'card-content', aid: ARA_C_A, related: false }))).sw, SW.OK);
    assert.deepEqual(dev.rules(), []);
    assert.notEqual(dev.tag(), tag);
    // installed again (empty): the stale rules do not come back
    await installAraC(card, SSD_A, ARA_C_A);
    assert.deepEqual(dev.rules(), []);
    assert.equal(card.stats.internalErrors, 0);
  });

  it('a LOCKED ARA-C contributes nothing until unlocked', async () => {
    const card = araCard();
    await installAraC(card, SSD_A, ARA_C_A);
    assert.equal(await personalize(await ssdSession(card, SSD_A), ARA_C_A, storeRules(rule(PAYMENT_A, WALLET_A, 1))), SW.OK);
    assert.equal(await personalize(await isdSession(card), ARA_M_AID, register(ARA_C_A)), SW.OK);
    const dev = device(card);
    const ssd = await ssdSession(card, SSD_A);
    assert.equal((await ssd.transmit(buildSetStatus({ scope: 'application', aid: ARA_C_A, state: SET_STATUS_LOCK }))).sw, SW.OK);
    assert.deepEqual(dev.rules(), []);
  });

  it('conflicts: one rule per REF-DO — the ARA-M\'s wins, then the earlier-registered ARA-C\'s', async () => {
    const card = araCard();
    await installAraC(card, SSD_A, ARA_C_A);
    await installAraC(card, SSD_B, ARA_C_B);
    // the issuer denies what SP A's ARA-C allows; SP B's ARA-C holds a rule for the same REF-DO too
    assert.equal(await personalize(await isdSession(card), ARA_M_AID, storeRules(rule(PAYMENT_A, WALLET_A, 0))), SW.OK);
    assert.equal(await personalize(await ssdSession(card, SSD_A), ARA_C_A, storeRules(rule(PAYMENT_A, WALLET_A, 1), rule(PAYMENT_B, WALLET_B, 1))), SW.OK);
    assert.equal(await personalize(await ssdSession(card, SSD_B), ARA_C_B, storeRules(rule(PAYMENT_B, WALLET_B, 0))), SW.OK);
    assert.equal(await personalize(await isdSession(card), ARA_M_AID, register(ARA_C_A, ARA_C_B)), SW.OK);
    const dev = device(card);
    assert.deepEqual(dev.rules(), [hex(rule(PAYMENT_A, WALLET_A, 0)), hex(rule(PAYMENT_B, WALLET_B, 1))]);
    assert.equal(toHex(dev.send(0xff50, encodeTlv(refDo(PAYMENT_A, WALLET_A))).data), 'FF5008E306D00100D10100');
    // the ARA-M's rule gone, the ARA-C's shows
    assert.equal(await personalize(await isdSession(card), ARA_M_AID, fromHex('F100')), SW.OK);
    assert.deepEqual(dev.rules(), [hex(rule(PAYMENT_A, WALLET_A, 1)), hex(rule(PAYMENT_B, WALLET_B, 1))]);
    // registration order decides between ARA-Cs
    assert.equal(await personalize(await isdSession(card), ARA_M_AID, register(ARA_C_B, ARA_C_A)), SW.OK);
    assert.deepEqual(dev.rules(), [hex(rule(PAYMENT_B, WALLET_B, 0)), hex(rule(PAYMENT_A, WALLET_A, 1))]);
  });

  it('a listing that spans an ARA-C change is refused on GET DATA [Next] (6984)', async () => {
    const card = araCard();
    await installAraC(card, SSD_A, ARA_C_A);
    const many = Array.from({ length: 12 }, (_, i) => rule(fromHex(`A00000000410100B${i.toString(16).padStart(4, '0')}`), WALLET_A, 1));
    assert.equal(await personalize(await ssdSession(card, SSD_A), ARA_C_A, storeRules(...many)), SW.OK);
    assert.equal(await personalize(await isdSession(card), ARA_M_AID, register(ARA_C_A)), SW.OK);
    const dev = device(card);
    assert.equal(dev.rules().length, 12);
    assert.equal(dev.send(0xff40).sw, SW.OK);
    assert.equal(await personalize(await ssdSession(card, SSD_A), ARA_C_A, fromHex('F200')), SW.OK);
    assert.equal(dev.send(0xff60).sw, 0x6984);
  });
});

