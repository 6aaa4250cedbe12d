/**
 * State shared by the card-side sessions: where the Security Domain stands in the secure channel
 * life (GPC 2.3.1 §E.1.5–E.1.6, GPC Amd D v1.1.1 §5.5–5.6).
 */
import type { GpError } from '../errors.ts';
import { cardRefusal } from './assert.ts';
import { hasSecureMessaging, isValidCla } from './cla.ts';
import type { CommandApdu } from '../../apdu/index.ts';

/**
 * - `idle`: no session; commands pass unverified unless they claim secure messaging.
 * - `initialized`: INITIALIZE UPDATE answered, EXTERNAL AUTHENTICATE expected.
 * - `open`: authenticated; every command is checked against the security level.
 * - `aborted`: a security error ended the session; everything is refused until a new INITIALIZE UPDATE.
 * - `closed`: `close()` wiped the keys; the object is unusable.
 */
export type CardChannelState = 'idle' | 'initialized' | 'open' | 'aborted' | 'closed';

/** What the next `wrapResponse` must do: nothing, or protect the answer to an unwrapped command. */
export type PendingResponse = 'none' | 'protected';

/** The refusal for any use of a closed card session object. */
export function closedRefusal(): GpError {
  return cardRefusal('ERR_GP_SESSION_STATE', 0x6985, 'card secure-channel session object is closed');
}

/** The refusal for a command that arrives when no session can verify it. */
export function refuseOutsideSession(state: CardChannelState, command: CommandApdu): CommandApdu {
  if (state === 'closed') throw closedRefusal();
  // Amd D §5.6: after an abort, "the incoming command shall be rejected with a security error"
  if (state === 'aborted') throw cardRefusal('ERR_GP_SESSION_STATE', 0x6982, 'secure channel aborted: a new INITIALIZE UPDATE is required');
  if (!isValidCla(command.cla)) throw cardRefusal('ERR_GP_PARAM', 0x6e00, 'class byte not supported');
  if (hasSecureMessaging(command.cla)) throw cardRefusal('ERR_GP_SESSION_STATE', 0x6982, 'secured command without an open secure channel');
  return command;
}

/** Refusal for an EXTERNAL AUTHENTICATE that does not follow INITIALIZE UPDATE. */
export function externalAuthenticateOutOfSequence(state: CardChannelState): GpError {
  // GPC 2.3.1 §E.5.2.1: "A successful execution of the INITIALIZE UPDATE command shall precede this command"
  return state === 'idle'
    ? cardRefusal('ERR_GP_SESSION_STATE', 0x6985, 'EXTERNAL AUTHENTICATE without INITIALIZE UPDATE')
    : cardRefusal('ERR_GP_SESSION_STATE', 0x6982, 'EXTERNAL AUTHENTICATE out of sequence');
}

/** Checks the header of a card-side INITIALIZE UPDATE: GP CLA without SM (GPC 2.3.1 Table E-7), P2 00, Lc. */
export function checkInitializeUpdate(command: CommandApdu, challengeLength: number): void {
  if (!isValidCla(command.cla) || (command.cla & 0x80) === 0 || hasSecureMessaging(command.cla)) throw cardRefusal('ERR_GP_PARAM', 0x6e00, 'INITIALIZE UPDATE needs a GP class byte without secure messaging');
  if (command.p2 !== 0x00) throw cardRefusal('ERR_GP_PARAM', 0x6a86, 'INITIALIZE UPDATE: P2 must be 00');
  if (command.data.length !== challengeLength) {
    throw cardRefusal('ERR_GP_LENGTH', 0x6700, `INITIALIZE UPDATE: expected a ${challengeLength}-byte host challenge, got ${command.data.length} bytes`);
  }
}
