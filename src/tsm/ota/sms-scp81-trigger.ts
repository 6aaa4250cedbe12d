/**
 * The SMS that wakes an SE's SCP81 admin agent (docs/ota.md "The TSM side"; docs/scp81.md): an
 * {@link Scp81Trigger} that seals the admin session trigger command (the PUSH of ETSI TS 102 226
 * §9.2, addressed to the SCP81 bearer's host, port and admin URI) in an SCP80 command packet
 * (ETSI TS 102 225) to the SE's ISD TAR, and submits it through the SMS bearer.
 *
 * Per SE an injected resolver gives the MSISDN, the host keys (in the HSM: hsmOtaHostKeys), the
 * KIc/KID bytes and optionally SPI and TAR. The counter comes from the store (nextOtaCounter): every
 * trigger uses a fresh, higher value, across restarts and processes, also when one is retried. When
 * the SPI asks for a PoR the trigger waits for it and checks it (status 00, trigger SW 9000).
 *
 * Faults (docs/ota.md "Faults"): a PoR that verifies but answers another packet (a late one, a
 * duplicate, the PoR 02 of a replayed packet) is passed over and the wait goes on; a PoR that does
 * not verify or reports an error is ERR_TSM_STATE; no PoR in time is ERR_TSM_UNREACHABLE. With
 * `attempts` above 1, a trigger whose PoR did not come is sent again with a fresh counter — only
 * while the SE has not become reachable (the attached bearer's onReachable) since the first one,
 * so a card that did run a trigger whose PoR was lost is not asked for a second session.
 */
import { toHex } from '../../bytes/index.ts';
import {
  adminTrigger,
  buildAdminTriggerCommand,
  encodeCommandScript,
  encodeKeyId,
  openResponsePacket,
  parseKeyId,
  parseResponseScript,
  sealCommandPacket,
  spi as makeSpi,
  type OtaHostKeys,
  type ResponsePacket,
  type Spi,
} from '../../ota/index.ts';
import { nextOtaCounter, type StoreDb } from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import type { Scp81Trigger } from './scp81-bearer.ts';
import type { MoSms, SmppBearer, SmsSubmitted } from './smpp-bearer.ts';

/** What the TSM knows about one SE's SMS side. */
export interface SmsScp81Target {
  /** The SE's MSISDN (3..20 digits). */
  readonly msisdn: string;
  readonly hostKeys: OtaHostKeys;
  /** KIc and KID bytes (TS 102 225 §5.1.2/§5.1.3), e.g. 0x12 = key 1, AES. */
  readonly kic: number;
  readonly kid: number;
  /** Default {@link DEFAULT_TRIGGER_SPI}: CC, ciphered, counter higher, PoR required (CC, ciphered, via SMS-SUBMIT). */
  readonly spi?: Spi;
  /** Default 000000, the ISD (ETSI TS 101 220 Annex D). */
  readonly tar?: Uint8Array;
  /** The counter's key set name in the store; default `kic-XX/kid-XX` of the key bytes. */
  readonly keySet?: string;
  /** The agent id the trigger carries (optional; the card uses its own otherwise). */
  readonly agentId?: string;
}

/** Where agents connect: the SCP81 bearer's address (or the public name in front of it). */
export interface Scp81Address {
  readonly host: string;
  readonly port: number;
  readonly adminUri: string;
}

export interface SmsScp81TriggerOptions {
  /** The store the counters live in. */
  readonly db: StoreDb;
  /** The SMS bearer (bound, or bound before the first trigger). */
  readonly sms: Pick<SmppBearer, 'submit' | 'exchange'>;
  /** The SE's SMS side; undefined: ERR_TSM_NOT_FOUND. */
  readonly resolve: (seId: string) => SmsScp81Target | undefined | Promise<SmsScp81Target | undefined>;
  /** The address the trigger names; or call `attach(bearer)` once the SCP81 bearer has started. */
  readonly address?: Scp81Address | (() => Scp81Address);
  /** How long to wait for a requested PoR (default 30 000 ms). */
  readonly porTimeoutMs?: number;
  /** Told each trigger sent (no key, no MSISDN). */
  readonly onSent?: (event: SmsTriggerSent) => void;
  /**
   * Packets per `trigger` call at most (default 1): one whose PoR does not come in time is sent
   * again with a fresh counter while the SE has not become reachable (see the file header).
   */
  readonly attempts?: number;
  /** Told each verified PoR passed over because it answers another packet (no key, no MSISDN). */
  readonly onStrayPor?: (event: SmsStrayPor) => void;
}

