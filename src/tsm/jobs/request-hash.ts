/**
 * The request fingerprint behind idempotency (GPS_SPE_002 FunctionCallIdentifier; docs/jobs.md): a
 * reused key with the same fingerprint returns the first job, with another one is a conflict.
 */
import { createHash } from 'node:crypto';
import { toHex } from '../../bytes/index.ts';
import { TsmError } from '../errors.ts';
import type { JobRequest, JsonValue } from './types.ts';
import type { PayloadCipher } from './payload-cipher.ts';

/** Longest canonical JSON of a request's params, in characters. */
export const MAX_PARAMS_JSON = 256 * 1024;

/** JSON with object keys sorted at every level, so equal values give equal text. Refuses non-JSON values. */
export function canonicalJson(value: JsonValue, depth = 0): string {
  if (depth > 32) throw new TsmError('ERR_TSM_REQUEST', 'job params: nested deeper than 32 levels');
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TsmError('ERR_TSM_REQUEST', 'job params: numbers must be finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v: JsonValue) => canonicalJson(v, depth + 1)).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const obj = value as { readonly [key: string]: JsonValue };
    const keys = Object.keys(obj).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k]!, depth + 1)}`).join(',')}}`;
  }
  throw new TsmError('ERR_TSM_REQUEST', 'job params: expected JSON values only');
}

/**
 * The fingerprint of a request: SHA-256 over its kind, SE, canonical params and a digest of its
 * payload — keyed (the cipher's digest) for a sensitive payload, so no PAN is ever hashed bare.
 */
export async function requestHash(request: JobRequest, paramsJson: string, cipher: PayloadCipher | undefined): Promise<string> {
  let payloadDigest = '-';
  if (request.payload !== undefined) {
    const { data, sensitive } = request.payload;
    if (sensitive) {
      if (cipher === undefined) throw new TsmError('ERR_TSM_CONFIG', 'jobs: a sensitive payload needs a PayloadCipher, and none is configured');
      payloadDigest = `k:${toHex(await cipher.digest(data, request.tenant))}`;
    } else {
      payloadDigest = `p:${createHash('sha256').update(data).digest('hex')}`;
    }
  }
  const text = canonicalJson({ kind: request.kind, seId: request.seId, params: paramsJson, payload: payloadDigest });
  return createHash('sha256').update(text).digest('hex');
}
