/**
 * The TSM's SMS bearer (docs/sms-bearer.md): an ESME bound as a transceiver to an operator's SMSC
 * over SMPP 3.4. It submits an SCP80 secured command packet (secured whole first, then split per
 * 3GPP TS 31.115 §4 / TS 23.040 §9.2.3.24.1) as one or more submit_sm, and receives the SE's answer
 * (the PoR, an MO SMS-SUBMIT's user data) and delivery receipts as deliver_sm. Keepalive with
 * enquire_link, reconnection with exponential backoff. Every failure is a TsmError; no MSISDN,
 * password or packet byte appears in a message.
 */
import { EventEmitter } from 'node:events';
import smpp, { type Pdu, type ResponseCallback, type Session } from 'smpp';
import { DCS_8BIT_CLASS_2, PID_DATA_DOWNLOAD, splitCommandPacket } from '../../ota/index.ts';
import { TsmError } from '../errors.ts';
import { MoReassembly } from './mo-reassembly.ts';
import { ESM_CLASS, SMPP_STATUS, shortMessageOctets, shortMessageText, smppStatusName } from './short-message.ts';

/** Where and how to bind; `password` is never logged nor put in an error. */
export interface SmppBearerOptions {
  readonly host: string;
  readonly port: number;
  readonly systemId: string;
  readonly password: string;
  /** The TSM's originating address (source_addr of every submit_sm). */
  readonly sourceAddress: string;
  /** Wait for bind_transceiver_resp, submit_sm_resp, enquire_link_resp (default 5000 ms). */
  readonly responseTimeoutMs?: number;
  /** enquire_link period while bound (SMPP 3.4 §4.11; default 30000 ms). */
  readonly enquireLinkMs?: number;
  /** Rebind after a lost session: delay initialMs·2^n up to maxMs; false: never (default 200 / 10000). */
  readonly reconnect?: false | { readonly initialMs: number; readonly maxMs: number };
  /** Concatenation reference width (default 8). */
  readonly referenceBits?: 8 | 16;
  /** Ask the SMSC for a delivery receipt per part (registered_delivery 1). */
  readonly deliveryReceipts?: boolean;
}

/** The bearer's connection state. */
export type SmppBearerState = 'idle' | 'connecting' | 'bound' | 'reconnecting' | 'failed' | 'closed';

/** An SMS from the SE (an MO SMS-SUBMIT, delivered as deliver_sm): its TP-UD with the header if UDHI. */
export interface MoSms {
  readonly kind: 'sms-mo';
  readonly msisdn: string;
  readonly userData: Uint8Array;
  readonly udhi: boolean;
}

/** A delivery receipt for one submitted part (SMPP 3.4 Appendix B). */
export interface DeliveryReceipt {
  readonly kind: 'sms-receipt';
  readonly msisdn: string;
  readonly messageId: string;
  /** DELIVRD, UNDELIV, EXPIRED, … as the SMSC wrote it ('' if absent). */
  readonly state: string;
}

/** What submit() sent: one message id per part, in order. */
export interface SmsSubmitted {
  readonly kind: 'sms-submitted';
  readonly reference: number;
  readonly parts: number;
  readonly messageIds: readonly string[];
}

/** The bearer's events. */
export interface SmppBearerEvents {
  mo: [MoSms];
  receipt: [DeliveryReceipt];
  state: [SmppBearerState];
}

interface MoWaiter {
  readonly resolve: (mo: MoSms) => void;
  readonly reject: (e: TsmError) => void;
}

const MSISDN = /^\+?[0-9]{3,20}$/;

function unreachable(message: string, cause?: unknown): TsmError {
  return new TsmError('ERR_TSM_UNREACHABLE', `SMS bearer: ${message}`, cause === undefined ? undefined : { cause });
}

function socketCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : 'connection error';
}

/**
 * One SMPP transceiver session to one SMSC.
 * @example
 * const bearer = new SmppBearer({ host: '127.0.0.1', port, systemId: 'tsm', password, sourceAddress: '12345' });
 * await bearer.connect();
 * const { reply } = await bearer.exchange(msisdn, securedPacket, { timeoutMs: 30_000 });
 */
export class SmppBearer extends EventEmitter<SmppBearerEvents> {
  readonly #o: SmppBearerOptions;
  readonly #timeoutMs: number;
  #session: Session | undefined;
  #state: SmppBearerState = 'idle';
  #reference = 0;
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #keepalive: NodeJS.Timeout | undefined;
  readonly #pending = new Set<(e: TsmError) => void>();
  readonly #waiters = new Map<string, MoWaiter[]>();
  readonly #moParts = new MoReassembly();

