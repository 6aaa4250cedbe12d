/**
 * `opentsm fleet` (issue 6): N virtual phones against a TSM — a card-factory batch of embedded SEs in
 * this process, registered by the MNO over the API (batch keys as TR-31 blocks under the factory's
 * transport KEK, the SEs, subscriptions, relay tokens), each phone's wallet agent connected to the
 * relay until the run ends; the phones count the APDU batches the TSM runs on them.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ApduTransport } from '../../apdu/index.ts';
import { OpenTsmError } from '../../bytes/index.ts';
import { TsmClient, TsmError } from '../../tsm/index.ts';
import { connectAgents, relayUrl, type FleetAgents } from './agents.ts';
import { registerFleet, type RegisteredPhone } from './operator.ts';
import { manufactureFleet, type Fleet } from './phones.ts';

export interface FleetRunOptions {
  /** The TSM's base URL (http:// or https://). */
  readonly url: string;
  readonly phones: number;
  /** The MNO API client's `<id>.<secret>`. */
  readonly token: string;
  /** The factory's clear copy of the AES-256 transport KEK. */
  readonly kek: Uint8Array;
  /** Id or label of the KBPK in the MNO tenant that is the KEK's counterpart. */
  readonly kbpk: string;
  /** SE ids are `<prefix>-00001`… */
  readonly prefix: string;
  /** PEM of the CA(s) that issued the TSM's TLS certificate, when not a public one. */
  readonly ca?: string;
  /** How long to stay connected, ms; undefined: until `signal` aborts. */
  readonly durationMs?: number;
  /** Ends the run (Ctrl-C): the agents stop cleanly and the summary is returned. */
  readonly signal?: AbortSignal;
  /** Progress lines (stderr). */
  readonly say?: (line: string) => void;
  /** Called every `tickMs` while connected with the live counts. */
  readonly onTick?: (stats: FleetStats) => void;
  readonly tickMs?: number;
}

/** What the phones did so far. */
export interface FleetStats {
  readonly connected: number;
  readonly batches: number;
  readonly apdus: number;
}

export interface FleetRunSummary {
  readonly url: string;
  readonly relay: string;
  readonly phones: number;
  readonly registered: number;
  readonly connected: number;
  readonly firstSeId: string;
  readonly lastSeId: string;
  readonly batches: number;
  readonly apdus: number;
  readonly seconds: number;
  readonly stoppedBy: 'duration' | 'signal';
}

/**
 * Counts what goes through `card`. APDUs exactly; batches as runs of commands within one turn of
 * the event loop: the relay agent sends a batch's commands back to back to the in-process SE (whose
 * transmit resolves at once), and batches arrive over the network, so never in the same turn.
 */
class CardCounter {
  batches = 0;
  apdus = 0;
  #inBatch = false;

  wrap(card: ApduTransport): ApduTransport {
    return {
      transmit: (command) => {
        this.apdus++;
        if (!this.#inBatch) {
          this.#inBatch = true;
          this.batches++;
          setImmediate(() => {
            this.#inBatch = false;
          });
        }
        return card.transmit(command);
      },
    };
  }
}

/** What a call to `path` is part of, for the error message. */
function phaseOf(path: string): string {
  if (path === '/healthz') return 'checking the TSM';
  if (path === '/v1/mno/batches') return 'importing the batch keys';
  if (path === '/v1/mno/secure-elements') return 'registering the SEs';
  if (path === '/v1/mno/subscriptions') return 'creating the subscriptions';
  return 'issuing the relay tokens';
}

/**
 * The MNO's client for the fleet: remembers what it was doing (for readable errors) and gives each
 * subscription an MSISDN of this fleet's own range, 3361 + 6 digits of SHA-256(prefix) + the 5-digit
 * phone number, so fleets of different prefixes (and the demo's phones) never collide.
 */
class FleetMnoClient extends TsmClient {
  phase = 'checking the TSM';
  readonly #msisdns = new Map<string, string>();

