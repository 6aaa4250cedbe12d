/**
 * The card's side of a CVN profile (emv/ CVN_PROFILES): which emv/ function each profile field
 * selects, applied to the card's OWN ICC master keys. The issuer's HSM makes the same choices from
 * the same table inside its boundary; the card never shares code with it beyond the pure emv/
 * functions (ARCHITECTURE.md §2).
 *
 * - AC session key (EMV Book 2 A1.3): `none` (the ICC master key), `common-atc` (R = ATC ‖ 00…),
 *   `mastercard-skd` (R = ATC ‖ 0000 ‖ UN).
 * - ARPC (EMV Book 2 §8.2): method 1 or 2 under the ICC master key or the AC session key.
 * - Secure messaging (EMV Book 2 §9): `visa` (MK ⊕ ATC) or `common-arqc` (R = the cryptogram).
 */
import { wipe } from '../../../bytes/index.ts';
import {
  assembleAcData,
  atcDiversifier,
  buildIad,
  decryptScriptData,
  deriveCommonSessionKey,
  deriveVisaSmSessionKey,
  generateAc,
  iadElements,
  initialCvr,
  mastercardDiversifier,
  scriptMacInput,
  verifyArpcMethod1,
  verifyArpcMethod2,
  verifyScriptMac,
  type CvnProfile,
} from '../../../emv/index.ts';

/** The transaction an issuer update refers to: ATC (2 bytes), cryptogram (8), unpredictable number (4). */
export interface CardTransaction {
  readonly atc: Uint8Array;
  readonly ac: Uint8Array;
  readonly un: Uint8Array;
}

/** Cryptogram Information Data (9F27) values (EMV Book 3 §6.5.5.4): AAC, TC, ARQC. */
export const CID = { AAC: 0x00, TC: 0x40, ARQC: 0x80 } as const;

/**
 * Where the CVR records the type of the cryptogram returned in the first GENERATE AC, per scheme
 * (VIS 1.5 CVR byte 2, M/Chip 4 CVR byte 1 [M]): b8b7 = 10 "second GENERATE AC not requested",
 * b6b5 = 10 ARQC / 00 AAC.
 */
const CVR_AC_TYPE: Readonly<Record<CvnProfile['scheme'], number>> = { visa: 1, mastercard: 0, interac: 0 };

/** The CVR of a cryptogram of type `cid` (the rest of the CVR stays at the scheme's initial value). */
export function cardCvr(profile: CvnProfile, cid: number): Uint8Array {
  const cvr = initialCvr(profile);
  cvr[CVR_AC_TYPE[profile.scheme]] = cid === CID.ARQC ? 0xa0 : 0x80;
  return cvr;
}

/** The card's Issuer Application Data (9F10) for a cryptogram of type `cid` (emv/iad.ts layout). */
export function cardIad(profile: CvnProfile, dki: number, cid: number): Uint8Array {
  return buildIad(profile, { dki, cvr: cardCvr(profile, cid) });
}

/** EMV Book 2 A1.3: the AC session key of the profile (a copy of the master key for `none`). */
export function acSessionKey(profile: CvnProfile, mkAc: Uint8Array, atc: Uint8Array, un: Uint8Array): Uint8Array {
  switch (profile.acSessionKey) {
    case 'none':
      return mkAc.slice();
    case 'common-atc':
      return deriveCommonSessionKey(mkAc, atcDiversifier(atc, 8));
    case 'mastercard-skd':
      return deriveCommonSessionKey(mkAc, mastercardDiversifier(atc, un));
  }
}

/**
 * The cryptogram input (EMV Book 2 §8.1.1): the terminal's values (from the PDOL or CDOL1 data), the
 * AIP, the ATC and the IAD (and the CVR/counters slices of it), in the profile's order.
 */
export function cryptogramInput(profile: CvnProfile, terminal: Readonly<Record<string, Uint8Array>>, aip: Uint8Array, atc: Uint8Array, iad: Uint8Array): Uint8Array {
  return assembleAcData(profile, { ...terminal, '82': aip, '9F36': atc, ...iadElements(profile, iad) });
}

