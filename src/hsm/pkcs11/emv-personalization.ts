/**
 * EMV personalization on the token (software/emv-personalization.ts rules, shared/ messages):
 * certificates signed in the token (ISO/IEC 9796-2 scheme 1: X built on the host from public
 * data, the raw RSA CKM_RSA_X_509 under the S1 key object), one card's ICC key pair, and the
 * offline PIN as the card's ISO 9564-1 format 2 block.
 *
 * HOST MEMORY, for one call each (docs/hsm.md §8):
 * - the ICC private key. It is generated on the host (node:crypto, shared/icc-key-pair.ts) and
 *   wiped as soon as its five CRT components are encrypted, before the certificate is signed. The
 *   card needs each component encrypted on its own under its DEK (AES-CBC / 3DES-ECB), and a token
 *   hands out a private key only as one wrapped PKCS#8 blob (C_WrapKey), and only if the key is
 *   extractable (this backend's are not): to split it into components it would have to be
 *   unwrapped on the host anyway, after leaving the token under a key the host knows. SoftHSM2
 *   has no mechanism that encrypts a key object's CRT components under an AES-CBC or DES key.
 *   The DEK encryption itself runs in the token: C_Encrypt with the DEK object (card-wrap.ts);
 * - the PIN (pin-ops.ts) and its format 2 block, wiped after the C_Encrypt under the DEK.
 */
import { wipe } from '../../bytes/index.ts';
import type { OperationContext } from '../context.ts';
import type { CardPinRequest, EmvCertificate, EmvCertificateRequest, IccKeyPairForCard, IccKeyPairRequest } from '../hsm.ts';
import type { Trail } from '../shared/audit-trail.ts';
import { cardChannel, cardPinBlock, checkCardDek, checkCardPinSource, padForCard, type CardChannel } from '../shared/card-data.ts';
import { checkCertificationKey, issueWith } from '../shared/emv-certificate.ts';
import { iccKeyParameters, makeIccKeyPair } from '../shared/icc-key-pair.ts';
import { HsmError } from '../errors.ts';
import { signIso9796InToken } from './asymmetric.ts';
import { encryptForCardInToken } from './card-wrap.ts';
import type { Pkcs11Core } from './core.ts';
import type { TokenKey } from './key-objects.ts';
import { decryptPin } from './pin-ops.ts';

/** The certificate `request` describes, signed in the token by `signer` (checked: an RSA S1 pair). */
function certify(core: Pkcs11Core, signer: TokenKey, request: EmvCertificateRequest): EmvCertificate {
  const n = checkCertificationKey(signer.meta);
  if (signer.meta.kind !== 'pair') throw new HsmError('ERR_HSM_USAGE', `key ${signer.meta.id} (KCV ${signer.meta.kcv}) is not a key pair`);
  return issueWith(request, n, (msg) => signIso9796InToken(core, signer, msg));
}

/** Issues the certificate `request` describes, signed by RSA key `signerId` (usage S1). */
export function issueEmvCertificate(core: Pkcs11Core, signerId: string, request: EmvCertificateRequest, ctx: OperationContext, trail: Trail): EmvCertificate {
  const signer = core.keys.usable(signerId, 'emv-certify', ctx, trail);
  const out = certify(core, signer, request);
  trail.detail = `${request.kind} public key certificate`;
  return out;
}

/** Padded copies of `values` encrypted each on its own under the DEK in the token; the copies are wiped. */
function encryptPadded(core: Pkcs11Core, dek: TokenKey, values: readonly Uint8Array[], channel: CardChannel): Uint8Array[] {
  const padded = values.map((v) => padForCard(v, channel));
  try {
    return encryptForCardInToken(core, padded, dek, channel);
  } finally {
    wipe(...padded);
  }
}

/** One card's ICC key pair: generated on the host for this call, private key out only under the DEK, certified in the token. */
export async function generateIccKeyPairForCard(core: Pkcs11Core, request: IccKeyPairRequest, ctx: OperationContext, trail: Trail): Promise<IccKeyPairForCard> {
  const channel = cardChannel(request);
  const dek = core.keys.usable(request.dek, 'card-wrap', ctx, trail);
  checkCardDek(dek.meta.attributes.algorithm, dek.meta.attributes.length, channel); // before any key is made
  const issuer = core.keys.usable(request.issuer, 'emv-certify', ctx, trail);
  const { bits, exponent } = iccKeyParameters(request, checkCertificationKey(issuer.meta));
  const { result, detail } = await makeIccKeyPair(request, { bits, exponent, scp: channel.scp }, (values) => encryptPadded(core, dek, values, channel), (r) => certify(core, issuer, r));
  trail.detail = detail;
  return result;
}

/** The card's offline PIN (DGI 8010): the SP's PIN block turned into a format 2 block under the card's DEK. */
export function pinBlockForCard(core: Pkcs11Core, request: CardPinRequest, ctx: OperationContext, trail: Trail): Uint8Array {
  const channel = cardChannel(request);
  checkCardPinSource(request.pin);
  const dek = core.keys.usable(request.dek, 'card-wrap', ctx, trail);
  checkCardDek(dek.meta.attributes.algorithm, dek.meta.attributes.length, channel);
  // HOST MEMORY: the PIN (a string) and its format 2 block, until the C_Encrypt below returns
  const block = cardPinBlock(decryptPin(core, request.pin, ctx, trail), channel);
  try {
    trail.detail = `format ${request.pin.format} -> format 2 under the SCP0${channel.scp} DEK`;
    return encryptForCardInToken(core, [block], dek, channel)[0]!;
  } finally {
    wipe(block);
  }
}
