/**
 * EMV personalization on the software backend: public-key certificates (shared/emv-certificate.ts,
 * signed here with ISO/IEC 9796-2 scheme 1 by the private key opened from its LMK block), one card's
 * ICC key pair certified by the issuer key with its CRT components encrypted for the card
 * (shared/icc-key-pair.ts), and the offline PIN as the card's ISO 9564-1 format 2 block under the
 * card's DEK (shared/card-data.ts).
 *
 * Clear material and how long it lives: the ICC private key — from its generation in this call
 * (node:crypto, PKCS#1 DER) until its five components are encrypted under the DEK, then wiped, before
 * the certificate is signed; the PIN — a JS string inside the call (pin-ops.ts), its format 2 block
 * wiped after the DEK encryption; the DEK and issuer key — inside the vault's loan only.
 */
import { wipe } from '../../bytes/index.ts';
import type { OperationContext } from '../context.ts';
import type { CardPinRequest, EmvCertificate, EmvCertificateRequest, IccKeyPairForCard, IccKeyPairRequest } from '../hsm.ts';
import type { Trail } from '../shared/audit-trail.ts';
import { cardChannel, cardPinBlock, checkCardDek, checkCardPinSource, padForCard, type CardChannel } from '../shared/card-data.ts';
import { checkCertificationKey, issueWith } from '../shared/emv-certificate.ts';
import { iccKeyParameters, makeIccKeyPair } from '../shared/icc-key-pair.ts';
import { modulusBytes, signIso9796 } from '../shared/iso9796-2.ts';
import { withPrivateKey } from './asymmetric-ops.ts';
import { encryptForCard } from './card-wrap.ts';
import type { SoftwareCore } from './core.ts';
import type { LoadedKey } from './key-vault.ts';
import { decryptPin } from './pin-ops.ts';

/** The certificate `request` describes, signed by loaded key `signer` (checked: RSA, S1). */
function certify(core: SoftwareCore, signer: LoadedKey, request: EmvCertificateRequest): EmvCertificate {
  checkCertificationKey(signer.record);
  return withPrivateKey(core, signer, (privateKey) => issueWith(request, modulusBytes(privateKey), (msg) => signIso9796(privateKey, msg)));
}

/** Issues the certificate `request` describes, signed by RSA key `signerId` (usage S1). */
export async function issueEmvCertificate(core: SoftwareCore, signerId: string, request: EmvCertificateRequest, ctx: OperationContext, trail: Trail): Promise<EmvCertificate> {
  const signer = await core.vault.usable(signerId, 'emv-certify', ctx, trail);
  const out = certify(core, signer, request);
  trail.detail = `${request.kind} public key certificate`;
  return out;
}

/** The card DEK of `request`, loaded for card-wrap and checked against the channel. */
async function cardDek(core: SoftwareCore, request: { readonly dek: string }, channel: CardChannel, ctx: OperationContext, trail: Trail): Promise<LoadedKey> {
  const dek = await core.vault.usable(request.dek, 'card-wrap', ctx, trail);
  checkCardDek(dek.record.attributes.algorithm, dek.record.attributes.length, channel);
  return dek;
}

/** Padded values encrypted each on its own under the DEK; the padded copies are wiped. */
function encryptPadded(core: SoftwareCore, dek: LoadedKey, values: readonly Uint8Array[], channel: CardChannel): Uint8Array[] {
  const padded = values.map((v) => padForCard(v, channel));
  try {
    return core.vault.withKey(dek.record, (k) => encryptForCard(padded, k, dek.record.attributes.algorithm, channel));
  } finally {
    wipe(...padded);
  }
}

/** One card's ICC key pair: generated here, private key out only under the DEK, public key certified by the issuer. */
export async function generateIccKeyPairForCard(core: SoftwareCore, request: IccKeyPairRequest, ctx: OperationContext, trail: Trail): Promise<IccKeyPairForCard> {
  const channel = cardChannel(request);
  const dek = await cardDek(core, request, channel, ctx, trail);
  const issuer = await core.vault.usable(request.issuer, 'emv-certify', ctx, trail);
  const { bits, exponent } = iccKeyParameters(request, checkCertificationKey(issuer.record));
  const { result, detail } = await makeIccKeyPair(request, { bits, exponent, scp: channel.scp }, (values) => encryptPadded(core, dek, values, channel), (r) => certify(core, issuer, r));
  trail.detail = detail;
  return result;
}

/** The card's offline PIN (DGI 8010): the SP's PIN block turned into a format 2 block under the card's DEK. */
export async function pinBlockForCard(core: SoftwareCore, request: CardPinRequest, ctx: OperationContext, trail: Trail): Promise<Uint8Array> {
  const channel = cardChannel(request);
  checkCardPinSource(request.pin);
  const dek = await cardDek(core, request, channel, ctx, trail);
  const pin = await decryptPin(core, request.pin, ctx, trail);
  const block = cardPinBlock(pin, channel);
  try {
    trail.detail = `format ${request.pin.format} -> format 2 under the SCP0${channel.scp} DEK`;
    return core.vault.withKey(dek.record, (k) => encryptForCard([block], k, dek.record.attributes.algorithm, channel))[0]!;
  } finally {
    wipe(block);
  }
}
