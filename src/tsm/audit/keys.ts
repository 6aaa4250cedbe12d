/**
 * The audit log's two HSM keys, found by label (docs/audit.md §4): an HMAC-SHA-256 key (usage M7,
 * mode C, never exportable) that MACs the chain, and a signing key (usage S0, ECDSA P-256) that
 * signs checkpoints. Both belong to the operator; `setupAuditKeys` creates whichever is missing.
 */
import type { Hsm, KeyHandle, OperationContext } from '../../hsm/index.ts';
import { AuditError } from './errors.ts';

/** The tenant that owns the audit keys and in whose name the log's own HSM calls run. */
export const AUDIT_TENANT = 'operator';
/** Label of the chain's HMAC key (M7). */
export const AUDIT_MAC_KEY_LABEL = 'audit chain MAC';
/** Label of the checkpoint signing key (S0). */
export const AUDIT_SIGNING_KEY_LABEL = 'audit checkpoint signing';
/** The checkpoint signature scheme. */
export const CHECKPOINT_SCHEME = 'ecdsa-sha256' as const;

/** The context of the audit log's own HSM calls. */
export function auditContext(actor = 'audit-log'): OperationContext {
  return { tenant: AUDIT_TENANT, actor };
}

/** The ids of the current MAC and signing keys. */
export interface AuditKeys {
  readonly macKey: string;
  readonly signingKey: string;
}

async function activeByLabel(hsm: Hsm, label: string, ctx: OperationContext): Promise<KeyHandle | undefined> {
  const keys = (await hsm.listKeys({ label }, ctx)).filter((k) => k.status === 'active');
  if (keys.length > 1) throw new AuditError('ERR_TSM_AUDIT_KEY', `${keys.length} active keys are labelled "${label}"; retire all but one`);
  return keys[0];
}

/** Whether a handle is a key the chain may be MACed under: the label, HMAC, usage M7. */
export function isAuditMacKey(key: KeyHandle): boolean {
  return key.attributes.label === AUDIT_MAC_KEY_LABEL && key.attributes.usage === 'M7' && key.attributes.algorithm === 'H';
}

/** Whether a handle is a key checkpoints may be signed with: the label, usage S0. */
export function isAuditSigningKey(key: KeyHandle): boolean {
  return key.attributes.label === AUDIT_SIGNING_KEY_LABEL && key.attributes.usage === 'S0';
}

/** The current audit keys; ERR_TSM_AUDIT_KEY when either is missing (run the setup first). */
export async function findAuditKeys(hsm: Hsm, ctx: OperationContext = auditContext()): Promise<AuditKeys> {
  const mac = await activeByLabel(hsm, AUDIT_MAC_KEY_LABEL, ctx);
  const signing = await activeByLabel(hsm, AUDIT_SIGNING_KEY_LABEL, ctx);
  if (mac === undefined || signing === undefined) {
    throw new AuditError('ERR_TSM_AUDIT_KEY', `no active "${mac === undefined ? AUDIT_MAC_KEY_LABEL : AUDIT_SIGNING_KEY_LABEL}" key in the HSM: set the audit log up first (opentsm audit checkpoint does)`);
  }
  return { macKey: mac.id, signingKey: signing.id };
}

/**
 * Finds the audit keys, creating whichever is missing: the MAC key as HMAC-SHA-256 (M7, mode C,
 * exportability N, 32 bytes), the signing key as ECDSA P-256 (S0).
 */
export async function setupAuditKeys(hsm: Hsm, ctx: OperationContext = auditContext()): Promise<AuditKeys> {
  const mac = (await activeByLabel(hsm, AUDIT_MAC_KEY_LABEL, ctx)) ??
    (await hsm.generateKey({ usage: 'M7', algorithm: 'H', modeOfUse: 'C', exportability: 'N', length: 32, owner: AUDIT_TENANT, label: AUDIT_MAC_KEY_LABEL }, ctx));
  const signing = (await activeByLabel(hsm, AUDIT_SIGNING_KEY_LABEL, ctx)) ??
    (await hsm.generateKeyPair({ algorithm: 'E', size: 256, usage: 'S0', owner: AUDIT_TENANT, label: AUDIT_SIGNING_KEY_LABEL }, ctx));
  return { macKey: mac.id, signingKey: signing.id };
}
