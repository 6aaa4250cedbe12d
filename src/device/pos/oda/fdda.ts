/**
 * Offline data authentication by fDDA (docs/payment-application.md §3.1; EMV Book C-3 [M] on EMV
 * Book 2 §5–6 and Book 3 §10.3): CA key by RID and index → issuer key (90) → ICC key (9F46, over the
 * static data) → SDAD (9F4B) over the terminal dynamic data. Every failure sets TVR bits (Book 3
 * Annex C5) and is reported as a result, never thrown.
 */
import { concat } from '../../../bytes/index.ts';
import type { CardData } from '../card-data.ts';
import { setTvr } from '../tvr.ts';
import { findCaKey, type CaPublicKey } from './ca-keys.ts';
import { retrieveIccKey } from './icc-key.ts';
import { retrieveIssuerKey, type CertificateFailure } from './issuer-key.ts';
import { verifySdad } from './sdad.ts';

/** Where fDDA stopped, or that it succeeded / was not performed. */
export type OdaResult =
  | { readonly kind: 'fdda-ok' }
  | { readonly kind: 'not-performed' }
  | { readonly kind: 'failed'; readonly stage: 'icc-data-missing' | 'ca-key-unknown' | 'static-data-tag-list' | 'fdda-version' | `issuer-${CertificateFailure}` | `icc-${CertificateFailure}` | 'sdad' };

/** What fDDA needs besides the card's data. */
export interface FddaInput {
  readonly aid: Uint8Array;
  readonly caKeys: readonly CaPublicKey[];
  /** The records' part of the static data to authenticate (read-records.ts). */
  readonly recordData: Uint8Array;
  /** The Application PAN digits. */
  readonly pan: string;
  /** Transaction date 'YYMMDD'. */
  readonly date: string;
  /** The terminal's values sent to the card: 9F37, 9F02, 5F2A at least. */
  readonly terminal: Readonly<Record<string, Uint8Array>>;
}

/** AIP byte 1 b6: DDA supported (Book 3 Annex C1), read as fDDA by a contactless kernel. */
const AIP_DDA = 0x20;
const REQUIRED = ['8F', '90', '9F32', '9F46', '9F47', '9F4B', '9F69'] as const;

/** Runs fDDA and sets the TVR bits of its outcome in `tvr`. */
export function performFdda(data: CardData, input: FddaInput, tvr: Uint8Array): OdaResult {
  const aip = data.get('82');
  if (aip === undefined || ((aip[0] ?? 0) & AIP_DDA) === 0) {
    setTvr(tvr, 'odaNotPerformed'); // Book 3 §10.3: the card supports no method this terminal performs
    return { kind: 'not-performed' };
  }
  const result = authenticate(data, input);
  // Book 3 §10.3: missing ICC data also fails the method; any failure sets "DDA failed"
  if (result.kind === 'failed') setTvr(tvr, ...(result.stage === 'icc-data-missing' ? (['iccDataMissing', 'ddaFailed'] as const) : (['ddaFailed'] as const)));
  return result;
}

function authenticate(data: CardData, input: FddaInput): OdaResult {
  const [index, issuerCert, issuerExp, iccCert, iccExp, sdad, cardAuthData] = REQUIRED.map((tag) => data.get(tag));
  if (index?.length !== 1 || issuerCert === undefined || issuerExp === undefined || iccCert === undefined || iccExp === undefined || sdad === undefined || cardAuthData === undefined) {
    return { kind: 'failed', stage: 'icc-data-missing' };
  }
  const ca = findCaKey(input.caKeys, input.aid, index[0]!);
  if (ca === undefined) return { kind: 'failed', stage: 'ca-key-unknown' };
  // Book 3 §10.3: the Static Data Authentication Tag List (9F4A) may name only the AIP
  const tagList = data.get('9F4A');
  if (tagList !== undefined && !(tagList.length === 1 && tagList[0] === 0x82)) return { kind: 'failed', stage: 'static-data-tag-list' };
  const staticData = tagList === undefined ? input.recordData : concat(input.recordData, data.get('82')!);
  const issuer = retrieveIssuerKey(ca, { certificate: issuerCert, remainder: data.get('92') ?? new Uint8Array(0), exponent: issuerExp, pan: input.pan, date: input.date });
  if (!issuer.ok) return { kind: 'failed', stage: `issuer-${issuer.failure}` };
  const icc = retrieveIccKey(issuer.key, { certificate: iccCert, remainder: data.get('9F48') ?? new Uint8Array(0), exponent: iccExp, staticData, pan: input.pan, date: input.date });
  if (!icc.ok) return { kind: 'failed', stage: `icc-${icc.failure}` };
  // EMV Book C-3 [M]: card authentication related data 9F69 = fDDA version 01 ‖ card UN (4) ‖ CTQ (2)
  if (cardAuthData.length < 5 || cardAuthData[0] !== 0x01) return { kind: 'failed', stage: 'fdda-version' };
  const t = input.terminal;
  const dynamic = concat(t['9F37'] ?? new Uint8Array(0), t['9F02'] ?? new Uint8Array(0), t['5F2A'] ?? new Uint8Array(0), cardAuthData);
  return verifySdad(icc.key, sdad, dynamic) ? { kind: 'fdda-ok' } : { kind: 'failed', stage: 'sdad' };
}
