/**
 * The TEE side of the TEE Client API wire (runs in the TEE process, tee-process.ts): accepts
 * client connections, opens sessions on the Trusted Applications it hosts (by UUID), dispatches
 * invocations with their parameters, and cancels a running invocation on request (GP TEE Client
 * API §4.5.9: the TA sees the cancellation flag, here an AbortSignal). A client that sends a
 * hostile frame loses its connection and its sessions; nothing it sends reaches a TA unchecked.
 */
import type { Server, Socket } from 'node:net';
import { DeviceError } from '../errors.ts';
import { TEEC_MAX_MEMREF, TEEC_ORIGIN, TEEC_RESULT, isInput, isMemrefType, isOutput, isValueType, type TeecLogin } from './teec.ts';
import { FrameDecoder, bytesWire, encodeFrame, parseRequest, wireBytes, type TeeRequest, type TeeResponse, type WireParam } from './tee-protocol.ts';

/** One parameter as a TA sees it: inputs filled in; a TA sets `a`/`b` or `data` of its outputs. */
export interface TaParam {
  readonly type: number;
  a: number;
  b: number;
  data: Uint8Array;
  /** An output memref's capacity (the client's buffer length). */
  readonly capacity: number;
}

/** A session of a TA with one client (TA_OpenSessionEntryPoint … TA_CloseSessionEntryPoint). */
export interface TaSession {
  /** Runs a command; throws {@link TaError} with a TEEC_Result to fail it. `signal` aborts on cancellation. */
  invoke(command: number, params: readonly TaParam[], signal: AbortSignal): Promise<void>;
  close(): void;
}

/** A Trusted Application the TEE hosts. */
export interface TrustedApplication {
  readonly uuid: string;
  openSession(login: TeecLogin): TaSession;
}

/** A TA's refusal, with the TEEC_Result the client gets (origin TRUSTED_APP). */
export class TaError extends Error {
  readonly result: number;
  constructor(result: number, message: string) {
    super(message);
    this.name = 'TaError';
    this.result = result;
  }
}

/** Sessions one client connection may hold at once. */
const MAX_SESSIONS = 16;

function toTaParams(params: readonly WireParam[]): TaParam[] {
  return params.map((p) => ({
    type: p.t,
    a: isValueType(p.t) && isInput(p.t) ? p.a ?? 0 : 0,
    b: isValueType(p.t) && isInput(p.t) ? p.b ?? 0 : 0,
    data: isMemrefType(p.t) && isInput(p.t) ? wireBytes(p.d) : new Uint8Array(0),
    capacity: isMemrefType(p.t) ? (isOutput(p.t) ? p.s ?? 0 : TEEC_MAX_MEMREF) : 0,
  }));
}

/** The outputs for the wire; `short` when a memref output did not fit its buffer (then only its needed size goes back). */
function fromTaParams(params: readonly TaParam[]): { params: WireParam[]; short: boolean } {
  let short = false;
  const out = params.map((p): WireParam => {
    if (!isOutput(p.type)) return { t: p.type };
    if (isValueType(p.type)) return { t: p.type, a: p.a >>> 0, b: p.b >>> 0 };
    if (p.data.length > p.capacity) {
      short = true;
      return { t: p.type, s: p.data.length };
    }
    return { t: p.type, d: bytesWire(p.data) };
  });
  return { params: out, short };
}

/** One client connection: its sessions and running invocations. */
class Connection {
  readonly #sessions = new Map<number, TaSession>();
  readonly #running = new Map<number, AbortController>();
  #nextSession = 1;
  #closed = false;

  constructor(private readonly socket: Socket, private readonly tas: ReadonlyMap<string, TrustedApplication>) {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let requests: TeeRequest[];
      try {
        requests = decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)).map(parseRequest);
      } catch {
        socket.destroy(); // a hostile or broken client: no answer, no sessions
        return;
      }
      for (const r of requests) void this.#handle(r);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.#close());
  }

  #send(response: TeeResponse): void {
    if (!this.#closed) this.socket.write(encodeFrame(response));
  }

  #close(): void {
    this.#closed = true;
    for (const c of this.#running.values()) c.abort();
    for (const s of this.#sessions.values()) s.close();
    this.#sessions.clear();
  }

  async #handle(r: TeeRequest): Promise<void> {
    switch (r.op) {
      case 'open': return this.#open(r);
      case 'invoke': return this.#invoke(r);
      case 'cancel':
        this.#running.get(r.target)?.abort();
        return;
      case 'close': {
        this.#sessions.get(r.session)?.close();
        this.#sessions.delete(r.session);
        this.#send({ id: r.id, result: TEEC_RESULT.SUCCESS, origin: TEEC_ORIGIN.TEE });
      }
    }
  }

  #open(r: Extract<TeeRequest, { op: 'open' }>): void {
    const ta = this.tas.get(r.uuid);
    if (ta === undefined) return this.#send({ id: r.id, result: TEEC_RESULT.ERROR_ITEM_NOT_FOUND, origin: TEEC_ORIGIN.TEE });
    if (this.#sessions.size >= MAX_SESSIONS) return this.#send({ id: r.id, result: TEEC_RESULT.ERROR_OUT_OF_MEMORY, origin: TEEC_ORIGIN.TEE });
    try {
      const session = ta.openSession(r.login);
      const id = this.#nextSession++;
      this.#sessions.set(id, session);
      this.#send({ id: r.id, result: TEEC_RESULT.SUCCESS, origin: TEEC_ORIGIN.TRUSTED_APP, session: id });
    } catch (e) {
      this.#send({ id: r.id, result: e instanceof TaError ? e.result : TEEC_RESULT.ERROR_GENERIC, origin: TEEC_ORIGIN.TRUSTED_APP });
    }
  }

  async #invoke(r: Extract<TeeRequest, { op: 'invoke' }>): Promise<void> {
    const session = this.#sessions.get(r.session);
    if (session === undefined) return this.#send({ id: r.id, result: TEEC_RESULT.ERROR_BAD_STATE, origin: TEEC_ORIGIN.TEE });
    const controller = new AbortController();
    this.#running.set(r.id, controller);
    const params = toTaParams(r.params);
    try {
      await session.invoke(r.cmd, params, controller.signal);
      const out = fromTaParams(params);
      this.#send({ id: r.id, result: out.short ? TEEC_RESULT.ERROR_SHORT_BUFFER : TEEC_RESULT.SUCCESS, origin: TEEC_ORIGIN.TRUSTED_APP, params: out.params });
    } catch (e) {
      const result = e instanceof TaError ? e.result : e instanceof DeviceError && e.teecResult !== undefined ? e.teecResult : TEEC_RESULT.ERROR_GENERIC;
      this.#send({ id: r.id, result, origin: TEEC_ORIGIN.TRUSTED_APP });
    } finally {
      this.#running.delete(r.id);
      for (const p of params) p.data.fill(0);
    }
  }
}

/** Serves the TEE Client API on `server` for the TAs given (keyed by UUID). */
export function serveTee(server: Server, tas: readonly TrustedApplication[]): void {
  const byUuid = new Map(tas.map((ta) => [ta.uuid, ta]));
  server.maxConnections = 32;
  server.on('connection', (socket) => new Connection(socket, byUuid));
}
