/**
 * A TEE Client API library for the rich OS (GP TEE Client API v1.0, the subset of §4.5):
 * TEEC_InitializeContext → {@link TeecContext.initialize}, TEEC_OpenSession → `openSession`,
 * TEEC_InvokeCommand → `TeecSession.invokeCommand`, TEEC_RequestCancellation →
 * `requestCancellation`, TEEC_CloseSession → `close`, TEEC_FinalizeContext → `finalize`.
 * The TEE is another process, reached over a loopback endpoint (a Unix socket path, or
 * `tcp://127.0.0.1:<port>`); frames as tee-protocol.ts. Every failure is ERR_DEVICE_TEE with the
 * TEEC_Result in `teecResult` and the origin in the message.
 */
import { connect, type Socket } from 'node:net';
import { DeviceError } from '../errors.ts';
import { TEEC_LOGIN, TEEC_MAX_MEMREF, TEEC_MAX_PARAMS, TEEC_ORIGIN, TEEC_PARAM, TEEC_RESULT, isInput, isMemrefType, isOutput, isValueType, teecResultName, type TeecLogin } from './teec.ts';
import { FrameDecoder, UUID_PATTERN, bytesWire, encodeFrame, parseResponse, wireBytes, type TeeRequest, type TeeResponse, type WireParam } from './tee-protocol.ts';

/** A value parameter (TEEC_Value): two 32-bit integers. */
export interface TeecValue {
  readonly kind: 'value';
  readonly type: typeof TEEC_PARAM.VALUE_INPUT | typeof TEEC_PARAM.VALUE_OUTPUT | typeof TEEC_PARAM.VALUE_INOUT;
  a: number;
  b: number;
}

/**
 * A temporary memory reference (TEEC_TempMemoryReference). `buffer` is what is sent (input) or
 * the space the TA may fill (output); after the call `size` is the number of bytes the TA wrote, or
 * — with TEEC_ERROR_SHORT_BUFFER — the size it needed.
 */
export interface TeecMemref {
  readonly kind: 'memref';
  readonly type: typeof TEEC_PARAM.MEMREF_TEMP_INPUT | typeof TEEC_PARAM.MEMREF_TEMP_OUTPUT | typeof TEEC_PARAM.MEMREF_TEMP_INOUT;
  buffer: Uint8Array;
  size: number;
}

export interface TeecNone {
  readonly kind: 'none';
  readonly type: typeof TEEC_PARAM.NONE;
}

export type TeecParameter = TeecValue | TeecMemref | TeecNone;

/** TEEC_NONE. */
export const teecNone = (): TeecNone => ({ kind: 'none', type: TEEC_PARAM.NONE });

/** A value parameter of `type`. */
export function teecValue(type: TeecValue['type'], a = 0, b = 0): TeecValue {
  return { kind: 'value', type, a, b };
}

/** A temporary memory reference of `type` over `buffer`. */
export function teecMemref(type: TeecMemref['type'], buffer: Uint8Array): TeecMemref {
  return { kind: 'memref', type, buffer, size: buffer.length };
}

/** TEEC_Operation: up to four parameters; one invocation at a time; cancellable while it runs. */
export class TeecOperation {
  readonly params: TeecParameter[];
  /** Set when the operation is sent; cleared when it completes. */
  #running: { readonly context: TeecContext; readonly id: number } | undefined;
  #cancelled = false;

  constructor(params: TeecParameter[] = []) {
    this.params = params;
  }

  /** @internal the in-flight request, for TEEC_RequestCancellation. */
  get running(): { readonly context: TeecContext; readonly id: number } | undefined {
    return this.#running;
  }

  /** @internal */
  start(context: TeecContext, id: number): void {
    this.#running = { context, id };
  }

  /** @internal */
  finish(): void {
    this.#running = undefined;
  }

  /** @internal cancellation asked before the operation was sent (GP §4.5.9: it must not start). */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** @internal */
  markCancelled(): void {
    this.#cancelled = true;
  }
}

function teeError(result: number, origin: number, what: string): DeviceError {
  const from = Object.entries(TEEC_ORIGIN).find(([, v]) => v === origin)?.[0] ?? String(origin);
  return new DeviceError('ERR_DEVICE_TEE', `${what}: ${teecResultName(result)} (origin ${from})`, { teecResult: result });
}

function apiError(result: number, what: string): DeviceError {
  return teeError(result, TEEC_ORIGIN.API, what);
}

