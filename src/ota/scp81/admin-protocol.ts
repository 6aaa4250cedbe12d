/**
 * The SCP81 admin protocol of GPC Amd B (Remote Application Management over HTTP) as frozen
 * messages and their codecs, pure (no I/O). The card's admin agent is the HTTP client: it POSTs to
 * the admin server (the TSM), which answers each POST with the next script (200) or nothing (204);
 * `X-Admin-Next-URI` says where to POST the script's response, and its absence ends the session.
 * Script bodies are ETSI TS 102 226 expanded-format scripts (Command/Response Scripting templates),
 * opaque at this level.
 *
 * Header names and values were pinned from the IANA media-type registrations, GPC Amd B v1.1's
 * public release, and the open implementations that interoperate with cards; what could not be
 * checked against the text of the amendment is marked [M].
 */
import { OtaError } from '../errors.ts';
import {
  checkFieldValue,
  checkMediaType,
  checkOriginForm,
  formatTargetedApplication,
  parseTargetedApplication,
  refuse,
  type Blame,
} from './header-values.ts';

/** GPC Amd B: the `X-Admin-Protocol` value of this protocol version. */
export const ADMIN_PROTOCOL = 'globalplatform-remote-admin/1.0';
/** GPC Amd B: a script from the server (IANA vnd.globalplatform.card-content-mgt). */
export const SCRIPT_CONTENT_TYPE = 'application/vnd.globalplatform.card-content-mgt;version=1.0';
/** GPC Amd B: a script response from the agent (IANA vnd.globalplatform.card-content-mgt-response). */
export const RESPONSE_CONTENT_TYPE = 'application/vnd.globalplatform.card-content-mgt-response;version=1.0';
/** GPC Amd B: the `X-Admin-Script-Status` values [M: the list as implementations use it]. */
export const SCRIPT_STATUSES = ['ok', 'unknown-application', 'not-a-security-domain', 'security-error'] as const;
export type ScriptStatus = (typeof SCRIPT_STATUSES)[number];

/** The admin headers, lower case (HTTP field names are case-insensitive, RFC 9110 §5.1). */
export const ADMIN_HEADERS = {
  protocol: 'x-admin-protocol',
  from: 'x-admin-from',
  nextUri: 'x-admin-next-uri',
  targetedApplication: 'x-admin-targeted-application',
  scriptStatus: 'x-admin-script-status',
  resume: 'x-admin-resume',
  contentType: 'content-type',
} as const;

/** Bounds on what either side accepts from the other. */
export interface AdminLimits {
  /** Request target and Next-URI length. */
  readonly maxUriLength: number;
  /** Any other admin header value. */
  readonly maxHeaderValueLength: number;
  /** A script body the agent accepts from the server. */
  readonly maxScriptBytes: number;
  /** A script-response body the server accepts from the agent. */
  readonly maxResponseBytes: number;
}

/** Default bounds: 1 KiB URIs, 512-character values, 1 MiB scripts, 256 KiB responses. */
export const DEFAULT_ADMIN_LIMITS: AdminLimits = Object.freeze({
  maxUriLength: 1024,
  maxHeaderValueLength: 512,
  maxScriptBytes: 1 << 20,
  maxResponseBytes: 256 << 10,
});

/** What the card did with the last script: its status and the response script (may be empty unless `ok`). */
export interface ScriptReport {
  readonly status: ScriptStatus;
  readonly body: Uint8Array;
}

/** An agent's POST: the first of a dialog (no report) or one carrying the last script's report. */
export interface AgentPost {
  readonly kind: 'agent-post';
  /** The request target: the admin URI, then each Next-URI. */
  readonly uri: string;
  /** `X-Admin-From`, the agent's identity (e.g. `//se-id/eid/<EID>;//aa-id/aid/<RID>/<PIX>`). */
  readonly from: string | undefined;
  /** `X-Admin-Resume: true`: the agent re-navigates its last URI after an interrupted session. */
  readonly resume: boolean;
  readonly report: ScriptReport | undefined;
}

/** The server's answer: a script (200) or none (204); no Next-URI ends the session. */
export interface AdminAnswer {
  readonly kind: 'admin-answer';
  readonly script: Uint8Array | undefined;
  readonly nextUri: string | undefined;
  /** `X-Admin-Targeted-Application`: the SD the script is for, when not the one holding the PSK. */
  readonly targetedApplication: Uint8Array | undefined;
}

/** Received header fields: lower-case name → every value (node:http's `headersDistinct`). */
export type HeaderFields = Readonly<Record<string, readonly string[] | undefined>>;
/** Header fields to send, in order. */
export type HeaderList = readonly (readonly [string, string])[];

