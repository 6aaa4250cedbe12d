/**
 * The refusal of inconsistent personalization data (docs/payment-application.md §4.2): 6A80, and a
 * trace message that names the problem but never a value.
 */
import { SW } from '../../../apdu/index.ts';
import { CardException } from '../../runtime/card-exception.ts';

/** Throws CardException(6A80) for inconsistent personalization data. */
export function inconsistent(what: string): never {
  throw new CardException(SW.INCORRECT_DATA, `payment personalization: ${what}`);
}
