import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concat, fromHex, toHex } from '../../src/bytes/index.ts';
import { commandApdu, encodeCommand, parseResponse, responseApdu, SW, type ResponseApdu } from '../../src/apdu/index.ts';
import {
  APPLICATION_LIFECYCLE,
  GET_DATA_TAGS,
  buildGetData,
  buildInstall,
  buildSelect,
  buildSetStatus,
  buildStoreData,
  encodeCardData,
  parseCardData,
  SET_STATUS_LOCK,
  type SecureChannelSession,
  type StoreDataOptions,
} from '../../src/gp/index.ts';
import { encodeDgi, encodeTlv, parseDgiList, tlv } from '../../src/tlv/index.ts';
import { AppletLibrary, CardException, LEGACY_UICC, type Applet } from '../../src/se/index.ts';
import { ISD, application, keysCard, openSd, snapshot, ssd } from './keys-fixtures.ts';

const ber = (...objects: [number, string][]) => concat(...objects.map(([tag, value]) => encodeTlv(tlv(tag, fromHex(value)))));

async function store(session: SecureChannelSession, stream: Uint8Array, options: StoreDataOptions = { format: 'ber' }, blockSize = 200): Promise<ResponseApdu[]> {
  const out: ResponseApdu[] = [];
  for (const c of buildStoreData(stream, options, blockSize)) out.push(await session.transmit(c));
  return out;
}

async function getData(session: SecureChannelSession, tag: number): Promise<string> {
  const r = await session.transmit(buildGetData(tag));
  return r.sw === SW.OK ? toHex(r.data) : r.sw.toString(16);
}

/** A personalization applet: keeps every DGI it receives, DGIs 8xxx decrypted with the SD's DEK (EMV CPS style). */
const PERSO_MODULE = fromHex('A0000000041010AA');
const INERT_MODULE = fromHex('A0000000041010BB');
const persoApplet: Applet = {
  select: () => responseApdu(new Uint8Array(0), SW.OK),
  process: () => {
    throw new CardException(SW.INS_NOT_SUPPORTED);
  },
  storeData(command, ctx) {
    const before = (ctx.persistent as { records?: string[] } | undefined)?.records ?? [];
    const dgis = parseDgiList(command.data);
    const records = dgis.map((d) => `${d.tag.toString(16)}:${toHex((d.tag & 0x8000) !== 0 ? ctx.decryptSensitive(d.value) : d.value)}`);
    ctx.setPersistent({ records: [...before, ...records] });
    // DGI 0FFF asks for response data (to test case 3 vs case 4, §11.11.3.1)
    return responseApdu(dgis.some((d) => d.tag === 0x0fff) ? Uint8Array.of(0x99) : new Uint8Array(0), SW.OK);
  },
};
const LIBRARY = new AppletLibrary().with(PERSO_MODULE, { name: 'perso', create: () => persoApplet });
const PAY = 'A0000000041010CC01';
const INERT = 'A0000000041010CC02';
const SSD = 'A000000151535344AA';

function persoCard(profile = keysCard().profile) {
  return keysCard({
    profile,
    library: LIBRARY,
    preinstalled: [
      application(PAY, ISD, { module: toHex(PERSO_MODULE), lifecycle: APPLICATION_LIFECYCLE.INSTALLED }),
      application(INERT, ISD, { module: toHex(INERT_MODULE) }),
      ssd(SSD, ISD),
    ],
  });
}

function records(card: ReturnType<typeof keysCard>): string[] {
  return (card.state.applications.find((a) => toHex(a.aid) === PAY)!.data as { records?: string[] } | undefined)?.records ?? [];
}

