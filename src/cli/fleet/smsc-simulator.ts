/**
 * An SMSC simulator for the fleet and the tests (docs/sms-bearer.md): an SMPP 3.4 server on
 * 127.0.0.1 that binds ESMEs with configured credentials, takes submit_sm, hands each message's
 * TP-UD to the handset registered for its destination after a delay — with seeded loss and
 * duplication — and sends the handset's reply (an MO SMS-SUBMIT's TP-UD, the PoR) back to the ESME
 * as deliver_sm. A test's `intercept` hook sees every message both ways and may lose, duplicate,
 * rewrite, hold back or replay it (fault injection). Queues are bounded (a full queue answers
 * ESME_RMSGQFUL); close() stops everything.
 */
import type { AddressInfo } from 'node:net';
import smpp, { type Pdu, type Session, type Server } from 'smpp';
import { parseUserData, type InformationElement } from '../../ota/index.ts';
import { ESM_CLASS, SMPP_STATUS, shortMessageOctets } from '../../tsm/index.ts';

/**
 * A virtual handset: gets a message's TP-UD and its header elements, answers with reply TP-UD,
 * several (a PoR's concatenated parts, each sent as its own MO message in order) or nothing.
 */
export type HandsetHandler = (msisdn: string, userData: Uint8Array, udh: readonly InformationElement[]) => Promise<Uint8Array | readonly Uint8Array[] | undefined>;

/** What happens to one submit_sm (by arrival order, 0-based) regardless of the rates. */
export type SmscFault = 'lose' | 'duplicate';

/** One message passing through the simulator, as the `intercept` hook sees it. */
export interface SmscMessage {
  /** `mt`: a submit_sm's TP-UD on its way to the handset; `mo`: the handset's reply on its way to the ESME. */
  readonly direction: 'mt' | 'mo';
  /** Its number in its direction from 0 (for `mt`, the submit_sm number the `faults` map uses). */
  readonly index: number;
  /** The handset's MSISDN (destination of an `mt`, source of an `mo`). */
  readonly msisdn: string;
  /** A copy of its TP-UD. */
  readonly userData: Uint8Array;
}

/**
 * A fault hook: the TP-UDs to send in the message's place, in order — `[]` loses it, two copies
 * duplicate it, other bytes rewrite it, an earlier message's bytes replay it; undefined: the
 * message goes on as usual (`faults`, then the rates). A hook that throws is counted in
 * `handlerErrors` and the message goes on as usual.
 */
export type SmscIntercept = (message: SmscMessage) => readonly Uint8Array[] | undefined;

/** Simulator settings. */
export interface SmscSimulatorOptions {
  readonly systemId: string;
  readonly password: string;
  /** Listening port on 127.0.0.1 (default 0: any free port). */
  readonly port?: number;
  /** Delay before a message reaches the handset (default 0 ms). */
  readonly delayMs?: number;
  /** Probability a message is lost / delivered twice (default 0), drawn from a seeded generator. */
  readonly lossRate?: number;
  readonly duplicateRate?: number;
  readonly seed?: number;
  /** Faults for given submit_sm numbers, overriding the rates. */
  readonly faults?: ReadonlyMap<number, SmscFault>;
  /** Messages accepted but not yet handed to a handset, at most (default 256). */
  readonly maxQueue?: number;
  /** Sees every message both ways before the faults and rates apply (fault injection in tests). */
  readonly intercept?: SmscIntercept;
}

/** Counters of what the simulator did. */
export interface SmscStats {
  submitted: number;
  delivered: number;
  lost: number;
  duplicated: number;
  queueFull: number;
  undeliverable: number;
  replies: number;
  handlerErrors: number;
  bindsRefused: number;
  /** Messages (either way) the `intercept` hook replaced. */
  intercepted: number;
}

interface Delivery {
  readonly session: Session;
  readonly msisdn: string;
  readonly esmeAddress: string;
  readonly userData: Uint8Array;
  readonly udhi: boolean;
  readonly messageId: string;
  readonly receipt: boolean;
}

