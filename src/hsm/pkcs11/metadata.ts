/**
 * Key metadata on the token: what a KeyHandle says about a key (attributes, KCV, status) kept
 * next to the key object, in a vendor-neutral CKO_DATA object (PKCS #11 v2.40 §4.5) — so any
 * PKCS#11 token holds it and nothing outside the token needs to be trusted about a key:
 *
 *   CKA_CLASS CKO_DATA, CKA_TOKEN, CKA_PRIVATE (read only after login), CKA_MODIFIABLE false,
 *   CKA_APPLICATION "opentsm/key-metadata/1", CKA_LABEL = the key id,
 *   CKA_VALUE = the UTF-8 JSON below.
 *
 * Why not the CKA_LABEL of the key object: labels are short, shown by every token tool, and often
 * edited by hand. Why not the KeyRecordStore: the token would then depend on a database to say
 * what its own keys may do. The data object needs no integrity MAC of its own: it can only be
 * written by a session logged in with the user PIN, and that session could use the keys directly.
 *
 * CKA_VALUE of a data object is not modifiable on SoftHSM2, so a status change (active → retired
 * → destroyed) writes a new object and then removes the old; a reader that finds both for one id
 * takes the later status, so a crash between the two steps is harmless.
 */
import { EXPORTABILITY, KEY_ALGORITHMS, KEY_USAGES, MODES_OF_USE } from '../../crypto/index.ts';
import { HsmError } from '../errors.ts';
import { isKeyClass, type KeyAttributes, type KeyHandle } from '../key-attributes.ts';
import { CKA, CKO, type Pkcs11Attribute } from './ck.ts';

/** CKA_APPLICATION of OpenTSM's metadata objects (the version of this format). */
export const METADATA_APPLICATION = 'opentsm/key-metadata/1';

/** A key's status; `destroyed` leaves the metadata as a tombstone after the key object is gone. */
export type TokenKeyStatus = 'active' | 'retired' | 'destroyed';

/** Status order: a status only moves forward. */
export const STATUS_RANK: Readonly<Record<TokenKeyStatus, number>> = { active: 0, retired: 1, destroyed: 2 };