describe('STORE DATA to the Security Domain itself (GPC 2.3.1 §11.11)', () => {
  for (const [name, profile, level] of [['SCP03 SL 01', undefined, 0x01], ['SCP03 SL 33', undefined, 0x33], ['SCP02 SL 03', LEGACY_UICC, 0x03]] as const) {
    it(`stores IIN (42) and CIN (45), read back with GET DATA (${name})`, async () => {
      const card = keysCard(profile === undefined ? {} : { profile });
      const { session } = await openSd(card, { level });
      const r = await store(session, ber([0x42, '0123456789'], [0x45, 'A1B2C3D4E5F60718']));
      assert.deepEqual(r.map((x) => x.sw), [SW.OK]);
      assert.equal(await getData(session, GET_DATA_TAGS.IIN), '42050123456789');
      assert.equal(await getData(session, GET_DATA_TAGS.CIN), '4508A1B2C3D4E5F60718');
    });
  }

  it('keeps the blocks and stores a data object cut across them with the last block (§11.11.2.3)', async () => {
    const card = keysCard();
    const { session } = await openSd(card, { level: 0x03 });
    const commands = buildStoreData(ber([0x42, '11'.repeat(40)], [0x45, '22'.repeat(10)]), { format: 'ber' }, 16);
    assert.ok(commands.length > 3);
    for (const c of commands.slice(0, -1)) assert.equal((await session.transmit(c)).sw, SW.OK);
    assert.equal(await getData(session, GET_DATA_TAGS.IIN), '420142', 'nothing stored before the last block');
    assert.equal((await session.transmit(commands.at(-1)!)).sw, SW.OK);
    assert.equal(await getData(session, GET_DATA_TAGS.IIN), `4228${'11'.repeat(40)}`);
    assert.equal(await getData(session, GET_DATA_TAGS.CIN), `450A${'22'.repeat(10)}`);
  });

  it('a block out of sequence gets 6A86, changes nothing, and the sequence restarts at 00 (§11.11.2.2)', async () => {
    const card = keysCard();
    const { session } = await openSd(card, { level: 0x01 });
    const commands = buildStoreData(ber([0x42, '33'.repeat(30)]), { format: 'ber' }, 12);
    const before = snapshot(card);
    assert.equal((await session.transmit(commands[1]!)).sw, SW.INCORRECT_P1P2, 'first block numbered 01');
    assert.equal((await session.transmit(commands[0]!)).sw, SW.OK);
    assert.equal((await session.transmit(commands[2]!)).sw, SW.INCORRECT_P1P2, 'gap 00 → 02');
    assert.equal((await session.transmit(commands[1]!)).sw, SW.INCORRECT_P1P2, 'the counter was reset by the refusal');
    assert.equal(snapshot(card), before);
    for (const c of commands) assert.equal((await session.transmit(c)).sw, SW.OK);
    assert.equal(await getData(session, GET_DATA_TAGS.IIN), `421E${'33'.repeat(30)}`);
    for (const c of commands) assert.equal((await session.transmit(c)).sw, SW.OK, 'numbering restarts after the last block');
  });

  it('stores BER-TLV objects inside DGI 0070 (DGI format)', async () => {
    const card = keysCard();
    const { session } = await openSd(card, { level: 0x01 });
    assert.equal((await store(session, encodeDgi(0x0070, ber([0x45, '0707'])), { format: 'dgi' }))[0]!.sw, SW.OK);
    assert.equal(await getData(session, GET_DATA_TAGS.CIN), '45020707');
  });

  it('stores Card Data (66); GET DATA 66 answers the stored object', async () => {
    const card = keysCard();
    const { session } = await openSd(card, { level: 0x01 });
    const cardData = encodeCardData({ gpVersion: '2.3.1', cardIdentificationScheme: true, secureChannels: [{ scp: 3, i: 0x10 }] });
    assert.equal((await store(session, cardData))[0]!.sw, SW.OK);
    const r = await session.transmit(buildGetData(GET_DATA_TAGS.CARD_DATA));
    assert.equal(toHex(r.data), toHex(cardData));
    assert.deepEqual(parseCardData(r.data).secureChannels, [{ scp: 3, i: 0x10 }]);
  });

  it('renames the ISD (4F): selectable by the new AID only, registry associations follow', async () => {
    const card = keysCard({ preinstalled: [application('A0000000041010DD', ISD)] });
    const { session, transport } = await openSd(card, { level: 0x03 });
    const renamed = 'A000000151000001';
    assert.equal((await store(session, ber([0x4f, renamed])))[0]!.sw, SW.OK);
    assert.equal(toHex(card.state.isdAid), renamed);
    assert.deepEqual(card.state.applications.map((a) => toHex(a.sdAid)), [renamed, renamed]);
    assert.equal(parseResponse(await transport.transmit(encodeCommand(buildSelect(ISD)))).sw, 0x6a82);
    (await openSd(card, { level: 0x01, transport })).session.close();
  });

  const refusals: [string, number, () => Uint8Array | ReturnType<typeof commandApdu>][] = [
    ['a tag the SD does not store (5F50): 6A88', SW.REFERENCED_DATA_NOT_FOUND, () => ber([0x5f50, '68747470'])],
    ['a data object the card generates (C1): 6A80', SW.INCORRECT_DATA, () => ber([0xc1, '000001'])],
    ['an empty IIN: 6A80', SW.INCORRECT_DATA, () => ber([0x45, '01'], [0x42, ''])],
    ['Card Data without its 73 template: 6A80', SW.INCORRECT_DATA, () => encodeTlv(tlv(0x66, [tlv(0x04, new Uint8Array(0))]))],
    ['a 4-byte ISD AID: 6A80', SW.INCORRECT_DATA, () => ber([0x4f, 'A0000001'])],
    ['an ISD AID already in use: 6A80', SW.INCORRECT_DATA, () => ber([0x4f, 'A0000001515350'])],
    ['a key DGI (8113, §11.11.4): 6A88', SW.REFERENCED_DATA_NOT_FOUND, () => commandApdu({ cla: 0x80, ins: 0xe2, p1: 0x88, p2: 0, data: encodeDgi(0x8113, new Uint8Array(16)) })],
    ['encrypted SD data (P1 b7–b6 = 11): 6A80', SW.INCORRECT_DATA, () => commandApdu({ cla: 0x80, ins: 0xe2, p1: 0xf0, p2: 0, data: ber([0x42, '01']) })],
    ['an RFU encryption coding (P1 b7–b6 = 10): 6A86', SW.INCORRECT_P1P2, () => commandApdu({ cla: 0x80, ins: 0xe2, p1: 0xd0, p2: 0, data: ber([0x42, '01']) })],
    ['bad BER-TLV: 6A80', SW.INCORRECT_DATA, () => commandApdu({ cla: 0x80, ins: 0xe2, p1: 0x90, p2: 0, data: fromHex('4205AA') })],
  ];
  for (const [name, sw, build] of refusals) {
    it(`refuses ${name}, changing nothing`, async () => {
      const card = keysCard();
      const { session } = await openSd(card, { level: 0x03 });
      const before = snapshot(card);
      const what = build();
      const r = what instanceof Uint8Array ? (await store(session, what)).at(-1)! : await session.transmit(what);
      assert.equal(r.sw, sw);
      assert.equal(snapshot(card), before);
      assert.equal(card.stats.internalErrors, 0);
    });
  }
});

