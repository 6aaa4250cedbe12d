/**
 * An SE's OTA registration (issue 7; docs/service.md "MNO API"; docs/ota.md "The TSM side"): what
 * the card factory's key file gives per card — SCP80 key sets (`scp80[]`: KIc/KID bytes and TR-31
 * blocks) and the SCP81 PSK (`scp81`: KVN, PSK identity, TR-31 block) — taken verbatim, every key
 * imported under the MNO's KBPK and checked (usage, algorithm, KCV), and the MSISDN the trigger SMS
 * goes to, sealed. Legacy form: `kic`/`kid` blocks without bytes.
 *
 * Keys: KIc as D0 (AES, or TDES for a 3DES KIc byte), KID as M6 AES (CMAC) or M1 TDES (a 3DES KID
 * byte: ISO 9797-1 MAC algorithm 1, hsm-ota-keys.ts; single DES is refused), the PSK as an M7 HMAC key of class `protocol-memory` (node:tls reads it
 * in the clear in the handshake; docs/hsm.md §11). The MSISDN is personal data: it is sealed as the
 * job engine seals its payloads (tsm/protection: a field under its own transient HSM record key,
 * encrypt-then-MAC, bound here to the SE id), and the request's hash sees only its keyed hash.
 */
import { checkPskIdentity, parseKeyId, type OtaAlgorithm } from '../../ota/index.ts';
import type { Hsm, KeyHandle } from '../../hsm/index.ts';
import { getSecureElement, nextOtaCounter, replaceSecureElementOta } from '../../store/index.ts';
import type { SecureElementRecord } from '../model.ts';
import { TsmError } from '../errors.ts';
import { resolveKey, TenantMacKeys } from '../http/tenant-keys.ts';
import { RecordProtection } from '../protection/index.ts';
import { upperHex, type RegistryContext } from './context.ts';
import { forField } from './key-errors.ts';
import { MSISDN_INDEX_LABEL, msisdnHash } from './subscriptions.ts';

/** A wrapped key as the key file shows it: its TR-31 block and check value (kcvMethod informative). */
export interface KeyFileKey {
  readonly keyBlock: string;
  readonly kcv: string;
  readonly kcvMethod?: string;
}

/** One SCP80 key set, as a key file card entry's `scp80[]` item. */
export interface Scp80KeySetInput {
  readonly kvn?: string;
  readonly algorithm?: string;
  /** KIc / KID byte of a command packet (hex, 1 byte): KVN nibble ‖ algorithm (ETSI TS 102 225 §5.1.2, §5.1.3). */
  readonly kicByte: string;
  readonly kidByte: string;
  /** The card's counter for this key set (the TSM's next is higher). */
  readonly counter?: number;
  readonly kic: KeyFileKey;
  readonly kid: KeyFileKey;
}

/** The SCP81 PSK, as a key file card entry's `scp81`. */
export interface Scp81Input {
  readonly kvn: string;
  readonly identity: string;
  readonly psk: KeyFileKey;
}

/** An SE's OTA data in a registration (hex byte strings). */
export interface SeOtaInput {
  /** TARs: hex, or the key file's `{tar, sdAid}` entries. */
  readonly tars: readonly (string | { readonly tar: string; readonly sdAid?: string })[];
  /** The KBPK (usage K1, the MNO's tenant: id or label) every block below is under. */
  readonly kbpk?: string;
  /** Legacy: bare KIc / KID blocks (no bytes, so no trigger SMS). Not with `scp80`. */
  readonly kic?: string;
  readonly kid?: string;
  readonly counter?: string;
  /** The key file's SCP80 key sets (1 to 4); the first is the one the trigger SMS uses. */
  readonly scp80?: readonly Scp80KeySetInput[];
  readonly scp81?: Scp81Input;
  /** The MSISDN the trigger SMS goes to (E.164 digits, no +): stored sealed only. */
  readonly msisdn?: string;
}

type StoredOta = NonNullable<SecureElementRecord['ota']>;

