/**
 * GlobalPlatform key work: diversification of batch masters into a Security Domain's stored
 * per-SE keys (GP_KEY_ROLES; gp/ diversification: EMV CPG 2.04, VISA2, KDF3), PUT KEY translation
 * of a stored key to under a card's DEK, and per-card keys derived and encrypted for a card in one
 * step (EMV CPS DGI 8000/9000), never stored.
 */
import { wipe } from '../../bytes/index.ts';
import { deriveIccMasterKeyOptionA, deriveIccMasterKeyOptionB } from '../../emv/index.ts';
import { diversifyKey, type DiversificationMethod, type WrappedKey } from '../../gp/index.ts';
import type { OperationContext } from '../context.ts';
import type { CardKeyExport } from '../hsm.ts';
import { HsmError } from '../errors.ts';
import { GP_KEY_ROLES, type KeyAttributes, type KeyHandle } from '../key-attributes.ts';
import type { Trail } from '../shared/audit-trail.ts';
import { KEY_TYPE_BY_NUMBER, ROLE_TYPES, checkMaster } from '../shared/gp-masters.ts';
import { wrapForCard, type CardWrapOptions } from './card-wrap.ts';
import type { SoftwareCore } from './core.ts';
import { kcvOf } from '../shared/key-check.ts';
import { checkOwnerAndLabel } from '../shared/key-spec.ts';

/**
 * Diversifies the batch masters (usage B3, mode X) with the card's KDD into three stored keys:
 * ENC and MAC (E5/X, labels GP-ENC, GP-MAC), DEK (K0/E, GP-DEK), exportability S so that PUT KEY
 * may carry them to the card. The role is the label, so `target.label` must be unset.
 */
export async function diversifyGpKeys(
  core: SoftwareCore,
  masters: { readonly enc: string; readonly mac: string; readonly dek: string },
  kdd: Uint8Array,
  method: DiversificationMethod,
  target: { readonly owner: string; readonly label?: string },
  ctx: OperationContext,
  trail: Trail,
): Promise<{ readonly enc: KeyHandle; readonly mac: KeyHandle; readonly dek: KeyHandle }> {
  checkOwnerAndLabel(target?.owner, undefined, ctx);
  if (target.label !== undefined) throw new HsmError('ERR_HSM_PARAM', 'per-SE GP keys are labelled by their role (GP-ENC, GP-MAC, GP-DEK): no label');
  if (!(kdd instanceof Uint8Array) || kdd.length !== 10) throw new HsmError('ERR_HSM_PARAM', 'KDD: 10 bytes (the start of the INITIALIZE UPDATE response)');
  const loaded = [await core.vault.usable(masters?.enc, 'derive-gp', ctx, trail), await core.vault.usable(masters.mac, 'derive-gp', ctx, trail), await core.vault.usable(masters.dek, 'derive-gp', ctx, trail)];
  for (const m of loaded) checkMaster(m.record, method);
  const out: KeyHandle[] = [];
  for (const [i, [role, type]] of ROLE_TYPES.entries()) {
    const master = loaded[i]!.record;
    const attributes: KeyAttributes = {
      ...GP_KEY_ROLES[role], algorithm: master.attributes.algorithm, exportability: 'S', length: master.attributes.length,
      version: 0, owner: target.owner, label: role, class: 'hsm',
    };
    const key = core.vault.withKey(master, (mk) => diversifyKey(method, mk, kdd, type));
    try {
      const record = await core.vault.create(attributes, key, kcvOf(attributes.algorithm, key));
      trail.key(record.id, record.kcv);
      out.push(core.vault.handle(record));
    } finally {
      wipe(key);
    }
  }
  trail.detail = `${method} diversification`;
  return { enc: out[0]!, mac: out[1]!, dek: out[2]! };
}