describe('STORE DATA forwarded after INSTALL [for personalization] (GPC 2.3.1 §7.3.2, §11.11.1)', () => {
  for (const [name, profile, level] of [['SCP03', undefined, 0x03], ['SCP02', LEGACY_UICC, 0x03]] as const) {
    it(`hands DGIs to the application, encrypted ones decrypted with the SD's DEK (${name}); the last block ends the session`, async () => {
      const card = persoCard(profile);
      const { session } = await openSd(card, { level });
      assert.equal((await session.transmit(buildInstall({ kind: 'personalization', applicationAid: fromHex(PAY) }))).sw, SW.OK);
      const secret = fromHex('00112233445566778899AABBCCDDEEFF');
      const stream = concat(encodeDgi(0x0101, fromHex('5A0847')), encodeDgi(0x8000, await session.encryptSensitive(secret)));
      const r = await store(session, stream, { format: 'dgi', encryption: 'application' }, 24);
      assert.ok(r.length > 1 && r.every((x) => x.sw === SW.OK));
      assert.deepEqual(records(card), ['101:5A0847', `8000:${toHex(secret)}`]);
      // the session is over: the next STORE DATA is for the ISD itself
      assert.equal((await store(session, ber([0x42, '77'])))[0]!.sw, SW.OK);
      assert.equal(await getData(session, GET_DATA_TAGS.IIN), '420177');
      assert.equal(card.state.applications.find((a) => toHex(a.aid) === PAY)!.lifecycle, APPLICATION_LIFECYCLE.INSTALLED, 'no GP state change on the last block');
    });
  }

  it('case 3 with response data: 6A86 and the application data rolls back; case 4 returns it', async () => {
    const card = persoCard();
    const { session } = await openSd(card, { level: 0x33 });
    assert.equal((await session.transmit(buildInstall({ kind: 'personalization', applicationAid: fromHex(PAY) }))).sw, SW.OK);
    const before = snapshot(card);
    assert.equal((await store(session, encodeDgi(0x0fff, fromHex('01')), { format: 'dgi' }))[0]!.sw, SW.INCORRECT_P1P2);
    assert.equal(snapshot(card), before);
    const r = await store(session, encodeDgi(0x0fff, fromHex('01')), { format: 'dgi', case4: true });
    assert.deepEqual([r[0]!.sw, toHex(r[0]!.data)], [SW.OK, '99']);
  });

  it('an application without personalization support: 6985', async () => {
    const card = persoCard();
    const { session } = await openSd(card, { level: 0x01 });
    assert.equal((await session.transmit(buildInstall({ kind: 'personalization', applicationAid: fromHex(INERT) }))).sw, SW.OK);
    const before = snapshot(card);
    assert.equal((await store(session, encodeDgi(0x0101, fromHex('01')), { format: 'dgi' }))[0]!.sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    assert.equal(snapshot(card), before);
  });

  it('a target locked during the session: 6985', async () => {
    const card = persoCard();
    const { session } = await openSd(card, { level: 0x01 });
    assert.equal((await session.transmit(buildInstall({ kind: 'personalization', applicationAid: fromHex(PAY) }))).sw, SW.OK);
    assert.equal((await session.transmit(buildSetStatus({ scope: 'application', aid: fromHex(PAY), state: SET_STATUS_LOCK }))).sw, SW.OK);
    const before = snapshot(card);
    assert.equal((await store(session, encodeDgi(0x0101, fromHex('01')), { format: 'dgi' }))[0]!.sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    assert.equal(snapshot(card), before);
  });

  it('a Supplementary Security Domain as the target stores its own data objects (42, 45)', async () => {
    const card = persoCard();
    const { session } = await openSd(card, { level: 0x03 });
    assert.equal((await session.transmit(buildInstall({ kind: 'personalization', applicationAid: fromHex(SSD) }))).sw, SW.OK);
    assert.equal((await store(session, ber([0x42, '5550'], [0x45, '0102030405'])))[0]!.sw, SW.OK);
    const target = card.state.applications.find((a) => toHex(a.aid) === SSD)!.sd!;
    assert.deepEqual([toHex(target.iin!), toHex(target.cin!)], ['5550', '0102030405']);
    assert.equal(await getData(session, GET_DATA_TAGS.IIN), '420142', "the ISD's own IIN is untouched");
  });
});
