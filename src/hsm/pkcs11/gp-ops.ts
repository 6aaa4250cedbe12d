/**
 * GlobalPlatform key work on the token (software/gp-ops.ts rules): batch masters diversified into a
 * Security Domain's per-SE keys, PUT KEY of a stored key, and per-card keys derived and encrypted
 * for a card in one step. The masters and IMKs stay in the token: every 3DES-ECB block and every
 * CMAC of the derivations is computed there (gp/ and emv/ derive with a held key, held.ts).
 */
import { wipe } from '../../bytes/index.ts';
import { deriveIccMasterKeyOptionA, deriveIccMasterKeyOptionB } from '../../emv/index.ts';
import { diversifyKey, type DiversificationMethod, type WrappedKey } from '../../gp/index.ts';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { CardKeyExport } from '../hsm.ts';
import { GP_KEY_ROLES, type KeyAttributes, type KeyHandle } from '../key-attributes.ts';
import type { Trail } from '../shared/audit-trail.ts';
import { KEY_TYPE_BY_NUMBER, ROLE_TYPES, checkMaster } from '../shared/gp-masters.ts';
import { kcvOf } from '../shared/key-check.ts';
import { checkOwnerAndLabel } from '../shared/key-spec.ts';
import { wrapHostKeyForCard, wrapStoredKeyForCard, type CardWrapOptions } from './card-wrap.ts';
import type { Pkcs11Core } from './core.ts';

/**
 * Diversifies the batch masters (B3/X) with the card's KDD into three token keys: ENC and MAC
 * (E5/X, labels GP-ENC, GP-MAC) and DEK (K0/E, GP-DEK), exportability S so PUT KEY may carry them.
 */
export function diversifyGpKeys(
  core: Pkcs11Core,
  masters: { readonly enc: string; readonly mac: string; readonly dek: string },
  kdd: Uint8Array,
  method: DiversificationMethod,
  target: { readonly owner: string; readonly label?: string },
  ctx: OperationContext,
  trail: Trail,
): { readonly enc: KeyHandle; readonly mac: KeyHandle; readonly dek: KeyHandle } {
  checkOwnerAndLabel(target?.owner, undefined, ctx);
  if (target.label !== undefined) throw new HsmError('ERR_HSM_PARAM', 'per-SE GP keys are labelled by their role (GP-ENC, GP-MAC, GP-DEK): no label');
  if (!(kdd instanceof Uint8Array) || kdd.length !== 10) throw new HsmError('ERR_HSM_PARAM', 'KDD: 10 bytes (the start of the INITIALIZE UPDATE response)');
  const loaded = [core.keys.usable(masters?.enc, 'derive-gp', ctx, trail), core.keys.usable(masters.mac, 'derive-gp', ctx, trail), core.keys.usable(masters.dek, 'derive-gp', ctx, trail)];
  for (const m of loaded) checkMaster(m.meta, method);
  const out: KeyHandle[] = [];
  for (const [i, [role, type]] of ROLE_TYPES.entries()) {
    const master = loaded[i]!;
    const attributes: KeyAttributes = {
      ...GP_KEY_ROLES[role], algorithm: master.meta.attributes.algorithm, exportability: 'S', length: master.meta.attributes.length,
      version: 0, owner: target.owner, label: role, class: 'hsm',
    };
    // HOST MEMORY: the per-SE key — the token's 3DES-ECB (EMV, VISA2) or CMAC (KDF3) outputs under
    // the master — from here until C_CreateObject has copied it into the token; wiped in `finally`.
    // SoftHSM2 cannot derive it inside: CKM_DES3_ECB_ENCRYPT_DATA's parameter is not marshalled by
    // pkcs11js 2.1, and it has no SP 800-108 mechanism (research/services.md).
    const key = diversifyKey(method, core.keys.held(master), kdd, type);
    try {
      const created = core.keys.createSecret(attributes, key);
      trail.key(created.meta.id, created.meta.kcv);
      out.push(created.handle);
    } finally {
      wipe(key);
    }
  }
  trail.detail = `${method} diversification`;
  return { enc: out[0]!, mac: out[1]!, dek: out[2]! };
}

