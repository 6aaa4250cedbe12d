/**
 * The records, FCI and GPO data of a payment card (docs/payment-application.md §4.1; EMV Book 3
 * Annex A for the data elements), and the static data its ICC certificate covers (EMV Book 2 §6.4:
 * the values of the records the AFL flags for offline data authentication, then the AIP if 9F4A
 * lists 82).
 */
import { concat, fromHex } from '../../bytes/index.ts';
import { encodeDgi, encodeTlv, encodeTlvList, tlv } from '../../tlv/index.ts';
import type { EmvCertificate } from '../../hsm/index.ts';
import type { PaymentCardRecord } from './card-record.ts';

/** AIP: DDA supported (read as fDDA by contactless kernels), issuer authentication supported (Book 3 Annex C1). */
export const PAYMENT_AIP = fromHex('2400');
/** AFL: SFI 1 record 1 (for ODA), SFI 2 records 1–2 (Book 3 §10.2). */
export const PAYMENT_AFL = fromHex('0801010110010200');
/** PDOL: TTQ, amounts, country, TVR, currency, date, type, unpredictable number. */
export const PAYMENT_PDOL = fromHex('9F66049F02069F03069F1A0295055F2A029A039C019F3704');
/** CDOL1 (flow generate-ac): the terminal elements of the cryptogram input. */
export const PAYMENT_CDOL1 = fromHex('9F02069F03069F1A0295055F2A029A039C019F3704');
/**
 * Log Entry 9F4D (EMV Book 3 Annex A): the card's transaction log in SFI 11, 10 records — the value
 * cards commonly carry (docs/payment-application.md §3.3).
 */
export const PAYMENT_LOG_ENTRY = fromHex('0B0A');
/** Application usage control: valid everywhere for goods, services and cash [M]. */
const AUC = fromHex('FF00');
/** Service code 201: international, chip, normal authorization (ISO/IEC 7813). */
const SERVICE_CODE = '201';

const t = (tag: number, value: Uint8Array): Uint8Array => encodeTlv(tlv(tag, value));

/** Track 2 equivalent data (57): PAN 'D' YYMM service code discretionary, F-padded (Book 3 Annex A). */
function track2(card: PaymentCardRecord): Uint8Array {
  let digits = `${card.pan}D${card.expiry.slice(0, 4)}${SERVICE_CODE}${'0'.repeat(5)}`;
  if (digits.length % 2 === 1) digits += 'F';
  return fromHex(digits);
}

/** The PAN in cn format (5A): digits, F-padded to whole bytes. */
function cnPan(pan: string): Uint8Array {
  return fromHex(pan.length % 2 === 1 ? `${pan}F` : pan);
}

/** The content of SFI 1 record 1 (inside its 70 template): the data the ICC certificate signs. */
export function cardDataRecordContent(card: PaymentCardRecord): Uint8Array {
  return concat(
    t(0x57, track2(card)),
    t(0x5a, cnPan(card.pan)),
    t(0x5f24, fromHex(card.expiry)),
    t(0x5f34, fromHex(card.psn)),
    t(0x5f28, fromHex(`0${card.issuerCountry}`)),
    t(0x9f07, AUC),
    ...(card.flow === 'generate-ac' ? [t(0x8c, PAYMENT_CDOL1)] : []),
    t(0x9f4a, Uint8Array.of(0x82)),
  );
}

/** Static data to be authenticated (Book 2 §6.4; Book 3 §10.3: SFI 1–10 records without tag 70 and length). */
export function staticDataToAuthenticate(card: PaymentCardRecord): Uint8Array {
  return concat(cardDataRecordContent(card), PAYMENT_AIP);
}

/** SFI 2 record 1: the CA key index and the issuer public key certificate. */
export function issuerCertificateRecord(caIndex: number, cert: EmvCertificate): Uint8Array {
  return t(0x70, concat(
    t(0x8f, Uint8Array.of(caIndex)),
    t(0x90, cert.certificate),
    ...(cert.remainder.length > 0 ? [t(0x92, cert.remainder)] : []),
    t(0x9f32, cert.exponent),
  ));
}

/** SFI 2 record 2: the ICC public key certificate. */
export function iccCertificateRecord(cert: EmvCertificate): Uint8Array {
  return t(0x70, concat(
    t(0x9f46, cert.certificate),
    t(0x9f47, cert.exponent),
    ...(cert.remainder.length > 0 ? [t(0x9f48, cert.remainder)] : []),
  ));
}

/** DGI 9102: the content of the FCI proprietary template A5 (BF0C, FCI issuer discretionary data: the Log Entry). */
export function fciProprietary(card: PaymentCardRecord): Uint8Array {
  return encodeTlvList([
    tlv(0x50, new TextEncoder().encode(card.label)),
    tlv(0x87, Uint8Array.of(card.priority)),
    tlv(0x9f38, PAYMENT_PDOL),
    tlv(0x5f2d, new TextEncoder().encode('en')),
    tlv(0xbf0c, [tlv(0x9f4d, PAYMENT_LOG_ENTRY)]),
  ]);
}

/** DGI 9104: 82 AIP ‖ 94 AFL. */
export function gpoData(): Uint8Array {
  return concat(t(0x82, PAYMENT_AIP), t(0x94, PAYMENT_AFL));
}

/**
 * The PPSE's personalization for one payment application (EMV Book B §3.3; docs/payment-application.md
 * §4): DGI 9102 with the Directory Entry 61{4F AID, 50 label, 87 priority}, sent to the PPSE through
 * its security domain. An entry of the same AID replaces the stored one.
 */
export function ppseEntryDgi(aid: Uint8Array, card: Pick<PaymentCardRecord, 'label' | 'priority'>): Uint8Array {
  const entry = t(0x61, concat(t(0x4f, aid), t(0x50, new TextEncoder().encode(card.label)), t(0x87, Uint8Array.of(card.priority))));
  return encodeDgi(0x9102, entry);
}
