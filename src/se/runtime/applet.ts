import type { CommandApdu, ResponseApdu } from '../../apdu/index.ts';

/**
 * An application on the virtual card, written in TypeScript (the card does not execute Java Card
 * bytecode: an installed module binds to the applet class registered for its module AID).
 *
 * Handlers are synchronous, like card code. To refuse a command, throw `CardException(sw)`: the card
 * OS answers with that status word and discards every persistent change staged during the command.
 * A returned response — whatever its status word — commits the staged changes (GP needs this: a
 * failed EXTERNAL AUTHENTICATE still counts the failure).
 */
export interface Applet {
  /** SELECT was addressed to this instance: return the FCI response, or throw to refuse selection. */
  select(command: CommandApdu, ctx: AppletContext): ResponseApdu;
  /** The instance stops being selected on `ctx.channel` (another SELECT, channel closed, reset). */
  deselect?(ctx: AppletContext): void;
  /** Any other command on a channel where this instance is selected. */
  process(command: CommandApdu, ctx: AppletContext): ResponseApdu;
  /**
   * STORE DATA forwarded by the associated Security Domain after INSTALL [for personalization]
   * (GPC 2.3.1 §7.3.2): the command is already unwrapped by the SD, encrypted values are still
   * encrypted — `ctx.decryptSensitive` decrypts them with the SD's data encryption key. Applets
   * that are not personalized this way leave it undefined (the SD refuses the command).
   */
  storeData?(command: CommandApdu, ctx: PersonalizationContext): ResponseApdu;
  /** May be selected on several logical channels at once (Java Card MultiSelectable). */
  readonly multiselectable?: boolean;
  /**
   * Another applet on this card asks for this one's shareable interface object (Java Card 3.1 RE
   * ch. 6 object sharing [M: section], `Applet.getShareableInterfaceObject(clientAID, parameter)`): return the object, or
   * undefined to refuse. `ctx` is this applet's own context (its persistent data, the caller's
   * channel), valid for the command in progress only. See `AppletContext.shareable`.
   */
  getShareable?(clientAid: Uint8Array, parameter: number, ctx: AppletContext): unknown;
}

/** The context of a forwarded STORE DATA: the applet's own context plus the SD's key decryption service. */
export interface PersonalizationContext extends AppletContext {
  /** Decrypts a sensitive value with the SD's DEK (SCP02 session DEK, SCP03 static DEK; GPC 2.3.1 §10.2.4). */
  decryptSensitive(data: Uint8Array): Uint8Array;
}

/** What the card OS tells an applet about the command it is processing. */
export interface AppletContext {
  /** Logical channel of the command (0–19). */
  readonly channel: number;
  /** AID of the instance the command is addressed to. */
  readonly aid: Uint8Array;
  /** Physical interface the card is reached through (GPC 2.3.1 §11.6.2.2: implicit selection is per interface). */
  readonly contactless: boolean;
  /** This instance's persistent data as of the start of the command (undefined before the first write). */
  readonly persistent: unknown;
  /** Stages new persistent data for this instance; committed when the command completes without CardException. */
  setPersistent(next: unknown): void;
  /**
   * Moves this instance to an application-specific life cycle state `0xxxx111` (GPC 2.3.1 §5.3.1.5;
   * the GP Java Card API's `GPSystem.setCardContentState`), staged like persistent data. False when
   * refused: not such a state, or the instance is not SELECTABLE / in an application-specific state
   * (INSTALLED, LOCKED, a Security Domain). Contexts without a registry leave it undefined.
   */
  readonly setApplicationState?: (state: number) => boolean;
  /**
   * The shareable interface object of the selectable instance `serverAid` (Java Card 3.1
   * `JCSystem.getAppletShareableInterfaceObject(serverAID, parameter)`): undefined when no such
   * instance can be selected now (absent, not SELECTABLE, LOCKED) or it refuses. The card OS sets it
   * for commands it dispatches itself; contexts built elsewhere (an SD forwarding STORE DATA) leave
   * it undefined. Use the object within the current command only, as a Java Card SIO.
   */
  readonly shareable?: (serverAid: Uint8Array, parameter: number) => unknown;
}

/** A selectable instance as the card OS sees it when resolving SELECT. */
export interface SelectableEntry {
  readonly aid: Uint8Array;
  readonly applet: Applet;
}

/**
 * The card's persistent state as the card OS drives it: one transaction per command. `begin()` before
 * the command, then `commit()` if a response was returned or `rollback()` if the command was refused
 * (CardException) or failed, so a refused command leaves no trace in persistent memory.
 */
export interface CardTransactions {
  begin(): void;
  commit(): void;
  rollback(): void;
  /** Committed-or-staged persistent data of the instance `aid` within the current transaction. */
  appletData(aid: Uint8Array): unknown;
  /** Stages persistent data for `aid` in the current transaction. */
  stageAppletData(aid: Uint8Array, data: unknown): void;
  /** Stages an application-specific life cycle state for `aid` (see `AppletContext.setApplicationState`); false when refused. */
  stageApplicationState(aid: Uint8Array, state: number): boolean;
}

/**
 * Where the card OS finds applications (the GP registry in a GP card). Entries are in registry order
 * so that partial selection and "next occurrence" are deterministic (ISO 7816-4 §11.2.2).
 */
export interface AppletDirectory {
  /** Instances whose AID starts with `prefix` and that may be selected now (life cycle, lock, card state). */
  selectable(prefix: Uint8Array, channel: number, contactless: boolean): readonly SelectableEntry[];
  /** The instance implicitly selected on `channel` at reset or when the channel opens (GPC 2.3.1 §3.4.1). */
  implicit(channel: number, contactless: boolean): SelectableEntry | undefined;
}