/** PUT KEY translation of stored key `keyId` to under card DEK `dekId` (card-wrap.ts says how and when it is refused). */
export function wrapKeyForCard(core: Pkcs11Core, keyId: string, dekId: string, options: CardWrapOptions, ctx: OperationContext, trail: Trail): WrappedKey {
  const dek = core.keys.usable(dekId, 'card-wrap', ctx, trail);
  const key = core.keys.load(keyId, ctx, trail);
  if (key.meta.status !== 'active') throw new HsmError('ERR_HSM_STATE', `key ${key.meta.id} (KCV ${key.meta.kcv}) is retired: send its current version`);
  if (key.meta.attributes.exportability === 'N') throw new HsmError('ERR_HSM_NOT_EXPORTABLE', `key ${key.meta.id} (KCV ${key.meta.kcv}) is not exportable, not even to a card`);
  return wrapStoredKeyForCard(core, key, dek, options);
}

/** Derives the per-card key `request.derive` asks for, in host memory; the caller wipes it. */
function derive(core: Pkcs11Core, request: CardKeyExport, ctx: OperationContext, trail: Trail): { key: Uint8Array; algorithm: 'T' | 'A' } {
  const d = request?.derive;
  if (d?.kind === 'emv-icc') {
    const imk = core.keys.usable(d.imk, 'card-key-derive', ctx, trail);
    const a = imk.meta.attributes;
    if (a.usage === 'B3' || a.algorithm !== 'T' || a.length !== 16) throw new HsmError('ERR_HSM_USAGE', `key ${imk.meta.id} (KCV ${imk.meta.kcv}) is not a double-length TDES issuer master key (E0, E1, E2)`);
    if (d.option !== 'A' && d.option !== 'B') throw new HsmError('ERR_HSM_PARAM', 'EMV ICC master key derivation: option A or B');
    // EMV Book 2 A1.4: the two 3DES-ECB blocks under the IMK are computed in the token
    const key = (d.option === 'A' ? deriveIccMasterKeyOptionA : deriveIccMasterKeyOptionB)(core.keys.held(imk), d.pan, d.psn);
    core.trace?.('icc-mk', kcvOf('T', key));
    return { key, algorithm: 'T' };
  }
  if (d?.kind === 'gp') {
    const master = core.keys.usable(d.master, 'card-key-derive', ctx, trail);
    if (master.meta.attributes.usage !== 'B3') throw new HsmError('ERR_HSM_USAGE', `key ${master.meta.id} (KCV ${master.meta.kcv}) is not a GP master key (B3)`);
    checkMaster(master.meta, d.method);
    const type = KEY_TYPE_BY_NUMBER[d.keyType];
    if (type === undefined) throw new HsmError('ERR_HSM_PARAM', 'GP key type: 1 (ENC), 2 (MAC) or 3 (DEK)');
    return { key: diversifyKey(d.method, core.keys.held(master), d.kdd, type), algorithm: master.meta.attributes.algorithm as 'T' | 'A' };
  }
  throw new HsmError('ERR_HSM_PARAM', "derive.kind: 'emv-icc' or 'gp'");
}

/** A per-card key derived and encrypted for the card in one step; never stored. */
export function exportDerivedKeyForCard(core: Pkcs11Core, request: CardKeyExport, ctx: OperationContext, trail: Trail): WrappedKey {
  const dek = core.keys.usable(request?.dek, 'card-wrap', ctx, trail);
  // HOST MEMORY: the derived per-card key (ICC master key or per-SE GP key: the token's cipher
  // outputs under the master, which never leaves it), from here until the DEK encryption below
  // returns; wiped in `finally`.
  const { key, algorithm } = derive(core, request, ctx, trail);
  try {
    return wrapHostKeyForCard(core, key, algorithm, dek, { scp: request.scp, sequenceCounter: request.sequenceCounter });
  } finally {
    wipe(key);
  }
}
