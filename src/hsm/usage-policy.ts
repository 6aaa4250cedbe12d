/**
 * Which key may do what (X9.143 key usage and mode of use, ANSI X9.143-2022 §6.3.1–6.3.3), as one
 * table both backends enforce before any cryptography: a KEK never MACs, a data key never wraps,
 * an E0 master key never encrypts, a tenant never touches another tenant's key.
 */
import type { KeyUsage, ModeOfUse } from '../crypto/index.ts';
import { HsmError } from './errors.ts';
import type { OperationContext } from './context.ts';
import type { KeyHandle } from './key-attributes.ts';

interface Rule {
  readonly usages: readonly KeyUsage[];
  readonly modes: readonly ModeOfUse[];
  /** When set, the key's label (TR-31 LB) must be one of these (GP key roles). */
  readonly labels?: readonly string[];
}

/** Operation → the usages and modes of use that allow it. */
export const USAGE_POLICY = {
  /** GP diversification of batch master keys (GP_KEY_ROLES.master). */
  'derive-gp': { usages: ['B3'], modes: ['X', 'N'] },
  /** SCP session keys and cryptograms from a Security Domain's static ENC/MAC. */
  'scp-session': { usages: ['E5'], modes: ['X', 'N'], labels: ['GP-ENC', 'GP-MAC'] },
  /** Encrypting a key or sensitive data for a card under its DEK (PUT KEY, STORE DATA). */
  'card-wrap': { usages: ['K0'], modes: ['E', 'B', 'N'], labels: ['GP-DEK'] },
  /** Unwrapping a TR-31 key block on import. */
  'kbpk-unwrap': { usages: ['K1'], modes: ['D', 'B', 'N'] },
  /** Wrapping a TR-31 key block for export. */
  'kbpk-wrap': { usages: ['K1'], modes: ['E', 'B', 'N'] },
  /** EMV ICC master key derivation for ARQC/ARPC. */
  'emv-ac': { usages: ['E0'], modes: ['X', 'N'] },
  'emv-smi': { usages: ['E2'], modes: ['X', 'N'] },
  'emv-smc': { usages: ['E1'], modes: ['X', 'N'] },
  /** Per-card key export for personalization: EMV issuer master keys or GP masters, derive-only. */
  'card-key-derive': { usages: ['E0', 'E1', 'E2', 'B3'], modes: ['X', 'N'] },
  'pin-decrypt': { usages: ['P0'], modes: ['D', 'B', 'N'] },
  'pin-encrypt': { usages: ['P0'], modes: ['E', 'B', 'N'] },
  'mac-generate': { usages: ['M0', 'M1', 'M3', 'M6', 'M7'], modes: ['C', 'G', 'N'] },
  'mac-verify': { usages: ['M0', 'M1', 'M3', 'M6', 'M7'], modes: ['C', 'V', 'N'] },
  'data-encrypt': { usages: ['D0'], modes: ['E', 'B', 'N'] },
  'data-decrypt': { usages: ['D0'], modes: ['D', 'B', 'N'] },
  sign: { usages: ['S0', 'S1', 'S2'], modes: ['S', 'T', 'N'] },
  verify: { usages: ['S0', 'S1', 'S2'], modes: ['S', 'T', 'V', 'N'] },
  /** EMV issuer and ICC public-key certificates (EMV Book 2 §5.3, §6.4): a certification key (S1) signs. */
  'emv-certify': { usages: ['S1'], modes: ['S', 'T', 'N'] },
} as const satisfies Record<string, Rule>;
export type KeyOperation = keyof typeof USAGE_POLICY;

/** The MAC usage code each MAC algorithm requires (X9.143 table 2). */
export const MAC_USAGE = {
  'iso9797-1-alg1': 'M1',
  'retail-mac': 'M3',
  cmac: 'M6',
  'hmac-sha256': 'M7',
} as const satisfies Record<string, KeyUsage>;

/**
 * Refuses the operation unless the key belongs to `ctx.tenant` (ERR_HSM_TENANT) and its usage,
 * mode of use and (for GP keys) label allow `operation` (ERR_HSM_USAGE). Retired keys may still
 * verify, never create. Messages name the key by id and KCV only.
 */
export function assertUsable(key: KeyHandle, operation: KeyOperation, ctx: OperationContext): void {
  if (key.attributes.owner !== ctx.tenant) {
    throw new HsmError('ERR_HSM_TENANT', `key ${key.id} belongs to another tenant`);
  }
  const rule: Rule = USAGE_POLICY[operation];
  const { usage, modeOfUse, label } = key.attributes;
  const labelOk = rule.labels === undefined || (label !== undefined && rule.labels.includes(label));
  if (!rule.usages.includes(usage) || !rule.modes.includes(modeOfUse) || !labelOk) {
    throw new HsmError('ERR_HSM_USAGE', `key ${key.id} (KCV ${key.kcv}, usage ${usage}/${modeOfUse}${label === undefined ? '' : ` ${label}`}) may not be used for ${operation}`);
  }
  const verifying = operation === 'mac-verify' || operation === 'verify' || operation === 'kbpk-unwrap' || operation === 'pin-decrypt';
  if (key.status === 'retired' && !verifying) {
    throw new HsmError('ERR_HSM_STATE', `key ${key.id} (KCV ${key.kcv}) is retired: use its current version`);
  }
}