/** A PoR that verified with the SE's keys but echoes another packet's TAR or counter. */
export interface SmsStrayPor {
  readonly seId: string;
  readonly keySet: string;
  /** The counter the trigger waited for, and the one the stray PoR echoes. */
  readonly expected: bigint;
  readonly counter: bigint;
  readonly status: number;
}

/** What `attach` takes: the address, and the bearer's reachability when it has one. */
export interface Scp81TriggerSource {
  readonly address: Scp81Address;
  onReachable?(listener: (seId: string) => void): () => void;
}

/** One trigger sent. */
export interface SmsTriggerSent {
  readonly seId: string;
  readonly keySet: string;
  readonly counter: bigint;
  readonly submitted: SmsSubmitted;
  /** The PoR's status (0 = PoR OK), when one was requested. */
  readonly porStatus?: number;
}

/** CC, ciphered, counter must be higher; PoR required, with CC, ciphered, via SMS-SUBMIT. */
export const DEFAULT_TRIGGER_SPI: Spi = makeSpi({ rcCcDs: 'cc', ciphered: true, counter: 'higher', por: 'required', porRcCcDs: 'cc', porCiphered: true, porVia: 'submit' });

const ISD_TAR = Uint8Array.of(0, 0, 0);
const MAX_COUNTER = (1n << 40n) - 1n;
const SW_OK = '9000';

/** The 5-byte CNTR of a counter value. */
export function counterBytes(value: bigint): Uint8Array {
  if (value < 0n || value > MAX_COUNTER) throw new TsmError('ERR_TSM_REQUEST', 'OTA counter: 0..2^40 − 1');
  return Uint8Array.from({ length: 5 }, (_, i) => Number((value >> BigInt(8 * (4 - i))) & 0xffn));
}

const hex2 = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

/** Wakes SEs' SCP81 agents by SMS; give it to `Scp81Bearer.start({ trigger })`, then `attach(bearer)`. */
export class SmsScp81Trigger implements Scp81Trigger {
  readonly #o: SmsScp81TriggerOptions;
  #address: (() => Scp81Address) | undefined;
  /** How many times each SE became reachable since attach (a retry looks for a change). */
  readonly #reached = new Map<string, number>();

  constructor(options: SmsScp81TriggerOptions) {
    const timeout = options.porTimeoutMs ?? 30_000;
    if (!Number.isInteger(timeout) || timeout < 1) throw new TsmError('ERR_TSM_CONFIG', 'SMS trigger: porTimeoutMs must be a positive integer');
    const attempts = options.attempts ?? 1;
    if (!Number.isInteger(attempts) || attempts < 1 || attempts > 10) throw new TsmError('ERR_TSM_CONFIG', 'SMS trigger: attempts must be an integer 1..10');
    this.#o = options;
    const a = options.address;
    this.#address = a === undefined ? undefined : typeof a === 'function' ? a : () => a;
  }

  /**
   * Names `source`'s address (an Scp81Bearer's) in the triggers, unless an address was configured,
   * and follows its reachability (for `attempts`).
   */
  attach(source: Scp81TriggerSource): this {
    this.#address ??= () => source.address;
    source.onReachable?.((seId) => void this.#reached.set(seId, (this.#reached.get(seId) ?? 0) + 1));
    return this;
  }

  /** Sends one trigger to `seId`: a fresh counter, the sealed PUSH, submitted; waits for the PoR when the SPI asks for one. */
  async trigger(seId: string): Promise<void> {
    await this.send(seId);
  }

  /** `trigger`, returning what was sent (the last packet's when it took more than one attempt). */
  async send(seId: string): Promise<SmsTriggerSent> {
    const attempts = this.#o.attempts ?? 1;
    const reached = this.#reached.get(seId) ?? 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#sendOnce(seId);
      } catch (e) {
        // no PoR in time (or the SMSC unreachable): again with a fresh counter, unless the card ran one
        const retry = e instanceof TsmError && e.code === 'ERR_TSM_UNREACHABLE' && attempt < attempts && (this.#reached.get(seId) ?? 0) === reached;
        if (!retry) throw e;
      }
    }
  }

