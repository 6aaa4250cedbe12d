/**
 * The demo bank's two card products (docs/payment-application.md §2) as TSM services, and the card
 * record each phone gets: phones alternate between the Visa-style and the Mastercard-style product.
 */
import { toHex } from '../../bytes/index.ts';
import { MASTERCARD_STYLE_AID, PAYMENT_LOAD_FILE_AID, PAYMENT_MODULE_AID, VISA_STYLE_AID, luhnDigit } from '../../se/index.ts';
import type { PaymentCardRecord } from '../../tsm/index.ts';
import { DEMO_BIN } from './ceremony.ts';

export const DEMO_PRODUCTS = [
  { name: 'Demo Bank Visa debit', aid: VISA_STYLE_AID, profile: 'visa-18', flow: 'gpo', label: 'DEMO BANK VISA' },
  { name: 'Demo Bank Mastercard', aid: MASTERCARD_STYLE_AID, profile: 'mastercard-17', flow: 'generate-ac', label: 'DEMO BANK MC' },
] as const;

/** The bank's SSD on every SE, and its key version after the handover. */
export const DEMO_SSD = { aid: 'A000000151535350440001', kvn: 0x30 } as const;

/** A stand-in wallet certificate hash for runs without a wallet app (the CAP benchmark); the demo makes a real identity. */
export const DEMO_WALLET_CERT_HASH = '5A'.repeat(32);

/** The package name of the demo bank's wallet app (its certificate is made at each run: the demo's walletCertHash). */
export const DEMO_WALLET_PACKAGE = 'com.opentsm.demo.wallet';

/** The flavour of `product` for the fleet's platform: the preloaded payment package, the bank's SSD. */
export function demoFlavour(product: (typeof DEMO_PRODUCTS)[number], platform: string): Record<string, unknown> {
  return {
    platform, package: { loadFileAid: toHex(PAYMENT_LOAD_FILE_AID), moduleAid: toHex(PAYMENT_MODULE_AID) }, instanceAid: toHex(product.aid),
    privileges: '00', ssd: { ...DEMO_SSD }, personalization: 'payment',
  };
}

/** The card record of phone `index` (a demo PAN under the bank's BIN, Luhn-valid). */
export function demoCard(index: number): Omit<PaymentCardRecord, 'pin'> {
  const product = DEMO_PRODUCTS[index % DEMO_PRODUCTS.length]!;
  return {
    pan: withLuhn(`${DEMO_BIN}${String(index + 1).padStart(9, '0')}`), psn: '01', expiry: '301231', profile: product.profile, flow: product.flow,
    issuerCountry: '250', label: product.label, priority: 1, keyDerivationIndex: 1,
  };
}

/** `digits` with its Luhn check digit appended (ISO/IEC 7812-1 Annex B). */
function withLuhn(digits: string): string {
  return `${digits}${luhnDigit(digits)}`;
}
