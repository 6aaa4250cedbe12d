/**
 * EMV issuer operations on the token (EMV Book 2 §8–9), every scheme choice read from the CVN
 * profile exactly as the software backend (software/emv-ops.ts, shared/emv-keys.ts), with the issuer
 * master keys (E0, E1, E2) in the token.
 *
 * HOST MEMORY: the per-card and per-transaction keys. The ICC master key is EMV Book 2 A1.4's two
 * 3DES-ECB blocks under the IMK — computed in the token (emv/ with a held IMK) — and SoftHSM2 can
 * keep neither it nor the session keys inside: it has no ECB derivation pkcs11js can call
 * (CKM_DES3_ECB_ENCRYPT_DATA's parameter is not marshalled), no way to join two derived halves
 * into one key, no XOR derivation (Visa SM keys), and no ISO 9797-1 MAC algorithm 3 mechanism
 * (ARQC, ARPC method 2, script MAC). So the ICC master key and its session keys exist in host
 * memory for the duration of one call, as the emv/ functions' arguments, and are wiped before it
 * returns. The IMK never leaves the token.
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
import { acSessionKey, arpcOf, assertTdesImk, checkArpcInput, iccMasterKey, profileOf, smSessionKey } from '../shared/emv-keys.ts';
import type { Pkcs11Core } from './core.ts';
import { decryptPin } from './pin-ops.ts';

/** Transaction fields every script operation shares with the ARQC request. */
export type ScriptTransaction = Omit<ArqcRequest, 'imk' | 'data'>;

/** Verifies an ARQC (EMV Book 2 §8.1) and, if it verifies and `arpc` is given, generates the ARPC (§8.2). */
export function verifyArqc(core: Pkcs11Core, request: ArqcRequest, arpc: ArpcInput | undefined, ctx: OperationContext, trail: Trail): ArqcResult {
  const profile = profileOf(request?.profile);
  checkArpcInput(profile, arpc);
  const imk = core.keys.usable(request.imk, 'emv-ac', ctx, trail);
  assertTdesImk(imk.meta);
  const mk = iccMasterKey(profile, core.keys.held(imk), request.pan, request.psn, core.trace, 'icc-mk-ac');
  let sk: Uint8Array | undefined;
  let result: ArqcResult;
  try {
    sk = acSessionKey(profile, mk, request.atc, request.unpredictableNumber, core.trace);
    const valid = verifyAc(sk, request.data, request.arqc, { cipher: 'tdes', padding: profile.acPadding });
    result = !valid || arpc === undefined ? { valid } : { valid, arpc: arpcOf(profile, arpc, mk, sk, request.arqc) };
  } finally {
    wipe(mk);
    if (sk !== undefined && sk !== mk) wipe(sk);
  }
  trail.detail = result.valid ? 'ARQC verified' : 'ARQC did not verify';
  return Object.freeze(result);
}

/** Runs `fn` with the SM session key (HOST MEMORY, wiped after `fn`) of IMK `imkId` for this transaction. */
function withSmKey<T>(core: Pkcs11Core, request: ScriptTransaction, imkId: string, operation: 'emv-smi' | 'emv-smc', ctx: OperationContext, trail: Trail, fn: (sk: Uint8Array, profile: CvnProfile) => T): T {
  const profile = profileOf(request?.profile);
  const imk = core.keys.usable(imkId, operation, ctx, trail);
  assertTdesImk(imk.meta);
  const step = operation === 'emv-smi' ? 'smi' : 'smc';
  const mk = iccMasterKey(profile, core.keys.held(imk), request.pan, request.psn, core.trace, `icc-mk-${step}`);
  let sk: Uint8Array | undefined;
  try {
    sk = smSessionKey(profile, mk, request.atc, request.arqc, core.trace, `sk-${step}`);
    return fn(sk, profile);
  } finally {
    wipe(mk);
    if (sk !== undefined) wipe(sk);
  }
}

/** The 8-byte script MAC (EMV Book 2 §9.2.1; A1.2.1) of `macInput`; schemes send its leftmost 4 to 8 bytes. */
export function issuerScriptMac(core: Pkcs11Core, request: ScriptTransaction & { readonly imkSmi: string; readonly macInput: Uint8Array }, ctx: OperationContext, trail: Trail): Uint8Array {
  return withSmKey(core, request, request?.imkSmi, 'emv-smi', ctx, trail, (sk) => generateScriptMac(sk, request.macInput, { length: 8 }));
}

/** Script data enciphered under the SM confidentiality session key, in the profile's layout (§9.2.2). */
export function issuerScriptEncrypt(core: Pkcs11Core, request: ScriptTransaction & { readonly imkSmc: string; readonly plaintext: Uint8Array }, ctx: OperationContext, trail: Trail): Uint8Array {
  return withSmKey(core, request, request?.imkSmc, 'emv-smc', ctx, trail, (sk, profile) => encryptScriptData(sk, request.plaintext, { scheme: profile.scriptEncipherment }));
}

/**
 * The enciphered PIN data of a PIN CHANGE script: the PIN from an encrypted PIN block (pin-ops.ts),
 * re-encoded as the profile's new-PIN block (VIS, from the ICC MK-AC; or ISO 9564-1 format 2) and
 * enciphered under the SMC session key. HOST MEMORY: the PIN and the new PIN block, for this call.
 */
export function pinChangeScriptData(
  core: Pkcs11Core,
  request: ScriptTransaction & { readonly pin: EncryptedPinBlock; readonly imkSmc: string; readonly imkAc: string },
  ctx: OperationContext,
  trail: Trail,
): Uint8Array {
  const profile = profileOf(request?.profile);
  const imkAc = core.keys.usable(request.imkAc, 'emv-ac', ctx, trail);
  assertTdesImk(imkAc.meta);
  const pin = decryptPin(core, request.pin, ctx, trail);
  let block: Uint8Array;
  if (profile.pinChange.newPin === 'vis') {
    const mkAc = iccMasterKey(profile, core.keys.held(imkAc), request.pan, request.psn, core.trace, 'icc-mk-ac');
    try {
      block = encodeVisPinBlock(mkAc, pin, null);
    } finally {
      wipe(mkAc);
    }
  } else {
    block = encodePinBlock(pin, { format: 2 });
  }
  try {
    return withSmKey(core, request, request.imkSmc, 'emv-smc', ctx, trail, (sk) => encryptScriptData(sk, block, { scheme: profile.scriptEncipherment }));
  } finally {
    wipe(block);
  }
}
