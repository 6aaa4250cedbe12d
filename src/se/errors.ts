import { OpenTsmError } from '../bytes/index.ts';

/** Codes raised by the `se/` layer to its host (never to the card's peer, which only sees status words). */
export const SE_ERROR_CODES = [
  'ERR_SE_STATE',
  'ERR_SE_STORE',
  'ERR_SE_CONFIG',
  'ERR_SE_CARD_STATUS',
] as const;
export type SeErrorCode = (typeof SE_ERROR_CODES)[number];

/**
 * A virtual-SE failure seen by whoever runs the card: a damaged state file, a storage failure, a bad
 * card configuration. (`ERR_SE_CARD_STATUS` is the code of `CardException`, which card code throws to
 * answer with a status word.)
 */
export class SeError extends OpenTsmError<SeErrorCode> {}
