/**
 * Custody on the token: keys generated inside (C_GenerateKey), formed from custodians' components
 * or imported from TR-31 blocks (composed in host memory for the instant before C_CreateObject),
 * exported as TR-31 blocks, rotated, destroyed (C_DestroyObject), and the one clear read the
 * interface allows, of `protocol-memory` keys. The checks and refusals are the software backend's
 * (software/custody-create.ts, custody-manage.ts), so one conformance suite holds for both.
 */
import { wipe } from '../../bytes/index.ts';
import { CryptoError, unwrapKeyBlock, type UnwrappedKey } from '../../crypto/index.ts';
import { withOddParity } from '../../emv/index.ts';
import type { CustodianCredential, KeyComponentInput, OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { KeyAttributes, KeyHandle, KeyImportMeta, KeySpec } from '../key-attributes.ts';
import { assertNotWeak } from '../shared/key-check.ts';
import { assertExportable, assertExportableSpec, exportHeader, wrapForExport } from '../shared/key-export.ts';
import type { Trail } from '../shared/audit-trail.ts';
import { keyFromComponents } from '../shared/key-components.ts';
import { importedAttributes } from '../software/custody-create.ts';
import { checkKeyClass, checkOwnerAndLabel, symmetricAttributes } from '../shared/key-spec.ts';
import { generatePair, importPair } from './asymmetric.ts';
import { CKA } from './ck.ts';
import type { Pkcs11Core } from './core.ts';
import { extractForExport } from './export-path.ts';
import type { TokenKey } from './key-objects.ts';

export function generateKey(core: Pkcs11Core, spec: KeySpec, ctx: OperationContext, trail: Trail): KeyHandle {
  const attributes = symmetricAttributes(spec, ctx);
  // C_GenerateKey: the value is made in the token and never seen here (so the weak-key check of
  // the software backend is the token's business: SoftHSM2 sets DES parity on generated keys) —
  // except M3 double-length TDES keys, whose value comes from the token's RNG through host memory
  // for the key's and its retail MAC companion's C_CreateObject (key-objects.ts, retail-mac.ts)
  const key = core.keys.createSecret(attributes);
  trail.key(key.meta.id, key.meta.kcv);
  return key.handle;
}

/**
 * Forms a key as the XOR of 2 or 3 components typed by distinct authenticated custodians, each
 * checked against its KCV (the software backend's rules), and creates it on the token.
 */
export async function importComponents(core: Pkcs11Core, spec: KeySpec, components: readonly KeyComponentInput[], ctx: OperationContext, trail: Trail): Promise<KeyHandle> {
  const attributes = symmetricAttributes(spec, ctx);
  // HOST MEMORY: the components (the caller's) and the key they form exist here from now until the
  // C_CreateObject below returns; the key is wiped in `finally`.
  const key = await keyFromComponents(core.custodians, attributes, components, trail);
  try {
    const created = core.keys.createSecret(attributes, key);
    trail.key(created.meta.id, created.meta.kcv);
    return created.handle;
  } finally {
    wipe(key);
  }
}

/**
 * Imports a TR-31 block under KBPK `kbpkId` (K1, a token object). Versions B and D: the KBEK and
 * KBAK are CMACs of the KBPK computed in the token (crypto/'s unwrapKeyBlock with a held KBPK).
 * Versions A and C derive them as KBPK ⊕ constant, which no PKCS#11 mechanism computes without
 * the KBPK's value: refused (ERR_HSM_UNSUPPORTED); they are legacy (TR-31:2010) anyway.
 */
export function importKeyBlock(core: Pkcs11Core, kbpkId: string, block: string, meta: KeyImportMeta, ctx: OperationContext, trail: Trail): KeyHandle {
  checkOwnerAndLabel(meta?.owner, meta?.label, ctx);
  checkKeyClass(meta?.class);
  const kbpk = core.keys.usable(kbpkId, 'kbpk-unwrap', ctx, trail);
  if (typeof block !== 'string') throw new HsmError('ERR_HSM_KEY_BLOCK', 'TR-31 key block: expected a string');
  if (block.startsWith('A') || block.startsWith('C')) {
    throw new HsmError('ERR_HSM_UNSUPPORTED', `TR-31 version ${block[0]} (key variant binding: KBEK = KBPK ⊕ 45…, KBAK = KBPK ⊕ 4D…) needs the KBPK's value, which stays in the token: the token has no mechanism to XOR a key with a constant; use version B or D`);
  }
  // HOST MEMORY: the KBEK and KBAK (the token's CMAC outputs) exist inside unwrapKeyBlock and are
  // wiped before it returns; the clear key is in `unwrapped` until the `finally` below, i.e. for
  // the instant between the MAC check and C_CreateObject.
  let unwrapped: UnwrappedKey;
  try {
    unwrapped = unwrapKeyBlock(core.keys.held(kbpk), block);
  } catch (e) {
    if (e instanceof CryptoError) throw new HsmError('ERR_HSM_KEY_BLOCK', e.message, { cause: e });
    throw e;
  }
  try {
    const attributes = importedAttributes(unwrapped, meta); // the software backend's rules, one copy
    const created = attributes.algorithm === 'R' || attributes.algorithm === 'E'
      ? importPair(core, attributes, unwrapped.key)
      : core.keys.createSecret(attributes, unwrapped.key);
    trail.key(created.meta.id, created.meta.kcv);
    trail.detail = `TR-31 version ${unwrapped.header.version} ${attributes.usage}/${attributes.algorithm}${attributes.modeOfUse}`;
    return created.handle;
  } finally {
    unwrapped.wipe();
  }
}

/**
 * Exports key `keyId` as a TR-31 block under KBPK `kbpkId`: version B under a TDES KBPK, D under
 * an AES one; exportability N refused, two custodians (software/custody-manage.ts rules). See
 * export-path.ts for what is in host memory.
 */
export async function exportKeyBlock(core: Pkcs11Core, kbpkId: string, keyId: string, approvals: readonly CustodianCredential[], ctx: OperationContext, trail: Trail): Promise<string> {
  const kbpk = core.keys.usable(kbpkId, 'kbpk-wrap', ctx, trail);
  const key = core.keys.load(keyId, ctx, trail);
  const a = key.meta.attributes;
  assertExportable(key.meta.id, key.meta.kcv, a);
  if (key.meta.kind === 'pair') {
    throw new HsmError('ERR_HSM_UNSUPPORTED', `key ${key.meta.id} (KCV ${key.meta.kcv}): private keys do not leave the token (they are created non-extractable)`);
  }
  const names = await core.custodians.authenticateDistinct(approvals, 2);
  trail.detail = `custodians: ${names.join(', ')}`;
  const header = exportHeader(kbpk.meta.attributes.algorithm, a);
  const clear = extractForExport(core, key);
  try {
    // HOST MEMORY: `clear` (see export-path.ts) and, inside wrapKeyBlock, the KBEK/KBAK (CMACs of
    // the KBPK computed in the token) and the padded payload, all wiped before this returns.
    return wrapForExport(core.keys.held(kbpk), clear, header);
  } finally {
    wipe(clear);
  }
}

/**
 * Generates a key and returns it also as a TR-31 block under KBPK `kbpkId` (the software
 * backend's rules: exportability E or S, no custodians). The value is drawn from the token's RNG
 * into host memory, wrapped into the block and created on the token with C_CreateObject — the
 * import path's exposure, and unlike generate-then-extract it works with wrapWithTrusted.
 */
export function generateKeyForExport(core: Pkcs11Core, spec: KeySpec, kbpkId: string, ctx: OperationContext, trail: Trail): { key: KeyHandle; block: string } {
  const attributes = symmetricAttributes(spec, ctx);
  assertExportableSpec(attributes);
  const kbpk = core.keys.usable(kbpkId, 'kbpk-wrap', ctx, trail);
  // HOST MEMORY: the new key, from the token's C_GenerateRandom until the `finally` below (wiped);
  // inside wrapKeyBlock the KBEK/KBAK (CMACs computed in the token) and the padded payload, wiped.
  const value = freshValue(core, attributes);
  try {
    const block = wrapForExport(core.keys.held(kbpk), value, exportHeader(kbpk.meta.attributes.algorithm, attributes));
    const created = core.keys.createSecret(attributes, value);
    trail.key(created.meta.id, created.meta.kcv);
    trail.detail = `TR-31 version ${block[0]} under ${kbpk.meta.id} (KCV ${kbpk.meta.kcv})`;
    return { key: created.handle, block };
  } finally {
    wipe(value);
  }
}

/** A symmetric key value of `attributes` from the token's RNG: odd parity for TDES, never weak. */
function freshValue(core: Pkcs11Core, attributes: KeyAttributes): Uint8Array {
  for (;;) {
    const raw = core.token.random(attributes.length).slice();
    const value = attributes.algorithm === 'T' ? withOddParity(raw) : raw;
    if (value !== raw) wipe(raw);
    try {
      assertNotWeak(attributes.algorithm, value, 'the generated key');
      return value;
    } catch {
      wipe(value);
    }
  }
}

/**
 * A new version of key `id` with the same attributes, generated in the token (an M3 key with its
 * retail MAC companion, as generateKey); the old one becomes `retired` and keeps its objects — a
 * retired M3 key still verifies, with its own companion — until it is destroyed.
 */
export function rotateKey(core: Pkcs11Core, id: string, ctx: OperationContext, trail: Trail): KeyHandle {
  const old = core.keys.load(id, ctx, trail);
  if (old.meta.status !== 'active') throw new HsmError('ERR_HSM_STATE', `key ${old.meta.id} is retired: rotate its current version`);
  const a = old.meta.attributes;
  if (a.version >= 99) throw new HsmError('ERR_HSM_STATE', `key ${old.meta.id} is at version 99, the last the TR-31 header can hold`);
  const attributes = { ...a, version: a.version + 1 };
  const next: TokenKey = old.meta.kind === 'pair' ? generatePair(core, attributes) : core.keys.createSecret(attributes);
  core.keys.setStatus(old.meta, 'retired');
  trail.key(next.meta.id, next.meta.kcv);
  trail.detail = `version ${a.version} -> ${a.version + 1}`;
  return next.handle;
}

/** Destroys key `id` (two custodians; none for a `transient` key): C_DestroyObject on its objects; the metadata stays as a tombstone. */
export async function destroyKey(core: Pkcs11Core, id: string, approvals: readonly CustodianCredential[], ctx: OperationContext, trail: Trail): Promise<void> {
  const key = core.keys.load(id, ctx, trail);
  if (key.meta.attributes.class === 'transient') {
    trail.detail = 'transient key: destroyed by its owner';
  } else {
    const names = await core.custodians.authenticateDistinct(approvals, 2);
    trail.detail = `custodians: ${names.join(', ')}`;
  }
  // loaded again after the custodians' await: the key's objects and status as they are now
  core.keys.destroy(core.keys.load(id, ctx, trail));
}

/**
 * The clear value of a `protocol-memory` key (the SCP81 PSK): such keys are created
 * CKA_SENSITIVE false and CKA_EXTRACTABLE, so CKA_VALUE is readable; every other class is
 * refused here, and the token itself refuses CKA_VALUE of every other key (CKR_ATTRIBUTE_SENSITIVE).
 */
export function revealProtocolKey(core: Pkcs11Core, id: string, ctx: OperationContext, trail: Trail): Uint8Array {
  const key = core.keys.load(id, ctx, trail);
  if (key.meta.attributes.class !== 'protocol-memory') {
    throw new HsmError('ERR_HSM_USAGE', `key ${key.meta.id} (KCV ${key.meta.kcv}) is of class ${key.meta.attributes.class}: only protocol-memory keys can be read`);
  }
  const value = core.keys.read(key.object, [CKA.VALUE]).get(CKA.VALUE);
  if (value === undefined || value.length !== key.meta.attributes.length) throw new HsmError('ERR_HSM_BACKEND', `key ${key.meta.id}: the token returned no value`);
  const out = new Uint8Array(value); // a copy for the caller; the binding's buffer is wiped
  value.fill(0);
  return out;
}
