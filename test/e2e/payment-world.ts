/**
 * The whole payment chain in one process, wired as ARCHITECTURE.md §4 step 4–6 describe: an HSM
 * (any backend) holding the issuer's keys, a test payment-system CA and the ISD keys; the issuer host
 * on a SQLite store; a virtual SE with the payment package; the POS terminal. The card is installed
 * and personalized through the ISD's SCP03 channel whose host keys stay in the HSM, with the DGIs the
 * HSM prepared. Nothing here computes a key the HSM holds.
 */
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { fromHex } from '../../src/bytes/index.ts';
import { encodeCommand, parseResponse } from '../../src/apdu/index.ts';
import type { CvnProfileId } from '../../src/emv/index.ts';
import { PosTerminal, caKeyFromSpki, type PosTerminalOptions, type TerminalOutcome } from '../../src/device/index.ts';
import { SET_STATUS_LOCK, SET_STATUS_UNLOCK, buildInstall, buildSelect, buildSetStatus, buildStoreData, openScp03, type SecureChannelSession } from '../../src/gp/index.ts';
import { MASTERCARD_STYLE_AID, PPSE_AID, VISA_STYLE_AID, type VirtualSecureElement } from '../../src/se/index.ts';
import { closeDatabase, migrateToLatest, openDatabase, type StoreDb } from '../../src/store/index.ts';
import { IssuerService, createPaymentIssuer, ppseEntryDgi, preparePersonalization, type IssuerPersonalizationKeys, type PaymentCardRecord } from '../../src/tsm/index.ts';
import { importClear, SPECS, type HsmSetup, type HsmUnderTest } from '../hsm/conformance/fixture.ts';
import { CardPortTransport, ISD_KEYS } from '../se/helpers.ts';
import { ISD, installPayment, paymentCard } from '../se/payment/helpers.ts';

/** The PIN key (P0) the SP encrypts PINs under, known to the test so it can make PIN blocks. */
export const PIN_KEY = fromHex('0123456789ABCDEFFEDCBA9876543210');
export const CA_INDEX = 0x92;

/**
 * The two profiles the end-to-end runs (docs/payment-application.md §2): one issuer running two card
 * products on its BIN 476173 (the issuer certificate's identifier must prefix every PAN it covers).
 */
export const E2E_PROFILES: readonly { profile: CvnProfileId; flow: 'gpo' | 'generate-ac'; aid: Uint8Array; pan: string }[] = [
  { profile: 'visa-18', flow: 'gpo', aid: VISA_STYLE_AID, pan: '4761730000000010' },
  { profile: 'mastercard-17', flow: 'generate-ac', aid: MASTERCARD_STYLE_AID, pan: '4761730000000028' },
];

/** ISO 9564-1 format 0 block of `pin` for `pan`, enciphered under PIN_KEY (the SP's side, in the test). */
export function spPinBlock(pin: string, pan: string): Uint8Array {
  const pinField = fromHex(`0${pin.length}${pin}`.padEnd(16, 'F'));
  const panField = fromHex(`0000${pan.slice(-13, -1)}`);
  const clear = pinField.map((b, i) => b ^ panField[i]!);
  return new Uint8Array(createCipheriv('des-ede-ecb', PIN_KEY, null).setAutoPadding(false).update(clear));
}

export interface PaymentWorld {
  readonly t: HsmUnderTest;
  readonly db: StoreDb;
  readonly issuer: IssuerService;
  readonly issuerKeys: IssuerPersonalizationKeys;
  readonly terminal: PosTerminal;
  /** The terminal's options (CA keys, AIDs), to build one with another authorizer. */
  readonly terminalOptions: PosTerminalOptions;
  readonly pinKey: string;
  readonly isd: { readonly enc: string; readonly mac: string; readonly dek: string };
  close(): Promise<void>;
}

