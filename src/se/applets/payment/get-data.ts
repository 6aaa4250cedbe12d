/**
 * GET DATA `80 CA p1p2 00` (EMV Book 3 §6.5.7): ATC (9F36), PIN try counter (9F17), Last Online ATC
 * Register (9F13), Log Format (9F4F, when the card keeps a log), and the personalization status DF70 (docs/payment-application.md §4.3), which
 * is readable before personalization completes.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { concat } from '../../../bytes/index.ts';
import { PERSO_STATUS_TAG } from '../../../emv/index.ts';
import { encodeTlv, tlv } from '../../../tlv/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { missingDgis } from './card-data.ts';
import { personalizedCard, type CommandEnv } from './command-env.ts';
import { atcBytes } from './profile-crypto.ts';
import { LOG_FORMAT } from './transaction-log.ts';

/** §4.3: 01 personalized, or 00 ‖ the 2-byte numbers of the required DGIs still missing. */
function persoStatus(env: CommandEnv): Uint8Array {
  if (env.state.personalized) return Uint8Array.of(0x01);
  return concat(Uint8Array.of(0x00), ...missingDgis(env.state).map((d) => Uint8Array.of(d >> 8, d & 0xff)));
}

/** GET DATA of one data object; 6A88 for a tag the card does not have. */
export function getData(command: CommandApdu, env: CommandEnv): ResponseApdu {
  if (command.data.length !== 0) throw new CardException(SW.WRONG_LENGTH);
  const tag = (command.p1 << 8) | command.p2;
  let value: Uint8Array;
  if (tag === PERSO_STATUS_TAG) value = persoStatus(env);
  else if (tag === 0x9f36 || tag === 0x9f17 || tag === 0x9f13) {
    personalizedCard(env.state);
    const { state } = env;
    if (tag === 0x9f17 && state.pinBlock === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'payment: no offline PIN');
    value = tag === 0x9f36 ? atcBytes(state.atc) : tag === 0x9f13 ? atcBytes(state.lastOnlineAtc) : Uint8Array.of(state.pinTries);
  } else if (tag === 0x9f4f) {
    // Book 3 Annex A: 9F4F is there only with a log (9F4D personalized)
    if (personalizedCard(env.state).log === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'payment: no transaction log');
    value = LOG_FORMAT.slice();
  } else throw new CardException(SW.REFERENCED_DATA_NOT_FOUND);
  return responseApdu(encodeTlv(tlv(tag, value)), SW.OK);
}
