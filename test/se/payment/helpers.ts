/**
 * Test plumbing for the payment applet: a virtual SE with the payment package, the personalization
 * DGIs built here from docs/payment-application.md §4 with plain keys (this tests the card; the
 * host's data preparation is tsm/personalization's), sent through the ISD's SCP03 channel, and a
 * minimal terminal that drives a tap.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { concat, fromHex } from '../../../src/bytes/index.ts';
import { commandApdu, encodeCommand, parseResponse, type ResponseApdu } from '../../../src/apdu/index.ts';
import { kcv, padMethod2 } from '../../../src/crypto/index.ts';
import { CVN_PROFILES, PAYMENT_DGI, buildDolData, deriveIccMasterKeyOptionA, deriveIccMasterKeyOptionB, encodePinBlock, parseDol, type CvnProfileId } from '../../../src/emv/index.ts';
import { buildInstall, buildSelect, buildStoreData, encodeInstallParameters, encodePrivileges, openScp03, plainScp03Keys, type SecureChannelSession } from '../../../src/gp/index.ts';
import { encodeDgi, encodeTlv, parseTlv, parseTlvList, tlv, type Tlv } from '../../../src/tlv/index.ts';
import { DEFAULT_APPLET_LIBRARY, MemoryCardStore, PAYMENT_LOAD_FILE_AID, PAYMENT_MODULE_AID, VirtualSecureElement, withPaymentPackage } from '../../../src/se/index.ts';
import { CardPortTransport, ISD_KEYS, testCardState } from '../helpers.ts';

export const ISD = fromHex('A000000151000000');
export const PDOL = fromHex('9F66049F02069F03069F1A0295055F2A029A039C019F3704');
export const CDOL1 = fromHex('9F02069F03069F1A0295055F2A029A039C019F3704');
export const AFL = fromHex('0801010110010200');
export const IMK = { ac: fromHex('0123456789ABCDEFFEDCBA9876543210'), smi: fromHex('FEDCBA98765432100123456789ABCDEF'), smc: fromHex('89ABCDEF0123456776543210FEDCBA98') };
export const PAN = '5413330089600010';
export const PSN = '01';

/** A card with the payment package, on a memory store (reload it with `new VirtualSecureElement(store, …)`). */
export function paymentCard(): { card: VirtualSecureElement; store: MemoryCardStore } {
  const store = new MemoryCardStore(withPaymentPackage(testCardState()));
  return { card: new VirtualSecureElement(store, { library: DEFAULT_APPLET_LIBRARY }), store };
}

/** The card's ICC master keys for `profile` from the test IMKs (EMV Book 2 A1.4, by the profile's option). */
export function iccKeys(profileId: CvnProfileId, imk = IMK, pan = PAN, psn = PSN): { ac: Uint8Array; smi: Uint8Array; smc: Uint8Array } {
  const derive = CVN_PROFILES[profileId].masterKeyDerivation === 'option-a' ? deriveIccMasterKeyOptionA : deriveIccMasterKeyOptionB;
  return { ac: derive(imk.ac, pan, psn), smi: derive(imk.smi, pan, psn), smc: derive(imk.smc, pan, psn) };
}

/** An RSA key with e = 3 as CRT components, each left-padded to half the modulus. */
export function iccRsaKey(bits = 1024): { qinv: Uint8Array; dq: Uint8Array; dp: Uint8Array; q: Uint8Array; p: Uint8Array; n: Uint8Array } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 3 });
  const jwk = privateKey.export({ format: 'jwk' });
  const half = bits / 16;
  const f = (v: string | undefined, len: number): Uint8Array => {
    const b = new Uint8Array(Buffer.from(v!, 'base64url'));
    const out = new Uint8Array(len);
    out.set(b, len - b.length);
    return out;
  };
  return { qinv: f(jwk.qi, half), dq: f(jwk.dq, half), dp: f(jwk.dp, half), q: f(jwk.q, half), p: f(jwk.p, half), n: f(jwk.n, 2 * half) };
}

export interface PersoOptions {
  profile: CvnProfileId;
  flow: 1 | 2;
  keys: { ac: Uint8Array; smi: Uint8Array; smc: Uint8Array };
  pin?: string;
  pinTries?: number;
  aip?: Uint8Array;
  dki?: number;
  rsa?: ReturnType<typeof iccRsaKey> | undefined;
}

