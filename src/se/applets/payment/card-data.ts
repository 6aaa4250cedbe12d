/**
 * The personalized card as the applet uses it, read from its DGIs (docs/payment-application.md §4;
 * EMV CPS v1.1): profile, flow, DOLs, AIP/AFL, ICC master keys, PIN, ICC private key. The same
 * reading is the completeness and consistency check of the last STORE DATA (§4.2): a required DGI
 * that is absent is listed by {@link missingDgis} (6A88, GET DATA DF70); anything present but unusable
 * answers 6A80.
 */
import { equalCt } from '../../../bytes/index.ts';
import { kcv } from '../../../crypto/index.ts';
import { CVN_PROFILES, PAYMENT_DGI, PAYMENT_FLOW, PAYMENT_INTERNAL_TAG, decodePinBlock, parseDol, recordDgi, type CvnProfile, type CvnProfileId, type DolEntry } from '../../../emv/index.ts';
import { parseTlvList, type Tlv } from '../../../tlv/index.ts';
import { inconsistent } from './perso-refusal.ts';
import { dgiValue, type PaymentState } from './payment-state.ts';
import { readRsaCrt, type RsaCrtKey } from './rsa-crt.ts';
import { logEntryOf, type LogEntry } from './transaction-log.ts';

/** Everything a transaction needs, read from the stored DGIs. */
export interface CardData {
  readonly profileId: CvnProfileId;
  readonly profile: CvnProfile;
  readonly flow: number;
  readonly dki: number;
  /** DGI 9102: the content of the FCI proprietary template A5. */
  readonly fci: Uint8Array;
  readonly pdol: readonly DolEntry[];
  readonly cdol1: readonly DolEntry[] | undefined;
  /** DGI 9104: 82 AIP ‖ 94 AFL, as the GPO response carries them. */
  readonly gpoData: Uint8Array;
  readonly aip: Uint8Array;
  readonly keys: { readonly ac: Uint8Array; readonly smi: Uint8Array; readonly smc: Uint8Array };
  readonly rsa: RsaCrtKey | undefined;
  /** Log Entry 9F4D of the FCI (BF0C): the transaction log's SFI and size, or undefined for no log. */
  readonly log: LogEntry | undefined;
}

/** The DGIs required in any case (§4). */
const BASE_DGIS = [PAYMENT_DGI.INTERNAL, PAYMENT_DGI.ICC_KEYS, PAYMENT_DGI.ICC_KEY_KCVS, PAYMENT_DGI.FCI, PAYMENT_DGI.GPO];
/** The offline PIN: optional for an online-only card (§3), but 8010 and 9010 come together. */
const PIN_DGIS = [PAYMENT_DGI.PIN, PAYMENT_DGI.PIN_COUNTERS];
const RSA_DGIS = [PAYMENT_DGI.ICC_PRIVATE_QINV, PAYMENT_DGI.ICC_PRIVATE_DQ, PAYMENT_DGI.ICC_PRIVATE_DP, PAYMENT_DGI.ICC_PRIVATE_Q, PAYMENT_DGI.ICC_PRIVATE_P];
/** The cryptogram-input elements the card supplies itself; every other one comes from the terminal. */
const CARD_ELEMENTS = new Set(['82', '9F36', '9F10']);
/** fDDA terminal dynamic data (§3.1): UN, amount, currency. */
const FDDA_TERMINAL = [{ tag: 0x9f37, length: 4 }, { tag: 0x9f02, length: 6 }, { tag: 0x5f2a, length: 2 }];

function tlvs(value: Uint8Array, what: string): readonly Tlv[] {
  try {
    return parseTlvList(value);
  } catch {
    return inconsistent(`${what} is not BER-TLV`);
  }
}

function dol(value: Uint8Array, what: string): readonly DolEntry[] {
  try {
    return parseDol(value);
  } catch {
    return inconsistent(`${what} is not a DOL`);
  }
}

const find = (list: readonly Tlv[], tag: number): Uint8Array | undefined => list.find((t) => t.tag === tag)?.value;