/** PUT KEY translation: stored key `keyId` re-encrypted from under the LMK to under card DEK `dekId`. */
export async function wrapKeyForCard(core: SoftwareCore, keyId: string, dekId: string, options: CardWrapOptions, ctx: OperationContext, trail: Trail): Promise<WrappedKey> {
  const dek = await core.vault.usable(dekId, 'card-wrap', ctx, trail);
  const key = await core.vault.load(keyId, ctx, trail);
  const a = key.record.attributes;
  if (key.record.status !== 'active') throw new HsmError('ERR_HSM_STATE', `key ${key.record.id} (KCV ${key.record.kcv}) is retired: send its current version`);
  if (a.exportability === 'N') throw new HsmError('ERR_HSM_NOT_EXPORTABLE', `key ${key.record.id} (KCV ${key.record.kcv}) is not exportable, not even to a card`);
  const dekAttributes = dek.record.attributes;
  return core.vault.withKey(dek.record, (dekKey) =>
    core.vault.withKey(key.record, (clear) => wrapForCard(clear, a.algorithm, dekKey, dekAttributes.algorithm, options)),
  );
}

/** Derives the per-card key `request.derive` asks for; the caller wipes it. */
async function derive(core: SoftwareCore, request: CardKeyExport, ctx: OperationContext, trail: Trail): Promise<{ key: Uint8Array; algorithm: 'T' | 'A' }> {
  const d = request?.derive;
  if (d?.kind === 'emv-icc') {
    const imk = await core.vault.usable(d.imk, 'card-key-derive', ctx, trail);
    const a = imk.record.attributes;
    if (a.usage === 'B3' || a.algorithm !== 'T' || a.length !== 16) throw new HsmError('ERR_HSM_USAGE', `key ${imk.record.id} (KCV ${imk.record.kcv}) is not a double-length TDES issuer master key (E0, E1, E2)`);
    if (d.option !== 'A' && d.option !== 'B') throw new HsmError('ERR_HSM_PARAM', 'EMV ICC master key derivation: option A or B');
    const key = core.vault.withKey(imk.record, (k) => (d.option === 'A' ? deriveIccMasterKeyOptionA : deriveIccMasterKeyOptionB)(k, d.pan, d.psn));
    core.trace?.('icc-mk', kcvOf('T', key));
    return { key, algorithm: 'T' };
  }
  if (d?.kind === 'gp') {
    const master = await core.vault.usable(d.master, 'card-key-derive', ctx, trail);
    if (master.record.attributes.usage !== 'B3') throw new HsmError('ERR_HSM_USAGE', `key ${master.record.id} (KCV ${master.record.kcv}) is not a GP master key (B3)`);
    checkMaster(master.record, d.method);
    const type = KEY_TYPE_BY_NUMBER[d.keyType];
    if (type === undefined) throw new HsmError('ERR_HSM_PARAM', 'GP key type: 1 (ENC), 2 (MAC) or 3 (DEK)');
    const key = core.vault.withKey(master.record, (k) => diversifyKey(d.method, k, d.kdd, type));
    return { key, algorithm: master.record.attributes.algorithm as 'T' | 'A' };
  }
  throw new HsmError('ERR_HSM_PARAM', "derive.kind: 'emv-icc' or 'gp'");
}

/** A per-card key derived and encrypted for the card in one step; it is never stored. */
export async function exportDerivedKeyForCard(core: SoftwareCore, request: CardKeyExport, ctx: OperationContext, trail: Trail): Promise<WrappedKey> {
  const dek = await core.vault.usable(request?.dek, 'card-wrap', ctx, trail);
  const { key, algorithm } = await derive(core, request, ctx, trail);
  try {
    const dekAlgorithm = dek.record.attributes.algorithm;
    return core.vault.withKey(dek.record, (dekKey) => wrapForCard(key, algorithm, dekKey, dekAlgorithm, { scp: request.scp, sequenceCounter: request.sequenceCounter }));
  } finally {
    wipe(key);
  }
}
