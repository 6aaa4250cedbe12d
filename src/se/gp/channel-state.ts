/**
 * What a Security Domain remembers about one logical channel between commands — all volatile
 * (GPC 2.3.1 §6.4: lost on deselection, channel close or reset), never in the card state.
 */
import type { GpChainAssembler, BlockAssembler, InstallRequest, Scp02CardSession, Scp03CardSession } from '../../gp/index.ts';

/** An INSTALL [for load] waiting for its LOAD blocks (GPC 2.3.1 §9.3.5). */
export interface PendingLoad {
  readonly request: Extract<InstallRequest, { kind: 'load' }>;
  readonly blocks: BlockAssembler;
}

/** The application STORE DATA is forwarded to after INSTALL [for personalization] (GPC 2.3.1 §7.3.2). */
export interface PersonalizationTarget {
  readonly aid: Uint8Array;
  /** Next expected STORE DATA block number (P2), reset on the last block (GPC 2.3.1 §11.11.2.2). */
  nextBlock: number;
}

/** Per-channel volatile state of one Security Domain. */
export interface SdChannelState {
  session: Scp02CardSession | Scp03CardSession | undefined;
  /** KVN of the key set the session was opened with. */
  sessionKvn: number | undefined;
  load: PendingLoad | undefined;
  personalization: PersonalizationTarget | undefined;
  /** STORE DATA to the SD itself: next expected block number. */
  storeDataBlock: number;
  /** GET STATUS paging: the entries still to send after 6310 (GPC 2.3.1 §11.4.2). */
  getStatusRest: { readonly p1: number; readonly p2: number; readonly pages: readonly Uint8Array[] } | undefined;
  /** Chained INSTALL / PUT KEY / DELETE being assembled (P1 b8, GPC 2.3.1 §11.5.2.1). */
  chain: GpChainAssembler | undefined;
  /**
   * Set on the pseudo-channel of an OTA script (se/ota/): the SCP80 packet the commands came in was
   * verified, so they run as authenticated, with no SCP02/SCP03 session (ETSI TS 102 226 RAM).
   */
  otaAuthenticated?: boolean;
}

/** A fresh channel state. */
export function newChannelState(): SdChannelState {
  return {
    session: undefined,
    sessionKvn: undefined,
    load: undefined,
    personalization: undefined,
    storeDataBlock: 0,
    getStatusRest: undefined,
    chain: undefined,
    otaAuthenticated: false,
  };
}

/** Ends the channel's secure session and forgets everything in progress (deselect, reset). */
export function clearChannelState(ch: SdChannelState): void {
  ch.session?.close();
  Object.assign(ch, newChannelState());
}
