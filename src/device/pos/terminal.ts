/**
 * The POS terminal: one contactless tap from entry point to the issuer's answer (EMV Book A §6). An
 * online-only terminal: a card's ARQC goes to the {@link Authorizer}; a failed fDDA whose TVR bit is
 * in the denial action code, or a card's AAC, declines offline. The terminal does not send EXTERNAL
 * AUTHENTICATE (one tap): the outcome carries the issuer's answer for the wallet (wallet/issuer-update.ts).
 */
import type { ApduTransport } from '../../apdu/index.ts';
import { OpenTsmError, readUintBe } from '../../bytes/index.ts';
import { csprng, type Authorizer, type RandomSource } from '../../emv/index.ts';
import { DeviceError } from '../errors.ts';
import { authorizationRequest, checkAuthorizationResponse } from './authorization-request.ts';
import { AC_TYPE } from './cryptogram.ts';
import { runKernel, type KernelResult } from './kernel.ts';
import type { CaPublicKey } from './oda/ca-keys.ts';
import type { TerminalOutcome, TransactionFacts } from './outcome.ts';
import { transactionData, type Transaction } from './transaction.ts';
import { newTvr, TVR, TVR_LENGTH } from './tvr.ts';

/** How to build a terminal. */
export interface PosTerminalOptions {
  /** The CA public keys the terminal trusts (ca-keys.ts caKeyFromSpki). */
  readonly caKeys: readonly CaPublicKey[];
  /** AIDs the terminal accepts, matched exactly or as a prefix of the card's ADF name (EMV Book B §3.3.2.5). */
  readonly supportedAids: readonly Uint8Array[];
  /** Where ARQCs go. */
  readonly authorizer: Authorizer;
  /** Source of the unpredictable number 9F37 (default: the OS CSPRNG). */
  readonly random?: RandomSource;
  /** Terminal Transaction Qualifiers (9F66), 4 bytes; default {@link DEFAULT_TTQ}. */
  readonly ttq?: Uint8Array;
  /** Terminal Action Code – Denial (Book 3 §10.7), 5 bytes; default {@link DEFAULT_TAC_DENIAL}. */
  readonly tacDenial?: Uint8Array;
}

/**
 * TTQ (EMV Book C-3 [M]): byte 1 = EMV mode (b6) and ODA for online authorizations (b1), byte 2 =
 * online cryptogram required (b8), byte 3 = consumer device CVM supported (b7).
 */
export const DEFAULT_TTQ = Uint8Array.of(0x21, 0x80, 0x40, 0x00);

/** Denial action code: decline offline when DDA (fDDA) failed. */
export const DEFAULT_TAC_DENIAL = Uint8Array.of(TVR.ddaFailed.mask, 0, 0, 0, 0);

function param(message: string): DeviceError {
  return new DeviceError('ERR_DEVICE_PARAM', `POS terminal: ${message}`);
}

function checkOptions(o: PosTerminalOptions): void {
  if (typeof o !== 'object' || o === null) throw param('expected options');
  if (!Array.isArray(o.caKeys) || !o.caKeys.every(isCaKey)) throw param('caKeys: an array of CaPublicKey (caKeyFromSpki)');
  if (!Array.isArray(o.supportedAids) || !o.supportedAids.every((a: unknown) => a instanceof Uint8Array && a.length >= 5 && a.length <= 16)) throw param('supportedAids: AIDs of 5 to 16 bytes');
  if (typeof o.authorizer?.authorize !== 'function') throw param('authorizer: an Authorizer');
  if (o.ttq !== undefined && !(o.ttq instanceof Uint8Array && o.ttq.length === 4)) throw param('ttq: 4 bytes');
  if (o.tacDenial !== undefined && !(o.tacDenial instanceof Uint8Array && o.tacDenial.length === TVR_LENGTH)) throw param('tacDenial: 5 bytes');
}

function isCaKey(k: unknown): boolean {
  if (typeof k !== 'object' || k === null) return false;
  const c = k as Partial<CaPublicKey>;
  return c.rid instanceof Uint8Array && c.rid.length === 5 && Number.isInteger(c.index) && c.modulus instanceof Uint8Array && c.exponent instanceof Uint8Array;
}