/** Most SCP80 key sets one SE registers. */
export const MAX_SCP80_KEY_SETS = 4;
const MAX_COUNTER = 2 ** 40 - 1;
const MSISDN = /^[0-9]{6,15}$/;
const HEX_BYTE = /^[0-9A-Fa-f]{2}$/;
const KCV = /^([0-9A-Fa-f]{2}){3,5}$/;

/** Label of each SE's MSISDN record key; the sealed field's associated data binds the SE. */
export const SE_MSISDN_LABEL = 'SE MSISDN';
const msisdnAad = (seId: string): string => `registry/se/${seId}/msisdn`;

const bad = (field: string, what: string): TsmError => new TsmError('ERR_TSM_REQUEST', `${field}: ${what}`);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hexByte(value: unknown, field: string): number {
  if (typeof value !== 'string' || !HEX_BYTE.test(value)) throw bad(field, 'expected one byte in hex');
  return Number.parseInt(value, 16);
}

function keyFileKey(value: unknown, field: string): KeyFileKey {
  if (!isObject(value)) throw bad(field, 'expected {keyBlock, kcv}');
  if (typeof value['keyBlock'] !== 'string' || !/^[\x21-\x7E]{16,9992}$/.test(value['keyBlock'])) throw bad(`${field}.keyBlock`, 'expected a TR-31 key block (printable ASCII)');
  if (typeof value['kcv'] !== 'string' || !KCV.test(value['kcv'])) throw bad(`${field}.kcv`, 'expected a key check value of 3 to 5 bytes in hex');
  return { keyBlock: value['keyBlock'], kcv: value['kcv'] };
}

/** The key byte decoded, refused when the HSM cannot run it for this role. */
function keyByte(value: unknown, role: 'KIc' | 'KID', field: string): { byte: number; kvn: number; algorithm: OtaAlgorithm } {
  const byte = hexByte(value, field);
  let algorithm: OtaAlgorithm;
  try {
    algorithm = parseKeyId(byte, role).algorithm;
  } catch (e) {
    throw new TsmError('ERR_TSM_REQUEST', `${field}: not a ${role} byte this TSM can use`, { cause: e });
  }
  // hsm-ota-keys.ts: KIc and KID as AES or 3DES (2 or 3 keys) in the HSM; single DES is refused.
  const usable = algorithm === 'aes' || algorithm === '3des-2key' || algorithm === '3des-3key';
  if (!usable) throw bad(field, `${role} algorithm ${algorithm} cannot run in the HSM (AES or 3DES)`);
  return { byte, kvn: byte >> 4, algorithm };
}

/** A TAR (hex, upper case) from a hex string or a key file `{tar, sdAid}` entry. */
function tarOf(t: unknown, field: string): string {
  const tar = isObject(t) ? t['tar'] : t;
  if (typeof tar !== 'string' || !/^[0-9A-Fa-f]{6}$/.test(tar)) throw bad(isObject(t) ? `${field}.tar` : field, 'expected 3 bytes in hex');
  return upperHex(tar);
}

