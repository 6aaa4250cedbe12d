import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { commandApdu, encodeCommand, parseResponse, SW } from '../../src/apdu/index.ts';
import {
  CARD_LIFECYCLE,
  GET_DATA_TAGS,
  SET_STATUS_LOCK,
  SET_STATUS_UNLOCK,
  buildGetData,
  buildGetStatus,
  buildSelect,
  buildSetStatus,
  buildStoreData,
  type SecureChannelSession,
  type SetStatusRequest,
} from '../../src/gp/index.ts';
import { LEGACY_UICC, STRICT_ESE, type CardProfile } from '../../src/se/index.ts';
import { CardPortTransport } from './helpers.ts';
import { ISD, application, keySet, keysCard, openSd, snapshot, ssd, type KeysCardOptions } from './keys-fixtures.ts';

const APP_A = 'A0000000041010A1'; // ISD's
const SSD1 = 'A000000151535301'; // Card Lock privilege
const APP_B = 'A0000000041010B1'; // SSD1's
const APP_C = 'A0000000041010C1'; // SSD1's, already LOCKED
const SSD2 = 'A000000151535302'; // sibling of SSD1
const APP_D = 'A0000000041010D1'; // SSD2's
const SSD1_KEYS = keySet(0x30, 0x11, 16);
const SSD2_KEYS = keySet(0x30, 0x51, 16);

function hierarchyCard(profile: CardProfile = STRICT_ESE, extra: Partial<KeysCardOptions> = {}) {
  const sd1 = fromHex(SSD1);
  const sd2 = fromHex(SSD2);
  return keysCard({
    profile,
    preinstalled: [
      application(APP_A, ISD),
      ssd(SSD1, ISD, { keys: [SSD1_KEYS], profile, privileges: ['SecurityDomain', 'TrustedPath', 'AuthorizedManagement', 'CardLock'] }),
      application(APP_B, sd1),
      application(APP_C, sd1, { lifecycle: 0x87 }),
      ssd(SSD2, ISD, { keys: [SSD2_KEYS], profile }),
      application(APP_D, sd2),
    ],
    ...extra,
  });
}

function lifecycleOf(card: ReturnType<typeof keysCard>, aid: string): number {
  return card.state.applications.find((a) => toHex(a.aid) === aid)!.lifecycle;
}

async function setStatus(session: SecureChannelSession, request: SetStatusRequest): Promise<number> {
  return (await session.transmit(buildSetStatus(request))).sw;
}

/** SELECT on a supplementary logical channel, opened and closed around it, so channel 0 keeps its session. */
async function selectSw(card: ReturnType<typeof keysCard>, aid: string): Promise<number> {
  const transport = new CardPortTransport(card);
  const open = parseResponse(await transport.transmit(fromHex('0070000001')));
  assert.equal(open.sw, SW.OK);
  const channel = open.data[0]!;
  const select = buildSelect(fromHex(aid));
  const sw = parseResponse(await transport.transmit(encodeCommand(commandApdu({ ...select, cla: channel })))).sw;
  assert.equal(parseResponse(await transport.transmit(Uint8Array.of(channel, 0x70, 0x80, channel))).sw, SW.OK);
  return sw;
}

const lock = (aid: string, scope: 'application' | 'domainAndApplications' = 'application'): SetStatusRequest => ({ scope, aid: fromHex(aid), state: SET_STATUS_LOCK });
const unlock = (aid: string, scope: 'application' | 'domainAndApplications' = 'application'): SetStatusRequest => ({ scope, aid: fromHex(aid), state: SET_STATUS_UNLOCK });
const card = (state: number): SetStatusRequest => ({ scope: 'card', state });

