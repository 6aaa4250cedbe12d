/**
 * Personalization data preparation (EMV CPS; docs/payment-application.md §4): from an SP's card
 * record, the DGIs that personalize the payment applet through its security domain. Every secret
 * comes out of the HSM already encrypted under the target SD's DEK: the ICC master keys derived from
 * the issuer master keys (EMV Book 2 A1.4), the ICC private key generated and certified for this card
 * (Book 2 §6), the offline PIN re-encoded as ISO 9564-1 format 2. The clear values exist only inside
 * the HSM and the card.
 */
import { concat } from '../../bytes/index.ts';
import { CVN_PROFILES, PAYMENT_DGI, PAYMENT_FLOW, PAYMENT_INTERNAL_TAG, recordDgi } from '../../emv/index.ts';
import type { CardDataEncryption, Hsm, OperationContext } from '../../hsm/index.ts';
import { encodeDgi, encodeTlv, encodeTlvList, tlv } from '../../tlv/index.ts';
import { assertPaymentCardRecord, type IssuerPersonalizationKeys, type PaymentCardRecord } from './card-record.ts';
import {
  PAYMENT_CDOL1,
  cardDataRecordContent,
  fciProprietary,
  gpoData,
  iccCertificateRecord,
  issuerCertificateRecord,
  staticDataToAuthenticate,
} from './records.ts';

/** One DGI of the personalization, in the order it is sent. */
export interface PreparedDgi {
  readonly dgi: number;
  /** The value as sent (already encrypted for DGIs 8xxx). */
  readonly value: Uint8Array;
}

/** The prepared personalization of one card. */
export interface PreparedPersonalization {
  readonly dgis: readonly PreparedDgi[];
  /** The DGIs as one STORE DATA stream (gp/ buildStoreData with format 'dgi'). */
  readonly stream: Uint8Array;
  /** The ICC public key (SPKI DER) the certificate carries — for the terminal tests and the audit trail. */
  readonly iccPublicKey: Uint8Array;
  /** KCVs of the three ICC master keys (hex), as DGI 9000 carries them. */
  readonly iccKeyKcvs: readonly string[];
}

/** Default ICC RSA key size: 1024 bits, e = 3 (Book 2 §6.1; within every issuer key of 1024+ bits). */
const ICC_KEY_BITS = 1024;

const hexKcv = (kcv: Uint8Array): string => Buffer.from(kcv).toString('hex').toUpperCase();

/**
 * Prepares the personalization of `card` for the SD whose DEK is `target`.
 * @example const p = await preparePersonalization(hsm, ctx, card, issuerKeys, { dek, scp: 3 })
 */
export async function preparePersonalization(
  hsm: Hsm,
  ctx: OperationContext,
  card: PaymentCardRecord,
  issuer: IssuerPersonalizationKeys,
  target: CardDataEncryption,
): Promise<PreparedPersonalization> {
  assertPaymentCardRecord(card);
  const profile = CVN_PROFILES[card.profile];
  const option = profile.masterKeyDerivation === 'option-a' ? 'A' : 'B';
  const sd = { dek: target.dek, scp: target.scp, ...(target.sequenceCounter === undefined ? {} : { sequenceCounter: target.sequenceCounter }) };
  // EMV Book 2 A1.4: the three ICC master keys, each encrypted on its own under the SD DEK.
  const iccKeys = [];
  for (const imk of [issuer.imkAc, issuer.imkSmi, issuer.imkSmc]) {
    iccKeys.push(await hsm.exportDerivedKeyForCard({ derive: { kind: 'emv-icc', imk, pan: card.pan, psn: card.psn, option }, ...sd }, ctx));
  }
  const serialNumber = await hsm.random(3, ctx);
  const icc = await hsm.generateIccKeyPairForCard({
    ...sd, issuer: issuer.issuerKey, pan: card.pan, expiry: `${card.expiry.slice(2, 4)}${card.expiry.slice(0, 2)}`,
    serialNumber, staticData: staticDataToAuthenticate(card), keySize: ICC_KEY_BITS, exponent: 3,
  }, ctx);
  const internal = encodeTlvList([
    tlv(PAYMENT_INTERNAL_TAG.PROFILE, new TextEncoder().encode(card.profile)),
    tlv(PAYMENT_INTERNAL_TAG.FLOW, Uint8Array.of(card.flow === 'gpo' ? PAYMENT_FLOW.GPO : PAYMENT_FLOW.GENERATE_AC)),
    tlv(PAYMENT_INTERNAL_TAG.KEY_DERIVATION_INDEX, Uint8Array.of(card.keyDerivationIndex)),
    ...(card.flow === 'generate-ac' ? [tlv(PAYMENT_INTERNAL_TAG.CDOL1, PAYMENT_CDOL1)] : []),
  ]);
  const dgis: PreparedDgi[] = [
    { dgi: recordDgi(1, 1), value: encodeTlv(tlv(0x70, cardDataRecordContent(card))) },
    { dgi: recordDgi(2, 1), value: issuerCertificateRecord(issuer.caPublicKeyIndex, issuer.issuerCertificate) },
    { dgi: recordDgi(2, 2), value: iccCertificateRecord(icc) },
    { dgi: PAYMENT_DGI.FCI, value: fciProprietary(card) },
    { dgi: PAYMENT_DGI.GPO, value: gpoData() },
    { dgi: PAYMENT_DGI.INTERNAL, value: internal },
    { dgi: PAYMENT_DGI.ICC_KEYS, value: concat(...iccKeys.map((k) => k.ciphertext)) },
    { dgi: PAYMENT_DGI.ICC_KEY_KCVS, value: concat(...iccKeys.map((k) => k.kcv.subarray(0, 3))) },
    { dgi: PAYMENT_DGI.ICC_PRIVATE_QINV, value: icc.privateKey.qInv },
    { dgi: PAYMENT_DGI.ICC_PRIVATE_DQ, value: icc.privateKey.dq },
    { dgi: PAYMENT_DGI.ICC_PRIVATE_DP, value: icc.privateKey.dp },
    { dgi: PAYMENT_DGI.ICC_PRIVATE_Q, value: icc.privateKey.q },
    { dgi: PAYMENT_DGI.ICC_PRIVATE_P, value: icc.privateKey.p },
  ];
  if (card.pin !== undefined) {
    dgis.push({ dgi: PAYMENT_DGI.PIN, value: await hsm.pinBlockForCard({ ...sd, pin: card.pin.block }, ctx) });
    dgis.push({ dgi: PAYMENT_DGI.PIN_COUNTERS, value: Uint8Array.of(card.pin.tryLimit, card.pin.tryLimit) });
  }
  return Object.freeze({
    dgis: Object.freeze(dgis),
    stream: concat(...dgis.map((d) => encodeDgi(d.dgi, d.value))),
    iccPublicKey: icc.publicKey,
    iccKeyKcvs: Object.freeze(iccKeys.map((k) => hexKcv(k.kcv.subarray(0, 3)))),
  });
}
