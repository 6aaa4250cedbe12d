/**
 * What every payment command handler gets: the persistent state as of the start of the command, the
 * volatile session of its logical channel (EMV Book 3 §6.5: the transaction in progress, the issuer
 * script window) and a way to stage the next persistent state.
 */
import { SW } from '../../../apdu/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { readCardData, type CardData } from './card-data.ts';
import type { PaymentState, StoredDgi } from './payment-state.ts';
import type { CardTransaction } from './profile-crypto.ts';

/** Per logical channel, cleared by every SELECT and deselection (volatile memory). */
export interface ChannelSession {
  /** The transaction opened by GET PROCESSING OPTIONS: its ATC and the terminal's PDOL values. */
  gpo?: { readonly atc: number; readonly terminal: Readonly<Record<string, Uint8Array>> } | undefined;
  /** GENERATE AC was answered for this GPO (flow 02 allows one). */
  acDone: boolean;
  /** Open after a successful EXTERNAL AUTHENTICATE: the transaction the issuer answered. */
  script?: CardTransaction | undefined;
}

/** A fresh channel session. */
export function newSession(): ChannelSession {
  return { acDone: false };
}

/** The handler's view of the command. */
export interface CommandEnv {
  readonly state: PaymentState;
  readonly session: ChannelSession;
  save(next: PaymentState): void;
}

/**
 * Card data read from a DGI list, kept while the list is the same object: personalization data
 * never changes after completion, and reading it builds the RSA key (volatile, like a card's
 * RAM copy of its key objects).
 */
const cardDataCache = new WeakMap<readonly StoredDgi[], CardData>();

/**
 * The personalized card data, or 6985 before personalization completed (docs/payment-application.md
 * §4.2: every transaction command is refused). Data that stopped reading back is a memory failure.
 */
export function personalizedCard(state: PaymentState): CardData {
  if (!state.personalized) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'payment: not personalized');
  const cached = cardDataCache.get(state.dgis);
  if (cached !== undefined) return cached;
  try {
    const data = readCardData(state);
    cardDataCache.set(state.dgis, data);
    return data;
  } catch {
    throw new CardException(SW.MEMORY_FAILURE, 'payment: personalization data is damaged');
  }
}
