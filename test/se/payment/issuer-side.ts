/**
 * The issuer's side of a transaction for the tests, from the emv/ pure functions only (never the
 * card's code): session keys, ARPC, script MAC, enciphered PIN data, per CVN profile.
 */
import { concat, fromHex } from '../../../src/bytes/index.ts';
import {
  CVN_PROFILES,
  atcDiversifier,
  deriveCommonSessionKey,
  deriveVisaSmSessionKey,
  encodePinBlock,
  encodeVisPinBlock,
  encryptScriptData,
  generateArpcMethod1,
  generateArpcMethod2,
  generateScriptMac,
  mastercardDiversifier,
  scriptMacInput,
  type CvnProfileId,
} from '../../../src/emv/index.ts';

export interface Txn {
  atc: Uint8Array;
  ac: Uint8Array;
  un: Uint8Array;
}

export function issuer(profileId: CvnProfileId, keys: { ac: Uint8Array; smi: Uint8Array; smc: Uint8Array }) {
  const profile = CVN_PROFILES[profileId];
  const skAc = (t: Txn): Uint8Array =>
    profile.acSessionKey === 'none' ? keys.ac : deriveCommonSessionKey(keys.ac, profile.acSessionKey === 'common-atc' ? atcDiversifier(t.atc, 8) : mastercardDiversifier(t.atc, t.un));
  const sm = (mk: Uint8Array, t: Txn): Uint8Array => (profile.smSessionKey === 'visa' ? deriveVisaSmSessionKey(mk, t.atc) : deriveCommonSessionKey(mk, t.ac));
  return {
    /** Tag 91 value: ARPC ‖ ARC (method 1) or ARPC ‖ CSU (method 2). */
    issuerAuthData(t: Txn): Uint8Array {
      const key = profile.arpc.key === 'icc-master-key' ? keys.ac : skAc(t);
      return profile.arpc.method === 1
        ? concat(generateArpcMethod1(key, t.ac, fromHex('3030')), fromHex('3030'))
        : concat(generateArpcMethod2(key, t.ac, fromHex('00800000'), new Uint8Array(0)), fromHex('00800000'));
    },
    /** A script command's data ‖ MAC (EMV Book 2 §9.2). */
    script(t: Txn, ins: number, p2: number, data: Uint8Array, macLength = 8): Uint8Array {
      const header = Uint8Array.of(0x84, ins, 0x00, p2);
      const input = scriptMacInput({ header, data, macLength, transactionData: profile.scriptMacTransactionData ? { atc: t.atc, arqc: t.ac } : null });
      return concat(data, generateScriptMac(sm(keys.smi, t), input, { length: macLength }));
    },
    /** PIN CHANGE data: the profile's PIN block enciphered under SK-SMC. */
    pinData(t: Txn, pin: string, currentPin: string | null): Uint8Array {
      const layout = currentPin === null ? profile.pinChange.newPin : profile.pinChange.withCurrentPin;
      const block = layout === 'vis' ? encodeVisPinBlock(keys.ac, pin, currentPin) : encodePinBlock(pin, { format: 2 });
      return encryptScriptData(sm(keys.smc, t), block, { scheme: profile.scriptEncipherment });
    },
  };
}
