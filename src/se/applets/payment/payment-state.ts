/**
 * What the payment applet keeps in persistent memory: the personalization DGIs as received (secrets
 * already deciphered, EMV CPS v1.1), whether personalization completed, and the application's
 * counters and flags (EMV Book 3 §10: ATC, last online ATC register, PIN try counter, application
 * blocked). The value is immutable; each command stages a new one with `ctx.setPersistent`, so a
 * refused command or a power cut leaves the previous value.
 */
import { SW } from '../../../apdu/index.ts';
import { CardException } from '../../runtime/card-exception.ts';

/** One stored DGI (EMV CPS v1.1 §4.3): its number and its plaintext value. */
export interface StoredDgi {
  readonly dgi: number;
  readonly value: Uint8Array;
}

/** The last cryptogram the card produced, for EXTERNAL AUTHENTICATE and the script MAC (EMV Book 3 §6.5.4). */
export interface LastCryptogram {
  readonly atc: number;
  readonly ac: Uint8Array;
  /** The unpredictable number (9F37) of that transaction (Mastercard SKD derives the AC session key from it). */
  readonly un: Uint8Array;
  /** An ARPC was already checked against it (one answer per cryptogram). */
  readonly answered: boolean;
}

/** The persistent data of a payment application instance. */
export interface PaymentState {
  readonly format: 'payment/1';
  readonly dgis: readonly StoredDgi[];
  readonly personalized: boolean;
  /** Application Transaction Counter (9F36), incremented by every GET PROCESSING OPTIONS. */
  readonly atc: number;
  /** Last Online ATC Register (9F13): the ATC of the last transaction the issuer authenticated. */
  readonly lastOnlineAtc: number;
  readonly blocked: boolean;
  /** The reference PIN, an ISO 9564-1 format 2 block (from DGI 8010, then PIN CHANGE). */
  readonly pinBlock?: Uint8Array | undefined;
  readonly pinTries: number;
  readonly pinTryLimit: number;
  readonly last?: LastCryptogram | undefined;
  /** The transaction log's records, newest first (transaction-log.ts; absent on a card without a log). */
  readonly log?: readonly Uint8Array[] | undefined;
}

/** The state of a freshly installed instance: nothing personalized. */
export function emptyPaymentState(): PaymentState {
  return { format: 'payment/1', dgis: [], personalized: false, atc: 0, lastOnlineAtc: 0, blocked: false, pinTries: 0, pinTryLimit: 0 };
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const isCount = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

/** Reads the instance's persistent data; a damaged value is a memory failure (6581), never a crash. */
export function loadPaymentState(persistent: unknown): PaymentState {
  if (persistent === undefined) return emptyPaymentState();
  if (!isPaymentState(persistent)) throw new CardException(SW.MEMORY_FAILURE, 'payment: persistent data is damaged');
  return persistent;
}

function isPaymentState(v: unknown): v is PaymentState {
  if (v === null || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  const last = s.last as Record<string, unknown> | undefined;
  const lastOk = last === undefined || (last !== null && typeof last === 'object' && isCount(last.atc, 0xffff) && isBytes(last.ac) && isBytes(last.un) && typeof last.answered === 'boolean');
  const dgiOk = (d: unknown): boolean => d !== null && typeof d === 'object' && isCount((d as StoredDgi).dgi, 0xffff) && isBytes((d as StoredDgi).value);
  return (
    s.format === 'payment/1' &&
    Array.isArray(s.dgis) &&
    s.dgis.every(dgiOk) &&
    typeof s.personalized === 'boolean' &&
    isCount(s.atc, 0xffff) &&
    isCount(s.lastOnlineAtc, 0xffff) &&
    typeof s.blocked === 'boolean' &&
    (s.pinBlock === undefined || isBytes(s.pinBlock)) &&
    isCount(s.pinTries, 15) &&
    isCount(s.pinTryLimit, 15) &&
    (s.log === undefined || (Array.isArray(s.log) && s.log.length <= 255 && s.log.every(isBytes))) &&
    lastOk
  );
}

/** The stored value of `dgi`, if any. */
export function dgiValue(state: PaymentState, dgi: number): Uint8Array | undefined {
  return state.dgis.find((d) => d.dgi === dgi)?.value;
}

/** `dgis` with `next` stored (replacing an earlier value of the same DGI), kept in DGI order. */
export function withDgi(dgis: readonly StoredDgi[], next: StoredDgi): readonly StoredDgi[] {
  return [...dgis.filter((d) => d.dgi !== next.dgi), next].sort((a, b) => a.dgi - b.dgi);
}
