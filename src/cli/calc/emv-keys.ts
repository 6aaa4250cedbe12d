/**
 * `calc icc-mk` and `calc session-key`: EMV card keys from the issuer's (EMV 4.4 Book 2 Annex A1.4
 * options A and B; A1.3 session keys: common, Visa secure messaging, EMV2000 tree, Mastercard SKD).
 * The derivations are emv/'s; this file reads the options and names the inputs in errors.
 */
import { toHex, wipe } from '../../bytes/index.ts';
import {
  arqcDiversifier,
  atcDiversifier,
  deriveCommonSessionKey,
  deriveCommonSessionKeyAes,
  deriveEmv2000TreeSessionKey,
  deriveIccMasterKeyOptionA,
  deriveIccMasterKeyOptionB,
  deriveVisaSmSessionKey,
  mastercardDiversifier,
} from '../../emv/index.ts';
import { blame, choice, digits, hexOption, integer, optional, optionalHex, required, usage, type CalcOptions, type Secrets } from './input.ts';
import { keyWithKcv } from './keys.ts';
import type { CalcResult } from './result.ts';

/** The PAN and PSN options: 8–19 digits, and 2 digits (absent: "00", Book 2 A1.4.1). */
export function panAndPsn(o: CalcOptions): { pan: string; psn: string | null } {
  const pan = digits(required(o, 'pan', 'the card number, 8 to 19 digits'), '--pan', 8, 19);
  const psnText = optional(o, 'psn');
  return { pan, psn: psnText === undefined ? null : digits(psnText, '--psn', 2, 2) };
}

/** EMV Book 2 A1.4.1 (option A) or A1.4.2 (option B) from a 16-byte IMK. */
export function deriveIccMk(option: 'A' | 'B', imk: Uint8Array, pan: string, psn: string | null): Uint8Array {
  return (option === 'A' ? deriveIccMasterKeyOptionA : deriveIccMasterKeyOptionB)(imk, pan, psn);
}

/** `calc icc-mk --option a|b --key IMK --pan PAN [--psn NN]`. */
export async function calcIccMk(o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  const option = choice(o, 'option', ['A', 'B']);
  const { pan, psn } = panAndPsn(o);
  const imk = await secrets.key(o, 'key', [16], 'the issuer master key (IMK), a 16-byte 3DES key');
  try {
    const mk = deriveIccMk(option, imk, pan, psn);
    const result = { option, psn: psn ?? '00 (absent)', iccMasterKey: keyWithKcv(mk, 'tdes-zeros') };
    wipe(mk);
    return result;
  } finally {
    wipe(imk);
  }
}

const SESSION_METHODS = ['common', 'visa-sm', 'emv2000', 'mastercard'] as const;
type SessionMethod = (typeof SESSION_METHODS)[number];

/** The diversification value R of the common session key: `--r`, or from `--atc` or `--arqc`. */
function commonR(o: CalcOptions, block: 8 | 16): Uint8Array {
  const given = ['r', 'atc', 'arqc'].filter((n) => optional(o, n) !== undefined);
  if (given.length !== 1) {
    throw usage(`the common session key needs one of --r (R, ${block} bytes), --atc (R = ATC ‖ 00…, the AC key) or --arqc (R = ARQC, the secure-messaging keys)`);
  }
  if (given[0] === 'r') return hexOption(o, 'r', 'R', [block]);
  if (given[0] === 'atc') return atcDiversifier(hexOption(o, 'atc', 'ATC', [2]), block);
  return arqcDiversifier(hexOption(o, 'arqc', 'ARQC', [8]), block);
}

/** `calc session-key --method M --key ICC-MK …`. */
export async function calcSessionKey(o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  const method = choice<SessionMethod>(o, 'method', SESSION_METHODS);
  const cipher = choice(o, 'cipher', ['tdes', 'aes'], 'tdes');
  if (cipher === 'aes' && method !== 'common') throw usage(`--cipher aes: only the common session key has an AES form, not ${method}`);
  let r: Uint8Array | undefined;
  let derive: (mk: Uint8Array) => Uint8Array;
  switch (method) {
    case 'common': {
      const block = cipher === 'aes' ? 16 : 8;
      const rr = commonR(o, block);
      r = rr;
      derive = (mk) => (cipher === 'aes' ? deriveCommonSessionKeyAes(mk, rr) : deriveCommonSessionKey(mk, rr));
      break;
    }
    case 'visa-sm': {
      const atc = hexOption(o, 'atc', 'the ATC (9F36), 2 bytes', [2]);
      derive = (mk) => deriveVisaSmSessionKey(mk, atc);
      break;
    }
    case 'emv2000': {
      const atc = hexOption(o, 'atc', 'the ATC (9F36), 2 bytes', [2]);
      const branchFactor = integer(o, 'branchFactor', 2, 65536);
      const height = integer(o, 'height', 1, 16);
      const iv = optionalHex(o, 'iv', [16]) ?? new Uint8Array(16);
      r = iv;
      derive = (mk) => blame('--branch-factor/--height', () => deriveEmv2000TreeSessionKey(mk, atc, { branchFactor, height, iv }));
      break;
    }
    case 'mastercard': {
      r = mastercardDiversifier(hexOption(o, 'atc', 'the ATC (9F36), 2 bytes', [2]), hexOption(o, 'un', 'the unpredictable number (9F37), 4 bytes', [4]));
      const rr = r;
      derive = (mk) => deriveCommonSessionKey(mk, rr);
      break;
    }
  }
  const mk = await secrets.key(o, 'key', cipher === 'aes' ? [16, 24, 32] : [16], 'the ICC master key');
  try {
    const sk = derive(mk);
    const result = {
      method,
      cipher,
      ...(r === undefined ? {} : method === 'emv2000' ? { iv: toHex(r) } : { r: toHex(r) }),
      sessionKey: keyWithKcv(sk, cipher === 'aes' ? 'aes-cmac' : 'tdes-zeros'),
    };
    wipe(sk);
    return result;
  } finally {
    wipe(mk);
  }
}
