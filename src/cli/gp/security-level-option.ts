/**
 * `--sl`: the secure-channel security level by name, as GlobalPlatformPro's `--mode` names it. The
 * names combine (`--sl enc,rmac`); the result is the EXTERNAL AUTHENTICATE P1 (GPC 2.3.1 Table
 * E-11, GPC Amd D v1.1.1 Table 7-3), which the protocol and the card's "i" then validate.
 */
import { SECURITY_LEVEL } from '../../gp/index.ts';
import { CliError } from '../errors.ts';

/** Each name and the P1 bits it sets (C-MAC is always on: every level above 00 includes it). */
export const SECURITY_LEVEL_NAMES = {
  /** C-MAC. */
  mac: SECURITY_LEVEL.C_MAC,
  /** C-MAC and C-DECRYPTION (command data encrypted). */
  enc: SECURITY_LEVEL.C_MAC | SECURITY_LEVEL.C_DECRYPTION,
  /** C-MAC and R-MAC: SCP03 with an "i" that supports R-MAC. */
  rmac: SECURITY_LEVEL.C_MAC | SECURITY_LEVEL.R_MAC,
  /** Everything: C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION (SCP03 "i" 60/70). */
  renc: SECURITY_LEVEL.C_MAC | SECURITY_LEVEL.C_DECRYPTION | SECURITY_LEVEL.R_MAC | SECURITY_LEVEL.R_ENCRYPTION,
} as const;

/** The level when `--sl` is not given: C-MAC, as GlobalPlatformPro. */
export const DEFAULT_SECURITY_LEVEL = SECURITY_LEVEL.C_MAC;

/**
 * Parses `--sl` into the EXTERNAL AUTHENTICATE P1; `scp` refuses response protection SCP02 (as
 * implemented, "i" 15/55) does not have.
 * @example parseSecurityLevel('enc,rmac', 3) // 0x13
 */
export function parseSecurityLevel(value: string | undefined, scp: 2 | 3): number {
  if (value === undefined) return DEFAULT_SECURITY_LEVEL;
  let level = 0;
  for (const raw of value.split(',')) {
    const name = raw.trim().toLowerCase();
    if (!Object.hasOwn(SECURITY_LEVEL_NAMES, name)) {
      throw new CliError('ERR_CLI_USAGE', `--sl ${value}: unknown level "${raw.trim()}" (expected mac, enc, rmac or renc, comma-separated)`);
    }
    level |= SECURITY_LEVEL_NAMES[name as keyof typeof SECURITY_LEVEL_NAMES];
  }
  if (scp === 2 && (level & (SECURITY_LEVEL.R_MAC | SECURITY_LEVEL.R_ENCRYPTION)) !== 0) {
    throw new CliError('ERR_CLI_USAGE', `--sl ${value}: this card runs SCP02, whose supported options ("i" 15, 55) have no R-MAC; use mac or enc`);
  }
  return level;
}

/** The level as text, e.g. "C-MAC, C-DECRYPTION (03)". */
export function describeSecurityLevel(level: number): string {
  const names = [
    [SECURITY_LEVEL.C_MAC, 'C-MAC'],
    [SECURITY_LEVEL.C_DECRYPTION, 'C-DECRYPTION'],
    [SECURITY_LEVEL.R_MAC, 'R-MAC'],
    [SECURITY_LEVEL.R_ENCRYPTION, 'R-ENCRYPTION'],
  ] as const;
  const on = names.filter(([bit]) => (level & bit) !== 0).map(([, name]) => name);
  return `${on.length === 0 ? 'none' : on.join(', ')} (${level.toString(16).toUpperCase().padStart(2, '0')})`;
}
