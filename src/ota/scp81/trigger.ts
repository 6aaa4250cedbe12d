/**
 * Administration session triggering (GPC Amd B; ETSI TS 102 226 §9 PUSH): the command a server puts
 * into an SCP80-secured SMS to the ISD's TAR so that the card's admin agent opens an SCP81 session.
 *
 * What is verified and what is ours:
 * - The PUSH command of ETSI TS 102 226 §9.2 is `80 EC P1 P2`; P1 '01' with P2 '01'–'04' asks for a
 *   BIP channel, a CAT_TP link, a TCP connection or an identification packet, and P1 '80' is
 *   reserved for application specific use.
 * - [M] GPC Amd B's own coding of the triggering command and of its "Administration Session
 *   Triggering Parameters" could not be checked. We use PUSH with P1 '80' (application specific),
 *   P2 '01', and a flat list of one-byte-tag TLVs modelled on Amd B's HTTP POST parameters:
 *   '8A' admin host (`host[:port]`, the HTTP Host value), '8B' agent id (`X-Admin-From`),
 *   '8C' admin URI (the first POST's path). Every field is optional: what is absent comes from the
 *   card's configured defaults. The connection (BIP bearer) and retry policy parameters are not
 *   modelled.
 *
 * @example buildAdminTriggerCommand(adminTrigger({ host: 'tsm.example', port: 8443, adminUri: '/scp81' }))
 */
import { concat } from '../../bytes/index.ts';
import { OtaError } from '../errors.ts';
import { checkOriginForm } from './header-values.ts';

/** The PUSH header of the trigger (TS 102 226 §9.2; P1/P2 values are ours [M]). */
export const ADMIN_TRIGGER = { cla: 0x80, ins: 0xec, p1: 0x80, p2: 0x01 } as const;

/** The TLV tags of the triggering parameters [M]. */
export const ADMIN_TRIGGER_TAG = { host: 0x8a, agentId: 0x8b, adminUri: 0x8c } as const;

/** Administration session triggering parameters: what the trigger carries (each optional). */
export interface AdminTrigger {
  readonly kind: 'admin-trigger';
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly adminUri: string | undefined;
  readonly agentId: string | undefined;
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const VISIBLE = /^[!-~]+$/;
const MAX_FIELD = 255;

function bad(what: string, rule: string): never {
  throw new OtaError('ERR_OTA_PARAM', `SCP81 trigger ${what}: ${rule}`);
}

/** Validated, frozen triggering parameters; `ERR_OTA_PARAM` names the field that is wrong. */
export function adminTrigger(fields: { host?: string; port?: number; adminUri?: string; agentId?: string }): AdminTrigger {
  const { host, port, adminUri, agentId } = fields;
  if (host !== undefined && (typeof host !== 'string' || host.length > 253 || !HOST.test(host))) bad('host', 'expected a DNS name or IPv4 address');
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) bad('port', 'expected 1..65535');
  if (port !== undefined && host === undefined) bad('port', 'given without a host');
  if (adminUri !== undefined) checkOriginForm(adminUri, MAX_FIELD, 'trigger admin URI', 'caller');
  if (agentId !== undefined && (typeof agentId !== 'string' || agentId.length > MAX_FIELD || !VISIBLE.test(agentId))) {
    bad('agent id', `expected 1..${MAX_FIELD} visible ASCII characters`);
  }
  return Object.freeze({ kind: 'admin-trigger', host, port, adminUri, agentId });
}

function field(tag: number, text: string): Uint8Array {
  const value = new TextEncoder().encode(text);
  return concat(Uint8Array.of(tag), value.length < 0x80 ? Uint8Array.of(value.length) : Uint8Array.of(0x81, value.length), value);
}

/** The PUSH data field: the present fields as TLVs, in tag order. */
export function encodeAdminTriggerData(t: AdminTrigger): Uint8Array {
  const parts: Uint8Array[] = [];
  if (t.host !== undefined) parts.push(field(ADMIN_TRIGGER_TAG.host, t.port === undefined ? t.host : `${t.host}:${t.port}`));
  if (t.agentId !== undefined) parts.push(field(ADMIN_TRIGGER_TAG.agentId, t.agentId));
  if (t.adminUri !== undefined) parts.push(field(ADMIN_TRIGGER_TAG.adminUri, t.adminUri));
  return concat(...parts);
}

/** The whole C-APDU (case 3, or case 1 when nothing is carried), to put into a command script. */
export function buildAdminTriggerCommand(t: AdminTrigger): Uint8Array {
  const data = encodeAdminTriggerData(t);
  const head = Uint8Array.of(ADMIN_TRIGGER.cla, ADMIN_TRIGGER.ins, ADMIN_TRIGGER.p1, ADMIN_TRIGGER.p2);
  return data.length === 0 ? head : concat(head, Uint8Array.of(data.length), data);
}

/** Whether a command header is the trigger (the card side's dispatch; CLA channel bits ignored). */
export function isAdminTrigger(cla: number, ins: number, p1: number, p2: number): boolean {
  return (cla & 0xfc) === ADMIN_TRIGGER.cla && ins === ADMIN_TRIGGER.ins && p1 === ADMIN_TRIGGER.p1 && p2 === ADMIN_TRIGGER.p2;
}

/** Parses the PUSH data field; `ERR_OTA_PARSE` for broken TLVs, `ERR_OTA_PARAM` for a bad value. */
export function parseAdminTriggerData(data: Uint8Array): AdminTrigger {
  const seen = new Map<number, string>();
  let i = 0;
  while (i < data.length) {
    const tag = data[i]!;
    let length = data[i + 1];
    let start = i + 2;
    if (length === 0x81) {
      length = data[i + 2];
      start = i + 3;
    }
    if (length === undefined || length > 0x81 || start + length > data.length) throw new OtaError('ERR_OTA_PARSE', 'SCP81 trigger: truncated TLV');
    if (!Object.values(ADMIN_TRIGGER_TAG).includes(tag as 0x8a)) throw new OtaError('ERR_OTA_PARSE', `SCP81 trigger: unknown tag ${tag.toString(16)}`);
    if (seen.has(tag)) throw new OtaError('ERR_OTA_PARSE', `SCP81 trigger: tag ${tag.toString(16)} twice`);
    const bytes = data.subarray(start, start + length);
    if (bytes.some((b) => b < 0x21 || b > 0x7e)) bad('field', 'expected visible ASCII');
    seen.set(tag, new TextDecoder().decode(bytes));
    i = start + length;
  }
  const hostPort = seen.get(ADMIN_TRIGGER_TAG.host);
  const m = hostPort === undefined ? undefined : /^([^:]+)(?::([0-9]{1,5}))?$/.exec(hostPort);
  if (hostPort !== undefined && (m === null || m === undefined)) bad('host', 'expected host[:port]');
  const adminUri = seen.get(ADMIN_TRIGGER_TAG.adminUri);
  const agentId = seen.get(ADMIN_TRIGGER_TAG.agentId);
  return adminTrigger({
    ...(m?.[1] === undefined ? {} : { host: m[1] }),
    ...(m?.[2] === undefined ? {} : { port: Number(m[2]) }),
    ...(adminUri === undefined ? {} : { adminUri }),
    ...(agentId === undefined ? {} : { agentId }),
  });
}
