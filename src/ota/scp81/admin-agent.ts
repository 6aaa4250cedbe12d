/**
 * The SCP81 admin agent (the card's side; the virtual SE runs it): opens TLS-PSK to the admin
 * server, POSTs to the admin URI, executes each script the server answers with, and POSTs the
 * report to the Next-URI until the server ends the session (GPC Amd B). One connection is kept
 * alive for the session. When it drops, the agent re-navigates its last URI with
 * `X-Admin-Resume: true` over a new handshake, as its retry policy allows (GPC Amd B: the retry
 * policy of the administration session triggering parameters [M]).
 */
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { OtaError } from '../errors.ts';
import {
  agentPost,
  DEFAULT_ADMIN_LIMITS,
  encodeAgentPost,
  parseAdminAnswer,
  type AdminAnswer,
  type AdminLimits,
  type AgentPost,
  type ScriptReport,
} from './admin-protocol.ts';
import { refuse } from './header-values.ts';
import { handshakeError, pskClientOptions, type PskClientConfig } from './tls-psk.ts';

/** A script to run, as the server sent it. */
export interface AdminScript {
  /** The expanded-format command script (ETSI TS 102 226). */
  readonly body: Uint8Array;
  /** The SD it targets when not the one holding the PSK. */
  readonly targetedApplication: Uint8Array | undefined;
}

/** The agent's configuration. */
export interface AdminAgentOptions extends PskClientConfig {
  readonly host: string;
  readonly port: number;
  /** `X-Admin-From`. */
  readonly agentId: string;
  /** The first URI to POST to (a path on the server). */
  readonly adminUri: string;
  /** Runs one script on the card and reports its outcome. */
  readonly execute: (script: AdminScript) => ScriptReport | Promise<ScriptReport>;
  /** Resumes after a dropped connection: how many, and how long to wait before each; default 2 × 100 ms. */
  readonly retry?: { readonly attempts: number; readonly delayMs: number };
  readonly limits?: Partial<AdminLimits>;
  /** Time for one POST's answer; default 30 s. */
  readonly timeoutMs?: number;
  /** Bound on the POSTs of one session; default 1000. */
  readonly maxExchanges?: number;
}

/** How a session went. */
export interface AdminSessionResult {
  /** POSTs answered. */
  readonly exchanges: number;
  /** Scripts executed. */
  readonly scripts: number;
  /** Re-navigations with X-Admin-Resume. */
  readonly resumes: number;
  /** Whether the last script came without a Next-URI (executed, its report not sent). */
  readonly lastUnreported: boolean;
}

/** One keep-alive connection; `secured` remembers which sockets finished their handshake. */
interface Channel {
  readonly agent: https.Agent;
  readonly secured: WeakSet<Socket>;
}

function openChannel(o: AdminAgentOptions): Channel {
  // GPC Amd B: no TLS session resumption [M] — hence no session cache; one connection at a time.
  const agent = new https.Agent({ ...pskClientOptions(o), keepAlive: true, maxSockets: 1, maxCachedSessions: 0 });
  return { agent, secured: new WeakSet() };
}

