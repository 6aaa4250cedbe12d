/**
 * The card's persistent state under transactions: one per command (CardTransactions). Code reads
 * `state` and replaces it with `update()`; `commit()` persists the new state through the store
 * before the response leaves the card, `rollback()` forgets it. A store failure becomes status
 * 6581 (memory failure, GPC 2.3.1 §11.1.3) and the committed state stays the old one.
 */
import { equalCt } from '../../bytes/index.ts';
import { applicationTransitionAllowed, isApplicationSpecificState } from '../../gp/index.ts';
import type { CardTransactions } from '../runtime/applet.ts';
import { CardException } from '../runtime/card-exception.ts';
import type { ApplicationState, CardState } from './card-state.ts';
import type { CardStore } from './store.ts';

export class CardModel implements CardTransactions {
  readonly #store: CardStore;
  #committed: CardState;
  #draft: CardState | undefined;

  constructor(store: CardStore) {
    this.#store = store;
    this.#committed = store.load();
  }

  /** The state as of now: the draft of the current command, or the committed state. */
  get state(): CardState {
    return this.#draft ?? this.#committed;
  }

  /** The last committed state (what survives a power cut). */
  get committed(): CardState {
    return this.#committed;
  }

  /** Replaces the state within the current transaction. */
  update(next: CardState): void {
    this.#draft = next;
  }

  begin(): void {
    this.#draft = undefined;
  }

  commit(): void {
    const draft = this.#draft;
    this.#draft = undefined;
    if (draft === undefined || draft === this.#committed) return;
    try {
      this.#store.save(draft);
    } catch (e) {
      throw new CardException(0x6581, `card state not saved: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.#committed = draft;
  }

  rollback(): void {
    this.#draft = undefined;
  }

  appletData(aid: Uint8Array): unknown {
    return findApplication(this.state, aid)?.data;
  }

  stageAppletData(aid: Uint8Array, data: unknown): void {
    const s = this.state;
    this.update({ ...s, applications: s.applications.map((a) => (equalCt(a.aid, aid) ? { ...a, data } : a)) });
  }

  /** GPC 2.3.1 §5.3.1.5: an application (not an SD) in SELECTABLE or its own state moves to another of its own. */
  stageApplicationState(aid: Uint8Array, state: number): boolean {
    const app = findApplication(this.state, aid);
    if (app === undefined || app.sd !== undefined || !isApplicationSpecificState(state) || !applicationTransitionAllowed('application', app.lifecycle, state)) return false;
    const s = this.state;
    this.update({ ...s, applications: s.applications.map((a) => (a === app ? { ...a, lifecycle: state } : a)) });
    return true;
  }
}

/** The registry entry of `aid`, if any. */
export function findApplication(state: CardState, aid: Uint8Array): ApplicationState | undefined {
  return state.applications.find((a) => a.aid.length === aid.length && equalCt(a.aid, aid));
}