/** AIP and AFL of DGI 9104, or undefined if it does not parse (reported as 6A80 at completion). */
function gpoParts(value: Uint8Array): { aip: Uint8Array; afl: Uint8Array } | undefined {
  let list: readonly Tlv[];
  try {
    list = parseTlvList(value);
  } catch {
    return undefined;
  }
  const aip = find(list, 0x82);
  const afl = find(list, 0x94);
  if (aip?.length !== 2 || afl === undefined || afl.length === 0 || afl.length % 4 !== 0) return undefined;
  return { aip, afl };
}

/** EMV Book 3 §10.2: the records an AFL names (SFI 1–30, first ≥ 1, last ≥ first, ODA count within range), or undefined. */
function aflRecords(afl: Uint8Array): number[] | undefined {
  const out: number[] = [];
  for (let i = 0; i < afl.length; i += 4) {
    const [b0, first, last, oda] = [afl[i]!, afl[i + 1]!, afl[i + 2]!, afl[i + 3]!];
    const sfi = b0 >> 3;
    if ((b0 & 0x07) !== 0 || sfi < 1 || sfi > 30 || first < 1 || last < first || oda > last - first + 1) return undefined;
    for (let r = first; r <= last; r++) out.push(recordDgi(sfi, r));
  }
  return out;
}

/** The AIP says offline dynamic data authentication (EMV Book 3 Annex C1: byte 1 b6 DDA). */
export function aipWantsDda(aip: Uint8Array): boolean {
  return ((aip[0] ?? 0) & 0x20) !== 0;
}

/** The required DGIs not stored yet, in order (GET DATA DF70, §4.3). */
export function missingDgis(state: PaymentState): number[] {
  const required: number[] = [...BASE_DGIS];
  if (hasOfflinePin(state)) required.push(...PIN_DGIS);
  const gpo = dgiValue(state, PAYMENT_DGI.GPO);
  const parts = gpo === undefined ? undefined : gpoParts(gpo);
  if (parts !== undefined) {
    required.push(...(aflRecords(parts.afl) ?? []));
    if (aipWantsDda(parts.aip)) required.push(...RSA_DGIS);
  }
  return [...new Set(required)].filter((d) => dgiValue(state, d) === undefined).sort((a, b) => a - b);
}

/** §4 DGI 9000: the KCVs (3DES of zeros, 3 bytes each) of DGI 8000's keys; a mismatch answers 6A80. */
export function checkKcvs(keys: Uint8Array, kcvs: Uint8Array): void {
  if (keys.length !== 48) inconsistent('DGI 8000 holds three 16-byte keys');
  if (kcvs.length !== 9) inconsistent('DGI 9000 holds three 3-byte KCVs');
  let ok = true;
  for (let i = 0; i < 3; i++) ok = equalCt(kcv(keys.subarray(16 * i, 16 * i + 16), 'tdes-zeros', 3), kcvs.subarray(3 * i, 3 * i + 3)) && ok;
  if (!ok) inconsistent('a key does not match its KCV');
}

function covers(entries: readonly DolEntry[], tag: number, length: number): boolean {
  return entries.some((e) => e.tag === tag && e.length === length);
}

/** The profile and flow of DGI 0D01 with its DOL. */
function internal(value: Uint8Array): { profileId: CvnProfileId; flow: number; dki: number; cdol1: readonly DolEntry[] | undefined } {
  const list = tlvs(value, 'DGI 0D01');
  const id = new TextDecoder().decode(find(list, PAYMENT_INTERNAL_TAG.PROFILE) ?? new Uint8Array(0));
  if (!Object.hasOwn(CVN_PROFILES, id)) inconsistent('unknown CVN profile');
  const flow = find(list, PAYMENT_INTERNAL_TAG.FLOW);
  const dki = find(list, PAYMENT_INTERNAL_TAG.KEY_DERIVATION_INDEX);
  if (flow?.length !== 1 || (flow[0] !== PAYMENT_FLOW.GPO && flow[0] !== PAYMENT_FLOW.GENERATE_AC)) inconsistent('DF02 flow must be 01 or 02');
  if (dki?.length !== 1) inconsistent('DF03 key derivation index must be one byte');
  const cdol = find(list, PAYMENT_INTERNAL_TAG.CDOL1);
  if (flow[0] === PAYMENT_FLOW.GENERATE_AC && cdol === undefined) inconsistent('flow 02 needs CDOL1 (8C)');
  return { profileId: id as CvnProfileId, flow: flow[0], dki: dki[0] ?? 0, cdol1: cdol === undefined ? undefined : dol(cdol, 'CDOL1') };
}