/** The DGIs of §4 (plain values), in the order a data preparation would send them. */
export function paymentDgis(o: PersoOptions): { dgi: number; value: Uint8Array }[] {
  const aip = o.aip ?? fromHex(o.rsa === undefined ? '0400' : '2400');
  const rec1: Tlv[] = [tlv(0x57, fromHex('5413330089600010D2512201')), tlv(0x5a, fromHex(PAN)), tlv(0x5f24, fromHex('251231')), tlv(0x5f34, fromHex(PSN)), tlv(0x5f28, fromHex('0250')), tlv(0x9f07, fromHex('FF00'))];
  if (o.flow === 2) rec1.push(tlv(0x8c, CDOL1));
  rec1.push(tlv(0x9f4a, fromHex('82')));
  const internal = [tlv(0xdf01, new TextEncoder().encode(o.profile)), tlv(0xdf02, Uint8Array.of(o.flow)), tlv(0xdf03, Uint8Array.of(o.dki ?? 1)), ...(o.flow === 2 ? [tlv(0x8c, CDOL1)] : [])];
  const out = [
    { dgi: 0x0101, value: encodeTlv(tlv(0x70, rec1)) },
    { dgi: 0x0201, value: encodeTlv(tlv(0x70, [tlv(0x8f, fromHex('92')), tlv(0x90, new Uint8Array(128).fill(0x55)), tlv(0x9f32, fromHex('03'))])) },
    { dgi: 0x0202, value: encodeTlv(tlv(0x70, [tlv(0x9f46, new Uint8Array(128).fill(0x66)), tlv(0x9f47, fromHex('03'))])) },
    { dgi: PAYMENT_DGI.FCI, value: concat(encodeTlv(tlv(0x50, new TextEncoder().encode('OPENTSM'))), encodeTlv(tlv(0x87, fromHex('01'))), encodeTlv(tlv(0x9f38, PDOL))) },
    { dgi: PAYMENT_DGI.GPO, value: concat(encodeTlv(tlv(0x82, aip)), encodeTlv(tlv(0x94, AFL))) },
    { dgi: PAYMENT_DGI.INTERNAL, value: concat(...internal.map((t) => encodeTlv(t))) },
    { dgi: PAYMENT_DGI.ICC_KEYS, value: concat(o.keys.ac, o.keys.smi, o.keys.smc) },
    { dgi: PAYMENT_DGI.ICC_KEY_KCVS, value: concat(...[o.keys.ac, o.keys.smi, o.keys.smc].map((k) => kcv(k, 'tdes-zeros', 3))) },
    { dgi: PAYMENT_DGI.PIN, value: encodePinBlock(o.pin ?? '1234', { format: 2 }) },
    { dgi: PAYMENT_DGI.PIN_COUNTERS, value: Uint8Array.of(o.pinTries ?? 3, o.pinTries ?? 3) },
  ];
  if (o.rsa !== undefined) {
    const r = o.rsa;
    out.push({ dgi: 0x8201, value: r.qinv }, { dgi: 0x8202, value: r.dq }, { dgi: 0x8203, value: r.dp }, { dgi: 0x8204, value: r.q }, { dgi: 0x8205, value: r.p });
  }
  return out;
}

/** A host session to the ISD (SCP03, C-MAC C-DEC R-MAC R-ENC). */
export async function isdSession(card: VirtualSecureElement): Promise<SecureChannelSession> {
  const transport = new CardPortTransport(card);
  assert.equal(parseResponse(await transport.transmit(encodeCommand(buildSelect(ISD)))).sw, 0x9000);
  return openScp03(transport, plainScp03Keys({ keyVersion: ISD_KEYS.kvn, enc: ISD_KEYS.enc, mac: ISD_KEYS.mac, dek: ISD_KEYS.dek }), { securityLevel: 0x33, sdAid: ISD });
}

/** INSTALL [for install and make selectable] of a payment instance `aid`. */
export async function installPayment(session: SecureChannelSession, aid: Uint8Array): Promise<number> {
  const install = buildInstall({ kind: 'install', loadFileAid: PAYMENT_LOAD_FILE_AID, moduleAid: PAYMENT_MODULE_AID, applicationAid: aid, privileges: encodePrivileges([]), parameters: encodeInstallParameters({ applicationSpecific: new Uint8Array(0) }), makeSelectable: true });
  return (await session.transmit(install)).sw;
}

/** §4: each 8xxx value enciphered on its own under the DEK (8000: each key on its own), 80-padded to the block. */
async function encipher(session: SecureChannelSession, dgi: number, value: Uint8Array, block: 8 | 16): Promise<Uint8Array> {
  if ((dgi & 0xf000) !== 0x8000) return value;
  if (dgi === PAYMENT_DGI.ICC_KEYS) return concat(...(await Promise.all([0, 16, 32].map((o) => session.encryptSensitive(value.subarray(o, o + 16))))));
  return session.encryptSensitive(value.length % block === 0 ? value : padMethod2(value, block));
}