  constructor(options: SmppBearerOptions) {
    super();
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 0xffff) throw new TsmError('ERR_TSM_CONFIG', 'SMS bearer: port must be 1..65535');
    if (options.systemId.length === 0 || options.systemId.length > 15) throw new TsmError('ERR_TSM_CONFIG', 'SMS bearer: system_id must be 1..15 characters (SMPP 3.4 §4.1.5)');
    if (options.password.length > 8) throw new TsmError('ERR_TSM_CONFIG', 'SMS bearer: password must be at most 8 characters (SMPP 3.4 §4.1.5)');
    this.#o = options;
    this.#timeoutMs = options.responseTimeoutMs ?? 5000;
  }

  /** The connection state. */
  get state(): SmppBearerState {
    return this.#state;
  }

  /** Connects and binds once; ERR_TSM_UNREACHABLE when the SMSC is down, ERR_TSM_CONFIG when it refuses the bind. */
  async connect(): Promise<void> {
    if (this.#state === 'closed') throw new TsmError('ERR_TSM_STATE', 'SMS bearer: closed');
    if (this.#state === 'bound') return;
    this.#setState('connecting');
    try {
      this.#attach(await this.#bind());
    } catch (e) {
      this.#setState(e instanceof TsmError && e.code === 'ERR_TSM_CONFIG' ? 'failed' : 'idle');
      throw e;
    }
  }

  /**
   * Submits a secured command packet to `msisdn`: one submit_sm per part, each with esm_class UDHI,
   * protocol_id 7F and data_coding F6 (docs/sms-bearer.md); resolves with the SMSC's message ids.
   */
  async submit(msisdn: string, packet: Uint8Array): Promise<SmsSubmitted> {
    if (!MSISDN.test(msisdn)) throw new TsmError('ERR_TSM_REQUEST', 'SMS bearer: msisdn must be 3..20 digits with an optional +');
    const bits = this.#o.referenceBits ?? 8;
    this.#reference = (this.#reference + 1) % (bits === 16 ? 0x10000 : 0x100);
    const reference = this.#reference;
    let parts: Uint8Array[];
    try {
      parts = splitCommandPacket(packet, { reference, referenceBits: bits });
    } catch (e) {
      throw new TsmError('ERR_TSM_REQUEST', 'SMS bearer: the secured packet does not fit the SMS concatenation limits', { cause: e });
    }
    const session = this.#session;
    if (session === undefined) throw unreachable(`not bound to the SMSC (${this.#state})`);
    const answers = await Promise.all(
      parts.map((ud) =>
        this.#call('submit_sm', (cb) =>
          session.submit_sm(
            {
              source_addr: this.#o.sourceAddress,
              destination_addr: msisdn,
              esm_class: ESM_CLASS.UDHI,
              protocol_id: PID_DATA_DOWNLOAD,
              data_coding: DCS_8BIT_CLASS_2,
              registered_delivery: this.#o.deliveryReceipts === true ? 1 : 0,
              short_message: Buffer.from(ud),
            },
            cb,
          ),
        ),
      ),
    );
    const refused = answers.find((p) => p.command_status !== SMPP_STATUS.ESME_ROK);
    if (refused !== undefined) {
      const why = smppStatusName(refused.command_status);
      if (refused.command_status === SMPP_STATUS.ESME_RINVDSTADR) throw new TsmError('ERR_TSM_REQUEST', `SMS bearer: the SMSC refused the destination address (${why})`);
      throw unreachable(`the SMSC refused submit_sm (${why})`);
    }
    return Object.freeze({ kind: 'sms-submitted', reference, parts: parts.length, messageIds: Object.freeze(answers.map((p) => p.message_id ?? '')) });
  }

  /** The next SMS from `msisdn`; ERR_TSM_UNREACHABLE after `timeoutMs`, the abort reason on abort. */
  waitForMo(msisdn: string, options: { readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<MoSms> {
    return new Promise((resolve, reject) => {
      const list = this.#waiters.get(msisdn) ?? [];
      const remove = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const i = list.indexOf(waiter);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0 && this.#waiters.get(msisdn) === list) this.#waiters.delete(msisdn);
      };
      const waiter: MoWaiter = { resolve: (mo) => (remove(), resolve(mo)), reject: (e) => (remove(), reject(e)) };
      const onAbort = (): void => (remove(), reject(options.signal?.reason instanceof Error ? options.signal.reason : unreachable('wait aborted')));
      const timer = setTimeout(() => (remove(), reject(unreachable(`no reply from the SE within ${options.timeoutMs} ms`))), options.timeoutMs);
      if (options.signal?.aborted === true) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      list.push(waiter);
      this.#waiters.set(msisdn, list);
    });
  }

  /**
   * Submits `packet` and waits for the next SMS from the same MSISDN (the PoR user data). A late PoR
   * of an earlier packet can be that SMS: the caller checks TAR and counter (openResponsePacket).
   * With `accept`, each SMS from the MSISDN after the submit is offered to it in arrival order and
   * one it answers false to is passed over (a stray PoR: late, duplicated or of a replayed packet):
   * the wait goes on to the same deadline; an `accept` that throws ends the exchange with its error.
   */
  async exchange(
    msisdn: string,
    packet: Uint8Array,
    options: { readonly timeoutMs: number; readonly accept?: (reply: MoSms) => boolean | Promise<boolean> },
  ): Promise<{ readonly submitted: SmsSubmitted; readonly reply: MoSms }> {
    const abort = new AbortController();
    const accept = options.accept;
    const reply = accept === undefined ? this.waitForMo(msisdn, { timeoutMs: options.timeoutMs, signal: abort.signal }) : this.#firstAccepted(msisdn, accept, options.timeoutMs, abort.signal);
    reply.catch(() => undefined); // observed below; a failed submit aborts it first
    try {
      const submitted = await this.submit(msisdn, packet);
      return { submitted, reply: await reply };
    } catch (e) {
      abort.abort(e);
      throw e;
    }
  }

  /** The first SMS from `msisdn` that `accept` takes, within `timeoutMs`; none is missed while `accept` runs. */
  async #firstAccepted(msisdn: string, accept: (reply: MoSms) => boolean | Promise<boolean>, timeoutMs: number, signal: AbortSignal): Promise<MoSms> {
    const deadline = Date.now() + timeoutMs;
    const queue: MoSms[] = [];
    let wake: (() => void) | undefined;
    const onMo = (mo: MoSms): void => {
      if (mo.msisdn !== msisdn) return;
      queue.push(mo);
      wake?.();
    };
    const onState = (state: SmppBearerState): void => void (state === 'closed' && wake?.());
    this.on('mo', onMo);
    this.on('state', onState);
    try {
      for (;;) {
        let mo = queue.shift();
        while (mo === undefined) {
          if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : unreachable('wait aborted');
          if (this.#state === 'closed') throw new TsmError('ERR_TSM_STATE', 'SMS bearer: closed');
          const left = deadline - Date.now();
          if (left <= 0) throw unreachable(`no reply from the SE within ${timeoutMs} ms`);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, left);
            function done(): void {
              clearTimeout(timer);
              signal.removeEventListener('abort', done);
              wake = undefined;
              resolve();
            }
            wake = done;
            signal.addEventListener('abort', done, { once: true });
          });
          mo = queue.shift();
        }
        if (await accept(mo)) return mo;
      }
    } finally {
      this.off('mo', onMo);
      this.off('state', onState);
    }
  }

  /** Unbinds, closes the socket, stops timers; waiters and pending requests fail with ERR_TSM_STATE. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    clearTimeout(this.#retryTimer);
    this.#stopKeepalive();
    const closed = new TsmError('ERR_TSM_STATE', 'SMS bearer: closed');
    for (const reject of [...this.#pending]) reject(closed);
    for (const waiter of [...this.#waiters.values()].flat()) waiter.reject(closed);
    const session = this.#session;
    this.#session = undefined;
    if (session === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => session.destroy(), Math.min(this.#timeoutMs, 1000));
      session.socket.once('close', () => (clearTimeout(timer), resolve()));
      if (!session.unbind({}, () => session.close())) session.destroy();
    });
  }

  #setState(state: SmppBearerState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }

  /** One TCP connect and bind_transceiver (SMPP 3.4 §4.1.5). */
  #bind(): Promise<Session> {
    return new Promise((resolve, reject) => {
      const session = smpp.connect({ host: this.#o.host, port: this.#o.port });
      let settled = false;
      const fail = (e: TsmError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        session.destroy();
        reject(e);
      };
      const timer = setTimeout(() => fail(unreachable(`no bind_transceiver_resp within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      session.on('error', (e: unknown) => fail(unreachable(`cannot reach the SMSC (${socketCode(e)})`, e)));
      session.on('close', () => fail(unreachable('the SMSC closed the connection before the bind completed')));
      session.on('connect', () => {
        // interface_version 0x34: this ESME speaks SMPP 3.4 (§4.1.5; the library's default is 0x50).
        session.bind_transceiver({ system_id: this.#o.systemId, password: this.#o.password, interface_version: 0x34 }, (pdu) => {
          if (pdu.command_status !== SMPP_STATUS.ESME_ROK) {
            fail(new TsmError('ERR_TSM_CONFIG', `SMS bearer: the SMSC refused bind_transceiver (${smppStatusName(pdu.command_status)}); check the SMPP system id and password`));
            return;
          }
          settled = true;
          clearTimeout(timer);
          resolve(session);
        });
      });
    });
  }

  #attach(session: Session): void {
    if (this.#state === 'closed') {
      session.destroy();
      return;
    }
    this.#session = session;
    this.#attempt = 0;
    session.on('deliver_sm', (pdu: Pdu) => {
      session.send(pdu.response());
      this.#onDeliver(pdu);
    });
    session.on('enquire_link', (pdu: Pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu: Pdu) => (session.send(pdu.response()), session.close()));
    session.on('close', () => this.#lost(session));
    this.#startKeepalive(session);
    this.#setState('bound');
  }

  #onDeliver(pdu: Pdu): void {
    const esm = pdu.esm_class ?? 0;
    const msisdn = pdu.source_addr ?? '';
    if ((esm & ESM_CLASS.TYPE_MASK) === ESM_CLASS.MC_DELIVERY_RECEIPT) {
      const text = shortMessageText(pdu.short_message);
      const messageId = pdu.receipted_message_id ?? /id:(\S+)/.exec(text)?.[1] ?? '';
      this.emit('receipt', Object.freeze({ kind: 'sms-receipt', msisdn, messageId, state: /stat:(\w+)/.exec(text)?.[1] ?? '' }));
      return;
    }
    const part: MoSms = Object.freeze({ kind: 'sms-mo', msisdn, userData: shortMessageOctets(pdu.short_message), udhi: (esm & ESM_CLASS.UDHI) !== 0 });
    // a PoR longer than one SMS comes in concatenated parts: passed on whole (02 71 00 | packet)
    const mo = this.#moParts.add(part);
    if (mo === undefined) return;
    this.#waiters.get(msisdn)?.[0]?.resolve(mo);
    this.emit('mo', mo);
  }

  /** A request and its response by sequence number; ERR_TSM_UNREACHABLE on timeout or a lost session. */
  #call(what: string, send: (cb: ResponseCallback) => boolean): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#pending.delete(fail);
      };
      const fail = (e: TsmError): void => (done(), reject(e));
      const timer = setTimeout(() => fail(unreachable(`no ${what}_resp within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      this.#pending.add(fail);
      if (!send((pdu) => (done(), resolve(pdu)))) fail(unreachable('the SMSC connection is not writable'));
    });
  }

  #startKeepalive(session: Session): void {
    const period = this.#o.enquireLinkMs ?? 30_000;
    this.#keepalive = setInterval(() => {
      this.#call('enquire_link', (cb) => session.enquire_link({}, cb)).catch(() => session.destroy());
    }, period);
    this.#keepalive.unref();
  }

  #stopKeepalive(): void {
    clearInterval(this.#keepalive);
    this.#keepalive = undefined;
  }

  #lost(session: Session): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    this.#stopKeepalive();
    const lost = unreachable('the SMSC session was lost');
    for (const reject of [...this.#pending]) reject(lost);
    if (this.#state === 'closed') return;
    if (this.#o.reconnect === false) {
      this.#setState('idle');
      return;
    }
    this.#setState('reconnecting');
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    const { initialMs, maxMs } = this.#o.reconnect === false || this.#o.reconnect === undefined ? { initialMs: 200, maxMs: 10_000 } : this.#o.reconnect;
    const delay = Math.min(maxMs, initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    this.#retryTimer = setTimeout(() => {
      if (this.#state !== 'reconnecting') return;
      this.#bind().then(
        (s) => this.#attach(s),
        (e: unknown) => {
          if (this.#state !== 'reconnecting') return;
          if (e instanceof TsmError && e.code === 'ERR_TSM_CONFIG') this.#setState('failed');
          else this.#scheduleRetry();
        },
      );
    }, delay);
  }
}