/** Checks every field of `ota` (shape and values) before any key is imported. */
export function checkSeOta(ota: unknown): SeOtaInput {
  if (!isObject(ota)) throw bad('ota', 'expected an object');
  const tars = ota['tars'];
  if (!Array.isArray(tars) || tars.length === 0 || tars.length > 16) throw bad('ota.tars', '1 to 16 TARs');
  tars.forEach((t, i) => void tarOf(t, `ota.tars[${i}]`));
  const scp80 = ota['scp80'];
  if (scp80 !== undefined) {
    if (ota['kic'] !== undefined || ota['kid'] !== undefined) throw bad(ota['kic'] !== undefined ? 'ota.kic' : 'ota.kid', 'is not allowed with ota.scp80');
    if (!Array.isArray(scp80) || scp80.length === 0 || scp80.length > MAX_SCP80_KEY_SETS) throw bad('ota.scp80', `1 to ${MAX_SCP80_KEY_SETS} key sets`);
    scp80.forEach((set, i) => checkKeySet(set, `ota.scp80[${i}]`));
  }
  const scp81 = ota['scp81'];
  if (scp81 !== undefined) {
    if (!isObject(scp81)) throw bad('ota.scp81', 'expected {kvn, identity, psk}');
    hexByte(scp81['kvn'], 'ota.scp81.kvn');
    try {
      checkPskIdentity(scp81['identity']);
    } catch (e) {
      throw new TsmError('ERR_TSM_REQUEST', 'ota.scp81.identity: expected 1 to 128 printable ASCII characters', { cause: e });
    }
    keyFileKey(scp81['psk'], 'ota.scp81.psk');
  }
  const keyed = scp80 !== undefined || scp81 !== undefined || ota['kic'] !== undefined || ota['kid'] !== undefined;
  if (keyed && typeof ota['kbpk'] !== 'string') throw bad('ota.kbpk', 'required with keys (scp80, scp81, kic, kid)');
  if (ota['msisdn'] !== undefined && (typeof ota['msisdn'] !== 'string' || !MSISDN.test(ota['msisdn']))) throw bad('ota.msisdn', '6 to 15 digits (E.164, no +)');
  return ota as unknown as SeOtaInput;
}

function checkKeySet(set: unknown, field: string): void {
  if (!isObject(set)) throw bad(field, 'expected a key file scp80 entry {kicByte, kidByte, kic, kid}');
  const kic = keyByte(set['kicByte'], 'KIc', `${field}.kicByte`);
  const kid = keyByte(set['kidByte'], 'KID', `${field}.kidByte`);
  if (set['kvn'] !== undefined) {
    const kvn = hexByte(set['kvn'], `${field}.kvn`);
    if (kvn !== kic.kvn || kvn !== kid.kvn) throw bad(`${field}.kvn`, 'does not match the key version nibble of kicByte / kidByte');
  }
  if (set['algorithm'] !== undefined && typeof set['algorithm'] !== 'string') throw bad(`${field}.algorithm`, 'expected a string');
  const counter = set['counter'];
  if (counter !== undefined && (typeof counter !== 'number' || !Number.isInteger(counter) || counter < 0 || counter > MAX_COUNTER)) throw bad(`${field}.counter`, 'expected an integer 0 to 2^40 − 1');
  keyFileKey(set['kic'], `${field}.kic`);
  keyFileKey(set['kid'], `${field}.kid`);
}

/** Imports one block under `kbpk` and checks usage, algorithm and (when given) KCV, naming `field`. */
async function importChecked(
  rc: RegistryContext, kbpk: string, block: string, field: string,
  want: { readonly label: string; readonly usage: string; readonly algorithm?: 'A' | 'T' | 'H'; readonly lengths?: readonly number[]; readonly kcv?: string; readonly protocolMemory?: boolean },
): Promise<KeyHandle> {
  const meta = { owner: rc.ctx.tenant, label: want.label, ...(want.protocolMemory === true ? { class: 'protocol-memory' as const } : {}) };
  const handle = await forField(field, () => rc.hsm.importKeyBlock(kbpk, block, meta, rc.ctx));
  const a = handle.attributes;
  if (a.usage !== want.usage) throw bad(field, `expected a key of usage ${want.usage}`);
  if (want.algorithm !== undefined && (a.algorithm !== want.algorithm || (want.lengths !== undefined && !want.lengths.includes(a.length)))) {
    throw bad(field, 'the key does not fit the algorithm its key byte names');
  }
  if (want.kcv !== undefined) {
    const given = want.kcv.toUpperCase();
    const n = Math.min(given.length, handle.kcv.length);
    // KCVs are not secret: a plain compare. The key stays in the HSM under its label, unreferenced.
    if (handle.kcv.toUpperCase().slice(0, n) !== given.slice(0, n)) throw bad(field.replace(/\.keyBlock$/, '.kcv'), 'does not match the imported key');
  }
  return handle;
}