/** The unpredictable number 9F37 (4 bytes) from the terminal's random source. */
function unpredictableNumber(random: RandomSource): Uint8Array {
  let un: unknown;
  try {
    un = random(4);
  } catch (cause) {
    throw new DeviceError('ERR_DEVICE_PARAM', 'POS terminal: the random source failed', { cause });
  }
  if (!(un instanceof Uint8Array) || un.length !== 4) throw param('random source: expected 4 bytes');
  return un.slice();
}

/**
 * A contactless POS terminal.
 * @example
 * const pos = new PosTerminal({ caKeys: [caKeyFromSpki(hex`A000000003`, 0x92, spki)], supportedAids: [hex`A000000003`], authorizer });
 * const outcome = await pos.transact(card, { amount: 1250, currency: 978, country: 250, date: '261127' });
 * if (outcome.kind === 'approved') await deliverIssuerUpdate(card, outcome.aid, outcome.authorization);
 */
export class PosTerminal {
  readonly #options: PosTerminalOptions;

  constructor(options: PosTerminalOptions) {
    checkOptions(options);
    this.#options = { ...options, caKeys: [...options.caKeys], supportedAids: options.supportedAids.map((a) => a.slice()) };
  }

  /**
   * Runs one tap on `card`. A bad `transaction` (or a failing random source) throws ERR_DEVICE_PARAM; everything the card or the
   * authorizer does ends in an outcome (kind `error` with a DeviceError when it cannot complete).
   */
  async transact(card: ApduTransport, transaction: Transaction): Promise<TerminalOutcome> {
    const txData = transactionData(transaction);
    const terminal = { ...txData, '9F66': (this.#options.ttq ?? DEFAULT_TTQ).slice(), '9F37': unpredictableNumber(this.#options.random ?? csprng) };
    const tvr = newTvr();
    let aid: Uint8Array | undefined;
    try {
      const kernel = await runKernel(card, { ...this.#options, terminal, tacDenial: this.#options.tacDenial ?? DEFAULT_TAC_DENIAL, date: transaction.date }, tvr, (a) => (aid = a));
      return await this.#decide(kernel, { aid: aid!, tvr: tvr.slice(), oda: kernel.oda, cryptogram: summary(kernel) });
    } catch (e) {
      const error = e instanceof DeviceError ? e : e instanceof OpenTsmError ? new DeviceError('ERR_DEVICE_CARD_DATA', `card data: ${e.message}`, { cause: e }) : undefined;
      if (error === undefined) throw e;
      return Object.freeze({ kind: 'error', error, aid, tvr: tvr.slice() });
    }
  }

  async #decide(kernel: KernelResult, facts: TransactionFacts): Promise<TerminalOutcome> {
    const type = kernel.ac.cid & 0xc0;
    if (type === AC_TYPE.aac) return Object.freeze({ kind: 'declined-offline', reason: kernel.terminalDenied ? 'oda-failed' : 'card-declined', ...facts });
    // docs/payment-application.md §3: the card is online-only; a TC is not a valid answer here
    if (type !== AC_TYPE.arqc) throw new DeviceError('ERR_DEVICE_CARD_DATA', 'the card did not answer an ARQC or an AAC');
    if (kernel.terminalDenied) return Object.freeze({ kind: 'declined-offline', reason: 'oda-failed', ...facts });
    const request = authorizationRequest(kernel.data, kernel.ac, kernel.sent);
    let answer: unknown;
    try {
      answer = await this.#options.authorizer.authorize(request);
    } catch (cause) {
      throw new DeviceError('ERR_DEVICE_AUTHORIZER', 'the authorizer failed', { cause });
    }
    const authorization = checkAuthorizationResponse(answer);
    if (authorization.decision === 'approved') return Object.freeze({ kind: 'approved', authorization, ...facts });
    return Object.freeze({ kind: 'declined', reason: authorization.reason, authorization, ...facts });
  }
}

function summary(kernel: KernelResult): TransactionFacts['cryptogram'] {
  return Object.freeze({ cid: kernel.ac.cid, atc: readUintBe(kernel.ac.atc), source: kernel.source });
}