/** mulberry32: a small seeded generator, enough for reproducible faults. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The simulator; start with `SmscSimulator.start(options)`. */
export class SmscSimulator {
  readonly #o: SmscSimulatorOptions;
  readonly #server: Server;
  readonly #random: () => number;
  readonly #handsets = new Map<string, HandsetHandler>();
  readonly #queues = new Map<string, Delivery[]>();
  readonly #busy = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #bound = new Set<Session>();
  #inFlight = 0;
  #nextId = 1;
  #replyIndex = 0;
  #closed = false;
  readonly stats: SmscStats = { submitted: 0, delivered: 0, lost: 0, duplicated: 0, queueFull: 0, undeliverable: 0, replies: 0, handlerErrors: 0, bindsRefused: 0, intercepted: 0 };

  private constructor(options: SmscSimulatorOptions) {
    this.#o = options;
    this.#random = seeded(options.seed ?? 1);
    this.#server = smpp.createServer({}, (session) => this.#onSession(session));
  }

  /** Starts listening on 127.0.0.1. */
  static async start(options: SmscSimulatorOptions): Promise<SmscSimulator> {
    const sim = new SmscSimulator(options);
    await new Promise<void>((resolve, reject) => {
      sim.#server.once('error', reject);
      sim.#server.listen(options.port ?? 0, '127.0.0.1', () => (sim.#server.off('error', reject), resolve()));
    });
    return sim;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Routes messages for `msisdn` to `handler` (replacing any earlier one). */
  registerHandset(msisdn: string, handler: HandsetHandler): void {
    this.#handsets.set(msisdn, handler);
  }

  /** Stops routing to `msisdn`: later messages are undeliverable. */
  unregisterHandset(msisdn: string): void {
    this.#handsets.delete(msisdn);
  }

  /** Stops listening, drops queued messages and timers, closes every session. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#queues.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of [...this.#server.sessions]) s.destroy();
    await closed;
  }

  #onSession(session: Session): void {
    session.on('error', () => undefined); // a reset peer closes the session; nothing to report
    session.on('close', () => this.#bound.delete(session));
    session.on('bind_transceiver', (pdu: Pdu) => this.#onBind(session, pdu));
    session.on('enquire_link', (pdu: Pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu: Pdu) => {
      this.#bound.delete(session);
      session.send(pdu.response());
      session.close();
    });
    session.on('submit_sm', (pdu: Pdu) => this.#onSubmit(session, pdu));
  }

  #onBind(session: Session, pdu: Pdu): void {
    // SMPP 3.4 §4.1.5: a wrong system_id or password is refused and the ESME stays unbound.
    const status = pdu.system_id !== this.#o.systemId ? SMPP_STATUS.ESME_RINVSYSID : pdu.password !== this.#o.password ? SMPP_STATUS.ESME_RINVPASWD : SMPP_STATUS.ESME_ROK;
    if (status !== SMPP_STATUS.ESME_ROK) {
      this.stats.bindsRefused++;
      session.send(pdu.response({ command_status: status }), () => session.close());
      return;
    }
    this.#bound.add(session);
    session.send(pdu.response({ system_id: 'opentsm-smsc' }));
  }

  #onSubmit(session: Session, pdu: Pdu): void {
    if (!this.#bound.has(session)) {
      session.send(pdu.response({ command_status: 0x04 })); // ESME_RINVBNDSTS
      return;
    }
    if (this.#inFlight >= (this.#o.maxQueue ?? 256)) {
      this.stats.queueFull++;
      session.send(pdu.response({ command_status: SMPP_STATUS.ESME_RMSGQFUL }));
      return;
    }
    const index = this.stats.submitted++;
    const messageId = (this.#nextId++).toString(16).padStart(8, '0');
    session.send(pdu.response({ message_id: messageId }));
    const esm = pdu.esm_class ?? 0;
    const delivery: Delivery = {
      session,
      msisdn: pdu.destination_addr ?? '',
      esmeAddress: pdu.source_addr ?? '',
      userData: shortMessageOctets(pdu.short_message),
      udhi: (esm & ESM_CLASS.UDHI) !== 0,
      messageId,
      receipt: ((pdu.registered_delivery ?? 0) & 0x03) !== 0,
    };
    const replaced = this.#intercept({ direction: 'mt', index, msisdn: delivery.msisdn, userData: delivery.userData });
    if (replaced !== undefined) {
      for (const userData of replaced) this.#schedule({ ...delivery, userData });
      return;
    }
    const fault = this.#o.faults?.get(index) ?? (this.#random() < (this.#o.lossRate ?? 0) ? 'lose' : this.#random() < (this.#o.duplicateRate ?? 0) ? 'duplicate' : undefined);
    if (fault === 'lose') {
      this.stats.lost++;
      return;
    }
    this.#schedule(delivery);
    if (fault === 'duplicate') {
      this.stats.duplicated++;
      this.#schedule(delivery);
    }
  }

  #schedule(d: Delivery): void {
    this.#inFlight++;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#inFlight--;
      const queue = this.#queues.get(d.msisdn) ?? [];
      queue.push(d);
      this.#queues.set(d.msisdn, queue);
      void this.#pump(d.msisdn);
    }, this.#o.delayMs ?? 0);
    this.#timers.add(timer);
  }

  /** Hands a handset its messages one at a time, in order. */
  async #pump(msisdn: string): Promise<void> {
    if (this.#busy.has(msisdn)) return;
    this.#busy.add(msisdn);
    try {
      for (let d = this.#queues.get(msisdn)?.shift(); d !== undefined && !this.#closed; d = this.#queues.get(msisdn)?.shift()) await this.#deliver(d);
    } finally {
      this.#busy.delete(msisdn);
      if (this.#queues.get(msisdn)?.length === 0) this.#queues.delete(msisdn);
    }
  }

  async #deliver(d: Delivery): Promise<void> {
    const handler = this.#handsets.get(d.msisdn);
    if (handler === undefined) {
      this.stats.undeliverable++;
      this.#receipt(d, 'UNDELIV');
      return;
    }
    let udh: readonly InformationElement[] = [];
    try {
      if (d.udhi) udh = parseUserData(d.userData).elements;
    } catch {
      // a malformed header still reaches the handset, which refuses it
    }
    this.stats.delivered++;
    this.#receipt(d, 'DELIVRD');
    let reply: Uint8Array | readonly Uint8Array[] | undefined;
    try {
      reply = await handler(d.msisdn, d.userData, udh);
    } catch {
      this.stats.handlerErrors++;
      return;
    }
    if (reply === undefined || this.#closed) return;
    const parts = reply instanceof Uint8Array ? [reply] : reply;
    const replies: Uint8Array[] = [];
    for (const part of parts) {
      this.stats.replies++;
      replies.push(...(this.#intercept({ direction: 'mo', index: this.#replyIndex++, msisdn: d.msisdn, userData: part }) ?? [part]));
    }
    // TS 31.115 §6: the Response Packet goes back in an SMS-SUBMIT with TP-UDHI set (IEI 71); a long one in parts.
    for (const userData of replies) {
      this.#target(d.session)?.deliver_sm({
        source_addr: d.msisdn,
        destination_addr: d.esmeAddress,
        esm_class: ESM_CLASS.UDHI,
        protocol_id: 0x7f,
        data_coding: 0xf6,
        short_message: Buffer.from(userData),
      });
    }
  }

  /** The hook's replacement for a message (copies), or undefined: as usual. */
  #intercept(message: SmscMessage): Uint8Array[] | undefined {
    const hook = this.#o.intercept;
    if (hook === undefined) return undefined;
    let replaced;
    try {
      replaced = hook({ ...message, userData: message.userData.slice() });
    } catch {
      this.stats.handlerErrors++;
      return undefined;
    }
    if (replaced === undefined) return undefined;
    this.stats.intercepted++;
    return replaced.map((ud) => Uint8Array.from(ud));
  }

  /** SMPP 3.4 Appendix B: the receipt text; receipted_message_id carries the id too. */
  #receipt(d: Delivery, state: 'DELIVRD' | 'UNDELIV'): void {
    if (!d.receipt || this.#closed) return;
    this.#target(d.session)?.deliver_sm({
      source_addr: d.msisdn,
      destination_addr: d.esmeAddress,
      esm_class: ESM_CLASS.MC_DELIVERY_RECEIPT,
      receipted_message_id: d.messageId,
      message_state: state === 'DELIVRD' ? 2 : 5,
      short_message: `id:${d.messageId} sub:001 dlvrd:${state === 'DELIVRD' ? '001' : '000'} stat:${state} err:000`,
    });
  }

  /** The session that submitted, or another bound one if it went away. */
  #target(session: Session): Session | undefined {
    if (this.#bound.has(session)) return session;
    return this.#bound.values().next().value;
  }
}
