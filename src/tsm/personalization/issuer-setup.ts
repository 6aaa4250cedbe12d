/**
 * Setting up an issuer for payment-card personalization: its EMV issuer master keys (IMK-AC E0,
 * IMK-SMI E2, IMK-SMC E1; 2-key TDES, derive-only, never exportable), its RSA issuer key (S1) and
 * the issuer public key certificate from a payment system CA key (EMV Book 2 §5.3). The CA key
 * belongs to its own tenant: it is used only through the CA's context.
 */
import type { Hsm, OperationContext } from '../../hsm/index.ts';
import { TsmError } from '../errors.ts';
import type { IssuerPersonalizationKeys } from './card-record.ts';

export interface PaymentIssuerSetup {
  /** The payment system CA: its key (S1, in the HSM), the tenant that owns it, and its index (8F). */
  readonly ca: { readonly key: string; readonly ctx: OperationContext; readonly index: number };
  /** Leftmost 3 to 8 digits of the issuer's PANs (Book 2 Table 13). */
  readonly issuerIdentifier: string;
  /** Issuer certificate expiry 'MMYY'. */
  readonly expiry: string;
  /** Issuer RSA key size: 1024..1984 bits, not longer than the CA key (default 1152). */
  readonly issuerKeyBits?: number;
  readonly label?: string;
}

/** Generates an issuer's keys in the HSM and has the CA certify its RSA key. */
export async function createPaymentIssuer(hsm: Hsm, ctx: OperationContext, setup: PaymentIssuerSetup): Promise<IssuerPersonalizationKeys> {
  if (!Number.isInteger(setup?.ca?.index) || setup.ca.index < 0 || setup.ca.index > 0xff) throw new TsmError('ERR_TSM_REQUEST', 'ca.index: 0..255');
  const label = setup.label ?? 'issuer';
  const imk = async (usage: 'E0' | 'E1' | 'E2', name: string): Promise<string> =>
    (await hsm.generateKey({ usage, algorithm: 'T', modeOfUse: 'X', exportability: 'N', length: 16, owner: ctx.tenant, label: `${label} ${name}` }, ctx)).id;
  const imkAc = await imk('E0', 'IMK-AC');
  const imkSmi = await imk('E2', 'IMK-SMI');
  const imkSmc = await imk('E1', 'IMK-SMC');
  const issuer = await hsm.generateKeyPair({ algorithm: 'R', size: setup.issuerKeyBits ?? 1152, usage: 'S1', owner: ctx.tenant, label: `${label} RSA` }, ctx);
  const subjectPublicKey = await hsm.exportPublicKey(issuer.id, ctx);
  const serialNumber = await hsm.random(3, ctx);
  const issuerCertificate = await hsm.issueEmvCertificate(setup.ca.key, {
    kind: 'issuer', issuerIdentifier: setup.issuerIdentifier, expiry: setup.expiry, serialNumber, subjectPublicKey,
  }, setup.ca.ctx);
  return Object.freeze({ imkAc, imkSmi, imkSmc, issuerKey: issuer.id, issuerCertificate, caPublicKeyIndex: setup.ca.index });
}
