/**
 * SCP02 host side (GPC 2.3.1 §E.1.2.1, §E.4, §E.5): {@link openScp02} runs the explicit initiation
 * against a card and returns a {@link Scp02HostSession}.
 *
 * LEGACY: SCP02 is deprecated and built on (3)DES; prefer SCP03 wherever the card offers it.
 */
import { equalCt } from '../../bytes/index.ts';
import { commandApdu, type ApduTransport, type CommandApdu, type ResponseApdu, type TransmitOptions } from '../../apdu/index.ts';
import { GpError } from '../errors.ts';
import { hex2 } from './assert.ts';
import { gpCla } from './cla.ts';
import { INS_EXTERNAL_AUTHENTICATE } from './initialize-update.ts';
import { HostSession } from './host-session.ts';
import { cardAuthenticationFailure, externalAuthenticate, hostChallengeFor, initializeUpdate, type OpenOptionsBase } from './open-steps.ts';
import type { Scp02HostKeys, Scp02SessionKeys } from './scp02-keys.ts';
import {
  SCP02_INITIAL_CHAIN,
  scp02MaxPlainDataLength,
  scp02ProtectCommand,
  type Scp02Chain,
  type Scp02Protection,
} from './scp02-messaging.ts';
import { scp02Options } from './scp02-options.ts';
import { securityLevel } from './security-level.ts';

/** Options of {@link openScp02}. */
export interface Scp02OpenOptions extends OpenOptionsBase {
  /**
   * The card's SCP02 "i" (15 or 55). The SCP02 INITIALIZE UPDATE response does not carry it
   * (GPC 2.3.1 Table E-8): take it from the card profile or GET DATA tag 66.
   */
  i: number;
}

/** An open SCP02 session on the host side. */
export class Scp02HostSession extends HostSession {
  readonly scp = 2 as const;
  readonly i: number;
  readonly #session: Scp02SessionKeys;
  readonly #protection: Scp02Protection;
  #chain: Scp02Chain;

  /** @internal Built by {@link openScp02} once EXTERNAL AUTHENTICATE succeeded. */
  constructor(
    transport: ApduTransport,
    setup: { i: number; session: Scp02SessionKeys; keyVersion: number; protection: Scp02Protection; chain: Scp02Chain; channel: number; transmitOptions: TransmitOptions | undefined },
  ) {
    super(transport, { securityLevel: setup.protection.level.level, keyVersion: setup.keyVersion, channel: setup.channel, transmitOptions: setup.transmitOptions });
    this.i = setup.i;
    this.#session = setup.session;
    this.#protection = setup.protection;
    this.#chain = setup.chain;
  }

  protected protect(apdu: CommandApdu): CommandApdu {
    const next = scp02ProtectCommand(this.#session, this.#chain, apdu, this.#protection);
    this.#chain = next.chain;
    return next.apdu;
  }

  /** No R-MAC with "i" = 15/55: responses pass as they are. */
  protected verify(response: ResponseApdu): ResponseApdu {
    return response;
  }

  protected destroy(): void {
    this.#session.close();
    this.#chain = SCP02_INITIAL_CHAIN;
  }

  /** GPC 2.3.1 §E.4.7: 3DES-ECB under the session DEK (constant 0181); the data must be 8-byte aligned. */
  encryptSensitive(data: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve().then(() => {
      this.assertOpen();
      return this.#session.encryptSensitive(data);
    });
  }

  maxPlainDataLength(extended = false): number {
    if (extended) throw new GpError('ERR_GP_LENGTH', 'SCP02 does not define extended-length APDUs');
    return scp02MaxPlainDataLength(this.#protection);
  }

  protected describe(): string {
    return `Scp02HostSession(KVN ${hex2(this.keyVersion)}, i ${hex2(this.i)}, SL ${hex2(this.securityLevel)}, channel ${this.channel}`;
  }
}

/**
 * Opens an SCP02 secure channel (GPC 2.3.1 §E.1.2.1): INITIALIZE UPDATE, the 28-byte response
 * checked, the pseudo-random challenge checked ("i" = 55) when the SD AID is given, the card
 * cryptogram verified in constant time (a mismatch throws `ERR_GP_CARD_CRYPTOGRAM` and EXTERNAL
 * AUTHENTICATE is never sent), then EXTERNAL AUTHENTICATE with the host cryptogram and C-MAC.
 * @example const session = await openScp02(card, keys, { securityLevel: 0x03, i: 0x55 })
 */
export async function openScp02(transport: ApduTransport, keys: Scp02HostKeys, options: Scp02OpenOptions): Promise<Scp02HostSession> {
  if (typeof keys !== 'object' || keys === null || keys.scp !== 2) throw new GpError('ERR_GP_KEY', 'openScp02: expected SCP02 host keys');
  const hostChallenge = hostChallengeFor(options, 8);
  const scpOptions = scp02Options(options.i);
  const level = securityLevel('scp02', options.securityLevel, { rMac: scpOptions.rMac, rEncryption: false });
  const card = await initializeUpdate(transport, keys.keyVersion, hostChallenge, options);
  if (card.kind !== 'scp02-initialize-update') throw new GpError('ERR_GP_UNSUPPORTED', 'INITIALIZE UPDATE: the card answered SCP03, the keys are for SCP02');
  const session = await keys.deriveSession({ kdd: card.kdd, keyVersion: card.keyVersion, sequenceCounter: card.sequenceCounter });
  try {
    // GPC 2.3.1 §E.4.2.3: the well-known pseudo-random challenge, a MAC over the SD AID
    if (scpOptions.pseudoRandomChallenge && options.sdAid !== undefined && !equalCt(session.pseudoRandomChallenge(options.sdAid), card.cardChallenge)) {
      throw cardAuthenticationFailure('the pseudo-random card challenge');
    }
    if (!equalCt(session.cardCryptogram(hostChallenge, card.cardChallenge), card.cardCryptogram)) throw cardAuthenticationFailure('the card cryptogram'); // §E.4.2.1
    const channel = options.channel ?? 0;
    const protection = { level, icvEncryption: scpOptions.icvEncryption };
    // GPC 2.3.1 §E.3.2: EXTERNAL AUTHENTICATE is C-MACed with a zero ICV and never encrypted
    const ea = commandApdu({ cla: gpCla(channel, false), ins: INS_EXTERNAL_AUTHENTICATE, p1: level.level, p2: 0x00, data: session.hostCryptogram(hostChallenge, card.cardChallenge) });
    const macOnly = { level: { ...level, cMac: true, cDecryption: false }, icvEncryption: scpOptions.icvEncryption };
    const authenticated = scp02ProtectCommand(session, SCP02_INITIAL_CHAIN, ea, macOnly);
    await externalAuthenticate(transport, authenticated.apdu, options);
    return new Scp02HostSession(transport, { i: scpOptions.i, session, keyVersion: card.keyVersion, protection, chain: authenticated.chain, channel, transmitOptions: options.transmitOptions });
  } catch (e) {
    session.close();
    throw e;
  }
}
