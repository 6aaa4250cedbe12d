/**
 * The card's SCP81 admin agent (GPC Amd B), triggered by a secured SMS:
 *   1. the OTA receiver runs a verified SCP80 script on the ISD; the trigger command in it
 *      (`ota/scp81/trigger.ts`, a PUSH [M]) is answered here, not by the SD applet: its parameters,
 *      completed from the card's configured defaults, become an `AdminSessionRequest` handed to
 *      `onRequest` — nothing is connected yet;
 *   2. `runCardAdminSession` then runs src/ota's admin agent loop with the card's own PSK identity
 *      and key (the PSK stays in se/: the agent opens the TLS socket in-process, as the card does
 *      over BIP with the phone supplying only the network), and executes each script's C-APDUs on
 *      the target SD.
 * Scripts of one session share one SD pseudo-channel (`ADMIN_CHANNEL`), marked authenticated by the
 * TLS-PSK session, so an SCP03 INITIALIZE UPDATE / EXTERNAL AUTHENTICATE from the server opens a
 * secure channel that lasts for the following scripts of the session; it is forgotten when the
 * session ends. Execution of a script stops after the first error status word, as over SCP80 [M].
 */
import { parseCommand, responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../apdu/index.ts';
import { toHex } from '../../bytes/index.ts';
import {
  encodeResponseScript,
  isAdminTrigger,
  parseAdminTriggerData,
  parseCommandScript,
  runAdminSession,
  type AdminLimits,
  type AdminScript,
  type AdminSessionResult,
  type ScriptReport,
} from '../../ota/index.ts';
import { SeError } from '../errors.ts';
import type { CardManager } from '../gp/card-manager.ts';
import { findApp, isIsd, isLocked, isSelectableLifecycle, sameAid } from '../gp/registry.ts';
import { SecurityDomainApplet } from '../gp/security-domain.ts';
import { continuesScript, runSdCommand, type OtaScriptRunner } from './execute.ts';

/** The SD pseudo-channel of an admin session (outside the logical channels 0–19 and the SCP80 one, 20). */
export const ADMIN_CHANNEL = 21;

/** Where the agent connects when the trigger does not say (the card's configured admin server). */
export interface AdminDefaults {
  readonly host?: string;
  readonly port?: number;
  readonly adminUri?: string;
  /** `X-Admin-From`; default: the PSK identity. */
  readonly agentId?: string;
}

/** A session the card was asked to open: the trigger's parameters over the defaults. */
export interface AdminSessionRequest {
  readonly kind: 'admin-session-request';
  /** The SD whose PSK secures the session and that runs the scripts (the ISD here). */
  readonly sdAid: Uint8Array;
  readonly host: string;
  readonly port: number;
  readonly adminUri: string;
  readonly agentId: string;
}

/** Options of one session (bounds; see `runAdminSession`). */
export interface CardAdminSessionOptions {
  readonly retry?: { readonly attempts: number; readonly delayMs: number };
  readonly timeoutMs?: number;
  readonly maxExchanges?: number;
  readonly limits?: Partial<AdminLimits>;
}

/**
 * An OTA script runner that answers the trigger command itself and hands every other command to
 * `base` (the SDs). A trigger outside the ISD, on a card without a PSK or without a server to
 * reach gets 6985; unreadable parameters 6A80. The request is recorded only when the trigger ran.
 */
export function adminTriggerRunner(
  manager: CardManager,
  base: OtaScriptRunner,
  defaults: AdminDefaults,
  onRequest: (request: AdminSessionRequest) => void,
): OtaScriptRunner {
  return {
    run(sdAid, apdus) {
      const isTrigger = (a: Uint8Array): boolean => a.length >= 4 && isAdminTrigger(a[0]!, a[1]!, a[2]!, a[3]!);
      if (!apdus.some(isTrigger)) return base.run(sdAid, apdus);
      const out: ResponseApdu[] = [];
      for (const bytes of apdus) {
        const r = isTrigger(bytes) ? trigger(manager, sdAid, bytes, defaults, onRequest) : base.run(sdAid, [bytes])[0]!;
        out.push(r);
        if (!continuesScript(r.sw)) break;
      }
      return out;
    },
  };
}

function trigger(
  manager: CardManager,
  sdAid: Uint8Array,
  bytes: Uint8Array,
  defaults: AdminDefaults,
  onRequest: (request: AdminSessionRequest) => void,
): ResponseApdu {
  const state = manager.model.committed;
  const psk = state.ota?.scp81;
  if (!isIsd(state, sdAid) || psk === undefined) return responseApdu(new Uint8Array(0), SW.CONDITIONS_OF_USE_NOT_SATISFIED);
  let params;
  try {
    params = parseAdminTriggerData(parseCommand(bytes).data);
  } catch {
    return responseApdu(new Uint8Array(0), SW.INCORRECT_DATA);
  }
  const host = params.host ?? defaults.host;
  const port = params.host === undefined ? defaults.port : (params.port ?? 443);
  const adminUri = params.adminUri ?? defaults.adminUri;
  if (host === undefined || port === undefined || adminUri === undefined) return responseApdu(new Uint8Array(0), SW.CONDITIONS_OF_USE_NOT_SATISFIED);
  const agentId = params.agentId ?? defaults.agentId ?? new TextDecoder().decode(psk.identity);
  onRequest(Object.freeze({ kind: 'admin-session-request', sdAid: sdAid.slice(), host, port, adminUri, agentId }));
  return responseApdu(new Uint8Array(0), SW.OK);
}

/**
 * Runs one administration session for `request` on this card: TLS-PSK with the card's SCP81 key,
 * each script executed on its SD, to the server's 204. Rejects as `runAdminSession` does
 * (`ERR_OTA_TLS` for a handshake the server refused, …); `ERR_SE_CONFIG` when the card has no PSK.
 */
export async function runCardAdminSession(manager: CardManager, request: AdminSessionRequest, options: CardAdminSessionOptions = {}): Promise<AdminSessionResult> {
  const psk = manager.model.committed.ota?.scp81;
  if (psk === undefined) throw new SeError('ERR_SE_CONFIG', 'SCP81: the card has no PSK');
  const channels = new Map<string, SecurityDomainApplet>();
  const key = psk.key.slice();
  try {
    return await runAdminSession({
      host: request.host,
      port: request.port,
      adminUri: request.adminUri,
      agentId: request.agentId,
      identity: new TextDecoder().decode(psk.identity),
      psk: key,
      execute: (script) => executeScript(manager, channels, request.sdAid, script),
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.maxExchanges === undefined ? {} : { maxExchanges: options.maxExchanges }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
  } finally {
    key.fill(0);
    for (const applet of channels.values()) applet.endOta(ADMIN_CHANNEL);
  }
}

const EMPTY_RESPONSE = (): Uint8Array => encodeResponseScript({ length: 'indefinite', executed: 0, responses: [] });

/**
 * One script on its SD (GPC Amd B: X-Admin-Targeted-Application names it, else the agent's own SD).
 * The agent's own SD trusts the TLS-PSK session (its pseudo-channel is authenticated, as an SCP80
 * packet's is); another SD does not — the PSK is not its key — so its pseudo-channel starts without
 * authentication and the server opens that SD's own secure channel inside the session (SCP03).
 */
function executeScript(manager: CardManager, channels: Map<string, SecurityDomainApplet>, ownSd: Uint8Array, script: AdminScript): ScriptReport {
  const target = script.targetedApplication ?? ownSd;
  const app = findApp(manager.model.committed, target);
  if (app === undefined) return { status: 'unknown-application', body: EMPTY_RESPONSE() };
  const applet = manager.applet(app);
  if (!(applet instanceof SecurityDomainApplet)) return { status: 'not-a-security-domain', body: EMPTY_RESPONSE() };
  let parsed;
  try {
    parsed = parseCommandScript(script.body);
  } catch {
    // TS 102 226 §5.2: a script the card cannot parse is answered with Bad Format [M]
    return { status: 'ok', body: encodeResponseScript({ length: 'indefinite', executed: 0, responses: [], badFormat: Uint8Array.of(0x01) }) };
  }
  const own = sameAid(target, ownSd);
  const key = toHex(target);
  if (!channels.has(key)) {
    openAdminChannel(manager, applet, target, own);
    channels.set(key, applet);
  }
  const responses: Uint8Array[] = [];
  for (const item of parsed.items) {
    if (item.kind !== 'c-apdu') continue;
    const r = !isSelectOf(item.apdu, target)
      ? runSdCommand(manager, applet, target, item.apdu, ADMIN_CHANNEL)
      : own || selectable(manager, target)
        ? openAdminChannel(manager, applet, target, own)
        : responseApdu(new Uint8Array(0), SW.FILE_NOT_FOUND); // as the card OS answers a SELECT of a LOCKED / not selectable SD
    const out = new Uint8Array(r.data.length + 2);
    out.set(r.data);
    out.set([r.sw >> 8, r.sw & 0xff], r.data.length);
    responses.push(out);
    if (!continuesScript(r.sw)) break;
  }
  return { status: 'ok', body: encodeResponseScript({ length: parsed.length, executed: responses.length, responses }) };
}

function selectable(manager: CardManager, aid: Uint8Array): boolean {
  const app = findApp(manager.model.committed, aid);
  return app !== undefined && !isLocked(app) && isSelectableLifecycle(app);
}

/** SELECT by DF name (ISO/IEC 7816-4 §11.1.1, P1 04, first occurrence) of exactly `aid`, basic channel. */
function isSelectOf(apdu: Uint8Array, aid: Uint8Array): boolean {
  if (apdu.length < 5 + aid.length || apdu[0] !== 0x00 || apdu[1] !== 0xa4 || apdu[2] !== 0x04 || apdu[3] !== 0x00 || apdu[4] !== aid.length) return false;
  return sameAid(apdu.subarray(5, 5 + aid.length), aid) && apdu.length <= 6 + aid.length;
}

/**
 * (Re)starts the SD's admin pseudo-channel as a SELECT of it would (its FCI; any secure channel
 * session there ends, GPC 2.3.1 §10.2), authenticated by the TLS-PSK session only for the agent's own SD.
 */
function openAdminChannel(manager: CardManager, applet: SecurityDomainApplet, sdAid: Uint8Array, authenticated: boolean): ResponseApdu {
  applet.endOta(ADMIN_CHANNEL);
  const ctx = { channel: ADMIN_CHANNEL, aid: sdAid, contactless: false, persistent: manager.model.appletData(sdAid), setPersistent: () => undefined };
  const select = applet.select(buildSelectCommand(sdAid), ctx);
  if (authenticated) applet.beginOta(ADMIN_CHANNEL);
  return select;
}

function buildSelectCommand(aid: Uint8Array): CommandApdu {
  return parseCommand(Uint8Array.of(0x00, 0xa4, 0x04, 0x00, aid.length, ...aid, 0x00));
}