/** What the metadata object holds. `kind`: a secret key object, or a key pair (private + public). */
export interface KeyMetadata {
  readonly id: string;
  readonly kind: 'secret' | 'pair';
  readonly attributes: KeyAttributes;
  readonly kcv: string;
  readonly status: TokenKeyStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Upper bound of a metadata object's value, far above any real one. */
const MAX_METADATA_BYTES = 4096;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const KCV = /^[0-9A-F]{6}$/;
const PRINTABLE = /^[\x20-\x7E]{1,64}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** The UTF-8 JSON of `meta` (fields in a fixed order). */
export function encodeMetadata(meta: KeyMetadata): Uint8Array {
  const a = meta.attributes;
  const attributes = {
    usage: a.usage, algorithm: a.algorithm, modeOfUse: a.modeOfUse, exportability: a.exportability,
    length: a.length, version: a.version, owner: a.owner, ...(a.label === undefined ? {} : { label: a.label }), class: a.class,
  };
  const json = JSON.stringify({ v: 1, id: meta.id, kind: meta.kind, status: meta.status, kcv: meta.kcv, attributes, createdAt: meta.createdAt, updatedAt: meta.updatedAt });
  return new TextEncoder().encode(json);
}

function damaged(id: string, why: string): HsmError {
  return new HsmError('ERR_HSM_KEY_BLOCK', `the token's metadata object of key ${id.slice(0, 128)} is damaged (${why}): edited token?`);
}

function field<T>(value: unknown, ok: (v: unknown) => boolean, id: string, name: string): T {
  if (!ok(value)) throw damaged(id, name);
  return value as T;
}

const isString = (re: RegExp) => (v: unknown): boolean => typeof v === 'string' && re.test(v);
const isCode = (table: object) => (v: unknown): boolean => typeof v === 'string' && Object.hasOwn(table, v);
const isInt = (min: number, max: number) => (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

function decodeAttributes(raw: unknown, id: string): KeyAttributes {
  if (typeof raw !== 'object' || raw === null) throw damaged(id, 'attributes');
  const r = raw as Record<string, unknown>;
  const label = r.label === undefined ? undefined : field<string>(r.label, isString(PRINTABLE), id, 'label');
  return Object.freeze({
    usage: field<KeyAttributes['usage']>(r.usage, isCode(KEY_USAGES), id, 'usage'),
    algorithm: field<KeyAttributes['algorithm']>(r.algorithm, isCode(KEY_ALGORITHMS), id, 'algorithm'),
    modeOfUse: field<KeyAttributes['modeOfUse']>(r.modeOfUse, isCode(MODES_OF_USE), id, 'mode of use'),
    exportability: field<KeyAttributes['exportability']>(r.exportability, isCode(EXPORTABILITY), id, 'exportability'),
    length: field<number>(r.length, isInt(1, 16384), id, 'length'),
    version: field<number>(r.version, isInt(0, 99), id, 'version'),
    owner: field<string>(r.owner, isString(PRINTABLE), id, 'owner'),
    label,
    class: field<KeyAttributes['class']>(r.class, isKeyClass, id, 'class'),
  });
}

/**
 * Parses a metadata object's value; `expectedId` is its CKA_LABEL, which must match the id inside.
 * Anything malformed is ERR_HSM_KEY_BLOCK: a token edited outside OpenTSM is not trusted.
 */
export function decodeMetadata(value: Uint8Array, expectedId: string): KeyMetadata {
  if (!(value instanceof Uint8Array) || value.length === 0 || value.length > MAX_METADATA_BYTES) throw damaged(expectedId, 'size');
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(value));
  } catch {
    throw damaged(expectedId, 'not UTF-8 JSON');
  }
  if (typeof raw !== 'object' || raw === null || (raw as { v?: unknown }).v !== 1) throw damaged(expectedId, 'format version');
  const r = raw as Record<string, unknown>;
  const id = field<string>(r.id, isString(ID), expectedId, 'id');
  if (id !== expectedId) throw damaged(expectedId, 'the id inside differs from the object label');
  return Object.freeze({
    id,
    kind: field<KeyMetadata['kind']>(r.kind, (v) => v === 'secret' || v === 'pair', id, 'kind'),
    attributes: decodeAttributes(r.attributes, id),
    kcv: field<string>(r.kcv, isString(KCV), id, 'kcv'),
    status: field<TokenKeyStatus>(r.status, (v) => typeof v === 'string' && Object.hasOwn(STATUS_RANK, v), id, 'status'),
    createdAt: field<string>(r.createdAt, isString(ISO_TIME), id, 'createdAt'),
    updatedAt: field<string>(r.updatedAt, isString(ISO_TIME), id, 'updatedAt'),
  });
}

/** Whether `id` is a well-formed key id (what CKA_ID and the metadata label carry). */
export function isKeyId(id: unknown): id is string {
  return typeof id === 'string' && ID.test(id);
}

/** The template that finds metadata objects: all of them, or key `id`'s. */
export function metadataSearch(id?: string): Pkcs11Attribute[] {
  const t: Pkcs11Attribute[] = [
    { type: CKA.CLASS, value: CKO.DATA },
    { type: CKA.APPLICATION, value: METADATA_APPLICATION },
  ];
  if (id !== undefined) t.push({ type: CKA.LABEL, value: id });
  return t;
}

/** The template of a new metadata object for `meta`. */
export function metadataTemplate(meta: KeyMetadata): Pkcs11Attribute[] {
  const value = encodeMetadata(meta);
  return [
    ...metadataSearch(meta.id),
    { type: CKA.TOKEN, value: true },
    { type: CKA.PRIVATE, value: true },
    { type: CKA.MODIFIABLE, value: false },
    { type: CKA.VALUE, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength) },
  ];
}

/** Of several metadata versions of one key, the one with the latest status (see the file header). */
export function latest(versions: readonly KeyMetadata[]): KeyMetadata | undefined {
  let best: KeyMetadata | undefined;
  for (const m of versions) if (best === undefined || STATUS_RANK[m.status] > STATUS_RANK[best.status]) best = m;
  return best;
}

/** The frozen handle the world sees of a live key. */
export function handleOf(meta: KeyMetadata): KeyHandle {
  if (meta.status === 'destroyed') throw new HsmError('ERR_HSM_STATE', `key ${meta.id} was destroyed`);
  return Object.freeze({ kind: 'key-handle', id: meta.id, attributes: meta.attributes, kcv: meta.kcv, status: meta.status });
}
