/**
 * SCP03 card side (GPC Amd D v1.1.1 §5.5–§7.1): the Security Domain's half of the secure channel,
 * for the virtual Secure Element. Refusals are `GpError`s whose `sw` is the status word the card
 * answers with; the caller persists `sequenceCounter` after each INITIALIZE UPDATE.
 */
import { equalCt, wipe } from '../../bytes/index.ts';
import type { CommandApdu, ResponseApdu } from '../../apdu/index.ts';
import { aesCbcDecrypt, randomBytes } from '../../crypto/index.ts';
import { GpError } from '../errors.ts';
import { assertGpBytes, assertGpInt, cardRefusal, hex2 } from './assert.ts';
import { checkInitializeUpdate, closedRefusal, externalAuthenticateOutOfSequence, refuseOutsideSession, type CardChannelState, type PendingResponse } from './card-state.ts';
import { INS_EXTERNAL_AUTHENTICATE, encodeScp03InitializeUpdateResponse } from './initialize-update.ts';
import { inspectSymbol } from './key-print.ts';
import { SCP03_MAX_SEQUENCE_COUNTER, scp03CardChallenge } from './scp03-crypto.ts';
import { assertScp03StaticKeys, deriveScp03SessionKeys, type Scp03SessionKeys, type Scp03StaticKeys } from './scp03-keys.ts';
import { SCP03_INITIAL_CHAIN, scp03ProtectResponse, scp03VerifyCommand, type Scp03Chain, type Scp03Protection } from './scp03-messaging.ts';
import { scp03Options, type Scp03Options } from './scp03-options.ts';
import { securityLevel } from './security-level.ts';

/** How a Security Domain's SCP03 channel is configured. */
export interface Scp03CardSessionOptions {
  /** The static key set (copied). */
  keys: Scp03StaticKeys;
  /** The AID of the Security Domain (context of the pseudo-random challenge). */
  sdAid: Uint8Array;
  /** The stored 3-byte sequence counter (Amd D §6.2.2.1). */
  sequenceCounter: number;
  /** The "i" parameter (Amd D Table 5-1). */
  i: number;
  /** Key diversification data returned in INITIALIZE UPDATE (default 10 zero bytes). */
  kdd?: Uint8Array;
  /** Source of random card challenges when "i" b5 = 0 (default: the CSPRNG). */
  random?: (length: number) => Uint8Array;
}

interface Pending {
  readonly session: Scp03SessionKeys;
  readonly hostChallenge: Uint8Array;
}

/** The card's SCP03 state machine for one Security Domain on one logical channel. */
export class Scp03CardSession {
  readonly #keys: Scp03StaticKeys;
  readonly #sdAid: Uint8Array;
  readonly #kdd: Uint8Array;
  readonly #options: Scp03Options;
  readonly #random: (length: number) => Uint8Array;
  #counter: number;
  #state: CardChannelState = 'idle';
  #initiation: Pending | undefined;
  #session: Scp03SessionKeys | undefined;
  #protection: Scp03Protection | undefined;
  #chain: Scp03Chain = SCP03_INITIAL_CHAIN;
  #pending: PendingResponse = 'none';

  constructor(options: Scp03CardSessionOptions) {
    assertScp03StaticKeys(options.keys);
    assertGpBytes(options.sdAid, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 'Security Domain AID');
    assertGpInt(options.sequenceCounter, 0, SCP03_MAX_SEQUENCE_COUNTER, 'SCP03 sequence counter', 'ERR_GP_COUNTER');
    this.#options = scp03Options(options.i);
    const kdd = options.kdd ?? new Uint8Array(10);
    assertGpBytes(kdd, [10], 'key diversification data');
    this.#keys = { keyVersion: options.keys.keyVersion, enc: options.keys.enc.slice(), mac: options.keys.mac.slice(), dek: options.keys.dek.slice() };
    this.#sdAid = options.sdAid.slice();
    this.#kdd = kdd.slice();
    this.#counter = options.sequenceCounter;
    this.#random = options.random ?? randomBytes;
  }

