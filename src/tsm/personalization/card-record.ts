/**
 * What a Service Provider gives for one payment card (docs/payment-application.md §4.1): the card's
 * identity and profile, and the issuer keys that personalize it. Checked at entry; values never echoed.
 */
import { CVN_PROFILES, type CvnProfileId } from '../../emv/index.ts';
import type { EmvCertificate, EncryptedPinBlock } from '../../hsm/index.ts';
import { TsmError } from '../errors.ts';
import { assertPanPsn } from '../issuer/pan-index.ts';

/** One card as the SP describes it. */
export interface PaymentCardRecord {
  readonly pan: string;
  readonly psn: string;
  /** Application expiration date (5F24), 'YYMMDD'. */
  readonly expiry: string;
  readonly profile: CvnProfileId;
  /** Where the ARQC is produced (docs/payment-application.md §2). */
  readonly flow: 'gpo' | 'generate-ac';
  /** Issuer country code (5F28), ISO 3166 numeric, 3 digits. */
  readonly issuerCountry: string;
  /** Application label (50), 1 to 16 printable ASCII characters. */
  readonly label: string;
  /** Application priority indicator (87), 1..15. */
  readonly priority: number;
  /** Key derivation index in the IAD, 0..255. */
  readonly keyDerivationIndex: number;
  /** The offline PIN under the SP's PIN key, and its try limit (1..15). */
  readonly pin?: { readonly block: EncryptedPinBlock; readonly tryLimit: number };
}

/** The issuer's keys (HSM key ids) and its certificate from the payment system CA. */
export interface IssuerPersonalizationKeys {
  readonly imkAc: string;
  readonly imkSmi: string;
  readonly imkSmc: string;
  /** Issuer RSA private key (S1) that certifies ICC public keys. */
  readonly issuerKey: string;
  /** The issuer public key certificate (90, 92, 9F32) the CA issued. */
  readonly issuerCertificate: EmvCertificate;
  /** Index of the CA public key that verifies it (8F). */
  readonly caPublicKeyIndex: number;
}

function fail(field: string, expected: string): never {
  throw new TsmError('ERR_TSM_REQUEST', `card record ${field}: expected ${expected}`);
}

/** Throws ERR_TSM_REQUEST unless `card` is a complete, well-formed card record. */
export function assertPaymentCardRecord(card: unknown): asserts card is PaymentCardRecord {
  if (typeof card !== 'object' || card === null) fail('', 'an object');
  const c = card as Record<string, unknown>;
  assertPanPsn(c['pan'], c['psn']);
  const expiry = c['expiry'];
  if (typeof expiry !== 'string' || !/^\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/.test(expiry)) fail('expiry', "'YYMMDD'");
  if (typeof c['profile'] !== 'string' || !Object.hasOwn(CVN_PROFILES, c['profile'])) fail('profile', `one of ${Object.keys(CVN_PROFILES).join(', ')}`);
  if (c['flow'] !== 'gpo' && c['flow'] !== 'generate-ac') fail('flow', "'gpo' or 'generate-ac'");
  if (typeof c['issuerCountry'] !== 'string' || !/^\d{3}$/.test(c['issuerCountry'])) fail('issuerCountry', '3 digits (ISO 3166 numeric)');
  if (typeof c['label'] !== 'string' || !/^[\x20-\x7e]{1,16}$/.test(c['label'])) fail('label', '1 to 16 printable ASCII characters');
  if (!Number.isInteger(c['priority']) || (c['priority'] as number) < 1 || (c['priority'] as number) > 15) fail('priority', '1..15');
  if (!Number.isInteger(c['keyDerivationIndex']) || (c['keyDerivationIndex'] as number) < 0 || (c['keyDerivationIndex'] as number) > 255) fail('keyDerivationIndex', '0..255');
  const pin = c['pin'] as { block?: unknown; tryLimit?: unknown } | undefined;
  if (pin !== undefined) {
    if (typeof pin !== 'object' || pin === null || typeof pin.block !== 'object' || pin.block === null) fail('pin', '{ block, tryLimit }');
    if (!Number.isInteger(pin.tryLimit) || (pin.tryLimit as number) < 1 || (pin.tryLimit as number) > 15) fail('pin.tryLimit', '1..15');
  }
}
