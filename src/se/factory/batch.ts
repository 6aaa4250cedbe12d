/**
 * The card factory: a batch of factory-fresh virtual cards and the operator's key file.
 *
 * Per card: a unique CIN, CPLC (unique IC serial) and KDD; ISD keys diversified from the batch
 * master keys with the card's KDD by the gp/ functions (KDF3 for SCP03, EMV CPG 2.04 or VISA2 for
 * SCP02 — gp.md §5.5); for OTA, random SCP80 key sets (KIc/KID, KVN 01–0F, counters at 0), the
 * TARs of the ISD and a random SCP81 PSK with its identity; optionally the ARA-M; the payment load file with the PPSE (unless
 * `withPayment: false`). The key file
 * carries the master keys once and every per-card random key, each as a TR-31 key block.
 */
import { fromHex, readUintBe, toHex } from '../../bytes/index.ts';
import { kcv, randomBytes } from '../../crypto/index.ts';
import { diversifyKey, DIVERSIFICATION_METHODS, type DiversificationMethod, type KeyType } from '../../gp/index.ts';
import { araMInstance, araMLoadFile } from '../applets/ara-m/ara-m-package.ts';
import { paymentLoadFile, ppseInstance } from '../applets/payment/payment-package.ts';
import { SeError } from '../errors.ts';
import type { CardProfile } from '../profiles/card-profile.ts';
import type { CardState, OtaState, Scp80KeySetState } from '../state/card-state.ts';
import { newCardState } from '../state/new-card.ts';
import { addDecimal, assertDigits, bcd, buildCplc, encodeIccid, encodeIin, kddFromCplc, luhnDigit } from './identifiers.ts';
import { exportKey, kcvMethodOf, keyBlockVersion, type TransportKek } from './key-blocks.ts';
import { encodeKeyFile, KEY_BLOCK_USAGES, KEY_FILE_FORMAT, type KeyFile, type KeyFileCard } from './key-file.ts';

/** SCP80 key sets and the SCP81 PSK to create on each card. */
export interface OtaKeyOptions {
  readonly algorithm: Scp80KeySetState['algorithm'];
  /** Key version numbers 01–0F, one key set each (default [1]). */
  readonly kvns?: readonly number[];
  /** SCP81 PSK key version 40–4F (default 40); `false`: no PSK. */
  readonly pskKvn?: number | false;
}

