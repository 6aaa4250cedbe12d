/**
 * Webhook signatures (docs/webhooks.md §3), in the form Stripe uses so that integrators recognise it:
 * `OpenTSM-Signature: t=<unix seconds>,v1=<lowercase hex HMAC-SHA-256(secret, t + "." + body)>`.
 * The HMAC key is the endpoint's secret text (`whsec_…`) as UTF-8 bytes, exactly as shown once
 * when the endpoint was created. The timestamp inside the MAC is the replay defence: a receiver
 * refuses a signature older than its tolerance, and dedupes on the event id within it.
 */
import { createHmac } from 'node:crypto';
import { equalCt, fromHex } from '../../bytes/index.ts';
import { TsmError } from '../errors.ts';

/** The header names (HTTP header names are case-insensitive; node lowercases them). */
export const SIGNATURE_HEADER = 'OpenTSM-Signature';
export const EVENT_ID_HEADER = 'OpenTSM-Event-Id';
/** Default tolerance of `verifyWebhookSignature`: five minutes, as Stripe's libraries. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
const MAX_HEADER = 2048;

function mac(secret: string, timestamp: number, body: string | Uint8Array): Uint8Array {
  const h = createHmac('sha256', Buffer.from(secret, 'utf8'));
  h.update(`${timestamp}.`, 'utf8');
  h.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  return new Uint8Array(h.digest());
}

/**
 * The `OpenTSM-Signature` header value for `body` sent at `timestamp` (unix seconds).
 * @example signatureHeader('whsec_…', 1764248400, '{"id":"evt_…"}') // 't=1764248400,v1=5f0c…'
 */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  if (typeof secret !== 'string' || secret.length === 0) throw new TsmError('ERR_TSM_REQUEST', 'webhook secret: expected a non-empty string');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new TsmError('ERR_TSM_REQUEST', 'webhook timestamp: expected unix seconds');
  return `t=${timestamp},v1=${Buffer.from(mac(secret, timestamp, body)).toString('hex')}`;
}

/** Options of `verifyWebhookSignature`. */
export interface VerifyWebhookOptions {
  /** How old (or how far in the future) a timestamp may be, in seconds (default 300). */
  readonly toleranceSeconds?: number;
  /** The receiver's clock (default: now). */
  readonly now?: () => Date;
}

function parseHeader(header: string): { timestamp: number; signatures: Uint8Array[] } | undefined {
  if (header.length > MAX_HEADER) return undefined;
  let timestamp: number | undefined;
  const signatures: Uint8Array[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) return undefined;
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (name === 't') {
      if (timestamp !== undefined || !/^[0-9]{1,12}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (name === 'v1' && /^[0-9A-Fa-f]{64}$/.test(value)) {
      signatures.push(fromHex(value));
    }
    // Other schemes (v0, a future v2) are ignored, as Stripe's receivers do.
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures };
}

/**
 * Whether `header` is a valid `OpenTSM-Signature` of `body` under `secret`, made within the
 * tolerance of the receiver's clock. Every failure — a malformed header, a wrong MAC, a stale or
 * future timestamp — answers the same `false` (no detail to probe with). The MAC is compared in
 * constant time; any `v1` entry that matches suffices. Pass the body exactly as received (bytes or
 * the raw text), never a re-serialised parse.
 * @example if (!verifyWebhookSignature(secret, req.headers['opentsm-signature'], rawBody)) return res.status(400).end();
 */
export function verifyWebhookSignature(secret: string, header: string | undefined, body: string | Uint8Array, options: VerifyWebhookOptions = {}): boolean {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isSafeInteger(tolerance) || tolerance < 0) throw new TsmError('ERR_TSM_REQUEST', 'toleranceSeconds: expected a non-negative integer');
  if (typeof secret !== 'string' || secret.length === 0) throw new TsmError('ERR_TSM_REQUEST', 'webhook secret: expected a non-empty string');
  if (typeof header !== 'string') return false;
  const parsed = parseHeader(header);
  if (parsed === undefined) return false;
  const nowSeconds = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const expected = mac(secret, parsed.timestamp, body);
  let ok = false;
  for (const candidate of parsed.signatures) ok = equalCt(candidate, expected) || ok;
  return ok && Math.abs(nowSeconds - parsed.timestamp) <= tolerance;
}
