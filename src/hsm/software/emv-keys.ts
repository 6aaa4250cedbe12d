/**
 * The per-card key chain of an EMV issuer operation, chosen by the CVN profile (emv/ CVN_PROFILES;
 * research/hsm-emv.md §6.3): issuer master key → ICC master key (EMV Book 2 A1.4, option A or B)
 * → AC or secure-messaging session key (A1.3: none, common, Mastercard SKD; Visa or common SM).
 * Derived keys live only inside one operation; each step can report its KCV (KcvTrace).
 */
import {
  CVN_PROFILES,
  atcDiversifier,
  deriveCommonSessionKey,
  deriveIccMasterKeyOptionA,
  deriveIccMasterKeyOptionB,
  deriveVisaSmSessionKey,
  mastercardDiversifier,
  type CvnProfile,
  type CvnProfileId,
} from '../../emv/index.ts';
import { HsmError } from '../errors.ts';
import type { KcvTrace } from './core.ts';
import { kcvOf } from './key-check.ts';
import type { LoadedKey } from './key-vault.ts';

/** The profile of `id`, or ERR_HSM_PARAM. */
export function profileOf(id: CvnProfileId): CvnProfile {
  if (typeof id !== 'string' || !Object.hasOwn(CVN_PROFILES, id)) throw new HsmError('ERR_HSM_PARAM', `unknown CVN profile ${JSON.stringify(id)?.slice(0, 24)}`);
  return CVN_PROFILES[id];
}

/** Refuses issuer master keys that are not double-length TDES (AES option C is not implemented in emv/). */
export function assertTdesImk(imk: LoadedKey): void {
  const a = imk.record.attributes;
  if (a.algorithm !== 'T' || a.length !== 16) {
    throw new HsmError('ERR_HSM_UNSUPPORTED', `key ${imk.record.id} (KCV ${imk.record.kcv}): EMV issuer master keys are double-length TDES here (AES option C is not implemented)`);
  }
}

/** A1.4: the ICC master key of (PAN, PSN) by the profile's option. */
export function iccMasterKey(profile: CvnProfile, imk: Uint8Array, pan: string, psn: string, trace: KcvTrace | undefined, step: string): Uint8Array {
  const derive = profile.masterKeyDerivation === 'option-a' ? deriveIccMasterKeyOptionA : deriveIccMasterKeyOptionB;
  const mk = derive(imk, pan, psn);
  trace?.(step, kcvOf('T', mk));
  return mk;
}

/**
 * A1.3: the AC session key (or the ICC master key itself for profiles without one, e.g. Visa
 * CVN 10: then the same array is returned, and the caller wipes it once).
 */
export function acSessionKey(profile: CvnProfile, mkAc: Uint8Array, atc: Uint8Array, un: Uint8Array | undefined, trace: KcvTrace | undefined): Uint8Array {
  let sk: Uint8Array;
  switch (profile.acSessionKey) {
    case 'none':
      return mkAc;
    case 'common-atc':
      sk = deriveCommonSessionKey(mkAc, atcDiversifier(atc, 8));
      break;
    case 'mastercard-skd':
      if (un === undefined) throw new HsmError('ERR_HSM_PARAM', 'this CVN profile derives the AC session key from the unpredictable number (9F37): give it');
      sk = deriveCommonSessionKey(mkAc, mastercardDiversifier(atc, un));
      break;
  }
  trace?.('sk-ac', kcvOf('T', sk));
  return sk;
}

/** A1.3 / Visa: the secure-messaging session key (R = ARQC, or MK ⊕ ATC for Visa). */
export function smSessionKey(profile: CvnProfile, mk: Uint8Array, atc: Uint8Array, arqc: Uint8Array, trace: KcvTrace | undefined, step: string): Uint8Array {
  const sk = profile.smSessionKey === 'visa' ? deriveVisaSmSessionKey(mk, atc) : deriveCommonSessionKey(mk, arqc);
  trace?.(step, kcvOf('T', sk));
  return sk;
}