  /** Sets the MSISDN of each of `fleet`'s phones. */
  number(fleet: Fleet, prefix: string): void {
    const range = `3361${(createHash('sha256').update(prefix).digest().readUInt32BE(0) % 1_000_000).toString().padStart(6, '0')}`;
    for (const p of fleet.phones) this.#msisdns.set(p.seId, `${range}${String(p.index + 1).padStart(5, '0')}`);
  }

  override call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    this.phase = phaseOf(path);
    const seId = (body as { seId?: unknown } | undefined)?.seId;
    const msisdn = typeof seId === 'string' ? this.#msisdns.get(seId) : undefined;
    const sent = path === '/v1/mno/subscriptions' && msisdn !== undefined ? { ...(body as object), msisdn } : body;
    return super.call<T>(method, path, sent, headers);
  }
}

/** A `fetch` over node:http(s) that trusts `ca` (the global fetch cannot be given a CA at run time without undici). */
export function fetchTrusting(ca: string): { readonly fetch: typeof fetch; close(): void } {
  const agent = new HttpsAgent({ ca, keepAlive: true, maxSockets: 8 });
  const MAX_BODY = 16 * 1024 * 1024;
  const f = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => new Promise<Response>((resolve, reject) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const options = { method: init.method ?? 'GET', headers, ...(init.signal === undefined || init.signal === null ? {} : { signal: init.signal }) };
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) res.destroy(new Error('response body over 16 MiB'));
        else chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode <= 599 ? res.statusCode : 502;
        const body = [204, 205, 304].includes(status) ? null : Buffer.concat(chunks);
        resolve(new Response(body, { status }));
      });
    };
    const req = url.protocol === 'https:' ? httpsRequest(url, { ...options, agent }, onResponse) : httpRequest(url, options, onResponse);
    req.on('error', reject);
    if (typeof init.body === 'string') req.end(init.body);
    else req.end();
  });
  return { fetch: f, close: () => agent.destroy() };
}

