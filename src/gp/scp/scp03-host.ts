/**
 * SCP03 host side (GPC Amd D v1.1.1 §5.2, §6.2, §7.1): {@link openScp03} runs the explicit
 * initiation against a card and returns a {@link Scp03HostSession}.
 */
import { equalCt, wipe } from '../../bytes/index.ts';
import { commandApdu, type ApduTransport, type CommandApdu, type ResponseApdu, type TransmitOptions } from '../../apdu/index.ts';
import { GpError } from '../errors.ts';
import { hex2 } from './assert.ts';
import { gpCla } from './cla.ts';
import { INS_EXTERNAL_AUTHENTICATE, type Scp03InitializeUpdateResponse } from './initialize-update.ts';
import type { ScpKeyContext } from './key-context.ts';
import { HostSession } from './host-session.ts';
import { cardAuthenticationFailure, externalAuthenticate, hostChallengeFor, initializeUpdate, type OpenOptionsBase } from './open-steps.ts';
import type { Scp03HostKeys, Scp03SessionKeys } from './scp03-keys.ts';
import {
  SCP03_INITIAL_CHAIN,
  scp03MaxPlainDataLength,
  scp03ProtectCommand,
  scp03VerifyResponse,
  type Scp03Chain,
  type Scp03Protection,
} from './scp03-messaging.ts';
import { scp03Options, type Scp03Options } from './scp03-options.ts';
import { securityLevel } from './security-level.ts';

/** Options of {@link openScp03}. */
export interface Scp03OpenOptions extends OpenOptionsBase {
  /** S16 mode (Amd D v1.2): 16-byte challenges, cryptograms and MACs. Default false (S8). */
  s16?: boolean;
}

/** An open SCP03 session on the host side. */
export class Scp03HostSession extends HostSession {
  readonly scp = 3 as const;
  /** The card's "i" parameter. */
  readonly i: number;
  readonly #keys: Scp03HostKeys;
  readonly #session: Scp03SessionKeys;
  readonly #context: ScpKeyContext;
  readonly #protection: Scp03Protection;
  #chain: Scp03Chain;

  /** @internal Built by {@link openScp03} once EXTERNAL AUTHENTICATE succeeded. */
  constructor(
    transport: ApduTransport,
    setup: { keys: Scp03HostKeys; session: Scp03SessionKeys; context: ScpKeyContext; options: Scp03Options; protection: Scp03Protection; chain: Scp03Chain; channel: number; transmitOptions: TransmitOptions | undefined },
  ) {
    super(transport, { securityLevel: setup.protection.level.level, keyVersion: setup.context.keyVersion, channel: setup.channel, transmitOptions: setup.transmitOptions });
    this.i = setup.options.i;
    this.#keys = setup.keys;
    this.#session = setup.session;
    this.#context = { kdd: setup.context.kdd.slice(), keyVersion: setup.context.keyVersion };
    this.#protection = setup.protection;
    this.#chain = setup.chain;
  }