function checkParams(params: readonly TeecParameter[]): WireParam[] {
  const list: readonly (TeecParameter | undefined)[] = params;
  if (!(list instanceof Array) || list.length > TEEC_MAX_PARAMS) throw apiError(TEEC_RESULT.ERROR_BAD_PARAMETERS, `operation: at most ${TEEC_MAX_PARAMS} parameters`);
  return list.map((p, i) => {
    const t = p?.type as number;
    if (p?.kind === 'none' && t === TEEC_PARAM.NONE) return { t };
    if (p?.kind === 'value' && isValueType(t)) {
      if (!isInput(t)) return { t };
      for (const n of [p.a, p.b]) if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw apiError(TEEC_RESULT.ERROR_BAD_PARAMETERS, `param ${i}: a and b are 32-bit unsigned integers`);
      return { t, a: p.a, b: p.b };
    }
    if (p?.kind === 'memref' && isMemrefType(t) && p.buffer instanceof Uint8Array) {
      if (p.buffer.length > TEEC_MAX_MEMREF) throw apiError(TEEC_RESULT.ERROR_EXCESS_DATA, `param ${i}: at most ${TEEC_MAX_MEMREF} bytes`);
      return { t, ...(isInput(t) ? { d: bytesWire(p.buffer) } : {}), ...(isOutput(t) ? { s: p.buffer.length } : {}) };
    }
    throw apiError(TEEC_RESULT.ERROR_BAD_PARAMETERS, `param ${i}: not a TEEC value or temporary memory reference`);
  });
}

/** Copies the TA's outputs back into the caller's parameters (GP §4.5.8: outputs are written on success and SHORT_BUFFER). */
function applyOutputs(params: readonly TeecParameter[], out: readonly WireParam[] | undefined, result: number): void {
  if (out === undefined) return;
  params.forEach((p, i) => {
    const w = out[i];
    if (w === undefined || w.t !== p.type || !isOutput(p.type)) return;
    if (p.kind === 'value' && result === TEEC_RESULT.SUCCESS && w.a !== undefined && w.b !== undefined) {
      p.a = w.a;
      p.b = w.b;
    } else if (p.kind === 'memref') {
      const data = wireBytes(w.d);
      if (data.length > p.buffer.length) throw apiError(TEEC_RESULT.ERROR_COMMUNICATION, `param ${i}: the TEE wrote more than the buffer holds`);
      p.buffer.set(data);
      p.size = w.d !== undefined ? data.length : (w.s ?? p.size);
    }
  });
}

type Pending = { resolve: (r: TeeResponse) => void; reject: (e: unknown) => void };

