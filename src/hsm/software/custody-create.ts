/**
 * Custody, how keys come in: generated inside, formed from custodians' clear components (dual
 * control, research/hsm-emv.md §1.1 "form key from components"), or imported as a TR-31 block under
 * a key-block protection key (X9.143; research/hsm-emv.md §1.2 A6).
 */
import { wipe } from '../../bytes/index.ts';
import { CryptoError, randomBytes, unwrapKeyBlock, type UnwrappedKey } from '../../crypto/index.ts';
import { withOddParity } from '../../emv/index.ts';
import type { KeyComponentInput, OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { KeyAttributes, KeyClass, KeyHandle, KeyImportMeta, KeySpec } from '../key-attributes.ts';
import type { Trail } from '../shared/audit-trail.ts';
import { keyFromComponents } from '../shared/key-components.ts';
import { parsePrivateKey } from './asymmetric-keys.ts';
import type { SoftwareCore } from './core.ts';
import { assertNotWeak, kcvOf, publicKeyKcv } from '../shared/key-check.ts';
import { assertExportableSpec, exportHeader, wrapForExport } from '../shared/key-export.ts';
import { ASYMMETRIC_USAGES, checkKeyClass, checkOwnerAndLabel, checkSymmetric, symmetricAttributes } from '../shared/key-spec.ts';

/** A fresh symmetric key of `attributes` (odd parity for TDES, FIPS 46-3), never weak. */
export function randomKey(attributes: KeyAttributes): Uint8Array {
  for (;;) {
    const raw = randomBytes(attributes.length);
    const key = attributes.algorithm === 'T' ? withOddParity(raw) : raw;
    if (key !== raw) wipe(raw);
    try {
      assertNotWeak(attributes.algorithm, key, 'the generated key');
      return key;
    } catch {
      wipe(key);
    }
  }
}

/** Seals `key` under the LMK as a new record; wipes `key`. */
async function store(core: SoftwareCore, attributes: KeyAttributes, key: Uint8Array, trail: Trail): Promise<KeyHandle> {
  try {
    const record = await core.vault.create(attributes, key, kcvOf(attributes.algorithm, key));
    trail.key(record.id, record.kcv);
    return core.vault.handle(record);
  } finally {
    wipe(key);
  }
}

export async function generateKey(core: SoftwareCore, spec: KeySpec, ctx: OperationContext, trail: Trail): Promise<KeyHandle> {
  const attributes = symmetricAttributes(spec, ctx);
  return store(core, attributes, randomKey(attributes), trail);
}

/**
 * Generates a key and returns it also as a TR-31 block under KBPK `kbpkId` (usage K1, mode E/B/N,
 * the caller's): the payShield "generate key, export under ZMK" (A0 mode 1), no dual control, as
 * the key is fresh. The spec's exportability must be E or S; the block's header is
 * `exportKeyBlock`'s (shared/key-export.ts). Every check runs before the key is made.
 */
export async function generateKeyForExport(core: SoftwareCore, spec: KeySpec, kbpkId: string, ctx: OperationContext, trail: Trail): Promise<{ key: KeyHandle; block: string }> {
  const attributes = symmetricAttributes(spec, ctx);
  assertExportableSpec(attributes);
  const kbpk = await core.vault.usable(kbpkId, 'kbpk-wrap', ctx, trail);
  const key = randomKey(attributes);
  try {
    const header = exportHeader(kbpk.record.attributes.algorithm, attributes);
    const block = core.vault.withKey(kbpk.record, (kbpkKey) => wrapForExport(kbpkKey, key, header));
    const handle = await store(core, attributes, key.slice(), trail);
    trail.detail = `TR-31 version ${block[0]} under ${kbpk.record.id} (KCV ${kbpk.record.kcv})`;
    return { key: handle, block };
  } finally {
    wipe(key);
  }
}

/** Forms a key from 2 or 3 custodians' components (shared/key-components.ts) and seals it. */
export async function importComponents(core: SoftwareCore, spec: KeySpec, components: readonly KeyComponentInput[], ctx: OperationContext, trail: Trail): Promise<KeyHandle> {
  const attributes = symmetricAttributes(spec, ctx);
  return store(core, attributes, await keyFromComponents(core.custodians, attributes, components, trail), trail);
}

/**
 * The attributes an imported block's authenticated header gives its key (plus owner, label and
 * class, checked by the caller with checkKeyClass). A private key is never `protocol-memory`.
 */
export function importedAttributes(unwrapped: UnwrappedKey, meta: { owner: string; label?: string | undefined; class?: KeyClass | undefined }): KeyAttributes {
  const h = unwrapped.header;
  if (h.keyContext === '1') throw new HsmError('ERR_HSM_KEY_BLOCK', 'the block is marked for storage only (key context 1): not an exchange block');
  // KeyAttributes.version is a number 0..99: key components ("c1") and other alphanumeric versions have no place in it
  if (!/^\d\d$/.test(h.keyVersion)) throw new HsmError('ERR_HSM_UNSUPPORTED', `key version ${h.keyVersion}: only numeric key versions 00-99 are imported`);
  const base = { usage: h.usage, algorithm: h.algorithm, modeOfUse: h.modeOfUse, exportability: h.exportability, version: Number(h.keyVersion), owner: meta.owner, label: meta.label, class: checkKeyClass(meta.class) };
  if (h.algorithm === 'R' || h.algorithm === 'E') {
    if (base.class === 'protocol-memory') throw new HsmError('ERR_HSM_PARAM', 'class protocol-memory: a private key is never read out of the HSM');
    if (!ASYMMETRIC_USAGES.has(h.usage)) throw new HsmError('ERR_HSM_PARAM', `usage ${h.usage} is not an asymmetric key usage`);
    return { ...base, length: parsePrivateKey(h.algorithm, unwrapped.key).size };
  }
  checkSymmetric(h.usage, h.algorithm, unwrapped.key.length);
  return { ...base, length: unwrapped.key.length };
}

/**
 * Imports a TR-31 block (A, B, C or D) under KBPK `kbpkId` (usage K1). The authenticated header
 * becomes the key's attributes; a block that does not verify is ERR_HSM_KEY_BLOCK with one fixed
 * message, and nothing is stored.
 */
export async function importKeyBlock(
  core: SoftwareCore,
  kbpkId: string,
  block: string,
  meta: KeyImportMeta,
  ctx: OperationContext,
  trail: Trail,
): Promise<KeyHandle> {
  checkOwnerAndLabel(meta?.owner, meta?.label, ctx);
  checkKeyClass(meta?.class);
  const kbpk = await core.vault.usable(kbpkId, 'kbpk-unwrap', ctx, trail);
  if (typeof block !== 'string') throw new HsmError('ERR_HSM_KEY_BLOCK', 'TR-31 key block: expected a string');
  const unwrapped = core.vault.withKey(kbpk.record, (kbpkKey) => {
    try {
      return unwrapKeyBlock(kbpkKey, block);
    } catch (e) {
      if (e instanceof CryptoError) throw new HsmError('ERR_HSM_KEY_BLOCK', e.message, { cause: e });
      throw e;
    }
  });
  try {
    const attributes = importedAttributes(unwrapped, meta);
    const algorithm = attributes.algorithm;
    const spki = algorithm === 'R' || algorithm === 'E' ? parsePrivateKey(algorithm, unwrapped.key).spki : undefined;
    const kcv = spki !== undefined ? publicKeyKcv(spki) : (unwrapped.kcv ?? kcvOf(attributes.algorithm, unwrapped.key));
    const record = await core.vault.create(attributes, unwrapped.key, kcv, spki);
    trail.key(record.id, record.kcv);
    trail.detail = `TR-31 version ${unwrapped.header.version} ${attributes.usage}/${attributes.algorithm}${attributes.modeOfUse}`;
    return core.vault.handle(record);
  } finally {
    unwrapped.wipe();
  }
}