/** HSM keys, issuer, terminal: what every card of a run shares. */
export async function paymentWorld(setup: HsmSetup): Promise<PaymentWorld> {
  const t = await setup();
  const db = await openDatabase(':memory:');
  await migrateToLatest(db);
  const caCtx = { tenant: `${t.ctx.tenant}-scheme`, actor: 'test' };
  const ca = await t.hsm.generateKeyPair({ algorithm: 'R', size: 1408, usage: 'S1', owner: caCtx.tenant, label: 'test payment-system CA' }, caCtx);
  const caSpki = await t.hsm.exportPublicKey(ca.id, caCtx);
  const issuerKeys = await createPaymentIssuer(t.hsm, t.ctx, { ca: { key: ca.id, ctx: caCtx, index: CA_INDEX }, issuerIdentifier: '476173', expiry: '1230' });
  const panIndexKey = await t.hsm.generateKey({ usage: 'M7', algorithm: 'H', modeOfUse: 'C', exportability: 'N', length: 32, owner: t.ctx.tenant, label: 'PAN index' }, t.ctx);
  const issuer = new IssuerService({ db, hsm: t.hsm, ctx: t.ctx, panIndexKey: panIndexKey.id });
  const caKeys = E2E_PROFILES.map((p) => caKeyFromSpki(p.aid.subarray(0, 5), CA_INDEX, caSpki));
  const terminalOptions: PosTerminalOptions = { caKeys, supportedAids: E2E_PROFILES.map((p) => p.aid), authorizer: issuer };
  const terminal = new PosTerminal(terminalOptions);
  const isd = {
    enc: (await importClear(t, SPECS.gpEnc, ISD_KEYS.enc)).id,
    mac: (await importClear(t, SPECS.gpMac, ISD_KEYS.mac)).id,
    dek: (await importClear(t, SPECS.gpDek, ISD_KEYS.dek)).id,
  };
  const pinKey = (await importClear(t, SPECS.pinT, PIN_KEY)).id;
  return { t, db, issuer, issuerKeys, terminal, terminalOptions, pinKey, isd, close: async () => { await closeDatabase(db); await t.close(); } };
}

/** A phone's SE with one payment card on it, and the issuer's id for that card. */
export interface ProvisionedCard {
  readonly se: VirtualSecureElement;
  readonly transport: CardPortTransport;
  readonly aid: Uint8Array;
  readonly cardId: string;
  readonly record: PaymentCardRecord;
}

/** The ISD's SCP03 channel, host keys in the HSM. */
export async function isdChannel(world: PaymentWorld, transport: CardPortTransport): Promise<SecureChannelSession> {
  assert.equal(parseResponse(await transport.transmit(encodeCommand(buildSelect(ISD)))).sw, 0x9000);
  const keys = await world.t.hsm.scp03HostKeys(world.isd, ISD_KEYS.kvn, world.t.ctx);
  return openScp03(transport, keys, { securityLevel: 0x33, sdAid: ISD });
}

async function sendAll(session: SecureChannelSession, commands: readonly Parameters<SecureChannelSession['transmit']>[0][]): Promise<void> {
  for (const c of commands) assert.equal((await session.transmit(c)).sw, 0x9000);
}

/** Installs, personalizes (HSM-prepared DGIs through the ISD channel), lists in the PPSE and registers one card. */
export async function provisionCard(world: PaymentWorld, p: (typeof E2E_PROFILES)[number], options: { pin?: string } = {}): Promise<ProvisionedCard> {
  const { card: se } = paymentCard();
  const transport = new CardPortTransport(se);
  const record: PaymentCardRecord = {
    pan: p.pan, psn: '01', expiry: '301231', profile: p.profile, flow: p.flow, issuerCountry: '250', label: p.flow === 'gpo' ? 'OPENTSM VISA' : 'OPENTSM MC',
    priority: 1, keyDerivationIndex: 1, pin: { block: { key: world.pinKey, format: 0, block: spPinBlock(options.pin ?? '1234', p.pan), pan: p.pan }, tryLimit: 3 },
  };
  const prepared = await preparePersonalization(world.t.hsm, world.t.ctx, record, world.issuerKeys, { dek: world.isd.dek, scp: 3 });
  const session = await isdChannel(world, transport);
  assert.equal(await installPayment(session, p.aid), 0x9000);
  await sendAll(session, [buildInstall({ kind: 'personalization', applicationAid: p.aid }), ...buildStoreData(prepared.stream, { format: 'dgi', encryption: 'application' }, 200)]);
  await sendAll(session, [buildInstall({ kind: 'personalization', applicationAid: PPSE_AID }), ...buildStoreData(ppseEntryDgi(p.aid, record), { format: 'dgi' }, 200)]);
  const cardId = await world.issuer.registerCard({ pan: record.pan, psn: record.psn, profile: record.profile, imkAc: world.issuerKeys.imkAc, imkSmi: world.issuerKeys.imkSmi, imkSmc: world.issuerKeys.imkSmc });
  return { se, transport, aid: p.aid, cardId, record };
}

/** GP SET STATUS lock (or unlock) of the card's application through the ISD. */
export async function setLocked(world: PaymentWorld, card: ProvisionedCard, locked: boolean): Promise<void> {
  const session = await isdChannel(world, card.transport);
  assert.equal((await session.transmit(buildSetStatus({ scope: 'application', aid: card.aid, state: locked ? SET_STATUS_LOCK : SET_STATUS_UNLOCK }))).sw, 0x9000);
}

/** One tap of a purchase. */
export function tap(world: PaymentWorld, card: ProvisionedCard, amount = 1500): Promise<TerminalOutcome> {
  return world.terminal.transact(card.transport, { amount, currency: 978, country: 250, date: '261127' });
}
