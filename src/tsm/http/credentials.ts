/**
 * API client credentials (docs/service.md §3). A client presents `<client-id>.<secret>`; the store
 * keeps only `hmac-sha256$<key id>$<salt>$<mac>`: HMAC-SHA-256, under an HSM key of the operator
 * (usage M7), of salt ‖ client id ‖ secret. The secret is 32 random bytes, so no work factor is
 * needed against guessing; the HSM key makes a copied database useless for checking a guess, and
 * one HMAC per request costs microseconds where scrypt would cost tens of milliseconds of CPU.
 * The MAC is compared inside the HSM (`verifyMac`, constant time).
 */
import { randomBytes } from 'node:crypto';
import { fromHex, toHex } from '../../bytes/index.ts';
import type { Hsm, OperationContext } from '../../hsm/index.ts';
import { TsmError } from '../errors.ts';

/** The operator tenant that owns the credential key; every HTTP-layer HSM call of its own runs as it. */
export const OPERATOR_TENANT = 'operator';
/** Label of the operator's credential HMAC key. */
export const CREDENTIAL_KEY_LABEL = 'API client secrets';
const SCHEME = 'hmac-sha256';
const SALT_LENGTH = 16;
const SECRET_LENGTH = 32;
/** Client ids: `cl_` and 24 hex digits; never contains the `.` that separates it from the secret. */
export const CLIENT_ID_PATTERN = /^cl_[0-9a-f]{24}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The context of the HTTP layer's own HSM calls (credential checks, readiness). */
export function operatorContext(actor: string, requestId?: string): OperationContext {
  return { tenant: OPERATOR_TENANT, actor, ...(requestId === undefined ? {} : { requestId }) };
}

/** A new client id and secret (the secret base64url, 43 characters). */
export function newCredential(): { readonly clientId: string; readonly secret: string } {
  return { clientId: `cl_${randomBytes(12).toString('hex')}`, secret: randomBytes(SECRET_LENGTH).toString('base64url') };
}

function macInput(salt: Uint8Array, clientId: string, secret: string): Uint8Array {
  const text = new TextEncoder().encode(`${clientId}\u0000${secret}`);
  const out = new Uint8Array(salt.length + text.length);
  out.set(salt);
  out.set(text, salt.length);
  return out;
}

/** The operator's credential key: found by label, or created once (the first client added creates it). */
export async function credentialKey(hsm: Hsm, ctx: OperationContext): Promise<string> {
  const keys = (await hsm.listKeys({ label: CREDENTIAL_KEY_LABEL }, ctx)).filter((k) => k.status === 'active').map((k) => k.id).sort();
  if (keys[0] !== undefined) return keys[0];
  const key = await hsm.generateKey({ usage: 'M7', algorithm: 'H', modeOfUse: 'C', exportability: 'N', length: 32, owner: OPERATOR_TENANT, label: CREDENTIAL_KEY_LABEL }, ctx);
  return key.id;
}

/** The stored form of a secret: `hmac-sha256$keyId$salt$mac`. */
export async function hashSecret(hsm: Hsm, keyId: string, clientId: string, secret: string, ctx: OperationContext): Promise<string> {
  const salt = new Uint8Array(randomBytes(SALT_LENGTH));
  const mac = await hsm.generateMac(keyId, macInput(salt, clientId, secret), 'hmac-sha256', ctx);
  return [SCHEME, keyId, toHex(salt), toHex(mac)].join('$');
}

/** Whether `secret` matches the stored hash; a hash this code did not write is a TsmError. */
export async function verifySecret(hsm: Hsm, stored: string, clientId: string, secret: string, ctx: OperationContext): Promise<boolean> {
  const [scheme, keyId, salt, mac, ...rest] = stored.split('$');
  if (scheme !== SCHEME || keyId === undefined || salt === undefined || mac === undefined || rest.length > 0 || !/^[0-9A-F]{64}$/i.test(mac)) {
    throw new TsmError('ERR_TSM_STATE', 'api client: the stored secret hash has an unknown form');
  }
  if (!SECRET_PATTERN.test(secret)) return false;
  return hsm.verifyMac(keyId, macInput(fromHex(salt), clientId, secret), fromHex(mac), 'hmac-sha256', ctx);
}

/**
 * The client id and secret of an Authorization header: `Bearer <id>.<secret>` or `Basic
 * base64(<id>:<secret>)`; undefined when the header is absent or has another shape.
 */
export function parseAuthorization(header: string | undefined): { readonly clientId: string; readonly secret: string } | undefined {
  if (header === undefined || header.length > 512) return undefined;
  const match = /^(Bearer|Basic) +([^ ]+) *$/i.exec(header);
  if (match === null) return undefined;
  let token = match[2]!;
  let sep = '.';
  if (match[1]!.toLowerCase() === 'basic') {
    token = Buffer.from(token, 'base64').toString('utf8');
    sep = ':';
  }
  const at = token.indexOf(sep);
  if (at < 0) return undefined;
  const clientId = token.slice(0, at);
  const secret = token.slice(at + 1);
  return CLIENT_ID_PATTERN.test(clientId) ? { clientId, secret } : undefined;
}
