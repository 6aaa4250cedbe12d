/**
 * Redaction at entry (CONVENTIONS.md §8): no PAN, PIN or key reaches the audit log. Two nets: a
 * field whose name says it holds a secret loses its value whatever it is; and any string value
 * (detail values, subject ids, HSM event details) has PAN-like digit runs, key-like hex runs and
 * secrets named in free text (`passphrase X`, `PIN 1234`) replaced. The detail is then written as canonical JSON (sorted keys), bounded in size and depth.
 */
import { AuditError } from './errors.ts';
import type { AuditJson } from './record.ts';

/** What a redacted value becomes. */
export const REDACTED = '[redacted]';
/** Field names (lower case, `-` and `_` removed) whose values are always redacted. */
const SECRET_NAMES: ReadonlySet<string> = new Set([
  'pan', 'pin', 'pinblock', 'newpin', 'oldpin', 'cvv', 'cvv2', 'cvc', 'cvc2', 'icvv', 'track1', 'track2', 'trackdata',
  'secret', 'clientsecret', 'password', 'passphrase', 'component', 'components', 'key', 'keyvalue', 'clearkey', 'keybytes',
  'privatekey', 'lmk', 'kek', 'dek', 'psk', 'plaintext', 'cleartext', 'expiry', 'expirydate', 'cardholdername',
]);
const SECRET_SUFFIXES = ['secret', 'password', 'passphrase', 'privatekey', 'pinblock', 'clearkey'] as const;
/** 12–19 digits, optionally grouped by spaces or dashes: a PAN (or part of one). */
const PAN_LIKE = /(?<![0-9A-Fa-f])[0-9](?:[ -]?[0-9]){11,18}(?![0-9A-Fa-f])/g;
/** A secret named in free text: `passphrase X`, `password: X`, `secret=X`, `PIN 1234`. */
const LABELLED = /\b(pass(?:word|phrase)|secret)(\s*[:=]\s*|\s+)[^\s,;]+|\b(pin)(\s*[:=]\s*|\s+)[0-9]{4,12}\b/gi;
/** 16 or more hex digits (8+ bytes): a key, PIN block or cryptogram. KCVs (6) and UUID groups (≤ 12) stay. */
const HEX_LIKE = /(?<![0-9A-Fa-f])[0-9A-Fa-f]{16,}(?![0-9A-Fa-f])/g;

/** Most bytes of detail JSON a record keeps. */
export const MAX_DETAIL_JSON = 16 * 1024;
const MAX_DEPTH = 8;

/** A field name that holds a secret by its name alone. */
export function isSecretName(name: string): boolean {
  const n = name.toLowerCase().replace(/[-_\s]/g, '');
  return SECRET_NAMES.has(n) || SECRET_SUFFIXES.some((s) => n.endsWith(s));
}

/** A string with PAN-like runs, key-like runs and labelled secrets (`passphrase X`, `PIN 1234`) replaced by `[redacted]`. */
export function redactText(value: string): string {
  return value
    .replace(LABELLED, (_m, word?: string, sep?: string, pin?: string, pinSep?: string) => `${word ?? pin ?? ''}${sep ?? pinSep ?? ''}${REDACTED}`)
    .replace(PAN_LIKE, REDACTED)
    .replace(HEX_LIKE, REDACTED);
}

function redactValue(value: unknown, depth: number, where: string): AuditJson {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AuditError('ERR_TSM_AUDIT', `audit detail ${where}: a number must be finite`);
    return Number.isInteger(value) && Math.abs(value) >= 1e11 ? REDACTED : value;
  }
  if (typeof value === 'string') return redactText(value);
  if (depth >= MAX_DEPTH) throw new AuditError('ERR_TSM_AUDIT', `audit detail ${where}: nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) return value.map((v, i) => redactValue(v, depth + 1, `${where}[${i}]`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, AuditJson> = {};
    for (const name of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[name];
      if (v === undefined) continue;
      out[redactText(name)] = isSecretName(name) ? REDACTED : redactValue(v, depth + 1, `${where}.${redactText(name)}`);
    }
    return out;
  }
  throw new AuditError('ERR_TSM_AUDIT', `audit detail ${where}: expected JSON (object, array, string, number, boolean or null), got ${typeof value}`);
}

/**
 * The detail as the record keeps it: redacted, keys sorted, as JSON text of at most MAX_DETAIL_JSON
 * bytes. Integers of 12 digits or more are redacted too (a PAN sent as a number).
 * @example redactDetail({ pan: '4111111111111111', step: 'load' }) // '{"pan":"[redacted]","step":"load"}'
 */
export function redactDetail(detail: { readonly [key: string]: unknown } | undefined): string {
  if (detail === undefined) return '{}';
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) throw new AuditError('ERR_TSM_AUDIT', 'audit detail: expected an object');
  const text = JSON.stringify(redactValue(detail, 0, 'detail'));
  if (new TextEncoder().encode(text).length > MAX_DETAIL_JSON) throw new AuditError('ERR_TSM_AUDIT', `audit detail: longer than ${MAX_DETAIL_JSON} bytes of JSON`);
  return text;
}

/** Subject ids as the record keeps them: redacted, as a JSON array. */
export function redactSubjects(subjects: readonly string[] | undefined): string {
  if (subjects === undefined) return '[]';
  if (!Array.isArray(subjects) || subjects.length > 64 || !subjects.every((s) => typeof s === 'string' && s.length <= 256)) {
    throw new AuditError('ERR_TSM_AUDIT', 'audit subjects: expected at most 64 strings of at most 256 characters');
  }
  return JSON.stringify(subjects.map(redactText));
}