export interface ManufactureBatchOptions {
  readonly profile: CardProfile;
  readonly count: number;
  /** Batch master keys the ISD keys are diversified from (AES for SCP03, 16-byte TDES for SCP02). */
  readonly batchMasterKeys: { readonly enc: Uint8Array; readonly mac: Uint8Array; readonly dek: Uint8Array };
  /** Default: kdf3 for SCP03, emv for SCP02. Must produce the key algorithm of the profile's SCP. */
  readonly diversification?: DiversificationMethod;
  /** ISD key version number (default 30 for SCP03, 20 for SCP02). */
  readonly isdKvn?: number;
  /** Issuer Identification Number, decimal (GET DATA '42'). */
  readonly iin?: string;
  /** First Card Image Number, decimal, up to 16 digits (GET DATA '45', 8 bytes BCD). Default 1. */
  readonly firstCin?: string;
  /** First ICCID without its check digit: 18 or 19 digits (UICC profiles). Default 89999010000000000 + 1. */
  readonly firstIccid?: string;
  /** First IC serial number (CPLC); default random, so that batches do not overlap. */
  readonly firstIcSerial?: number;
  readonly transportKek: TransportKek;
  /** OTA keys; default one AES key set (KVN 01) and a PSK for UICC profiles, none for eSE. `false`: none. */
  readonly otaKeys?: OtaKeyOptions | false;
  /** TARs of the ISD (hex, 3 bytes); default 000000 (TS 101 220 Annex D) and B00000 (common RAM TAR). */
  readonly tars?: readonly string[];
  readonly withAraM?: boolean;
  /**
   * Preload the payment load file F04F50454E54534D50 (payment and PPSE modules) and preinstall the
   * PPSE instance, associated with the ISD (docs/payment-application.md §1). Default true.
   */
  readonly withPayment?: boolean;
  /** Production date (CPLC dates, key file timestamp). Default now. */
  readonly date?: Date;
  /** Called after each card (progress display). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One manufactured card: its initial state (which holds its own keys, like a card's memory). */
export interface ManufacturedCard {
  readonly state: CardState;
  readonly entry: KeyFileCard;
}

export interface ManufacturedBatch {
  readonly cards: readonly ManufacturedCard[];
  readonly keyFile: KeyFile;
  /** The key file as JSON text. */
  readonly keyFileText: string;
}

const DEFAULT_TARS = ['000000', 'B00000'];
const MAX_COUNT = 1_000_000;
/** KIc/KID low nibble (ETSI TS 102 225 §5.1.2; ota.md §1.1): 3DES 2-key x5, 3-key x9, AES x2. */
const OTA_ALGORITHM = { 'tdes-2key': { code: 0x5, length: 16 }, 'tdes-3key': { code: 0x9, length: 24 }, aes: { code: 0x2, length: 16 } } as const;

function bad(message: string): never {
  throw new SeError('ERR_SE_CONFIG', message);
}

/** Checks the options against each other and fills in the defaults. */
function resolve(o: ManufactureBatchOptions) {
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > MAX_COUNT) bad(`count must be 1 to ${MAX_COUNT}, got ${o.count}`);
  const scp = o.profile.scp.protocol;
  const diversification = o.diversification ?? (scp === 3 ? 'kdf3' : 'emv');
  const method = DIVERSIFICATION_METHODS[diversification] as (typeof DIVERSIFICATION_METHODS)[DiversificationMethod] | undefined;
  if (method === undefined) bad(`unknown diversification ${String(diversification)} (kdf3, emv, visa2)`);
  if ((method.algorithm === 'aes') !== (scp === 3)) bad(`${diversification} makes ${method.algorithm.toUpperCase()} keys; profile ${o.profile.id} uses SCP0${scp}`);
  const lengths = scp === 3 ? [16, 24, 32] : [16];
  const { enc, mac, dek } = o.batchMasterKeys;
  for (const [name, key] of [['ENC', enc], ['MAC', mac], ['DEK', dek]] as const) {
    if (!(key instanceof Uint8Array) || !lengths.includes(key.length)) bad(`batch master ${name} must be ${lengths.join('/')} bytes for SCP0${scp}`);
  }
  if (enc.length !== mac.length || enc.length !== dek.length) bad('batch master keys must have one length');
  const kek = o.transportKek;
  if (kek.algorithm !== 'aes' && kek.algorithm !== 'tdes') bad('transport KEK algorithm must be aes or tdes');
  if (!(kek.key instanceof Uint8Array) || !(kek.algorithm === 'aes' ? [16, 24, 32] : [16, 24]).includes(kek.key.length)) {
    bad(`a ${kek.algorithm.toUpperCase()} transport KEK is ${kek.algorithm === 'aes' ? '16, 24 or 32' : '16 or 24'} bytes`);
  }
  const isdKvn = o.isdKvn ?? (scp === 3 ? 0x30 : 0x20);
  if (!Number.isInteger(isdKvn) || isdKvn < 1 || isdKvn > 0x7f) bad(`ISD KVN must be 01 to 7F, got ${isdKvn}`);
  const uicc = o.profile.kind === 'uicc';
  if (!uicc && o.firstIccid !== undefined) bad(`profile ${o.profile.id} is an eSE: it has no ICCID`);
  const firstIccid = uicc ? (o.firstIccid ?? '899990100000000000') : undefined;
  if (firstIccid !== undefined) assertDigits(firstIccid, 18, 19, 'first ICCID (without check digit)');
  const firstCin = o.firstCin ?? '1';
  assertDigits(firstCin, 1, 16, 'first CIN');
  const ota = o.otaKeys === false ? undefined : (o.otaKeys ?? (uicc ? { algorithm: 'aes' } : undefined));
  const kvns = ota?.kvns ?? [1];
  if (ota !== undefined) {
    if (OTA_ALGORITHM[ota.algorithm] === undefined) bad(`OTA algorithm must be aes, tdes-2key or tdes-3key`);
    if (kvns.length === 0 || new Set(kvns).size !== kvns.length || kvns.some((k) => !Number.isInteger(k) || k < 1 || k > 15)) bad('OTA KVNs must be distinct, 01 to 0F');
    const psk = ota.pskKvn ?? 0x40;
    if (psk !== false && (!Number.isInteger(psk) || psk < 0x40 || psk > 0x4f)) bad('the SCP81 PSK KVN must be 40 to 4F');
  }
  const tars = (o.tars ?? DEFAULT_TARS).map((t) => (/^[0-9A-Fa-f]{6}$/.test(t) ? t.toUpperCase() : bad(`TAR must be 3 bytes of hex, got ${JSON.stringify(t)}`)));
  const firstIcSerial = o.firstIcSerial ?? readUintBe(randomBytes(4)) % (0x1_0000_0000 - o.count);
  if (!Number.isInteger(firstIcSerial) || firstIcSerial < 0 || firstIcSerial + o.count - 1 > 0xffffffff) bad('IC serial range must fit 4 bytes');
  return { diversification, isdKvn, firstIccid, firstCin, ota: ota === undefined ? undefined : { ...ota, kvns }, tars, firstIcSerial };
}

