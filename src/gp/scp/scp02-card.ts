/**
 * SCP02 card side (GPC 2.3.1 Appendix E, "i" = 15/55): the Security Domain's half of the secure
 * channel, for the virtual Secure Element. Refusals are `GpError`s whose `sw` is the status word
 * the card answers with; the caller persists `sequenceCounter` after each EXTERNAL AUTHENTICATE.
 *
 * LEGACY: SCP02 is deprecated and built on (3)DES; it exists for the UICCs in the field.
 */
import { equalCt, wipe } from '../../bytes/index.ts';
import type { CommandApdu, ResponseApdu } from '../../apdu/index.ts';
import { randomBytes } from '../../crypto/index.ts';
import { GpError } from '../errors.ts';
import { assertGpBytes, assertGpInt, cardRefusal, hex2 } from './assert.ts';
import { checkInitializeUpdate, closedRefusal, externalAuthenticateOutOfSequence, refuseOutsideSession, type CardChannelState } from './card-state.ts';
import { INS_EXTERNAL_AUTHENTICATE, encodeScp02InitializeUpdateResponse } from './initialize-update.ts';
import { inspectSymbol } from './key-print.ts';
import { assertScp02StaticKeys, deriveScp02SessionKeys, type Scp02SessionKeys, type Scp02StaticKeys } from './scp02-keys.ts';
import { SCP02_INITIAL_CHAIN, scp02VerifyCommand, type Scp02Chain, type Scp02Protection } from './scp02-messaging.ts';
import { scp02Options, type Scp02Options } from './scp02-options.ts';
import { securityLevel, type SecurityLevel } from './security-level.ts';

/** The largest 2-byte sequence counter; at it the card refuses INITIALIZE UPDATE (GPC 2.3.1 §E.1.2). */
export const SCP02_MAX_SEQUENCE_COUNTER = 0xffff;

/** How a Security Domain's SCP02 channel is configured. */
export interface Scp02CardSessionOptions {
  /** The static key set (copied). */
  keys: Scp02StaticKeys;
  /** The AID of the Security Domain (input of the pseudo-random challenge, "i" = 55). */
  sdAid: Uint8Array;
  /** The stored 2-byte sequence counter (GPC 2.3.1 §E.1.2). */
  sequenceCounter: number;
  /** The "i" parameter: 15 or 55. */
  i: number;
  /** Key diversification data returned in INITIALIZE UPDATE (default 10 zero bytes). */
  kdd?: Uint8Array;
  /** Source of random card challenges for "i" = 15 (default: the CSPRNG). */
  random?: (length: number) => Uint8Array;
}

interface Initiation {
  readonly session: Scp02SessionKeys;
  readonly hostChallenge: Uint8Array;
  readonly cardChallenge: Uint8Array;
}

/** The card's SCP02 state machine for one Security Domain on one logical channel. */
export class Scp02CardSession {
  readonly #keys: Scp02StaticKeys;
  readonly #sdAid: Uint8Array;
  readonly #kdd: Uint8Array;
  readonly #options: Scp02Options;
  readonly #random: (length: number) => Uint8Array;
  #counter: number;
  #state: CardChannelState = 'idle';
  #initiation: Initiation | undefined;
  #session: Scp02SessionKeys | undefined;
  #protection: Scp02Protection | undefined;
  #chain: Scp02Chain = SCP02_INITIAL_CHAIN;

  constructor(options: Scp02CardSessionOptions) {
    assertScp02StaticKeys(options.keys);
    assertGpBytes(options.sdAid, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 'Security Domain AID');
    assertGpInt(options.sequenceCounter, 0, SCP02_MAX_SEQUENCE_COUNTER, 'SCP02 sequence counter', 'ERR_GP_COUNTER');
    this.#options = scp02Options(options.i);
    const kdd = options.kdd ?? new Uint8Array(10);
    assertGpBytes(kdd, [10], 'key diversification data');
    this.#keys = { keyVersion: options.keys.keyVersion, enc: options.keys.enc.slice(), mac: options.keys.mac.slice(), dek: options.keys.dek.slice() };
    this.#sdAid = options.sdAid.slice();
    this.#kdd = kdd.slice();
    this.#counter = options.sequenceCounter;
    this.#random = options.random ?? randomBytes;
  }