/** An HTTP request as the transport hands it over. */
export interface RequestParts {
  readonly method: string;
  readonly target: string;
  readonly headers: HeaderFields;
  readonly body: Uint8Array;
}

/** An HTTP response as the transport hands it over. */
export interface ResponseParts {
  readonly status: number;
  readonly headers: HeaderFields;
  readonly body: Uint8Array;
}

const limitsOf = (l: Partial<AdminLimits> | undefined): AdminLimits => ({ ...DEFAULT_ADMIN_LIMITS, ...l });

function checkReport(report: ScriptReport, max: number, blame: Blame): ScriptReport {
  if (!SCRIPT_STATUSES.includes(report.status)) refuse(blame, 'X-Admin-Script-Status', `expected one of ${SCRIPT_STATUSES.join(', ')}`);
  if (!(report.body instanceof Uint8Array)) refuse(blame, 'script response', 'expected Uint8Array');
  if (report.body.length > max) refuse(blame, 'script response', `over ${max} bytes`);
  // GPC Amd B: with `ok` the body is the response script; other statuses may carry none [M].
  if (report.status === 'ok' && report.body.length === 0) refuse(blame, 'script response', 'status ok needs a response script');
  return Object.freeze({ status: report.status, body: report.body });
}

function buildPost(f: Omit<AgentPost, 'kind'>, l: AdminLimits, blame: Blame): AgentPost {
  const uri = checkOriginForm(f.uri, l.maxUriLength, 'request target', blame);
  const from = f.from === undefined ? undefined : checkFieldValue(f.from, l.maxHeaderValueLength, 'X-Admin-From', blame);
  // GPC Amd B: the POST that opens a dialog identifies the agent [M: later POSTs may omit it].
  if (f.report === undefined && from === undefined) refuse(blame, 'X-Admin-From', 'required on the POST that opens a dialog');
  if (typeof f.resume !== 'boolean') refuse(blame, 'X-Admin-Resume', 'expected a boolean');
  const report = f.report === undefined ? undefined : checkReport(f.report, l.maxResponseBytes, blame);
  return Object.freeze({ kind: 'agent-post', uri, from, resume: f.resume, report });
}

function buildAnswer(f: Omit<AdminAnswer, 'kind'>, l: AdminLimits, blame: Blame): AdminAnswer {
  if (f.script !== undefined) {
    if (!(f.script instanceof Uint8Array) || f.script.length === 0) refuse(blame, 'script', 'expected a non-empty Uint8Array');
    if (f.script.length > l.maxScriptBytes) refuse(blame, 'script', `over ${l.maxScriptBytes} bytes`);
  }
  const nextUri = f.nextUri === undefined ? undefined : checkOriginForm(f.nextUri, l.maxUriLength, 'X-Admin-Next-URI', blame);
  if (f.targetedApplication !== undefined) {
    if (f.script === undefined) refuse(blame, 'X-Admin-Targeted-Application', 'only with a script');
    formatTargetedApplication(f.targetedApplication);
  }
  return Object.freeze({ kind: 'admin-answer', script: f.script, nextUri, targetedApplication: f.targetedApplication });
}

/** A validated, frozen agent POST. Throws `ERR_OTA_PARAM` on a bad field. */
export function agentPost(fields: Omit<AgentPost, 'kind'>, limits?: Partial<AdminLimits>): AgentPost {
  return buildPost(fields, limitsOf(limits), 'caller');
}

/** A validated, frozen server answer. Throws `ERR_OTA_PARAM` on a bad field. */
export function adminAnswer(fields: Omit<AdminAnswer, 'kind'>, limits?: Partial<AdminLimits>): AdminAnswer {
  return buildAnswer(fields, limitsOf(limits), 'caller');
}

/** The one value of a header, `undefined` when absent; a repeated header is refused. */
function single(headers: HeaderFields, name: string): string | undefined {
  const values = headers[name];
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) refuse('peer', name, 'repeated');
  return values[0];
}

function checkProtocol(headers: HeaderFields, required: boolean): void {
  const value = single(headers, ADMIN_HEADERS.protocol);
  if (value === undefined && !required) return;
  if (value?.trim() !== ADMIN_PROTOCOL) refuse('peer', 'X-Admin-Protocol', `expected ${ADMIN_PROTOCOL}`);
}

/** Agent side: the HTTP request for a POST (the transport adds Host and Content-Length). */
export function encodeAgentPost(post: AgentPost, limits?: Partial<AdminLimits>): {
  method: 'POST';
  target: string;
  headers: HeaderList;
  body: Uint8Array;
} {
  const p = buildPost(post, limitsOf(limits), 'caller');
  const headers: [string, string][] = [['X-Admin-Protocol', ADMIN_PROTOCOL]];
  if (p.from !== undefined) headers.push(['X-Admin-From', p.from]);
  if (p.report !== undefined) {
    if (p.report.body.length > 0) headers.push(['Content-Type', RESPONSE_CONTENT_TYPE]);
    headers.push(['X-Admin-Script-Status', p.report.status]);
  }
  if (p.resume) headers.push(['X-Admin-Resume', 'true']);
  return { method: 'POST', target: p.uri, headers, body: p.report?.body ?? new Uint8Array(0) };
}