  /** One packet: a fresh counter, sealed, submitted, its PoR awaited and checked. */
  async #sendOnce(seId: string): Promise<SmsTriggerSent> {
    if (this.#address === undefined) throw new TsmError('ERR_TSM_STATE', 'SMS trigger: no SCP81 address (configure `address` or call attach(bearer))');
    const address = this.#address();
    const target = await this.#o.resolve(seId);
    if (target === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', `SMS trigger: no SMS bearer details for SE ${seId}`);
    const spi = target.spi ?? DEFAULT_TRIGGER_SPI;
    const tar = target.tar ?? ISD_TAR;
    let keySet: string;
    let push: Uint8Array;
    try {
      // both bytes decode to algorithms this host can run (refused otherwise, before a counter is spent)
      keySet = target.keySet ?? `kic-${hex2(encodeKeyId(parseKeyId(target.kic, 'KIc')))}/kid-${hex2(encodeKeyId(parseKeyId(target.kid, 'KID')))}`;
      const command = buildAdminTriggerCommand(adminTrigger({ host: address.host, port: address.port, adminUri: address.adminUri, ...(target.agentId === undefined ? {} : { agentId: target.agentId }) }));
      push = encodeCommandScript([{ kind: 'c-apdu', apdu: command }], { length: 'definite' });
    } catch (e) {
      throw new TsmError('ERR_TSM_REQUEST', `SMS trigger for SE ${seId}: ${(e as Error).message}`, { cause: e });
    }
    const counterValue = await nextOtaCounter(this.#o.db, seId, keySet);
    const counter = counterBytes(counterValue);
    const fields = { spi, kic: target.kic, kid: target.kid, tar, counter, data: push };
    const packet = await sealCommandPacket(target.hostKeys, fields);
    const base = { seId, keySet, counter: counterValue };
    if (spi.por === 'none' || spi.porVia !== 'submit') {
      const submitted = await this.#o.sms.submit(target.msisdn, packet);
      return this.#sent({ ...base, submitted });
    }
    const expected = { spi, kic: target.kic, kid: target.kid, tar, counter };
    let opened: { por: ResponsePacket } | { error: unknown } | undefined;
    const accept = async (mo: MoSms): Promise<boolean> => {
      try {
        const por = await openResponsePacket(target.hostKeys, mo.userData, { spi, kic: target.kic, kid: target.kid });
        // TS 102 225 §5.2: the PoR echoes the command's TAR and CNTR; a verified one that echoes another's is not ours
        if (por.secured && !(sameBytes(por.tar, tar) && sameBytes(por.counter, counter))) {
          this.#o.onStrayPor?.({ seId, keySet, expected: counterValue, counter: bytesValue(por.counter), status: por.status });
          return false;
        }
        opened = { por };
      } catch (e) {
        opened = { error: e };
      }
      return true;
    };
    const { submitted, reply } = await this.#o.sms.exchange(target.msisdn, packet, { timeoutMs: this.#o.porTimeoutMs ?? 30_000, accept });
    const porStatus = this.#checkPor(seId, opened ?? (await this.#open(target, reply, expected)));
    return this.#sent({ ...base, submitted, porStatus });
  }

  async #open(target: SmsScp81Target, reply: MoSms, expected: Parameters<typeof openResponsePacket>[2]): Promise<{ por: ResponsePacket } | { error: unknown }> {
    try {
      return { por: await openResponsePacket(target.hostKeys, reply.userData, expected) };
    } catch (e) {
      return { error: e };
    }
  }

  #sent(event: SmsTriggerSent): SmsTriggerSent {
    this.#o.onSent?.(event);
    return event;
  }

  /** Refuses a PoR that did not verify, an error status, or a trigger SW other than 9000. */
  #checkPor(seId: string, opened: { por: ResponsePacket } | { error: unknown }): number {
    if ('error' in opened) throw new TsmError('ERR_TSM_STATE', `SMS trigger for SE ${seId}: the PoR does not verify`, { cause: opened.error });
    const { status, data, statusName } = opened.por;
    if (status !== 0) throw new TsmError('ERR_TSM_STATE', `SMS trigger for SE ${seId}: PoR status ${hex2(status)}${statusName === undefined ? '' : ` (${statusName})`}`);
    let sw: string;
    try {
      sw = toHex(parseResponseScript(data).responses.at(-1)?.slice(-2) ?? new Uint8Array(0));
    } catch (e) {
      throw new TsmError('ERR_TSM_STATE', `SMS trigger for SE ${seId}: the PoR does not verify`, { cause: e });
    }
    if (sw !== SW_OK) throw new TsmError('ERR_TSM_STATE', `SMS trigger for SE ${seId}: the card answered the trigger with ${sw === '' ? 'no status word' : sw}`);
    return status;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function bytesValue(bytes: Uint8Array): bigint {
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}
