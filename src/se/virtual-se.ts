/**
 * A virtual Secure Element: card OS + GlobalPlatform card manager over a card store. It is a
 * `CardPort` — bytes in, bytes out — for in-process transports, the PC/SC bridge and OTA receivers.
 * Over the air it takes SMS-PP data download (`receiveSms`): one SCP80 receiver per card, whose key
 * sets, TARs and counters are the card state's (`CardState.ota`).
 */
import { SeError } from './errors.ts';
import { AppletLibrary } from './gp/applet-library.ts';
import { CardManager } from './gp/card-manager.ts';
import type { CardProfile } from './profiles/card-profile.ts';
import { PROFILES } from './profiles/catalog.ts';
import { CardOs, type CardOsStats } from './runtime/card-os.ts';
import type { CardPort } from './runtime/card-port.ts';
import type { CardState } from './state/card-state.ts';
import { CardModel } from './state/card-model.ts';
import type { CardStore } from './state/store.ts';
import { OtaReceiver } from './ota/receiver.ts';
import { SmsPpDownload, type SmsReceipt } from './ota/sms-pp.ts';
import { securityDomainRunner } from './ota/execute.ts';
import type { AdminSessionResult } from '../ota/index.ts';
import {
  adminTriggerRunner,
  runCardAdminSession,
  type AdminDefaults,
  type AdminSessionRequest,
  type CardAdminSessionOptions,
} from './ota/admin-agent.ts';

export interface VirtualSecureElementOptions {
  /** Applets the card can instantiate, by module AID (default: none beyond Security Domains). */
  readonly library?: AppletLibrary;
  /** Profiles to resolve the state's profile id against (default: the shipped catalog). */
  readonly profiles?: ReadonlyMap<string, CardProfile>;
  /** At most this many SMS per concatenated OTA command packet (default 16; see OtaReceiver). */
  readonly otaMaxParts?: number;
  /** The admin server the SCP81 agent reaches when a trigger does not name one (default: none). */
  readonly adminDefaults?: AdminDefaults;
  /** Told each admin session a secured SMS asked for (after it is recorded); nothing starts by itself. */
  readonly onAdminSessionRequest?: (request: AdminSessionRequest) => void;
}

export class VirtualSecureElement implements CardPort {
  readonly profile: CardProfile;
  readonly #model: CardModel;
  readonly #os: CardOs;
  readonly #manager: CardManager;
  readonly #sms: SmsPpDownload;
  readonly #adminRequests: AdminSessionRequest[] = [];

  constructor(store: CardStore, options: VirtualSecureElementOptions = {}) {
    this.#model = new CardModel(store);
    const id = this.#model.committed.profile;
    const profile = (options.profiles ?? PROFILES).get(id);
    if (profile === undefined) throw new SeError('ERR_SE_CONFIG', `unknown card profile ${id}`);
    this.profile = profile;
    this.#manager = new CardManager(this.#model, profile, options.library ?? new AppletLibrary());
    this.#os = new CardOs(
      { atr: profile.atr, channels: profile.channels, noApplicationSw: 0x6999, selectNotFoundSw: 0x6a82 },
      this.#manager,
      this.#model,
    );
    const notify = options.onAdminSessionRequest;
    const runner = adminTriggerRunner(this.#manager, securityDomainRunner(this.#manager), options.adminDefaults ?? {}, (request) => {
      this.#adminRequests.push(request);
      if (notify !== undefined) queueMicrotask(() => notify(request));
    });
    const receiverOptions = options.otaMaxParts === undefined ? { runner } : { runner, maxParts: options.otaMaxParts };
    this.#sms = new SmsPpDownload(new OtaReceiver(this.#manager, receiverOptions));
  }

  /** Admin sessions asked for by secured SMS and not yet started (oldest first; volatile). */
  get adminSessionRequests(): readonly AdminSessionRequest[] {
    return [...this.#adminRequests];
  }

  /**
   * Runs the SCP81 admin session a trigger asked for (GPC Amd B): TLS-PSK with the card's own key,
   * each script on its Security Domain, to the server's 204. The request leaves the pending list
   * when the session starts. Rejects with `ERR_OTA_TLS` when the handshake fails.
   */
  startAdminSession(request: AdminSessionRequest, options: CardAdminSessionOptions = {}): Promise<AdminSessionResult> {
    const i = this.#adminRequests.indexOf(request);
    if (i >= 0) this.#adminRequests.splice(i, 1);
    return runCardAdminSession(this.#manager, request, options);
  }

  /**
   * One SMS-DELIVER TPDU handed to the card by the modem (SMS-PP data download; ETSI TS 102 223
   * ENVELOPE SMS-PP DOWNLOAD is the real path, modelled without its TLVs): the secured packet is
   * reassembled, verified against the card's OTA key sets, its script run on the TAR's Security
   * Domain; the receipt says what happened and `submit` is the PoR SMS-SUBMIT to send, if any.
   * @example const { receipt, submit } = se.receiveSms(smsDeliverTpdu({ originator, userData, … }))
   */
  receiveSms(tpdu: Uint8Array): SmsReceipt {
    return this.#sms.receive(tpdu);
  }

  get atr(): Uint8Array {
    return this.#os.atr;
  }

  reset(): Uint8Array {
    return this.#os.reset();
  }

  process(command: Uint8Array): Uint8Array {
    return this.#os.process(command);
  }

  /** The committed card state (what a power cut would leave). */
  get state(): CardState {
    return this.#model.committed;
  }

  /** Command counters; `internalErrors` above zero is a bug. */
  get stats(): CardOsStats {
    return this.#os.stats;
  }

  /** AID selected on a logical channel (tooling and tests). */
  selectedOn(channel: number): Uint8Array | undefined {
    return this.#os.selectedOn(channel);
  }
}