  /** The sequence counter to persist (Amd D §6.2.2.1). */
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
   * INITIALIZE UPDATE (Amd D §7.1.1): ends any current session, checks the KVN (6A88), takes the
   * next counter value (6985 at the maximum) for a pseudo-random challenge, derives the session keys
   * and returns the response data.
   */
  initializeUpdate(command: CommandApdu): Uint8Array {
    if (this.#state === 'closed') throw closedRefusal();
    this.endSession(); // Amd D §5.6: a new INITIALIZE UPDATE terminates the current session
    checkInitializeUpdate(command, this.#options.challengeLength);
    if (command.p1 !== 0 && command.p1 !== this.#keys.keyVersion) {
      throw cardRefusal('ERR_GP_KEY', 0x6a88, `INITIALIZE UPDATE: no key set with version ${hex2(command.p1)}`); // GPC 2.3.1 Table E-9
    }
    const cardChallenge = this.#cardChallenge();
    const hostChallenge = command.data.slice();
    const session = deriveScp03SessionKeys(this.#keys, { kdd: this.#kdd, keyVersion: this.#keys.keyVersion, i: this.#options.i, hostChallenge, cardChallenge });
    this.#initiation = { session, hostChallenge };
    this.#state = 'initialized';
    return encodeScp03InitializeUpdateResponse({
      kdd: this.#kdd,
      keyVersion: this.#keys.keyVersion,
      i: this.#options.i,
      cardChallenge,
      cardCryptogram: session.cardCryptogram(),
      sequenceCounter: this.#options.pseudoRandomChallenge ? this.#counter : undefined,
    });
  }

  #cardChallenge(): Uint8Array {
    const length = this.#options.challengeLength;
    if (!this.#options.pseudoRandomChallenge) {
      const challenge = this.#random(length);
      assertGpBytes(challenge, [length], 'random card challenge');
      return challenge.slice();
    }
    // Amd D §6.2.2.1: increment, then use the new value; at the maximum, "conditions of use not satisfied"
    if (this.#counter >= SCP03_MAX_SEQUENCE_COUNTER) throw cardRefusal('ERR_GP_COUNTER', 0x6985, 'SCP03 sequence counter exhausted');
    this.#counter += 1;
    return scp03CardChallenge(this.#keys.enc, this.#counter, this.#sdAid, length);
  }

  /**
   * EXTERNAL AUTHENTICATE (Amd D §7.1.2), step by step: sequence (6985/6982), P2 (6A86), C-MAC with
   * MCV 00…00 (6982), host cryptogram length (6700) and value (6300), security level P1 (6A86).
   * Any failure aborts the session. Returns the (empty) response data.
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
      const macLength = this.#options.macLength;
      const macOnly: Scp03Protection = { level: { level: command.p1, cMac: true, cDecryption: false, rMac: false, rEncryption: false }, macLength };
      const verified = scp03VerifyCommand(initiation.session, SCP03_INITIAL_CHAIN, command, macOnly);
      const hostCryptogram = verified.apdu.data;
      if (hostCryptogram.length !== this.#options.challengeLength) throw cardRefusal('ERR_GP_LENGTH', 0x6700, 'EXTERNAL AUTHENTICATE: wrong host cryptogram length');
      // Amd D §6.2.2.3; GPC 2.3.1 Table E-12: 6300 when the host cryptogram fails
      if (!equalCt(hostCryptogram, initiation.session.hostCryptogram())) throw cardRefusal('ERR_GP_HOST_CRYPTOGRAM', 0x6300, 'host cryptogram verification failed');
      const level = this.#level(command.p1);
      this.#session = initiation.session;
      this.#initiation = undefined;
      this.#protection = { level, macLength };
      this.#chain = { mcv: verified.chain.mcv, counter: 0 }; // Amd D §6.2.6: the counter starts at 1 with the next command
      this.#state = 'open';
      this.#pending = 'none'; // Amd D §6.2.5: EXTERNAL AUTHENTICATE's response carries no R-MAC
      return new Uint8Array(0);
    } catch (e) {
      this.#abort();
      throw e;
    }
  }

  #level(p1: number): Scp03Protection['level'] {
    try {
      return securityLevel('scp03', p1, this.#options);
    } catch (e) {
      if (e instanceof GpError) throw cardRefusal('ERR_GP_SECURITY_LEVEL', 0x6a86, e.message);
      throw e;
    }
  }

  /**
   * Verifies and decrypts a command in the open session (Amd D §6.2.4, §6.2.6). A failure aborts
   * the session with 6982 (bad MAC and bad padding alike). Outside a session, commands without
   * secure messaging pass unchanged; secured ones, and everything after an abort, get 6982.
   */
  unwrapCommand(command: CommandApdu): CommandApdu {
    this.#pending = 'none';
    if (this.#state !== 'open' || this.#session === undefined || this.#protection === undefined) return refuseOutsideSession(this.#state, command);
    try {
      const verified = scp03VerifyCommand(this.#session, this.#chain, command, this.#protection);
      this.#chain = verified.chain;
      this.#pending = 'protected';
      return verified.apdu;
    } catch (e) {
      this.#abort(); // Amd D §5.6: security error: reject, abort, reset the security level
      throw e;
    }
  }

  /**
   * Protects the response to the command last unwrapped (Amd D §6.2.5, §6.2.7): R-ENCRYPTION and
   * R-MAC for 9000/62xx/63xx, the bare status word otherwise. Other responses pass unchanged.
   */
  wrapResponse(response: ResponseApdu): ResponseApdu {
    const pending = this.#pending;
    this.#pending = 'none';
    if (pending !== 'protected' || this.#state !== 'open' || this.#session === undefined || this.#protection === undefined) return response;
    return scp03ProtectResponse(this.#session, this.#chain, response, this.#protection);
  }

  /** Amd D §6.2.8: decrypts sensitive data (PUT KEY, STORE DATA) with the static DEK, ICV zero. */
  decryptSensitive(data: Uint8Array): Uint8Array {
    if (this.#state === 'closed') throw closedRefusal();
    assertGpBytes(data, undefined, 'SCP03 sensitive data');
    if (data.length === 0 || data.length % 16 !== 0) throw cardRefusal('ERR_GP_LENGTH', 0x6a80, 'SCP03 sensitive data is not a multiple of 16 bytes');
    return aesCbcDecrypt(this.#keys.dek, data, { iv: new Uint8Array(16) });
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
    this.#chain = SCP03_INITIAL_CHAIN;
    this.#pending = 'none';
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
    return `Scp03CardSession(KVN ${hex2(this.#keys.keyVersion)}, i ${hex2(this.#options.i)}, counter ${this.#counter}, ${this.#state}${sl})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}