/** The network error's code (ECONNREFUSED, ENOTFOUND, a TLS one…), or undefined when `e` is no network error. */
function networkReason(e: unknown): string | undefined {
  if (e instanceof OpenTsmError || !(e instanceof Error)) return undefined;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'no answer in time';
  const failed = e.message === 'fetch failed' ? (e.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = failed?.code ?? (e as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return typeof failed?.message === 'string' ? failed.message.slice(0, 200) : undefined;
}

/** Rethrows what a call to the TSM threw, readably: unreachable, refused token, unknown KBPK. */
function explain(e: unknown, what: string, o: FleetRunOptions): never {
  const reason = networkReason(e);
  const origin = new URL(o.url).origin;
  if (reason !== undefined) {
    const tls = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i.test(reason) ? ' (a private CA? give its certificate with --ca)' : '';
    throw new TsmError('ERR_TSM_UNREACHABLE', `cannot reach the TSM at ${origin}: ${reason}${tls}`, { cause: e });
  }
  if (e instanceof TsmError && e.code === 'ERR_TSM_AUTH') throw new TsmError('ERR_TSM_AUTH', `the TSM refused the MNO token (401): check --token-file (a client of role mno: opentsm serve client add --role mno); ${e.message}`, { cause: e });
  if (e instanceof TsmError && e.code === 'ERR_TSM_FORBIDDEN') throw new TsmError('ERR_TSM_FORBIDDEN', `the token's client may not use the MNO API (403): it needs role mno; ${e.message}`, { cause: e });
  if (e instanceof TsmError && what === 'importing the batch keys') {
    throw new TsmError(e.code, `${what}: ${e.message} (--kbpk names the transport KBPK in the MNO tenant, "${o.kbpk}"; --kek-file must hold its clear counterpart)`, { cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  const exists = (e instanceof TsmError && e.code === 'ERR_TSM_CONFLICT') || /CONFLICT|ALREADY_EXISTS/.test(message) ? ' (registered already: run each fleet with a new --prefix)' : '';
  throw new TsmError(e instanceof TsmError ? e.code : 'ERR_TSM_STATE', `${what}: ${message}${exists}`, { cause: e });
}

/** Resolves after `ms`, or when `signal` aborts; which one. */
function waitFor(ms: number | undefined, signal: AbortSignal | undefined): Promise<'duration' | 'signal'> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve('signal');
    const timer = ms === undefined ? undefined : setTimeout(() => done('duration'), ms);
    const onAbort = (): void => done('signal');
    function done(why: 'duration' | 'signal'): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(why);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Checks that a TSM answers at the URL, then registers the phones with it as the MNO. */
async function register(client: FleetMnoClient, o: FleetRunOptions, say: (line: string) => void): Promise<RegisteredPhone[]> {
  try {
    await client.call('GET', '/healthz');
  } catch (e) {
    if (e instanceof TsmError && networkReason(e) === undefined) throw new TsmError('ERR_TSM_UNREACHABLE', `no TSM answers at ${new URL(o.url).origin}: ${e.message}`, { cause: e });
    explain(e, client.phase, o);
  }
  const fleet = manufactureFleet(o.phones, o.kek, o.prefix);
  client.number(fleet, o.prefix);
  say(`card factory: ${fleet.phones.length} embedded SEs ${fleet.phones[0]!.seId}..${fleet.phones.at(-1)!.seId} (payment package, PPSE, ARA-M); batch keys as TR-31 blocks under the transport KEK`);
  let lastTenth = -1;
  try {
    return await registerFleet(client, fleet, o.kbpk, (done) => {
      if (o.signal?.aborted === true) throw new TsmError('ERR_TSM_STATE', `interrupted after ${done} of ${o.phones} phones registered`);
      const tenth = Math.floor((done * 10) / o.phones);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        say(`MNO: SEs registered, subscriptions and relay tokens: ${done}/${o.phones}`);
      }
    });
  } catch (e) {
    if (e instanceof TsmError && /^interrupted/.test(e.message)) throw e;
    return explain(e, client.phase, o);
  }
}

/** Runs the fleet until `durationMs` has passed or `signal` aborts, then stops the agents; the summary. */
export async function runFleet(o: FleetRunOptions): Promise<FleetRunSummary> {
  const say = o.say ?? (() => undefined);
  const trusting = o.ca === undefined ? undefined : fetchTrusting(o.ca);
  const client = new FleetMnoClient({ baseUrl: o.url, token: o.token, ...(trusting === undefined ? {} : { fetch: trusting.fetch }) });
  const counter = new CardCounter();
  let agents: FleetAgents | undefined;
  try {
    const registered = await register(client, o, say);
    const counted = registered.map((r) => ({ ...r, phone: { ...r.phone, transport: counter.wrap(r.phone.transport) } }));
    const relay = relayUrl(o.url);
    try {
      agents = await connectAgents(o.url, counted, { ...(o.ca === undefined ? {} : { ca: o.ca }), timeoutMs: Math.max(30_000, o.phones * 20) });
    } catch (e) {
      throw new TsmError('ERR_TSM_UNREACHABLE', `the phones could not connect to the relay at ${relay}: ${e instanceof Error ? e.message : String(e)}${e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : ''}`, { cause: e });
    }
    const live = agents;
    const stats = (): FleetStats => ({ connected: live.agents.filter((a) => a.connected).length, batches: counter.batches, apdus: counter.apdus });
    say(`phones: ${live.agents.length} wallet agents connected to the relay at ${relay}; ${o.durationMs === undefined ? 'Ctrl-C to stop' : `staying ${o.durationMs / 1000} s`}`);
    const started = Date.now();
    const ticker = o.onTick === undefined ? undefined : setInterval(() => o.onTick!(stats()), o.tickMs ?? 5000);
    const stoppedBy = await waitFor(o.durationMs, o.signal);
    clearInterval(ticker);
    const end = stats();
    say(`stopping the wallet agents (${stoppedBy === 'signal' ? 'interrupted' : 'duration over'})`);
    await live.stop();
    agents = undefined;
    return {
      url: new URL(o.url).origin, relay, phones: o.phones, registered: registered.length, connected: end.connected,
      firstSeId: registered[0]!.phone.seId, lastSeId: registered.at(-1)!.phone.seId,
      batches: end.batches, apdus: end.apdus, seconds: Math.round((Date.now() - started) / 100) / 10, stoppedBy,
    };
  } finally {
    await agents?.stop();
    trusting?.close();
  }
}
