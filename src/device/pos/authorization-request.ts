/**
 * The online authorization the terminal sends (docs/payment-application.md §5; emv/authorization.ts):
 * PAN, PSN, the cryptogram and CID, and the data elements the cryptogram covers — the terminal's
 * values exactly as the card received them, and the card's AIP, ATC and IAD.
 */
import type { AuthorizationRequest, AuthorizationResponse } from '../../emv/index.ts';
import { DeviceError, cardData } from '../errors.ts';
import type { CardData } from './card-data.ts';
import type { CardCryptogram } from './cryptogram.ts';
import { panDigits, psnDigits } from './pan.ts';

/** The terminal elements of the request (emv/authorization.ts), in the order the issuer lists them. */
const TERMINAL_TAGS = ['9F02', '9F03', '9F1A', '95', '5F2A', '9A', '9C', '9F37'] as const;

/** Builds the request; `sent` holds the terminal values the card was given for this cryptogram. */
export function authorizationRequest(data: CardData, ac: CardCryptogram, sent: Readonly<Record<string, Uint8Array>>): AuthorizationRequest {
  const pan = panDigits(data.require('5A'));
  if (pan === undefined) throw cardData('Application PAN (5A) is malformed');
  const psnValue = data.get('5F34');
  // Book 3 Annex A: the PAN sequence number is optional; the issuer's key derivation then uses 00
  const psn = psnValue === undefined ? '00' : psnDigits(psnValue);
  if (psn === undefined) throw cardData('PAN sequence number (5F34) is malformed');
  const elements: Record<string, Uint8Array> = {};
  for (const tag of TERMINAL_TAGS) {
    const value = sent[tag];
    if (value !== undefined) elements[tag] = value.slice();
  }
  elements['82'] = data.require('82', [2]);
  elements['9F36'] = ac.atc.slice();
  elements['9F10'] = ac.iad.slice();
  return Object.freeze({ pan, psn, cryptogram: ac.cryptogram.slice(), cid: ac.cid, data: Object.freeze(elements) });
}

function bad(message: string): DeviceError {
  return new DeviceError('ERR_DEVICE_AUTHORIZER', `authorization response: ${message}`);
}

/** Checks what an Authorizer returned is an AuthorizationResponse (it may be a remote, untrusted client). */
export function checkAuthorizationResponse(value: unknown): AuthorizationResponse {
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const r = value as Partial<AuthorizationResponse>;
  if (r.decision !== 'approved' && r.decision !== 'declined') throw bad('decision: approved or declined');
  if (typeof r.responseCode !== 'string' || r.responseCode.length !== 2) throw bad('responseCode: 2 characters');
  if (r.issuerAuthenticationData !== undefined && (!(r.issuerAuthenticationData instanceof Uint8Array) || r.issuerAuthenticationData.length < 8 || r.issuerAuthenticationData.length > 16)) {
    throw bad('issuerAuthenticationData: 8 to 16 bytes');
  }
  if (!Array.isArray(r.scripts) || !r.scripts.every((s: unknown) => s instanceof Uint8Array && s.length >= 4 && s.length <= 261)) {
    throw bad('scripts: an array of command APDUs');
  }
  return Object.freeze({
    decision: r.decision,
    ...(r.reason === undefined ? {} : { reason: r.reason }),
    responseCode: r.responseCode,
    ...(r.issuerAuthenticationData === undefined ? {} : { issuerAuthenticationData: r.issuerAuthenticationData.slice() }),
    scripts: Object.freeze(r.scripts.map((s: Uint8Array) => s.slice())),
  });
}
