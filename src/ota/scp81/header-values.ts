/**
 * SCP81 header values: the strict syntax checks the admin protocol's codecs share (request targets,
 * field values, the GP media types, `//aid/<RID>/<PIX>`). Every failure is an `ERR_OTA_ADMIN`
 * (a peer's message) or `ERR_OTA_PARAM` (our own caller's argument) that names the header, never
 * echoing a hostile value back.
 */
import { fromHex, toHex } from '../../bytes/index.ts';
import { OtaError, type OtaErrorCode } from '../errors.ts';

/** Who is at fault when a value is bad: a peer's message (`ERR_OTA_ADMIN`) or our caller (`ERR_OTA_PARAM`). */
export type Blame = 'peer' | 'caller';

const codeOf = (blame: Blame): OtaErrorCode => (blame === 'peer' ? 'ERR_OTA_ADMIN' : 'ERR_OTA_PARAM');

/** Throws the error for a bad `what`; the message names the field and the rule, not the value. */
export function refuse(blame: Blame, what: string, rule: string): never {
  throw new OtaError(codeOf(blame), `SCP81 ${what}: ${rule}`);
}

// RFC 9110 §5.5: field-value = visible ASCII, with single spaces/tabs inside; obs-text refused.
const FIELD_VALUE = /^[!-~](?:[ \t]*[!-~])*$/;

/** A header value: visible ASCII (RFC 9110 §5.5, no obs-text, no CR/LF), 1..`max` characters. */
export function checkFieldValue(value: unknown, max: number, what: string, blame: Blame): string {
  if (typeof value !== 'string') refuse(blame, what, 'expected a string');
  if (value.length === 0 || value.length > max) refuse(blame, what, `expected 1..${max} characters, got ${value.length}`);
  if (!FIELD_VALUE.test(value)) refuse(blame, what, 'not a header value (visible ASCII, no control characters)');
  return value;
}

// RFC 3986 §3.3/§3.4: path-abempty ["?" query], over pchar / "/" / "?"; "%" only as pct-encoding.
const ORIGIN_FORM = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;

/**
 * A request target in origin form (RFC 9112 §3.2.1: an absolute path and optional query). GPC Amd B
 * also allows an absolute URI in `X-Admin-Next-URI` (switching to another admin server); this
 * implementation follows paths on the same server only [M].
 */
export function checkOriginForm(value: unknown, max: number, what: string, blame: Blame): string {
  if (typeof value !== 'string') refuse(blame, what, 'expected a string');
  if (value.length === 0 || value.length > max) refuse(blame, what, `expected 1..${max} characters, got ${value.length}`);
  if (!ORIGIN_FORM.test(value)) refuse(blame, what, 'not a path on this server (origin-form, RFC 3986 characters)');
  return value;
}

/** A parsed media type: lower-case `type/subtype` and lower-case parameter names. */
interface MediaType {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** RFC 9110 §8.3.1: `type/subtype *( OWS ";" OWS name=value )`, value a token or a quoted string. */
function parseMediaType(value: string, what: string): MediaType {
  const [head, ...rest] = value.split(';');
  const type = (head ?? '').trim().toLowerCase();
  const slash = type.indexOf('/');
  if (slash <= 0 || !TOKEN.test(type.slice(0, slash)) || !TOKEN.test(type.slice(slash + 1))) {
    refuse('peer', what, 'not a media type');
  }
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    const name = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    if (eq < 0 || !TOKEN.test(name) || !TOKEN.test(v) || params.has(name)) refuse('peer', what, 'bad media type parameter');
    params.set(name, v);
  }
  return { type, params };
}

/**
 * Checks that a Content-Type names `expected` (GPC Amd B media types, registered at IANA with one
 * required parameter `version`): type and parameter names case-insensitive, `version` exactly as
 * expected, no other parameter.
 */
export function checkMediaType(value: string, expected: string, what: string): void {
  const want = parseMediaType(expected, what);
  const got = parseMediaType(value, what);
  if (got.type !== want.type) refuse('peer', what, `expected ${want.type}`);
  if (got.params.size !== want.params.size) refuse('peer', what, `expected the parameters of ${expected}`);
  for (const [k, v] of want.params) if (got.params.get(k) !== v) refuse('peer', what, `expected ${k}=${v}`);
}

const TARGETED = /^\/\/aid\/([0-9A-Fa-f]{10})\/?([0-9A-Fa-f]{0,22})$/;

/**
 * `X-Admin-Targeted-Application`: `//aid/<RID>/<PIX>` in hex (GPC Amd B), RID 5 bytes, PIX 0–11
 * bytes (ISO/IEC 7816-5 AID, 5–16 bytes).
 * @example formatTargetedApplication(fromHex('A0000001515350')) // '//aid/A000000151/5350'
 */
export function formatTargetedApplication(aid: Uint8Array): string {
  if (!(aid instanceof Uint8Array) || aid.length < 5 || aid.length > 16) {
    refuse('caller', 'X-Admin-Targeted-Application', 'an AID is 5..16 bytes');
  }
  return `//aid/${toHex(aid.subarray(0, 5)).toUpperCase()}/${toHex(aid.subarray(5)).toUpperCase()}`;
}

/** Parses `//aid/<RID>/<PIX>` into the AID bytes (hex case-insensitive, whole bytes). */
export function parseTargetedApplication(value: string): Uint8Array {
  const m = TARGETED.exec(value);
  if (m === null || m[2]!.length % 2 !== 0) refuse('peer', 'X-Admin-Targeted-Application', 'expected //aid/<RID>/<PIX> in hex');
  return fromHex(m[1]! + m[2]!);
}
