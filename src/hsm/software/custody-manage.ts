/**
 * Custody, what happens to stored keys: lookup (owner-scoped), export as a TR-31 block under a
 * KBPK (dual control; X9.143 exportability), rotation, destruction (dual control), and the one read
 * of a clear key the interface allows, for `protocol-memory` keys.
 */
import type { CustodianCredential, OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { KeyHandle } from '../key-attributes.ts';
import type { Trail } from '../shared/audit-trail.ts';
import { generatePrivateKey } from './asymmetric-keys.ts';
import type { SoftwareCore } from './core.ts';
import { randomKey } from './custody-create.ts';
import { kcvOf, publicKeyKcv } from '../shared/key-check.ts';
import { assertExportable, exportHeader, wrapForExport } from '../shared/key-export.ts';
import { wipe } from '../../bytes/index.ts';

export async function getKey(core: SoftwareCore, id: string, ctx: OperationContext, trail: Trail): Promise<KeyHandle> {
  const { record, handle } = await core.vault.load(id, ctx, trail);
  core.vault.withKey(record, () => undefined); // refuse an edited record before describing it
  return handle;
}

export async function listKeys(core: SoftwareCore, filter: { readonly usage?: string; readonly label?: string }, ctx: OperationContext, trail: Trail): Promise<readonly KeyHandle[]> {
  const records = await core.vault.store.listKeys({ owner: ctx.tenant, usage: filter?.usage, label: filter?.label });
  const live = records.filter((r) => r.status !== 'destroyed' && r.attributes.owner === ctx.tenant);
  for (const r of live) {
    trail.key(r.id, r.kcv);
    core.vault.withKey(r, () => undefined);
  }
  return live.map((r) => core.vault.handle(r));
}

/**
 * Exports key `keyId` as a TR-31 block under KBPK `kbpkId` (usage K1): version B under a TDES KBPK,
 * D under an AES one (shared/key-export.ts). Exportability N and class `transient` are refused; E
 * and S are allowed, a KBPK being a trusted key-block key (X9.143:2021 table 6). Two distinct
 * custodians approve. The block carries no optional blocks (labels and owners stay inside).
 */
export async function exportKeyBlock(
  core: SoftwareCore,
  kbpkId: string,
  keyId: string,
  approvals: readonly CustodianCredential[],
  ctx: OperationContext,
  trail: Trail,
): Promise<string> {
  const kbpk = await core.vault.usable(kbpkId, 'kbpk-wrap', ctx, trail);
  const key = await core.vault.load(keyId, ctx, trail);
  const a = key.record.attributes;
  assertExportable(key.record.id, key.record.kcv, a);
  const names = await core.custodians.authenticateDistinct(approvals, 2);
  trail.detail = `custodians: ${names.join(', ')}`;
  const header = exportHeader(kbpk.record.attributes.algorithm, a);
  return core.vault.withKey(kbpk.record, (kbpkKey) => core.vault.withKey(key.record, (clear) => wrapForExport(kbpkKey, clear, header)));
}

/** A new version of key `id` with the same attributes; the old record becomes `retired`. */
export async function rotateKey(core: SoftwareCore, id: string, ctx: OperationContext, trail: Trail): Promise<KeyHandle> {
  const { record } = await core.vault.load(id, ctx, trail);
  if (record.status !== 'active') throw new HsmError('ERR_HSM_STATE', `key ${record.id} is retired: rotate its current version`);
  const a = record.attributes;
  if (a.version >= 99) throw new HsmError('ERR_HSM_STATE', `key ${record.id} is at version 99, the last the TR-31 header can hold`);
  const attributes = { ...a, version: a.version + 1 };
  core.vault.withKey(record, () => undefined); // the old record must be intact before it is replaced
  let next;
  if (a.algorithm === 'R' || a.algorithm === 'E') {
    const pair = await generatePrivateKey(a.algorithm, a.length, a.usage);
    try {
      next = await core.vault.create(attributes, pair.der, publicKeyKcv(pair.spki), pair.spki);
    } finally {
      wipe(pair.der);
    }
  } else {
    const key = randomKey(attributes);
    try {
      next = await core.vault.create(attributes, key, kcvOf(a.algorithm, key));
    } finally {
      wipe(key);
    }
  }
  await core.vault.reseal(record, 'retired');
  trail.key(next.id, next.kcv);
  trail.detail = `version ${a.version} -> ${a.version + 1}`;
  return core.vault.handle(next);
}

/**
 * Destroys key `id`: the record stays, `destroyed`, with an empty block. Two custodians approve,
 * except for a `transient` key, which its owner destroys alone (`approvals` may be empty).
 */
export async function destroyKey(core: SoftwareCore, id: string, approvals: readonly CustodianCredential[], ctx: OperationContext, trail: Trail): Promise<void> {
  const { record } = await core.vault.load(id, ctx, trail);
  if (record.attributes.class === 'transient') {
    core.vault.withKey(record, () => undefined); // the class that waives custodians must be the sealed one, not an edit
    trail.detail = 'transient key: destroyed by its owner';
  } else {
    const names = await core.custodians.authenticateDistinct(approvals, 2);
    trail.detail = `custodians: ${names.join(', ')}`;
  }
  await core.vault.destroy(record);
}

/** The clear value of a `protocol-memory` key (the SCP81 PSK); every other class is refused. */
export async function revealProtocolKey(core: SoftwareCore, id: string, ctx: OperationContext, trail: Trail): Promise<Uint8Array> {
  const { record } = await core.vault.load(id, ctx, trail);
  if (record.attributes.class !== 'protocol-memory') {
    throw new HsmError('ERR_HSM_USAGE', `key ${record.id} (KCV ${record.kcv}) is of class ${record.attributes.class}: only protocol-memory keys can be read`);
  }
  return core.vault.withKey(record, (key) => key.slice());
}
