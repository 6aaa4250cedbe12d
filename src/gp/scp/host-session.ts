/**
 * The host side of an open secure channel, common to SCP02 and SCP03: an explicit session object
 * that owns the chained state, wraps commands, unwraps responses and ends itself on any security
 * failure (GPC 2.3.1 §E.1.6, GPC Amd D v1.1.1 §5.6).
 */
import { transmit as transmitApdu, type ApduTransport, type CommandApdu, type ResponseApdu, type TransmitOptions } from '../../apdu/index.ts';
import { describeSw } from '../../apdu/index.ts';
import { GpError } from '../errors.ts';
import { hex2 } from './assert.ts';
import { logicalChannel } from './cla.ts';
import { inspectSymbol } from './key-print.ts';

/** An open host-side secure channel session, SCP02 or SCP03. */
export interface SecureChannelSession {
  readonly scp: 2 | 3;
  /** The EXTERNAL AUTHENTICATE P1 in force. */
  readonly securityLevel: number;
  /** The KVN the card used. */
  readonly keyVersion: number;
  /** The logical channel (0–19) the session runs on. */
  readonly channel: number;
  readonly isOpen: boolean;
  /** Protects a command; refuses data that would not fit the APDU once wrapped (`ERR_GP_LENGTH`). */
  wrap(apdu: CommandApdu): CommandApdu;
  /** Verifies and decrypts a response; a bad R-MAC closes the session and throws `ERR_GP_MAC`. */
  unwrap(response: ResponseApdu): ResponseApdu;
  /** Wraps, sends (with T=0 handling), unwraps; a card security error (6982/6987/6988) closes the session. */
  transmit(apdu: CommandApdu): Promise<ResponseApdu>;
  /** Encrypts sensitive data (PUT KEY, STORE DATA) for the card: SCP02 session DEK, SCP03 static DEK. */
  encryptSensitive(data: Uint8Array): Promise<Uint8Array>;
  /** The most plain data a command may carry so that its wrapped form fits. */
  maxPlainDataLength(extended?: boolean): number;
  /** Ends the session and wipes its keys; idempotent. */
  close(): void;
}

/** Status words by which a card says it rejected our secure messaging and aborted the session. */
const SECURITY_ERRORS: readonly number[] = [0x6982, 0x6987, 0x6988];

/** Shared plumbing of {@link SecureChannelSession}; subclasses supply the protocol steps. */
export abstract class HostSession implements SecureChannelSession {
  abstract readonly scp: 2 | 3;
  readonly securityLevel: number;
  readonly keyVersion: number;
  readonly channel: number;
  readonly #transport: ApduTransport;
  readonly #transmitOptions: TransmitOptions | undefined;
  #open = true;
  #busy = false;

  protected constructor(
    transport: ApduTransport,
    info: { securityLevel: number; keyVersion: number; channel: number; transmitOptions: TransmitOptions | undefined },
  ) {
    this.#transport = transport;
    this.#transmitOptions = info.transmitOptions;
    this.securityLevel = info.securityLevel;
    this.keyVersion = info.keyVersion;
    this.channel = info.channel;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** The protocol's command protection; must not change state when it throws. */
  protected abstract protect(apdu: CommandApdu): CommandApdu;
  /** The protocol's response verification; throws `ERR_GP_MAC` on failure. */
  protected abstract verify(response: ResponseApdu): ResponseApdu;
  /** Wipes the protocol's keys and chain state. */
  protected abstract destroy(): void;
  abstract encryptSensitive(data: Uint8Array): Promise<Uint8Array>;
  abstract maxPlainDataLength(extended?: boolean): number;
  /** A one-line description without secrets. */
  protected abstract describe(): string;

  protected assertOpen(): void {
    if (!this.#open) throw new GpError('ERR_GP_SESSION_STATE', `SCP0${this.scp} session is closed; open a new secure channel`);
  }

  wrap(apdu: CommandApdu): CommandApdu {
    this.assertOpen();
    if (typeof apdu !== 'object' || apdu === null || apdu.kind !== 'command-apdu') throw new GpError('ERR_GP_PARAM', 'wrap: expected a CommandApdu');
    if (logicalChannel(apdu.cla) !== this.channel) {
      throw new GpError('ERR_GP_PARAM', `wrap: CLA ${hex2(apdu.cla)} addresses channel ${logicalChannel(apdu.cla)}, the session runs on channel ${this.channel}`);
    }
    return this.protect(apdu);
  }

  unwrap(response: ResponseApdu): ResponseApdu {
    this.assertOpen();
    if (typeof response !== 'object' || response === null || response.kind !== 'response-apdu') throw new GpError('ERR_GP_PARAM', 'unwrap: expected a ResponseApdu');
    try {
      return this.verify(response);
    } catch (e) {
      this.close(); // gp.md §6: R-MAC mismatch: drop the response, close the session
      throw e;
    }
  }

  async transmit(apdu: CommandApdu): Promise<ResponseApdu> {
    this.assertOpen();
    if (this.#busy) throw new GpError('ERR_GP_SESSION_STATE', 'a secure channel carries one command at a time (the MAC chain orders them)');
    this.#busy = true;
    try {
      const wrapped = this.wrap(apdu);
      let raw: ResponseApdu;
      try {
        raw = await transmitApdu(this.#transport, wrapped, this.#transmitOptions);
      } catch (e) {
        this.close(); // the card's chain state is unknown now
        throw e;
      }
      const response = this.unwrap(raw);
      if (SECURITY_ERRORS.includes(response.sw)) {
        // GPC Amd D §5.6: a security error aborts the session on the card; follow it
        this.close();
        throw new GpError('ERR_GP_STATUS', `card rejected the secured command (${describeSw(response.sw)}) and ended the secure channel`, { sw: response.sw });
      }
      return response;
    } finally {
      this.#busy = false;
    }
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.destroy();
  }

  toString(): string {
    return `${this.describe()}, ${this.#open ? 'open' : 'closed'})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}
