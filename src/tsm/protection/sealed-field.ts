/**
 * The sealed-field format, version 1 (docs/protection.md §2): text `v1.<keyId>.<body>`, where
 * `body` is base64url (no padding) of IV (16) ‖ ciphertext ‖ tag (32). The ciphertext
 * is AES-256-CBC of the plaintext padded with ISO/IEC 9797-1 padding method 2; the tag is
 * HMAC-SHA-256 (RFC 2104) over `macInput`, which binds the version, the key id and the caller's
 * associated data to the IV and ciphertext (encrypt-then-MAC).
 */
import { concat, uintBe } from '../../bytes/index.ts';
import { TsmError } from '../errors.ts';

export const SEALED_VERSION = 'v1';
export const IV_BYTES = 16;
export const TAG_BYTES = 32;
const BLOCK = 16;
/** The largest plaintext a field takes (the HSM's 1 MiB data limit, less the padding block). */
export const MAX_FIELD_BYTES = (1 << 20) - BLOCK;
/** The longest associated data, in UTF-8 bytes. */
export const MAX_AAD_BYTES = 1024;
const DOMAIN = new TextEncoder().encode('opentsm/sealed-field/v1');
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const BODY = /^[A-Za-z0-9_-]+$/;

/** One fixed refusal for every field that does not open: no oracle for which check failed (CONVENTIONS.md §2). */
export function unopenable(cause?: unknown): TsmError {
  return new TsmError('ERR_TSM_STATE', 'the protected field does not open: altered, another record\'s, or sealed under another key', cause === undefined ? undefined : { cause });
}

/** The parts of a sealed field. */
export interface SealedParts {
  readonly keyId: string;
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

/** Whether `keyId` is a well-formed HSM key id. */
export function isKeyId(keyId: unknown): keyId is string {
  return typeof keyId === 'string' && KEY_ID.test(keyId);
}

/** The associated data as bytes; refuses a non-string or an oversized one (ERR_TSM_REQUEST). */
export function aadBytes(aad: unknown): Uint8Array {
  if (typeof aad !== 'string') throw new TsmError('ERR_TSM_REQUEST', 'aad: expected a string');
  const bytes = new TextEncoder().encode(aad);
  if (bytes.length > MAX_AAD_BYTES) throw new TsmError('ERR_TSM_REQUEST', `aad: at most ${MAX_AAD_BYTES} bytes`);
  return bytes;
}

/** What the tag covers: domain ‖ len(keyId) ‖ keyId ‖ len(aad) ‖ aad ‖ IV ‖ ciphertext (lengths 4 bytes, big-endian). */
export function macInput(keyId: string, aad: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const id = new TextEncoder().encode(keyId);
  return concat(DOMAIN, uintBe(id.length, 4), id, uintBe(aad.length, 4), aad, iv, ciphertext);
}

/** ISO/IEC 9797-1 padding method 2: 80, then zeros to a whole block (always at least one byte). */
export function pad(data: Uint8Array): Uint8Array {
  const out = new Uint8Array((Math.floor(data.length / BLOCK) + 1) * BLOCK);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/** Removes method-2 padding; only ever called after the tag verified, so a failure here is no oracle. */
export function unpad(padded: Uint8Array): Uint8Array {
  let i = padded.length - 1;
  while (i >= 0 && padded[i] === 0) i--;
  if (i < 0 || padded[i] !== 0x80 || padded.length - i > BLOCK) throw unopenable();
  return padded.slice(0, i);
}

/** The text form of a sealed field. */
export function encodeSealed(parts: SealedParts): string {
  const body = Buffer.from(concat(parts.iv, parts.ciphertext, parts.tag)).toString('base64url');
  return `${SEALED_VERSION}.${parts.keyId}.${body}`;
}

/** Parses a sealed field; anything malformed is the fixed refusal. */
export function parseSealed(sealed: unknown): SealedParts {
  if (typeof sealed !== 'string' || sealed.length > 4 * MAX_FIELD_BYTES) throw unopenable();
  const first = sealed.indexOf('.');
  const last = sealed.lastIndexOf('.');
  if (first <= 0 || last <= first || sealed.slice(0, first) !== SEALED_VERSION) throw unopenable();
  const keyId = sealed.slice(first + 1, last);
  const body = sealed.slice(last + 1);
  if (!isKeyId(keyId) || !BODY.test(body)) throw unopenable();
  const bytes = new Uint8Array(Buffer.from(body, 'base64url'));
  const ctLength = bytes.length - IV_BYTES - TAG_BYTES;
  if (ctLength < BLOCK || ctLength % BLOCK !== 0) throw unopenable();
  return {
    keyId,
    iv: bytes.slice(0, IV_BYTES),
    ciphertext: bytes.slice(IV_BYTES, IV_BYTES + ctLength),
    tag: bytes.slice(IV_BYTES + ctLength),
  };
}