/** TEEC_Context: one connection to a TEE. */
export class TeecContext {
  readonly #socket: Socket;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed: DeviceError | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const v of decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))) {
          const response = parseResponse(v);
          const pending = this.#pending.get(response.id);
          if (pending === undefined) throw apiError(TEEC_RESULT.ERROR_COMMUNICATION, `TEE answered unknown request ${response.id}`);
          this.#pending.delete(response.id);
          pending.resolve(response);
        }
      } catch (e) {
        this.#fail(e instanceof DeviceError ? teeError(TEEC_RESULT.ERROR_COMMUNICATION, TEEC_ORIGIN.COMMS, `TEE connection: ${e.message}`) : apiError(TEEC_RESULT.ERROR_COMMUNICATION, 'TEE connection'));
        socket.destroy();
      }
    });
    socket.on('error', () => this.#fail(teeError(TEEC_RESULT.ERROR_COMMUNICATION, TEEC_ORIGIN.COMMS, 'TEE connection failed')));
    socket.on('close', () => this.#fail(teeError(TEEC_RESULT.ERROR_COMMUNICATION, TEEC_ORIGIN.COMMS, 'TEE connection closed')));
  }

  /**
   * TEEC_InitializeContext: connects to the TEE at `endpoint` (a Unix socket path, or
   * `tcp://127.0.0.1:<port>`). A TEE that is not there: TEEC_ERROR_COMMUNICATION.
   */
  static initialize(endpoint: string): Promise<TeecContext> {
    if (typeof endpoint !== 'string' || endpoint.length === 0 || endpoint.length > 256) return Promise.reject(apiError(TEEC_RESULT.ERROR_BAD_PARAMETERS, 'TEE endpoint'));
    const tcp = /^tcp:\/\/(127\.0\.0\.1|localhost|\[::1\]):(\d{1,5})$/.exec(endpoint);
    return new Promise((resolve, reject) => {
      const socket = tcp === null ? connect({ path: endpoint }) : connect({ host: tcp[1]!.replace(/^\[|\]$/g, ''), port: Number(tcp[2]) });
      socket.once('error', () => reject(teeError(TEEC_RESULT.ERROR_COMMUNICATION, TEEC_ORIGIN.COMMS, 'TEE endpoint: no TEE answers')));
      socket.once('connect', () => resolve(new TeecContext(socket)));
    });
  }

  #fail(error: DeviceError): void {
    this.#closed ??= error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }

  /** @internal sends one request and waits for its answer. */
  request(build: (id: number) => TeeRequest, operation?: TeecOperation): Promise<TeeResponse> {
    if (this.#closed !== undefined) return Promise.reject(apiError(TEEC_RESULT.ERROR_BAD_STATE, 'TEE context: finalized or disconnected'));
    const id = this.#nextId++;
    const message = build(id);
    return new Promise<TeeResponse>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      operation?.start(this, id);
      this.#socket.write(encodeFrame(message));
    }).finally(() => operation?.finish());
  }

  /** TEEC_OpenSession with the TA `uuid`; an unknown TA: TEEC_ERROR_ITEM_NOT_FOUND. */
  async openSession(uuid: string, login: TeecLogin = TEEC_LOGIN.PUBLIC): Promise<TeecSession> {
    if (typeof uuid !== 'string' || !UUID_PATTERN.test(uuid)) throw apiError(TEEC_RESULT.ERROR_BAD_PARAMETERS, 'TA UUID');
    const r = await this.request((id) => ({ op: 'open', id, uuid, login }));
    if (r.result !== TEEC_RESULT.SUCCESS) throw teeError(r.result, r.origin, 'TEEC_OpenSession');
    if (r.session === undefined) throw apiError(TEEC_RESULT.ERROR_COMMUNICATION, 'TEEC_OpenSession: no session id');
    return new TeecSession(this, r.session);
  }

  /**
   * TEEC_RequestCancellation: asks the TEE to cancel `operation` if it runs; if it has not been
   * sent yet it will not start (TEEC_ERROR_CANCEL). Returns at once; the invocation settles with
   * TEEC_ERROR_CANCEL if the TA honoured the request.
   */
  requestCancellation(operation: TeecOperation): void {
    const running = operation.running;
    if (running === undefined) {
      operation.markCancelled();
      return;
    }
    if (running.context !== this || this.#closed !== undefined) return;
    const id = this.#nextId++;
    this.#socket.write(encodeFrame({ op: 'cancel', id, target: running.id }));
  }

  /** TEEC_FinalizeContext: closes the connection (the TEE closes this context's sessions). Later calls: TEEC_ERROR_BAD_STATE. */
  async finalize(): Promise<void> {
    if (this.#closed !== undefined) return;
    this.#fail(apiError(TEEC_RESULT.ERROR_BAD_STATE, 'TEE context: finalized'));
    await new Promise<void>((resolve) => this.#socket.end(resolve));
  }
}

/** TEEC_Session: a session with one TA. */
export class TeecSession {
  readonly #context: TeecContext;
  readonly #id: number;
  #open = true;

  /** @internal use {@link TeecContext.openSession}. */
  constructor(context: TeecContext, id: number) {
    this.#context = context;
    this.#id = id;
  }

  /**
   * TEEC_InvokeCommand: runs `commandId` in the TA; output parameters are written back into
   * `operation.params`. A TA error: ERR_DEVICE_TEE with its TEEC_Result.
   */
  async invokeCommand(commandId: number, operation: TeecOperation = new TeecOperation()): Promise<void> {
    if (!this.#open) throw apiError(TEEC_RESULT.ERROR_BAD_STATE, 'TEEC_InvokeCommand: the session is closed');
    if (!Number.isInteger(commandId) || commandId < 0 || commandId > 0xffffffff) throw apiError(TEEC_RESULT.ERROR_BAD_PARAMETERS, 'command id');
    const params = checkParams(operation.params);
    if (operation.cancelled) throw apiError(TEEC_RESULT.ERROR_CANCEL, 'TEEC_InvokeCommand: cancelled before it started');
    const r = await this.#context.request((id) => ({ op: 'invoke', id, session: this.#id, cmd: commandId, params }), operation);
    applyOutputs(operation.params, r.params, r.result);
    if (r.result !== TEEC_RESULT.SUCCESS) throw teeError(r.result, r.origin, `TEEC_InvokeCommand ${commandId}`);
  }

  /** TEEC_CloseSession. Closing twice is a no-op. */
  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    try {
      await this.#context.request((id) => ({ op: 'close', id, session: this.#id }));
    } catch {
      // a finalized or lost context has no session left to close
    }
  }
}
