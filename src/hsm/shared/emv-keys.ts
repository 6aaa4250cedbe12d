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
  generateArpcMethod1,
  generateArpcMethod2,
  mastercardDiversifier,
  type CvnProfile,
  type CvnProfileId,
} from '../../emv/index.ts';
import type { HeldKey } from '../../crypto/index.ts';
import type { ArpcInput } from '../hsm.ts';
import { HsmError } from '../errors.ts';
import type { KeyAttributes } from '../key-attributes.ts';
import { kcvOf, type KcvTrace } from './key-check.ts';

const NO_DATA = new Uint8Array(0);

/** The profile of `id`, or ERR_HSM_PARAM. */
export function profileOf(id: CvnProfileId): CvnProfile {
  if (typeof id !== 'string' || !Object.hasOwn(CVN_PROFILES, id)) throw new HsmError('ERR_HSM_PARAM', `unknown CVN profile ${JSON.stringify(id)?.slice(0, 24)}`);
  return CVN_PROFILES[id];
}

/** Refuses issuer master keys that are not double-length TDES (AES masters, EMV option C, are not supported: no CVN profile of the table uses them). */
export function assertTdesImk(imk: { readonly id: string; readonly kcv: string; readonly attributes: KeyAttributes }): void {
  const a = imk.attributes;
  if (a.algorithm !== 'T' || a.length !== 16) {
    throw new HsmError('ERR_HSM_UNSUPPORTED', `key ${imk.id} (KCV ${imk.kcv}): EMV issuer master keys are double-length TDES here (AES masters, EMV option C, are not supported: no CVN profile uses them)`);
  }
}

/**
 * A1.4: the ICC master key of (PAN, PSN) by the profile's option, from the IMK as bytes or held
 * (the software key cache's keyed cipher context, a PKCS#11 token object): the caller wipes it.
 */
export function iccMasterKey(profile: CvnProfile, imk: Uint8Array | HeldKey, pan: string, psn: string, trace: KcvTrace | undefined, step: string): Uint8Array {
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

/** Refuses an ARPC request whose method is not the profile's (ERR_HSM_PARAM). */
export function checkArpcInput(profile: CvnProfile, arpc: ArpcInput | undefined): void {
  if (arpc === undefined) return;
  if (arpc?.method !== profile.arpc.method) throw new HsmError('ERR_HSM_PARAM', `this CVN profile answers with ARPC method ${profile.arpc.method}`);
}

/** EMV Book 2 §8.2: the ARPC by the profile's method, under the ICC master key or the session key. */
export function arpcOf(profile: CvnProfile, arpc: ArpcInput, mk: Uint8Array, sk: Uint8Array, arqc: Uint8Array): Uint8Array {
  const key = profile.arpc.key === 'icc-master-key' ? mk : sk;
  return arpc.method === 1 ? generateArpcMethod1(key, arqc, arpc.arc) : generateArpcMethod2(key, arqc, arpc.csu, arpc.proprietaryData ?? NO_DATA);
}