/** Sends one POST and reads the answer; `ERR_OTA_TLS` (handshake), `ERR_OTA_TRANSPORT` or `ERR_OTA_ADMIN`. */
function exchange(o: AdminAgentOptions, ch: Channel, post: AgentPost, limits: AdminLimits): Promise<AdminAnswer> {
  const req = encodeAgentPost(post, limits);
  return new Promise((resolve, reject) => {
    let tcp = false;
    let socket: Socket | undefined;
    const fail = (e: unknown): void => {
      if (e instanceof OtaError) return reject(e);
      if (socket !== undefined && tcp && !ch.secured.has(socket)) return reject(handshakeError(e));
      // node:http's parser refusing the server's answer (HPE_*): a protocol violation, not a lost connection.
      if (/^HPE_/.test(String((e as NodeJS.ErrnoException).code))) {
        return reject(new OtaError('ERR_OTA_ADMIN', 'SCP81 answer: not HTTP/1.1 within bounds', { cause: e }));
      }
      reject(new OtaError('ERR_OTA_TRANSPORT', 'SCP81 connection lost', { cause: e }));
    };
    const request = https.request(
      {
        host: o.host,
        port: o.port,
        method: req.method,
        path: req.target,
        agent: ch.agent,
        headers: { ...Object.fromEntries(req.headers), 'Content-Length': String(req.body.length) },
        timeout: o.timeoutMs ?? 30_000,
        maxHeaderSize: 8192,
      },
      (res) => void readAnswer(res, limits).then(resolve, fail),
    );
    request.on('socket', (s: Socket) => {
      socket = s;
      if (ch.secured.has(s)) return;
      tcp = !s.connecting;
      s.once('connect', () => (tcp = true));
      s.once('secureConnect', () => ch.secured.add(s));
    });
    request.on('timeout', () => request.destroy(new Error('SCP81 POST timed out')));
    request.on('error', fail);
    request.end(req.body);
  });
}

function readAnswer(res: IncomingMessage, limits: AdminLimits): Promise<AdminAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxScriptBytes) {
        res.destroy();
        reject(new OtaError('ERR_OTA_ADMIN', `SCP81 script: over ${limits.maxScriptBytes} bytes`));
      } else chunks.push(chunk);
    });
    res.on('error', reject);
    res.on('end', () => {
      try {
        const body = new Uint8Array(Buffer.concat(chunks));
        resolve(parseAdminAnswer({ status: res.statusCode ?? 0, headers: res.headersDistinct, body }, limits));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs one administration session to its end. Rejects with `ERR_OTA_TLS` (handshake),
 * `ERR_OTA_TRANSPORT` (connection lost beyond the retries) or `ERR_OTA_ADMIN` (the server broke
 * the protocol); an error from `execute` propagates as is.
 */
export async function runAdminSession(o: AdminAgentOptions): Promise<AdminSessionResult> {
  const limits: AdminLimits = { ...DEFAULT_ADMIN_LIMITS, ...o.limits };
  const retry = o.retry ?? { attempts: 2, delayMs: 100 };
  const max = o.maxExchanges ?? 1000;
  let channel = openChannel(o);
  let post = agentPost({ uri: o.adminUri, from: o.agentId, resume: false, report: undefined }, limits);
  let exchanges = 0;
  let scripts = 0;
  let resumes = 0;
  try {
    for (;;) {
      if (exchanges >= max) refuse('peer', 'session', `more than ${max} exchanges`);
      let answer: AdminAnswer | undefined;
      for (let attempt = 0; answer === undefined; attempt++) {
        try {
          answer = await exchange(o, channel, post, limits);
        } catch (e) {
          if (!(e instanceof OtaError) || e.code !== 'ERR_OTA_TRANSPORT' || attempt >= retry.attempts) throw e;
          channel.agent.destroy();
          await sleep(retry.delayMs);
          channel = openChannel(o);
          // GPC Amd B: re-navigate the last URI, flagged as a resume; the server decides what follows.
          post = agentPost({ ...post, resume: true }, limits);
          resumes++;
        }
      }
      exchanges++;
      if (answer.script !== undefined) {
        const report = await o.execute({ body: answer.script, targetedApplication: answer.targetedApplication });
        scripts++;
        if (answer.nextUri === undefined) return { exchanges, scripts, resumes, lastUnreported: true };
        post = agentPost({ uri: answer.nextUri, from: o.agentId, resume: false, report }, limits);
      } else if (answer.nextUri !== undefined) {
        post = agentPost({ uri: answer.nextUri, from: o.agentId, resume: false, report: undefined }, limits);
      } else {
        return { exchanges, scripts, resumes, lastUnreported: false };
      }
    }
  } finally {
    channel.agent.destroy();
  }
}