  /** The sequence counter to persist (GPC 2.3.1 §E.1.2: +1 per successful EXTERNAL AUTHENTICATE). */
  get sequenceCounter(): number {
    return this.#counter;
  }

  get state(): CardChannelState {
    return this.#state;
  }

  /** The current security level, or undefined when no session is open. */
  get securityLevel(): number | undefined {
    return this.#state === 'open' ? this.#protection?.level.level : undefined;
  }

  /**
   * INITIALIZE UPDATE (GPC 2.3.1 §E.5.1): ends any current session, checks the KVN (6A88) and the
   * counter (6985 at the maximum), derives the session keys with the current counter, and returns
   * the 28-byte response data. The counter itself moves only on EXTERNAL AUTHENTICATE.
   */
  initializeUpdate(command: CommandApdu): Uint8Array {
    if (this.#state === 'closed') throw closedRefusal();
    this.endSession(); // GPC 2.3.1 §E.1.6: a new INITIALIZE UPDATE terminates the current session
    checkInitializeUpdate(command, 8);
    if (command.p1 !== 0 && command.p1 !== this.#keys.keyVersion) {
      throw cardRefusal('ERR_GP_KEY', 0x6a88, `INITIALIZE UPDATE: no key set with version ${hex2(command.p1)}`); // Table E-9
    }
    // GPC 2.3.1 §E.1.2: "When reaching its maximum value, the Sequence Counter shall not be reset to zero"
    if (this.#counter >= SCP02_MAX_SEQUENCE_COUNTER) throw cardRefusal('ERR_GP_COUNTER', 0x6985, 'SCP02 sequence counter exhausted');
    const session = deriveScp02SessionKeys(this.#keys, this.#counter);
    const cardChallenge = this.#options.pseudoRandomChallenge ? session.pseudoRandomChallenge(this.#sdAid) : this.#randomChallenge();
    const hostChallenge = command.data.slice();
    this.#initiation = { session, hostChallenge, cardChallenge };
    this.#state = 'initialized';
    return encodeScp02InitializeUpdateResponse({
      kdd: this.#kdd,
      keyVersion: this.#keys.keyVersion,
      sequenceCounter: this.#counter,
      cardChallenge,
      cardCryptogram: session.cardCryptogram(hostChallenge, cardChallenge),
    });
  }

  #randomChallenge(): Uint8Array {
    const challenge = this.#random(6);
    assertGpBytes(challenge, [6], 'random card challenge');
    return challenge.slice();
  }

  /**
   * EXTERNAL AUTHENTICATE (GPC 2.3.1 §E.5.2), step by step: sequence (6985/6982), P2 (6A86), C-MAC
   * with a zero ICV (6982), counter +1 once that first C-MAC verifies (§E.1.2), host cryptogram
   * length (6700) and value (6300), security level P1 (6A86). Any failure aborts the session.
   */
  externalAuthenticate(command: CommandApdu): Uint8Array {
    const initiation = this.#initiation;
    if (this.#state !== 'initialized' || initiation === undefined) {
      const refusal = externalAuthenticateOutOfSequence(this.#state);
      if (this.#state === 'open') this.#abort();
      throw refusal;
    }
    try {
      if (command.ins !== INS_EXTERNAL_AUTHENTICATE || command.p2 !== 0x00) throw cardRefusal('ERR_GP_PARAM', 0x6a86, 'EXTERNAL AUTHENTICATE: INS must be 82 and P2 00');
      const icvEncryption = this.#options.icvEncryption;
      const macOnly: Scp02Protection = { level: { level: command.p1, cMac: true, cDecryption: false, rMac: false, rEncryption: false }, icvEncryption };
      const verified = scp02VerifyCommand(initiation.session, SCP02_INITIAL_CHAIN, command, macOnly);
      // GPC 2.3.1 §E.1.2: incremented when the first C-MAC verifies, "before the processing specific for the command"
      this.#counter += 1;
      const hostCryptogram = verified.apdu.data;
      if (hostCryptogram.length !== 8) throw cardRefusal('ERR_GP_LENGTH', 0x6700, 'EXTERNAL AUTHENTICATE: wrong host cryptogram length');
      const expected = initiation.session.hostCryptogram(initiation.hostChallenge, initiation.cardChallenge);
      if (!equalCt(hostCryptogram, expected)) throw cardRefusal('ERR_GP_HOST_CRYPTOGRAM', 0x6300, 'host cryptogram verification failed'); // Table E-12
      const level = this.#level(command.p1);
      this.#session = initiation.session;
      this.#initiation = undefined;
      this.#protection = { level, icvEncryption };
      this.#chain = verified.chain; // GPC 2.3.1 §E.3.2: the verified C-MAC becomes the ICV
      this.#state = 'open';
      return new Uint8Array(0);
    } catch (e) {
      this.#abort();
      throw e;
    }
  }

  #level(p1: number): SecurityLevel {
    try {
      return securityLevel('scp02', p1, { rMac: this.#options.rMac, rEncryption: false });
    } catch (e) {
      if (e instanceof GpError) throw cardRefusal('ERR_GP_SECURITY_LEVEL', 0x6a86, e.message);
      throw e;
    }
  }

  /**
   * Decrypts and verifies a command in the open session (GPC 2.3.1 §E.4.4, §E.4.6). A failure
   * aborts the session with 6982 (bad MAC and bad padding alike). Outside a session, commands
   * without secure messaging pass unchanged; secured ones, and everything after an abort, get 6982.
   */
  unwrapCommand(command: CommandApdu): CommandApdu {
    if (this.#state !== 'open' || this.#session === undefined || this.#protection === undefined) return refuseOutsideSession(this.#state, command);
    try {
      const verified = scp02VerifyCommand(this.#session, this.#chain, command, this.#protection);
      this.#chain = verified.chain;
      return verified.apdu;
    } catch (e) {
      this.#abort(); // GPC 2.3.1 §E.1.6: security error: reject, abort, reset the security level
      throw e;
    }
  }

  /** No R-MAC with "i" = 15/55 (GPC 2.3.1 §E.1.1): responses pass unchanged. */
  wrapResponse(response: ResponseApdu): ResponseApdu {
    return response;
  }

  /** GPC 2.3.1 §E.4.7: decrypts sensitive data (PUT KEY) with the session DEK, 3DES-ECB. */
  decryptSensitive(data: Uint8Array): Uint8Array {
    if (this.#state === 'closed') throw closedRefusal();
    if (this.#state !== 'open' || this.#session === undefined) throw cardRefusal('ERR_GP_SESSION_STATE', 0x6982, 'SCP02 sensitive data needs an open session (session DEK)');
    assertGpBytes(data, undefined, 'SCP02 sensitive data');
    if (data.length === 0 || data.length % 8 !== 0) throw cardRefusal('ERR_GP_LENGTH', 0x6a80, 'SCP02 sensitive data is not a multiple of 8 bytes');
    return this.#session.decryptSensitive(data);
  }

  /** Ends the session (new selection, channel closed, card reset) and wipes its session keys. */
  endSession(): void {
    if (this.#state === 'closed') return;
    this.#wipeSession();
    this.#state = 'idle';
  }

  #abort(): void {
    this.#wipeSession();
    this.#state = 'aborted';
  }

  #wipeSession(): void {
    this.#initiation?.session.close();
    this.#session?.close();
    this.#initiation = undefined;
    this.#session = undefined;
    this.#protection = undefined;
    this.#chain = SCP02_INITIAL_CHAIN;
  }

  /** Wipes the static and session keys; the object is unusable afterwards. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#wipeSession();
    wipe(this.#keys.enc, this.#keys.mac, this.#keys.dek);
    this.#state = 'closed';
  }

  toString(): string {
    const sl = this.securityLevel === undefined ? '' : `, SL ${hex2(this.securityLevel)}`;
    return `Scp02CardSession(KVN ${hex2(this.#keys.keyVersion)}, i ${hex2(this.#options.i)}, counter ${this.#counter}, ${this.#state}${sl})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}