/** Server side: the agent's POST from its HTTP request, strictly (`ERR_OTA_ADMIN` otherwise). */
export function parseAgentPost(req: RequestParts, limits?: Partial<AdminLimits>): AgentPost {
  const l = limitsOf(limits);
  if (req.method !== 'POST') refuse('peer', 'method', 'expected POST');
  checkProtocol(req.headers, true);
  const status = single(req.headers, ADMIN_HEADERS.scriptStatus);
  const resume = single(req.headers, ADMIN_HEADERS.resume)?.trim().toLowerCase();
  if (resume !== undefined && resume !== 'true' && resume !== 'false') refuse('peer', 'X-Admin-Resume', 'expected true or false');
  const contentType = single(req.headers, ADMIN_HEADERS.contentType);
  if (req.body.length > 0 || contentType !== undefined) {
    checkMediaType(contentType ?? '', RESPONSE_CONTENT_TYPE, 'Content-Type');
  }
  if (req.body.length > 0 && status === undefined) refuse('peer', 'X-Admin-Script-Status', 'required with a script response');
  const report = status === undefined ? undefined : { status: status.trim() as ScriptStatus, body: req.body };
  return buildPost({ uri: req.target, from: single(req.headers, ADMIN_HEADERS.from), resume: resume === 'true', report }, l, 'peer');
}

/** Server side: the HTTP response for an answer (200 with a script, 204 without). */
export function encodeAdminAnswer(answer: AdminAnswer, limits?: Partial<AdminLimits>): {
  status: 200 | 204;
  headers: HeaderList;
  body: Uint8Array;
} {
  const a = buildAnswer(answer, limitsOf(limits), 'caller');
  const headers: [string, string][] = [['X-Admin-Protocol', ADMIN_PROTOCOL]];
  if (a.script !== undefined) headers.push(['Content-Type', SCRIPT_CONTENT_TYPE]);
  if (a.nextUri !== undefined) headers.push(['X-Admin-Next-URI', a.nextUri]);
  if (a.targetedApplication !== undefined) {
    headers.push(['X-Admin-Targeted-Application', formatTargetedApplication(a.targetedApplication)]);
  }
  // GPC Amd B: a script comes with 200 OK; no script is 204 No Content and an empty body.
  return a.script === undefined ? { status: 204, headers, body: new Uint8Array(0) } : { status: 200, headers, body: a.script };
}

/** Agent side: the server's answer from its HTTP response, strictly (`ERR_OTA_ADMIN` otherwise). */
export function parseAdminAnswer(res: ResponseParts, limits?: Partial<AdminLimits>): AdminAnswer {
  const l = limitsOf(limits);
  if (res.status !== 200 && res.status !== 204) {
    throw new OtaError('ERR_OTA_ADMIN', `SCP81 admin server answered HTTP ${Number(res.status)}`);
  }
  checkProtocol(res.headers, false); // [M] whether the server must repeat X-Admin-Protocol
  const nextUri = single(res.headers, ADMIN_HEADERS.nextUri);
  const target = single(res.headers, ADMIN_HEADERS.targetedApplication);
  if (res.status === 204) {
    if (res.body.length > 0) refuse('peer', '204 No Content', 'has a body');
    if (target !== undefined) refuse('peer', 'X-Admin-Targeted-Application', 'only with a script');
    return buildAnswer({ script: undefined, nextUri: nextUri?.trim(), targetedApplication: undefined }, l, 'peer');
  }
  checkMediaType(single(res.headers, ADMIN_HEADERS.contentType) ?? '', SCRIPT_CONTENT_TYPE, 'Content-Type');
  if (target !== undefined) checkFieldValue(target, l.maxHeaderValueLength, 'X-Admin-Targeted-Application', 'peer');
  return buildAnswer(
    {
      script: res.body,
      nextUri: nextUri?.trim(),
      targetedApplication: target === undefined ? undefined : parseTargetedApplication(target.trim()),
    },
    l,
    'peer',
  );
}

/** Lower-cases a header list into received-fields form (what node:http's `headersDistinct` gives). */
export function headerFields(list: HeaderList): HeaderFields {
  const out: Record<string, string[]> = {};
  for (const [name, value] of list) (out[name.toLowerCase()] ??= []).push(value);
  return out;
}
