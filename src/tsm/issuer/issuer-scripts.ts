/**
 * Issuer scripts (EMV Book 3 §6.5: APPLICATION BLOCK 1E, APPLICATION UNBLOCK 18, PIN CHANGE/UNBLOCK
 * 24) for one authorized transaction: every command MACed — and PIN data enciphered — by the HSM
 * under the card's secure-messaging session keys of that transaction (EMV Book 2 §9.2), in the
 * layout its CVN profile names. The clear PIN never reaches this code: it travels as an encrypted
 * PIN block the HSM re-encodes.
 */
import { concat, fromHex, toHex } from '../../bytes/index.ts';
import { CVN_PROFILES, buildScriptCommand, scriptMacInput, type CvnProfileId } from '../../emv/index.ts';
import type { EncryptedPinBlock, Hsm, OperationContext } from '../../hsm/index.ts';
import { TsmError } from '../errors.ts';

/** A script waiting for the card's next online transaction. */
export type IssuerScriptRequest =
  | { readonly kind: 'application-block' }
  | { readonly kind: 'application-unblock' }
  | { readonly kind: 'pin-unblock' }
  /** The new PIN as an encrypted PIN block under the issuer's PIN key (no PAN kept: it comes from the transaction). */
  | { readonly kind: 'pin-change'; readonly pin: Omit<EncryptedPinBlock, 'pan'> };

export const ISSUER_SCRIPT_KINDS = ['application-block', 'application-unblock', 'pin-unblock', 'pin-change'] as const;

/** The transaction the scripts answer, and the card's issuer keys. */
export interface ScriptTransactionKeys {
  readonly profile: CvnProfileId;
  readonly pan: string;
  readonly psn: string;
  readonly atc: Uint8Array;
  readonly arqc: Uint8Array;
  readonly unpredictableNumber?: Uint8Array;
  readonly imkAc: string;
  readonly imkSmi: string;
  readonly imkSmc: string;
}

/** MAC length of every script command (docs/payment-application.md §3.2). */
export const SCRIPT_MAC_LENGTH = 8;

const HEADERS: Readonly<Record<IssuerScriptRequest['kind'], string>> = {
  'application-block': '841E0000',
  'application-unblock': '84180000',
  'pin-unblock': '84240000',
  // P2 02: change without the current PIN (EMV Book 3 §6.5.10).
  'pin-change': '84240002',
};

/** The complete command APDU of `script` for the transaction `txn`. */
export async function buildIssuerScript(hsm: Hsm, script: IssuerScriptRequest, txn: ScriptTransactionKeys, ctx: OperationContext): Promise<Uint8Array> {
  const header = fromHex(HEADERS[script.kind]);
  const base = { profile: txn.profile, pan: txn.pan, psn: txn.psn, atc: txn.atc, arqc: txn.arqc, ...(txn.unpredictableNumber === undefined ? {} : { unpredictableNumber: txn.unpredictableNumber }) };
  const data = script.kind === 'pin-change'
    ? await hsm.pinChangeScriptData({ ...base, pin: { ...script.pin, pan: txn.pan }, imkSmc: txn.imkSmc, imkAc: txn.imkAc }, ctx)
    : new Uint8Array(0);
  const profile = CVN_PROFILES[txn.profile];
  const macInput = scriptMacInput({
    header, data, macLength: SCRIPT_MAC_LENGTH,
    transactionData: profile.scriptMacTransactionData ? { atc: txn.atc, arqc: txn.arqc } : null,
  });
  const mac = await hsm.issuerScriptMac({ ...base, imkSmi: txn.imkSmi, macInput }, ctx);
  return buildScriptCommand(header, data, mac.slice(0, SCRIPT_MAC_LENGTH));
}

/** Pending scripts ⇄ the store's JSON text (PIN blocks as hex). */
export function encodePendingScripts(scripts: readonly IssuerScriptRequest[]): string {
  return JSON.stringify(scripts.map((s) => (s.kind === 'pin-change' ? { kind: s.kind, pin: { key: s.pin.key, format: s.pin.format, block: toHex(s.pin.block) } } : { kind: s.kind })));
}

export function decodePendingScripts(text: string): readonly IssuerScriptRequest[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new TsmError('ERR_TSM_STATE', 'issuer card: pending scripts are not valid JSON', { cause });
  }
  if (!Array.isArray(parsed)) throw new TsmError('ERR_TSM_STATE', 'issuer card: pending scripts are not a list');
  return parsed.map((entry: unknown) => assertIssuerScript(entry, true));
}

/** Validates a script request (from an API caller, or decoded from the store with hex PIN blocks). */
export function assertIssuerScript(value: unknown, stored = false): IssuerScriptRequest {
  const v = value as { kind?: unknown; pin?: { key?: unknown; format?: unknown; block?: unknown } } | null;
  if (typeof v !== 'object' || v === null || !(ISSUER_SCRIPT_KINDS as readonly unknown[]).includes(v.kind)) {
    throw new TsmError('ERR_TSM_REQUEST', `issuer script: kind must be one of ${ISSUER_SCRIPT_KINDS.join(', ')}`);
  }
  const kind = v.kind as IssuerScriptRequest['kind'];
  if (kind !== 'pin-change') return { kind };
  const pin = v.pin;
  const block = stored && typeof pin?.block === 'string' ? fromHex(pin.block, 'pending PIN block') : pin?.block;
  if (typeof pin?.key !== 'string' || !(block instanceof Uint8Array) || ![0, 1, 3, 4].includes(pin.format as number)) {
    throw new TsmError('ERR_TSM_REQUEST', 'issuer script pin-change: pin must be { key, format 0|1|3|4, block }');
  }
  return { kind, pin: { key: pin.key, format: pin.format as 0 | 1 | 3 | 4, block: concat(block) } };
}