/** EMV Book 2 §8.1.2: the application cryptogram over `data` with the profile's session key and padding. */
export function cardCryptogram(profile: CvnProfile, mkAc: Uint8Array, txn: Omit<CardTransaction, 'ac'>, data: Uint8Array): Uint8Array {
  const sk = acSessionKey(profile, mkAc, txn.atc, txn.un);
  try {
    return generateAc(sk, data, { cipher: 'tdes', padding: profile.acPadding });
  } finally {
    wipe(sk);
  }
}

/**
 * EMV Book 2 §8.2: checks the Issuer Authentication Data (tag 91 value) against the cryptogram of
 * `txn`, in constant time. Method 1: ARPC(8) ‖ ARC(2); method 2: ARPC(4) ‖ CSU(4) ‖ proprietary
 * data (0–8). Returns `undefined` when the data has the wrong length for the method.
 */
export function checkArpc(profile: CvnProfile, mkAc: Uint8Array, txn: CardTransaction, issuerAuthData: Uint8Array): boolean | undefined {
  const method = profile.arpc.method;
  if (method === 1 ? issuerAuthData.length !== 10 : issuerAuthData.length < 8 || issuerAuthData.length > 16) return undefined;
  const key = profile.arpc.key === 'icc-master-key' ? mkAc.slice() : acSessionKey(profile, mkAc, txn.atc, txn.un);
  try {
    if (method === 1) return verifyArpcMethod1(key, txn.ac, issuerAuthData.subarray(8, 10), issuerAuthData.subarray(0, 8));
    return verifyArpcMethod2(key, txn.ac, issuerAuthData.subarray(4, 8), issuerAuthData.subarray(8), issuerAuthData.subarray(0, 4));
  } finally {
    wipe(key);
  }
}

/** EMV Book 2 A1.3 / VIS: the secure-messaging session key of `txn` from the ICC master key `mk` (SMI or SMC). */
export function smSessionKey(profile: CvnProfile, mk: Uint8Array, txn: CardTransaction): Uint8Array {
  return profile.smSessionKey === 'visa' ? deriveVisaSmSessionKey(mk, txn.atc) : deriveCommonSessionKey(mk, txn.ac);
}

/**
 * EMV Book 2 §9.2.3: checks the MAC of a script command (header CLA INS P1 P2, the data as sent
 * without the MAC, the MAC of 4..8 bytes) under SK-SMI of `txn`, the ATC ‖ cryptogram inserted
 * when the profile says so. Constant time; false on any mismatch.
 */
export function checkScriptMac(profile: CvnProfile, mkSmi: Uint8Array, txn: CardTransaction, header: Uint8Array, data: Uint8Array, mac: Uint8Array): boolean {
  if (mac.length < 4 || mac.length > 8 || data.length + mac.length > 255) return false;
  const input = scriptMacInput({ header, data, macLength: mac.length, transactionData: profile.scriptMacTransactionData ? { atc: txn.atc, arqc: txn.ac } : null });
  const sk = smSessionKey(profile, mkSmi, txn);
  try {
    return verifyScriptMac(sk, input, mac);
  } finally {
    wipe(sk);
  }
}

/** EMV Book 2 §9.3: deciphers script data under SK-SMC of `txn` in the profile's layout (throws EmvError on bad data). */
export function decipherScriptData(profile: CvnProfile, mkSmc: Uint8Array, txn: CardTransaction, ciphertext: Uint8Array): Uint8Array {
  const sk = smSessionKey(profile, mkSmc, txn);
  try {
    return decryptScriptData(sk, ciphertext, { scheme: profile.scriptEncipherment });
  } finally {
    wipe(sk);
  }
}

/** ATC as its 2 bytes (9F36). */
export function atcBytes(atc: number): Uint8Array {
  return Uint8Array.of(atc >> 8, atc & 0xff);
}

