/**
 * Opening the secure channel for `opentsm gp`: protocol detection, the host keys for it, the
 * security level, then gp/'s `openSecureChannel`. A card cryptogram that does not verify stops
 * everything with GlobalPlatformPro's warning in substance (gp.md §8.1): wrong keys or
 * diversification, and no retry, because cards block after a few failed authentications.
 */
import type { ApduTransport } from '../../apdu/index.ts';
import { GpError, openSecureChannel, type ScpHostKeys, type SecureChannelSession } from '../../gp/index.ts';
import { withAdvice } from './card-status.ts';
import { hostKeys, type KdfMethod, type StaticKeys } from './keys.ts';
import type { Output } from './output.ts';
import { detectScp, PrimedTransport, type ScpChoice } from './scp-detect.ts';
import { describeSecurityLevel, parseSecurityLevel } from './security-level-option.ts';
import type { SelectedSd } from './select-sd.ts';

/** What the command line says about the channel. */
export interface SessionOptions {
  readonly keys: StaticKeys;
  /** `--kvn`: the key version for INITIALIZE UPDATE P1 (0: the card's default key set). */
  readonly keyVersion: number;
  readonly kdf: KdfMethod | undefined;
  readonly scp: 2 | 3 | undefined;
  /** `--sl` as typed. */
  readonly securityLevel: string | undefined;
}

/** GPC 2.3.1 Table E-1: "i" = 15 (no pseudo-random challenge) when the card does not announce its SCP02 option. */
const DEFAULT_SCP02_I = 0x15;

/** The warning printed before ERR_GP_CARD_CRYPTOGRAM ends the command. */
export function cardCryptogramWarning(keys: ScpHostKeys, kdf: KdfMethod | undefined): string[] {
  return [
    'WARNING: the card cryptogram does not verify with the keys given:',
    `  ${keys.toString()}, diversification ${kdf ?? 'none'}.`,
    '  The keys, the key version (--kvn) or the diversification (--kdf emv|visa2|kdf3) are wrong for this card.',
    '  EXTERNAL AUTHENTICATE was not sent. DO NOT RETRY with the same keys: cards count failed',
    '  authentications and block the key set (some terminate the card) after a few. Find the right keys first.',
  ];
}

/** The warning printed when the card itself rejected our host cryptogram (it counted a failure). */
export function hostCryptogramWarning(keys: ScpHostKeys): string[] {
  return [
    'WARNING: the card rejected the host cryptogram and counted a failed authentication',
    `  (${keys.toString()}). DO NOT RETRY: find the right keys first; cards block after a few failures.`,
  ];
}

function choiceText(choice: ScpChoice, session: SecureChannelSession): string {
  const i = 'i' in session && typeof session.i === 'number' ? ` i=${session.i.toString(16).toUpperCase().padStart(2, '0')}` : '';
  return `SCP0${session.scp}${i} (from ${choice.source}), KVN ${session.keyVersion.toString(16).toUpperCase().padStart(2, '0')}, ${describeSecurityLevel(session.securityLevel)}`;
}

/**
 * Opens the channel to the selected Security Domain (SELECT already done). Returns the session and
 * a one-line description (protocol, KVN, level) without key material.
 */
export async function openGpSession(
  transport: ApduTransport,
  sd: SelectedSd,
  options: SessionOptions,
  out: Output,
): Promise<{ session: SecureChannelSession; description: string }> {
  const choice = await detectScp(transport, sd, options.scp, options.keyVersion);
  const securityLevel = parseSecurityLevel(options.securityLevel, choice.scp);
  const keys = hostKeys(choice.scp, options.keys, options.keyVersion, options.kdf);
  const channel = choice.probe === undefined ? transport : new PrimedTransport(transport, choice.probe.command, choice.probe.response);
  const i = choice.scp === 2 ? (choice.i ?? DEFAULT_SCP02_I) : undefined;
  const s16 = choice.scp === 3 && choice.i !== undefined && (choice.i & 0x01) !== 0;
  try {
    const session = await openSecureChannel(channel, keys, {
      securityLevel,
      sdAid: sd.aid,
      hostChallenge: choice.probe?.hostChallenge,
      s16,
      i,
    });
    return { session, description: choiceText(choice, session) };
  } catch (e) {
    if (e instanceof GpError && e.code === 'ERR_GP_CARD_CRYPTOGRAM') for (const line of cardCryptogramWarning(keys, options.kdf)) out.err(line);
    if (e instanceof GpError && e.code === 'ERR_GP_HOST_CRYPTOGRAM') for (const line of hostCryptogramWarning(keys)) out.err(line);
    throw e instanceof GpError && e.message.startsWith('INITIALIZE UPDATE') ? withAdvice(e, 'INITIALIZE UPDATE') : e;
  }
}