describe('SET STATUS, applications (GPC 2.3.1 §11.10, §5.3.1.3)', () => {
  for (const [name, profile, level, lockedSw] of [
    ['SCP03 SL 01', STRICT_ESE, 0x01, 0x6a82],
    ['SCP03 SL 33', STRICT_ESE, 0x33, 0x6a82],
    ['SCP02 legacy profile', LEGACY_UICC, 0x03, 0x6999],
  ] as const) {
    it(`the ISD locks and unlocks an application; a locked one is not selectable (${name})`, async () => {
      const c = hierarchyCard(profile);
      const { session } = await openSd(c, { level });
      assert.equal(await setStatus(session, lock(APP_A)), SW.OK);
      assert.equal(lifecycleOf(c, APP_A), 0x87);
      assert.equal(await selectSw(c, APP_A), lockedSw, "the profile's status word for a locked application");
      assert.equal(await setStatus(session, unlock(APP_A)), SW.OK);
      assert.equal(lifecycleOf(c, APP_A), 0x07, '§5.3.1.3: back to the previous state');
      assert.equal(await selectSw(c, APP_A), SW.OK);
    });
  }

  it('an SSD locks its own applications, and SSDs in its hierarchy; the ISD (Global Lock) reaches everything', async () => {
    const c = hierarchyCard();
    const { session } = await openSd(c, { level: 0x03, sdAid: fromHex(SSD1), keys: SSD1_KEYS });
    assert.equal(await setStatus(session, lock(APP_B)), SW.OK);
    assert.equal(await setStatus(session, unlock(APP_C)), SW.OK);
    assert.deepEqual([lifecycleOf(c, APP_B), lifecycleOf(c, APP_C)], [0x87, 0x07]);
    const isd = await openSd(c, { level: 0x01 });
    assert.equal(await setStatus(isd.session, lock(APP_D)), SW.OK);
    assert.equal(await setStatus(isd.session, lock(SSD2)), SW.OK);
    assert.equal(lifecycleOf(c, SSD2), 0x87);
    assert.equal(await selectSw(c, SSD2), 0x6a82);
  });

  it('a Security Domain with Global Lock locks outside its hierarchy', async () => {
    const c = keysCard({ preinstalled: [ssd(SSD1, ISD, { keys: [SSD1_KEYS], privileges: ['SecurityDomain', 'GlobalLock'] }), application(APP_A, ISD)] });
    const { session } = await openSd(c, { level: 0x01, sdAid: fromHex(SSD1), keys: SSD1_KEYS });
    assert.equal(await setStatus(session, lock(APP_A)), SW.OK);
    assert.equal(lifecycleOf(c, APP_A), 0x87);
  });

  it('a Security Domain sets itself PERSONALIZED (§5.3.2.3) and LOCKED; locked, it rejects every command; its parent unlocks it', async () => {
    const c = hierarchyCard();
    const { session, transport } = await openSd(c, { level: 0x01, sdAid: fromHex(SSD1), keys: SSD1_KEYS });
    assert.equal(await setStatus(session, { scope: 'application', aid: fromHex(SSD1), state: 0x0f }), SW.OK);
    assert.equal(lifecycleOf(c, SSD1), 0x0f);
    let before = snapshot(c);
    assert.equal(await setStatus(session, { scope: 'application', aid: fromHex(SSD1), state: 0x0f }), SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'same state');
    assert.equal(await setStatus(session, { scope: 'application', aid: fromHex(SSD1), state: 0x07 }), SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'not PERSONALIZED nor LOCKED');
    assert.equal(snapshot(c), before);
    assert.equal(await setStatus(session, lock(SSD1)), SW.OK);
    assert.equal(lifecycleOf(c, SSD1), 0x8f);
    before = snapshot(c);
    assert.equal(parseResponse(await transport.transmit(encodeCommand(buildGetData(GET_DATA_TAGS.CIN)))).sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED, '§5.3.2.4');
    assert.equal(snapshot(c), before);
    const isd = await openSd(c, { level: 0x01 });
    assert.equal(await setStatus(isd.session, unlock(SSD1)), SW.OK);
    assert.equal(lifecycleOf(c, SSD1), 0x0f);
  });

  it('P1 60 locks a Security Domain with its whole sub-hierarchy, and unlocks it all (Table 11-86 note)', async () => {
    const c = hierarchyCard();
    const { session } = await openSd(c, { level: 0x03 });
    assert.equal(await setStatus(session, lock(SSD1, 'domainAndApplications')), SW.OK);
    assert.deepEqual([SSD1, APP_B, APP_C, SSD2, APP_D, APP_A].map((a) => lifecycleOf(c, a)), [0x87, 0x87, 0x87, 0x07, 0x07, 0x07]);
    assert.equal(await selectSw(c, APP_B), 0x6a82);
    const before = snapshot(c);
    assert.equal(await setStatus(session, lock(SSD1, 'domainAndApplications')), SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'the SD is already LOCKED');
    assert.equal(snapshot(c), before);
    assert.equal(await setStatus(session, unlock(SSD1, 'domainAndApplications')), SW.OK);
    assert.deepEqual([SSD1, APP_B, APP_C].map((a) => lifecycleOf(c, a)), [0x07, 0x07, 0x07]);
  });

  const refusals: [string, number, SetStatusRequest, { sd?: string; keys?: typeof SSD1_KEYS }?][] = [
    ['locking a LOCKED application: 6985', SW.CONDITIONS_OF_USE_NOT_SATISFIED, lock(APP_C)],
    ['unlocking an application that is not LOCKED: 6985', SW.CONDITIONS_OF_USE_NOT_SATISFIED, unlock(APP_A)],
    ['an application-specific state from the SD (only b8 counts: "unlock"): 6985', SW.CONDITIONS_OF_USE_NOT_SATISFIED, { scope: 'application', aid: fromHex(APP_A), state: 0x0f }],
    ['an unknown AID: 6A88', SW.REFERENCED_DATA_NOT_FOUND, lock('A0000000049999')],
    ['the ISD through P1 40 (use the card life cycle): 6A80', SW.INCORRECT_DATA, lock(toHex(ISD))],
    ['the ISD through P1 60: 6A80', SW.INCORRECT_DATA, lock(toHex(ISD), 'domainAndApplications')],
    ['P1 60 naming an application, not an SD: 6A80', SW.INCORRECT_DATA, lock(APP_A, 'domainAndApplications')],
    ['an SSD locking an application of another SSD: 6985', SW.CONDITIONS_OF_USE_NOT_SATISFIED, lock(APP_D), { sd: SSD1, keys: SSD1_KEYS }],
    ['an SSD locking a sibling SSD with P1 60: 6985', SW.CONDITIONS_OF_USE_NOT_SATISFIED, lock(SSD2, 'domainAndApplications'), { sd: SSD1, keys: SSD1_KEYS }],
    ['an SSD locking the card without Card Lock: 6985', SW.CONDITIONS_OF_USE_NOT_SATISFIED, card(CARD_LIFECYCLE.CARD_LOCKED), { sd: SSD2, keys: SSD2_KEYS }],
    ['an SSD terminating the card without Card Terminate: 6985', SW.CONDITIONS_OF_USE_NOT_SATISFIED, card(CARD_LIFECYCLE.TERMINATED), { sd: SSD1, keys: SSD1_KEYS }],
    ['the card to its current state: 6985', SW.CONDITIONS_OF_USE_NOT_SATISFIED, card(CARD_LIFECYCLE.SECURED)],
    ['the card back to INITIALIZED: 6985', SW.CONDITIONS_OF_USE_NOT_SATISFIED, card(CARD_LIFECYCLE.INITIALIZED)],
  ];
  for (const [name, sw, request, by] of refusals) {
    it(`refuses ${name}, changing nothing`, async () => {
      const c = hierarchyCard();
      const { session } = await openSd(c, { level: 0x01, ...(by === undefined ? {} : { sdAid: fromHex(by.sd!), keys: by.keys! }) });
      const before = snapshot(c);
      assert.equal(await setStatus(session, request), sw);
      assert.equal(snapshot(c), before);
      assert.equal(c.stats.internalErrors, 0);
    });
  }

  it('refuses a card state that is not in Table 11-6 with 6A86', async () => {
    const c = hierarchyCard();
    const { session } = await openSd(c, { level: 0x01 });
    const before = snapshot(c);
    assert.equal((await session.transmit(commandApdu({ cla: 0x80, ins: 0xf0, p1: 0x80, p2: 0x03 }))).sw, SW.INCORRECT_P1P2);
    assert.equal(snapshot(c), before);
  });
});

