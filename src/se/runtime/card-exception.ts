import { OpenTsmError } from '../../bytes/index.ts';

/**
 * What a card-side handler throws to answer with a status word (Java Card's ISOException): the card
 * OS turns it into the response `sw`, never into a crash. The message is for traces only; the card
 * sends nothing but the status word.
 */
export class CardException extends OpenTsmError<'ERR_SE_CARD_STATUS'> {
  readonly sw: number;

  constructor(sw: number, message?: string) {
    super('ERR_SE_CARD_STATUS', message ?? `status ${sw.toString(16).toUpperCase().padStart(4, '0')}`);
    this.sw = sw;
  }
}

/** Throws `CardException(sw)` unless `condition` holds. */
export function cardCheck(condition: boolean, sw: number, message?: string): asserts condition {
  if (!condition) throw new CardException(sw, message);
}