/**
 * Reads and checks every stored DGI (§4.2). Call only when {@link missingDgis} is empty; answers
 * 6A80 (CardException) for anything inconsistent.
 */
export function readCardData(state: PaymentState): CardData {
  const get = (dgi: number): Uint8Array => dgiValue(state, dgi) ?? inconsistent(`DGI ${dgi.toString(16)} missing`);
  const { profileId, flow, dki, cdol1 } = internal(get(PAYMENT_DGI.INTERNAL));
  const profile: CvnProfile = CVN_PROFILES[profileId];
  const fci = get(PAYMENT_DGI.FCI);
  const fciTlvs = tlvs(fci, 'DGI 9102');
  const pdolValue = find(fciTlvs, 0x9f38);
  const pdol = pdolValue === undefined ? [] : dol(pdolValue, 'PDOL');
  const gpoData = get(PAYMENT_DGI.GPO);
  const parts = gpoParts(gpoData) ?? inconsistent('DGI 9104 must hold 82 (2 bytes) and 94 (4n bytes)');
  const records = aflRecords(parts.afl) ?? inconsistent('the AFL is malformed');
  const log = logEntryOf(fciTlvs);
  // the log file is the card's own: no AFL record may live in it
  if (log !== undefined && records.some((r) => r >> 8 === log.sfi)) inconsistent('the log SFI is an AFL file');
  for (const r of records) {
    const rec = tlvs(get(r), 'a record');
    if (rec.length !== 1 || rec[0]!.tag !== 0x70) inconsistent('a record must be one 70 template');
  }
  const keys = get(PAYMENT_DGI.ICC_KEYS);
  checkKcvs(keys, get(PAYMENT_DGI.ICC_KEY_KCVS));
  if (hasOfflinePin(state)) readPin(state);
  // §4.2: the DOL of the flow must give every terminal element of the cryptogram input
  const txnDol = flow === PAYMENT_FLOW.GPO ? pdol : (cdol1 ?? []);
  for (const e of profile.acData) {
    if (e.from === undefined && !CARD_ELEMENTS.has(e.id) && !covers(txnDol, parseInt(e.id, 16), e.length ?? 0)) inconsistent(`the DOL does not give ${e.id}`);
  }
  const dda = aipWantsDda(parts.aip);
  if (dda && !FDDA_TERMINAL.every((t) => covers(pdol, t.tag, t.length))) inconsistent('fDDA needs 9F37, 9F02 and 5F2A in the PDOL');
  const rsa = dda ? readRsaCrt(RSA_DGIS.map(get)) : undefined;
  return {
    profileId,
    profile,
    flow,
    dki,
    fci,
    pdol,
    cdol1,
    gpoData,
    aip: parts.aip,
    keys: { ac: keys.slice(0, 16), smi: keys.slice(16, 32), smc: keys.slice(32, 48) },
    rsa,
    log,
  };
}

/** Whether the card has an offline PIN (either PIN DGI stored; the other is then required). */
export function hasOfflinePin(state: PaymentState): boolean {
  return PIN_DGIS.some((d) => dgiValue(state, d) !== undefined);
}

/** The reference PIN block (DGI 8010 or a later PIN CHANGE) and the try counters of DGI 9010, checked. */
export function readPin(state: PaymentState): { block: Uint8Array; tries: number; limit: number } {
  const block = state.pinBlock ?? dgiValue(state, PAYMENT_DGI.PIN) ?? inconsistent('no PIN');
  const counters = dgiValue(state, PAYMENT_DGI.PIN_COUNTERS) ?? inconsistent('no PIN counters');
  try {
    decodePinBlock(block, { format: 2 });
  } catch {
    inconsistent('DGI 8010 is not an ISO 9564-1 format 2 PIN block');
  }
  if (counters.length !== 2 || counters[1]! < 1 || counters[1]! > 15 || counters[0]! > counters[1]!) inconsistent('DGI 9010 must be counter ‖ limit, 1 ≤ limit ≤ 15');
  return { block, tries: counters[0]!, limit: counters[1]! };
}