describe('SET STATUS, card life cycle (GPC 2.3.1 §5.1, Figure 5-1)', () => {
  it('CARD_LOCKED: only the ISD is selectable, card content and data management are refused, the ISD unlocks', async () => {
    const c = hierarchyCard();
    const { session } = await openSd(c, { level: 0x03 });
    assert.equal(await setStatus(session, card(CARD_LIFECYCLE.CARD_LOCKED)), SW.OK);
    assert.deepEqual([c.state.lifecycle, c.state.applications[0]!.lifecycle], [0x7f, 0x7f]);
    const before = snapshot(c);
    assert.equal((await session.transmit(buildGetStatus({ scope: 'applications' }))).sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    assert.equal((await session.transmit(buildStoreData(new Uint8Array([0x42, 0x01, 0x01]), { format: 'ber' }, 200)[0]!)).sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    assert.equal(await setStatus(session, lock(APP_A)), SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    assert.equal(await setStatus(session, card(CARD_LIFECYCLE.CARD_LOCKED)), SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    assert.equal((await session.transmit(buildGetData(GET_DATA_TAGS.CIN))).sw, SW.OK);
    assert.equal(snapshot(c), before);
    assert.equal(await selectSw(c, APP_A), 0x6a82);
    assert.equal(await selectSw(c, SSD1), 0x6a82);
    assert.equal(await setStatus(session, card(CARD_LIFECYCLE.SECURED)), SW.OK);
    assert.equal(c.state.lifecycle, CARD_LIFECYCLE.SECURED);
    assert.equal(await selectSw(c, APP_A), SW.OK);
  });

  it('an SSD with Card Lock locks the card; it cannot be selected afterwards', async () => {
    const c = hierarchyCard();
    const { session } = await openSd(c, { level: 0x01, sdAid: fromHex(SSD1), keys: SSD1_KEYS });
    assert.equal(await setStatus(session, card(CARD_LIFECYCLE.CARD_LOCKED)), SW.OK);
    assert.equal(await selectSw(c, SSD1), 0x6a82);
  });

  it('TERMINATED is final: GET DATA only, even SET STATUS and INITIALIZE UPDATE are refused', async () => {
    const c = hierarchyCard();
    const { session, transport } = await openSd(c, { level: 0x01 });
    assert.equal(await setStatus(session, card(CARD_LIFECYCLE.TERMINATED)), SW.OK);
    assert.equal(c.state.lifecycle, CARD_LIFECYCLE.TERMINATED);
    const before = snapshot(c);
    assert.equal(await setStatus(session, card(CARD_LIFECYCLE.SECURED)), SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    assert.equal((await session.transmit(buildGetData(GET_DATA_TAGS.CPLC))).sw, SW.OK);
    await assert.rejects(openSd(c, { level: 0x01, transport }));
    assert.equal(snapshot(c), before);
  });

  it('pre-issuance: OP_READY → INITIALIZED → SECURED by the ISD; skipping INITIALIZED is refused', async () => {
    const c = hierarchyCard(STRICT_ESE, { lifecycle: CARD_LIFECYCLE.OP_READY });
    const { session } = await openSd(c, { level: 0x01 });
    const before = snapshot(c);
    assert.equal(await setStatus(session, card(CARD_LIFECYCLE.SECURED)), SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    assert.equal(snapshot(c), before);
    assert.equal(await setStatus(session, card(CARD_LIFECYCLE.INITIALIZED)), SW.OK);
    assert.equal(await setStatus(session, card(CARD_LIFECYCLE.SECURED)), SW.OK);
    assert.equal(c.state.lifecycle, CARD_LIFECYCLE.SECURED);
  });
});