const KEY_TYPES: readonly KeyType[] = ['ENC', 'MAC', 'DEK'];

/** Manufactures `count` cards and their key file. */
export function manufactureBatch(o: ManufactureBatchOptions): ManufacturedBatch {
  const r = resolve(o);
  const date = o.date ?? new Date();
  const keyAlgorithm = o.profile.scp.protocol === 3 ? 'aes' : 'tdes';
  const masters = { ENC: o.batchMasterKeys.enc, MAC: o.batchMasterKeys.mac, DEK: o.batchMasterKeys.dek };
  const exportedMasters = {
    enc: exportKey(o.transportKek, masters.ENC, 'GP-ISD-MK-ENC', keyAlgorithm, r.isdKvn),
    mac: exportKey(o.transportKek, masters.MAC, 'GP-ISD-MK-MAC', keyAlgorithm, r.isdKvn),
    dek: exportKey(o.transportKek, masters.DEK, 'GP-ISD-MK-DEK', keyAlgorithm, r.isdKvn),
  };
  const batchId = randomBytes(2);
  const cards: ManufacturedCard[] = [];
  for (let n = 0; n < o.count; n++) {
    cards.push(manufactureCard(o, r, { n, date, batchId: (batchId[0]! << 8) | batchId[1]!, masters, keyAlgorithm }));
    o.onProgress?.(n + 1, o.count);
  }
  const kekMethod = kcvMethodOf(o.transportKek.algorithm);
  const keyFile: KeyFile = {
    format: KEY_FILE_FORMAT,
    created: date.toISOString(),
    profile: { id: o.profile.id, kind: o.profile.kind },
    batch: { id: toHex(batchId), count: o.count },
    transportKek: { algorithm: o.transportKek.algorithm, length: o.transportKek.key.length, kcv: toHex(kcv(o.transportKek.key, kekMethod, 3)), kcvMethod: kekMethod },
    keyBlocks: { version: keyBlockVersion(o.transportKek), usages: KEY_BLOCK_USAGES },
    isd: {
      aid: toHex(o.profile.isdAid),
      scp: `0${o.profile.scp.protocol}`,
      i: hex2(o.profile.scp.i),
      kvn: hex2(r.isdKvn),
      diversification: r.diversification,
      masterKeys: exportedMasters,
    },
    cards: cards.map((c) => c.entry),
  };
  return { cards, keyFile, keyFileText: encodeKeyFile(keyFile) };
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

/** The state file name of a card: its ICCID, or its CIN. */
export function cardFileName(iccid: string | undefined, cin: Uint8Array): string {
  return `card-${iccid ?? toHex(cin)}.json`;
}

interface CardContext {
  readonly n: number;
  readonly date: Date;
  readonly batchId: number;
  readonly masters: Record<KeyType, Uint8Array>;
  readonly keyAlgorithm: 'aes' | 'tdes';
}

function manufactureCard(o: ManufactureBatchOptions, r: ReturnType<typeof resolve>, c: CardContext): ManufacturedCard {
  const { profile } = o;
  const cplc = buildCplc({ icSerial: r.firstIcSerial + c.n, batchId: c.batchId, date: c.date });
  const kdd = kddFromCplc(cplc);
  const cin = bcd(addDecimal(r.firstCin.padStart(16, '0'), c.n, 'CIN'), 8, 'CIN');
  const iin = o.iin === undefined ? undefined : encodeIin(o.iin);
  const isd = Object.fromEntries(KEY_TYPES.map((t) => [t, diversifyKey(r.diversification, c.masters[t], kdd, t)])) as Record<KeyType, Uint8Array>;
  const body = r.firstIccid === undefined ? undefined : addDecimal(r.firstIccid, c.n, 'ICCID');
  const iccid = body === undefined ? undefined : body + luhnDigit(body);
  const base = newCardState({
    profile,
    isdKeys: { kvn: r.isdKvn, enc: isd.ENC, mac: isd.MAC, dek: isd.DEK },
    cplc,
    kdd,
    iin,
    cin,
    preloaded: [...(o.withAraM === true ? [araMLoadFile(profile.isdAid)] : []), ...(o.withPayment !== false ? [paymentLoadFile(profile.isdAid)] : [])],
    preinstalled: [...(o.withAraM === true ? [araMInstance(profile.isdAid)] : []), ...(o.withPayment !== false ? [ppseInstance(profile.isdAid)] : [])],
  });
  const ota = r.ota === undefined && iccid === undefined ? undefined : buildOta(r, iccid, cin, profile.isdAid);
  const state: CardState = ota === undefined ? base : { ...base, ota };
  const method = kcvMethodOf(c.keyAlgorithm);
  const check = (key: Uint8Array) => ({ kcv: toHex(kcv(key, method, 3)), kcvMethod: method });
  const entry: KeyFileCard = {
    stateFile: cardFileName(iccid, cin),
    ...(iccid === undefined ? {} : { iccid }),
    profile: profile.id,
    isdAid: toHex(profile.isdAid),
    scp: `0${profile.scp.protocol}`,
    i: hex2(profile.scp.i),
    isdKvn: hex2(r.isdKvn),
    diversification: r.diversification,
    ...(iin === undefined ? {} : { iin: toHex(iin) }),
    cin: toHex(cin),
    kdd: toHex(kdd),
    icSerial: toHex(cplc.subarray(12, 16)),
    cplc: toHex(cplc),
    isdKeys: { enc: check(isd.ENC), mac: check(isd.MAC), dek: check(isd.DEK) },
    araM: o.withAraM === true,
    ...otaEntry(o.transportKek, ota),
  };
  return { state, entry };
}

/** The key file's OTA part of a card: TARs, wrapped SCP80 key sets, wrapped SCP81 PSK. */
function otaEntry(kek: TransportKek, ota: OtaState | undefined): Pick<KeyFileCard, 'tars' | 'scp80' | 'scp81'> {
  const scp80 = (ota?.scp80 ?? []).map((k) => {
    const byte = hex2((k.kvn << 4) | OTA_ALGORITHM[k.algorithm].code);
    const alg = k.algorithm === 'aes' ? 'aes' : 'tdes';
    return {
      kvn: hex2(k.kvn),
      algorithm: k.algorithm,
      kicByte: byte,
      kidByte: byte,
      counter: k.counter,
      kic: exportKey(kek, k.kic, 'SCP80-KIC', alg, k.kvn),
      kid: exportKey(kek, k.kid, 'SCP80-KID', alg, k.kvn),
    };
  });
  const psk = ota?.scp81;
  return {
    tars: (ota?.tars ?? []).map((t) => ({ tar: toHex(t.tar), sdAid: toHex(t.sdAid) })),
    scp80,
    ...(psk === undefined ? {} : { scp81: { kvn: hex2(psk.kvn), identity: new TextDecoder().decode(psk.identity), psk: exportKey(kek, psk.key, 'SCP81-PSK', 'hmac', psk.kvn) } }),
  };
}

/** The card's OTA data: ICCID, random SCP80 key sets, TARs of the ISD, random SCP81 PSK. */
function buildOta(r: ReturnType<typeof resolve>, iccid: string | undefined, cin: Uint8Array, isdAid: Uint8Array): OtaState {
  const ota = r.ota;
  const scp80 = ota === undefined ? [] : ota.kvns.map((kvn) => {
    const { length } = OTA_ALGORITHM[ota.algorithm];
    return { kvn, algorithm: ota.algorithm, kic: randomBytes(length), kid: randomBytes(length), counter: 0 };
  });
  const pskKvn = ota === undefined ? false : (ota.pskKvn ?? 0x40);
  // PSK identity: an X-Admin-From-style agent name (GP Amd B; ota.md §3), unique per card
  const who = iccid === undefined ? `cin/${toHex(cin)}` : `iccid/${iccid}`;
  const scp81 = pskKvn === false ? undefined : { kvn: pskKvn, identity: new TextEncoder().encode(`//se-id/${who};//aa-id/aid/${toHex(isdAid)}`), key: randomBytes(16) };
  return {
    ...(iccid === undefined ? {} : { iccid: encodeIccid(iccid) }),
    scp80,
    tars: ota === undefined ? [] : r.tars.map((t) => ({ tar: fromHex(t), sdAid: isdAid.slice() })),
    ...(scp81 === undefined ? {} : { scp81 }),
  };
}
