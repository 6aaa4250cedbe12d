/**
 * A virtual UICC with OTA key sets and TARs on an in-memory store, and its OTA receiver (the card
 * model and card manager built as VirtualSecureElement builds them).
 */
import { fromHex } from '../../../src/bytes/index.ts';
import {
  AppletLibrary,
  CardManager,
  CardModel,
  MemoryCardStore,
  OtaReceiver,
  STRICT_UICC,
  type CardState,
  type OtaReceiverOptions,
  type OtaTarState,
  type Scp80KeySetState,
} from '../../../src/se/index.ts';
import { testCardState } from '../helpers.ts';

export interface OtaCard {
  readonly store: MemoryCardStore;
  readonly model: CardModel;
  readonly manager: CardManager;
  readonly receiver: OtaReceiver;
  /** The committed counter of key set `kvn`. */
  counter(kvn: number): number;
}

/** An ISD key set (hex keys). */
export function keySet(kvn: number, algorithm: Scp80KeySetState['algorithm'], kic: string, kid: string, counter = 0, sdAid?: Uint8Array): Scp80KeySetState {
  return { kvn, algorithm, kic: fromHex(kic), kid: fromHex(kid), counter, ...(sdAid === undefined ? {} : { sdAid }) };
}

/** A UICC whose ISD answers `tars` (hex) and holds `keySets`. */
export function otaCardState(tars: readonly (string | { tar: string; msl?: number; sdAid?: Uint8Array })[], keySets: readonly Scp80KeySetState[], tweak?: (s: CardState) => CardState): CardState {
  const base = testCardState(STRICT_UICC);
  const tarStates: OtaTarState[] = tars.map((t) => {
    const o = typeof t === 'string' ? { tar: t } : t;
    return { tar: fromHex(o.tar), sdAid: o.sdAid ?? base.isdAid, ...(o.msl === undefined ? {} : { msl: o.msl }) };
  });
  const state: CardState = { ...base, ota: { scp80: keySets, tars: tarStates } };
  return tweak === undefined ? state : tweak(state);
}

/** A card and its receiver over `state` (or over an existing store: a power cycle). */
export function otaCard(stateOrStore: CardState | MemoryCardStore, options: OtaReceiverOptions = {}): OtaCard {
  const store = stateOrStore instanceof MemoryCardStore ? stateOrStore : new MemoryCardStore(stateOrStore);
  const model = new CardModel(store);
  const manager = new CardManager(model, STRICT_UICC, new AppletLibrary());
  const receiver = new OtaReceiver(manager, options);
  return { store, model, manager, receiver, counter: (kvn) => model.committed.ota!.scp80.find((k) => k.kvn === kvn)!.counter };
}