  protected protect(apdu: CommandApdu): CommandApdu {
    const next = scp03ProtectCommand(this.#session, this.#chain, apdu, this.#protection);
    this.#chain = next.chain;
    return next.apdu;
  }

  protected verify(response: ResponseApdu): ResponseApdu {
    return scp03VerifyResponse(this.#session, this.#chain, response, this.#protection);
  }

  protected destroy(): void {
    this.#session.close();
    wipe(this.#chain.mcv);
  }

  /** Amd D §6.2.8: AES-CBC under the card's static DEK, ICV zero; the data must be block-aligned. */
  encryptSensitive(data: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve().then(() => {
      this.assertOpen();
      return this.#keys.encryptSensitive(data, this.#context);
    });
  }

  maxPlainDataLength(extended = false): number {
    return scp03MaxPlainDataLength(this.#protection, extended);
  }

  protected describe(): string {
    return `Scp03HostSession(KVN ${hex2(this.keyVersion)}, i ${hex2(this.i)}, SL ${hex2(this.securityLevel)}, ${this.#protection.macLength === 16 ? 'S16' : 'S8'}, channel ${this.channel}`;
  }
}

async function checkPseudoRandomChallenge(keys: Scp03HostKeys, card: Scp03InitializeUpdateResponse, options: Scp03Options, sdAid: Uint8Array): Promise<void> {
  // Amd D v1.1.1 §6.2.2.1: challenge = KDF(static ENC, 02, counter ‖ SD AID)
  const expected = await keys.cardChallenge({
    kdd: card.kdd,
    keyVersion: card.keyVersion,
    sequenceCounter: card.sequenceCounter ?? 0,
    sdAid,
    length: options.challengeLength,
  });
  if (!equalCt(expected, card.cardChallenge)) throw cardAuthenticationFailure('the pseudo-random card challenge');
}

/**
 * Opens an SCP03 secure channel (GPC Amd D v1.1.1 §5.2, §7.1): INITIALIZE UPDATE, response checked
 * exactly against "i", the pseudo-random challenge checked when the SD AID is given, the card
 * cryptogram verified in constant time (a mismatch throws `ERR_GP_CARD_CRYPTOGRAM` and EXTERNAL
 * AUTHENTICATE is never sent), then EXTERNAL AUTHENTICATE with the host cryptogram and C-MAC.
 * @example const session = await openScp03(card, keys, { securityLevel: 0x33, sdAid })
 */
export async function openScp03(transport: ApduTransport, keys: Scp03HostKeys, options: Scp03OpenOptions): Promise<Scp03HostSession> {
  if (typeof keys !== 'object' || keys === null || keys.scp !== 3) throw new GpError('ERR_GP_KEY', 'openScp03: expected SCP03 host keys');
  const hostChallenge = hostChallengeFor(options, options.s16 === true ? 16 : 8);
  securityLevel('scp03', options.securityLevel, { rMac: true, rEncryption: true }); // refuse a bad level before touching the card
  const card = await initializeUpdate(transport, keys.keyVersion, hostChallenge, options);
  if (card.kind !== 'scp03-initialize-update') {
    throw new GpError('ERR_GP_UNSUPPORTED', 'INITIALIZE UPDATE: the card answered SCP02, the keys are for SCP03');
  }
  const scpOptions = scp03Options(card.i);
  if (scpOptions.challengeLength !== hostChallenge.length) {
    throw new GpError('ERR_GP_UNSUPPORTED', `INITIALIZE UPDATE: the card runs ${scpOptions.s16 ? 'S16' : 'S8'} ("i" = ${hex2(card.i)}), the host asked for ${hostChallenge.length === 16 ? 'S16' : 'S8'}`);
  }
  const level = securityLevel('scp03', options.securityLevel, scpOptions);
  if (scpOptions.pseudoRandomChallenge && options.sdAid !== undefined) await checkPseudoRandomChallenge(keys, card, scpOptions, options.sdAid);
  const context = { kdd: card.kdd, keyVersion: card.keyVersion, i: card.i, hostChallenge, cardChallenge: card.cardChallenge };
  const session = await keys.deriveSession(context);
  try {
    if (!equalCt(session.cardCryptogram(), card.cardCryptogram)) throw cardAuthenticationFailure('the card cryptogram'); // Amd D §6.2.2.2
    const channel = options.channel ?? 0;
    const protection = { level, macLength: scpOptions.macLength };
    // Amd D §6.2.3 and §7.1.2: EXTERNAL AUTHENTICATE is C-MACed with MCV 00…00 and never encrypted
    const ea = commandApdu({ cla: gpCla(channel, false), ins: INS_EXTERNAL_AUTHENTICATE, p1: level.level, p2: 0x00, data: session.hostCryptogram() });
    const macOnly = { level: { ...level, cMac: true, cDecryption: false }, macLength: scpOptions.macLength };
    const authenticated = scp03ProtectCommand(session, SCP03_INITIAL_CHAIN, ea, macOnly);
    await externalAuthenticate(transport, authenticated.apdu, options);
    // Amd D §6.2.6: the encryption counter starts at 1 for the first command after EXTERNAL AUTHENTICATE
    const chain = { mcv: authenticated.chain.mcv, counter: 0 };
    return new Scp03HostSession(transport, { keys, session, context, options: scpOptions, protection, chain, channel, transmitOptions: options.transmitOptions });
  } catch (e) {
    session.close();
    throw e;
  }
}