/** INSTALL [for personalization] of `aid`, then the DGIs in STORE DATA blocks; the status word of the first refusal or of the last block. */
export async function storeDgis(session: SecureChannelSession, aid: Uint8Array, dgis: readonly { dgi: number; value: Uint8Array }[], blockSize = 200, cipherBlock: 8 | 16 = 16): Promise<number> {
  const install = await session.transmit(buildInstall({ kind: 'personalization', applicationAid: aid }));
  if (install.sw !== 0x9000) return install.sw;
  const stream = concat(...(await Promise.all(dgis.map(async (d) => encodeDgi(d.dgi, await encipher(session, d.dgi, d.value, cipherBlock))))));
  let sw = 0x9000;
  for (const cmd of buildStoreData(stream, { format: 'dgi', encryption: 'application' }, blockSize)) {
    sw = (await session.transmit(cmd)).sw;
    if (sw !== 0x9000) break;
  }
  return sw;
}

/** Sends one APDU to the card on the basic channel. */
export function send(card: VirtualSecureElement, cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, ne?: number): ResponseApdu {
  const cmd = commandApdu({ cla, ins, p1, p2, ...(data === undefined || data.length === 0 ? {} : { data }), ...(ne === undefined ? {} : { ne }) });
  return parseResponse(card.process(encodeCommand(cmd)));
}

/** The children of a 77 template by tag (hex). */
export function template77(data: Uint8Array): Record<string, Uint8Array> {
  const node = parseTlv(data);
  assert.equal(node.tag, 0x77);
  return Object.fromEntries((node.children ?? []).map((c) => [c.tag.toString(16).toUpperCase(), c.value]));
}

/** Terminal values for the PDOL and CDOL1 (EMV Book 3 §5.4). */
export function terminalValues(un = fromHex('11223344')): Record<string, Uint8Array> {
  return { '9F66': fromHex('36004000'), '9F02': fromHex('000000001500'), '9F03': fromHex('000000000000'), '9F1A': fromHex('0250'), '95': fromHex('0000000000'), '5F2A': fromHex('0978'), '9A': fromHex('261127'), '9C': fromHex('00'), '9F37': un };
}

/** GET PROCESSING OPTIONS with the PDOL data for `values`. */
export function gpo(card: VirtualSecureElement, values: Record<string, Uint8Array>, pdol = PDOL): ResponseApdu {
  const data = buildDolData(parseDol(pdol), values);
  return send(card, 0x80, 0xa8, 0, 0, concat(Uint8Array.of(0x83, data.length), data), 256);
}

/** GENERATE AC with the CDOL1 data for `values`. */
export function generateAc(card: VirtualSecureElement, p1: number, values: Record<string, Uint8Array>): ResponseApdu {
  return send(card, 0x80, 0xae, p1, 0, buildDolData(parseDol(CDOL1), values), 256);
}

export function select(card: VirtualSecureElement, aid: Uint8Array): ResponseApdu {
  return send(card, 0x00, 0xa4, 0x04, 0x00, aid, 256);
}

export function getData(card: VirtualSecureElement, tag: number): ResponseApdu {
  return send(card, 0x80, 0xca, tag >> 8, tag & 0xff, undefined, 256);
}

export { parseTlvList };

/** A card with one payment instance personalized (no SCP session left open); the basic channel is free. */
export async function personalizedPaymentCard(o: Omit<PersoOptions, 'keys'> & { aid?: Uint8Array; keys?: PersoOptions['keys'] }) {
  const { card, store } = paymentCard();
  const aid = o.aid ?? fromHex('A0000000031010');
  const keys = o.keys ?? iccKeys(o.profile);
  const session = await isdSession(card);
  assert.equal(await installPayment(session, aid), 0x9000);
  assert.equal(await storeDgis(session, aid, paymentDgis({ ...o, keys })), 0x9000);
  session.close();
  card.reset();
  return { card, store, keys, aid };
}

/** A tap up to the cryptogram: SELECT, GPO (and GENERATE AC in flow 2); returns the cryptogram's template. */
export function tap(card: VirtualSecureElement, aid: Uint8Array, flow: 1 | 2, values = terminalValues(), p1 = 0x80): { sw: number; t: Record<string, Uint8Array>; un: Uint8Array } {
  select(card, aid);
  const g = gpo(card, values);
  if (g.sw !== 0x9000) return { sw: g.sw, t: {}, un: values['9F37']! };
  if (flow === 1) return { sw: g.sw, t: template77(g.data), un: values['9F37']! };
  const r = generateAc(card, p1, values);
  return { sw: r.sw, t: r.sw === 0x9000 ? template77(r.data) : {}, un: values['9F37']! };
}

/** Rewrites the payment instance's persistent data in the card's memory (a test's way to reach e.g. ATC FFFE without 65534 taps). */
export function editPaymentData(store: MemoryCardStore, aid: Uint8Array, change: (data: Record<string, unknown>) => Record<string, unknown>): void {
  const state = store.load();
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  store.save({ ...state, applications: state.applications.map((a) => (hex(a.aid) === hex(aid) ? { ...a, data: change(a.data as Record<string, unknown>) } : a)) });
}