const KIC_KEY: Readonly<Record<string, { algorithm: 'A' | 'T'; lengths: readonly number[] }>> = {
  aes: { algorithm: 'A', lengths: [16, 24, 32] },
  '3des-2key': { algorithm: 'T', lengths: [16] },
  '3des-3key': { algorithm: 'T', lengths: [24] },
};

async function importKeySet(rc: RegistryContext, seId: string, kbpk: string, set: Scp80KeySetInput, field: string): Promise<NonNullable<StoredOta['scp80']>[number]> {
  const kicByte = keyByte(set.kicByte, 'KIc', `${field}.kicByte`);
  const kidByte = keyByte(set.kidByte, 'KID', `${field}.kidByte`);
  const kicNeeds = KIC_KEY[kicByte.algorithm]!;
  // the KID's usage: M6 for an AES CMAC, M1 for the 3DES CBC-MAC (ISO 9797-1 MAC algorithm 1)
  const kidNeeds = { ...KIC_KEY[kidByte.algorithm]!, usage: kidByte.algorithm === 'aes' ? 'M6' : 'M1' };
  const kic = await importChecked(rc, kbpk, set.kic.keyBlock, `${field}.kic.keyBlock`, { label: 'SCP80-KIC', usage: 'D0', ...kicNeeds, kcv: set.kic.kcv });
  const kid = await importChecked(rc, kbpk, set.kid.keyBlock, `${field}.kid.keyBlock`, { label: 'SCP80-KID', ...kidNeeds, kcv: set.kid.kcv });
  const stored = { kvn: upperHex((set.kvn ?? kicByte.kvn.toString(16).padStart(2, '0'))), kicByte: upperHex(set.kicByte), kidByte: upperHex(set.kidByte), kic: kic.id, kid: kid.id };
  // The card's counter is N: the TSM's next must be higher (sms-scp81-trigger.ts names the key set so).
  if (set.counter !== undefined && set.counter > 0) await nextOtaCounter(rc.db, seId, `kic-${stored.kicByte}/kid-${stored.kidByte}`, { atLeast: BigInt(set.counter) });
  return stored;
}

/** Seals `msisdn` for `seId` under a new record key of the MNO. */
async function sealMsisdn(rc: RegistryContext, seId: string, msisdn: string): Promise<NonNullable<StoredOta['msisdn']>> {
  const protection = new RecordProtection(rc.hsm);
  const key = await protection.createRecordKey(rc.ctx, SE_MSISDN_LABEL);
  return { key, sealed: await protection.sealField(rc.ctx, key, new TextEncoder().encode(msisdn), msisdnAad(seId)) };
}

/** Imports and seals what `ota` (checked by `checkSeOta`) names; returns the record's `ota`. */
export async function registerSeOta(rc: RegistryContext, seId: string, ota: SeOtaInput): Promise<StoredOta> {
  const kbpk = ota.kbpk === undefined ? undefined : (await resolveKey(rc.hsm, ota.kbpk, 'ota.kbpk', 'K1', rc.ctx)).id;
  const legacy = async (block: string | undefined, label: string, field: string): Promise<string | undefined> =>
    block === undefined || kbpk === undefined ? undefined : (await forField(field, () => rc.hsm.importKeyBlock(kbpk, block, { owner: rc.ctx.tenant, label }, rc.ctx))).id;
  const kic = await legacy(ota.kic, 'OTA KIc', 'ota.kic');
  const kid = await legacy(ota.kid, 'OTA KID', 'ota.kid');
  const scp80: NonNullable<StoredOta['scp80']>[number][] = [];
  if (ota.scp80 !== undefined && kbpk !== undefined) {
    for (const [i, set] of ota.scp80.entries()) scp80.push(await importKeySet(rc, seId, kbpk, set, `ota.scp80[${i}]`));
  }
  let scp81: StoredOta['scp81'];
  if (ota.scp81 !== undefined && kbpk !== undefined) {
    const psk = await importChecked(rc, kbpk, ota.scp81.psk.keyBlock, 'ota.scp81.psk.keyBlock', { label: 'SCP81-PSK', usage: 'M7', algorithm: 'H', kcv: ota.scp81.psk.kcv, protocolMemory: true });
    scp81 = { kvn: upperHex(ota.scp81.kvn), identity: ota.scp81.identity, psk: psk.id };
  }
  const msisdn = ota.msisdn === undefined ? undefined : await sealMsisdn(rc, seId, ota.msisdn);
  return {
    tars: ota.tars.map((t, i) => tarOf(t, `ota.tars[${i}]`)),
    ...(kic === undefined ? {} : { kic }), ...(kid === undefined ? {} : { kid }), ...(ota.counter === undefined ? {} : { counter: upperHex(ota.counter) }),
    ...(scp80.length === 0 ? {} : { scp80 }), ...(scp81 === undefined ? {} : { scp81 }), ...(msisdn === undefined ? {} : { msisdn }),
  };
}

