/**
 * EMV issuer operations (EMV Book 2 §8–9; research/hsm-emv.md §1.2 KQ/KW, KU/KY): ARQC verification
 * with the ARPC, issuer-script MAC and encryption, and the enciphered PIN data of a PIN CHANGE
 * script — every scheme choice read from the CVN profile.
 */
import { wipe } from '../../bytes/index.ts';
import {
  encodePinBlock,
  encodeVisPinBlock,
  encryptScriptData,
  generateScriptMac,
  verifyAc,
  type CvnProfile,
} from '../../emv/index.ts';
import type { OperationContext } from '../context.ts';
import type { ArpcInput, ArqcRequest, ArqcResult, EncryptedPinBlock } from '../hsm.ts';
import type { Trail } from '../shared/audit-trail.ts';
import type { SoftwareCore } from './core.ts';
import { acSessionKey, arpcOf, assertTdesImk, checkArpcInput, iccMasterKey, profileOf, smSessionKey } from '../shared/emv-keys.ts';
import { decryptPin } from './pin-ops.ts';

/** Transaction fields every script operation shares with the ARQC request. */
export type ScriptTransaction = Omit<ArqcRequest, 'imk' | 'data'>;

/** Verifies an ARQC (EMV Book 2 §8.1) and, if it verifies and `arpc` is given, generates the ARPC (§8.2). */
export async function verifyArqc(core: SoftwareCore, request: ArqcRequest, arpc: ArpcInput | undefined, ctx: OperationContext, trail: Trail): Promise<ArqcResult> {
  const profile = profileOf(request?.profile);
  checkArpcInput(profile, arpc);
  const imk = await core.vault.usable(request.imk, 'emv-ac', ctx, trail);
  assertTdesImk(imk.record);
  const result = core.vault.withTdesKey(imk.record, (k): ArqcResult => {
    const mk = iccMasterKey(profile, k, request.pan, request.psn, core.trace, 'icc-mk-ac');
    let sk: Uint8Array | undefined;
    try {
      sk = acSessionKey(profile, mk, request.atc, request.unpredictableNumber, core.trace);
      const valid = verifyAc(sk, request.data, request.arqc, { cipher: 'tdes', padding: profile.acPadding });
      if (!valid || arpc === undefined) return { valid };
      return { valid, arpc: arpcOf(profile, arpc, mk, sk, request.arqc) };
    } finally {
      wipe(mk);
      if (sk !== undefined && sk !== mk) wipe(sk);
    }
  });
  trail.detail = result.valid ? 'ARQC verified' : 'ARQC did not verify';
  return Object.freeze(result);
}

/** Runs `fn` with the SM session key of IMK `imkId` (usage per `operation`) for this transaction. */
async function withSmKey<T>(
  core: SoftwareCore,
  request: ScriptTransaction,
  imkId: string,
  operation: 'emv-smi' | 'emv-smc',
  ctx: OperationContext,
  trail: Trail,
  fn: (sk: Uint8Array, profile: CvnProfile) => T,
): Promise<T> {
  const profile = profileOf(request?.profile);
  const imk = await core.vault.usable(imkId, operation, ctx, trail);
  assertTdesImk(imk.record);
  const step = operation === 'emv-smi' ? 'smi' : 'smc';
  return core.vault.withTdesKey(imk.record, (k) => {
    const mk = iccMasterKey(profile, k, request.pan, request.psn, core.trace, `icc-mk-${step}`);
    let sk: Uint8Array | undefined;
    try {
      sk = smSessionKey(profile, mk, request.atc, request.arqc, core.trace, `sk-${step}`);
      return fn(sk, profile);
    } finally {
      wipe(mk);
      if (sk !== undefined) wipe(sk);
    }
  });
}

/**
 * The 8-byte script MAC (EMV Book 2 §9.2.1; A1.2.1) of `macInput` (built by the caller with emv/
 * scriptMacInput, transaction data per the profile). Schemes send its leftmost 4 to 8 bytes.
 */
export function issuerScriptMac(core: SoftwareCore, request: ScriptTransaction & { readonly imkSmi: string; readonly macInput: Uint8Array }, ctx: OperationContext, trail: Trail): Promise<Uint8Array> {
  return withSmKey(core, request, request?.imkSmi, 'emv-smi', ctx, trail, (sk) => generateScriptMac(sk, request.macInput, { length: 8 }));
}

/** Script data enciphered under the SM confidentiality session key, in the profile's layout (§9.2.2). */
export function issuerScriptEncrypt(core: SoftwareCore, request: ScriptTransaction & { readonly imkSmc: string; readonly plaintext: Uint8Array }, ctx: OperationContext, trail: Trail): Promise<Uint8Array> {
  return withSmKey(core, request, request?.imkSmc, 'emv-smc', ctx, trail, (sk, profile) => encryptScriptData(sk, request.plaintext, { scheme: profile.scriptEncipherment }));
}

/**
 * The enciphered PIN data of a PIN CHANGE script: the PIN from an encrypted PIN block, re-encoded
 * as the profile's new-PIN block (VIS, from the ICC MK-AC; or ISO 9564-1 format 2) and enciphered
 * under the SMC session key. The variant with the current PIN is not offered (the interface has no
 * current PIN block).
 */
export async function pinChangeScriptData(
  core: SoftwareCore,
  request: ScriptTransaction & { readonly pin: EncryptedPinBlock; readonly imkSmc: string; readonly imkAc: string },
  ctx: OperationContext,
  trail: Trail,
): Promise<Uint8Array> {
  const profile = profileOf(request?.profile);
  const imkAc = await core.vault.usable(request.imkAc, 'emv-ac', ctx, trail);
  assertTdesImk(imkAc.record);
  const pin = await decryptPin(core, request.pin, ctx, trail);
  const block = profile.pinChange.newPin === 'vis'
    ? core.vault.withTdesKey(imkAc.record, (k) => {
      const mkAc = iccMasterKey(profile, k, request.pan, request.psn, core.trace, 'icc-mk-ac');
      try {
        return encodeVisPinBlock(mkAc, pin, null);
      } finally {
        wipe(mkAc);
      }
    })
    : encodePinBlock(pin, { format: 2 });
  try {
    return await withSmKey(core, request, request.imkSmc, 'emv-smc', ctx, trail, (sk) => encryptScriptData(sk, block, { scheme: profile.scriptEncipherment }));
  } finally {
    wipe(block);
  }
}