const msisdnKeys = new WeakMap<Hsm, TenantMacKeys>();

/** The registration as its request hash sees it: the MSISDN replaced by its keyed hash (never a bare hash of it). */
export async function hashableOta(rc: RegistryContext, ota: SeOtaInput): Promise<Omit<SeOtaInput, 'msisdn'> & { msisdnHash?: string }> {
  if (ota.msisdn === undefined) return ota;
  const { msisdn, ...rest } = ota;
  let keys = msisdnKeys.get(rc.hsm);
  if (keys === undefined) msisdnKeys.set(rc.hsm, (keys = new TenantMacKeys(rc.hsm, MSISDN_INDEX_LABEL)));
  return { ...rest, msisdnHash: await msisdnHash(rc, keys, msisdn) };
}

/**
 * The MSISDN of `se`'s trigger SMS, opened with the MNO's keys (`protection` on the same HSM), or
 * undefined when none is registered. Altered or another SE's sealed field: ERR_TSM_STATE.
 */
export async function openSeMsisdn(hsm: Hsm, se: SecureElementRecord, actor = 'ota', protection: RecordProtection = new RecordProtection(hsm)): Promise<string | undefined> {
  const sealed = se.ota?.msisdn;
  if (sealed === undefined) return undefined;
  const bytes = await protection.openField({ tenant: se.mno, actor }, sealed.key, sealed.sealed, msisdnAad(se.seId));
  return new TextDecoder().decode(bytes);
}

/**
 * Changes the MSISDN `seId`'s trigger SMS goes to (a number change or port: the MNO tells the TSM):
 * the new number sealed under a new record key, the record's `ota` replaced compare-and-swap, then the
 * old record key destroyed so the old number never opens again. The MNO's SE with OTA data only:
 * ERR_TSM_NOT_FOUND otherwise, ERR_TSM_STATE when it has no OTA registration, ERR_TSM_CONFLICT when
 * a concurrent change won.
 */
export async function changeSeMsisdn(rc: RegistryContext, seId: string, msisdn: unknown): Promise<void> {
  if (typeof msisdn !== 'string' || !MSISDN.test(msisdn)) throw bad('msisdn', '6 to 15 digits (E.164, no +)');
  const row = await getSecureElement(rc.db, seId, rc.ctx.tenant);
  if (row === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', 'seId: no such secure element');
  if (row.ota === null) throw new TsmError('ERR_TSM_STATE', 'seId: the secure element has no OTA registration');
  const ota = JSON.parse(row.ota) as StoredOta;
  const sealed = await sealMsisdn(rc, seId, msisdn);
  const next = JSON.stringify({ ...ota, msisdn: sealed });
  const protection = new RecordProtection(rc.hsm);
  if (!(await replaceSecureElementOta(rc.db, seId, rc.ctx.tenant, row.ota, next, rc.now().toISOString()))) {
    await protection.destroyRecordKey(rc.ctx, sealed.key);
    throw new TsmError('ERR_TSM_CONFLICT', 'seId: its OTA data changed meanwhile; try again');
  }
  if (ota.msisdn !== undefined) await protection.destroyRecordKey(rc.ctx, ota.msisdn.key);
}
