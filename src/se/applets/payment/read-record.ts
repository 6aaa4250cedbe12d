/**
 * READ RECORD `00 B2 rr (sfi<<3 | 4) 00` (EMV Book 3 §6.5.11): the personalized record, as stored
 * (its 70 template); in the log file of 9F4D, log record rr (1 = the newest; transaction-log.ts).
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { recordDgi } from '../../../emv/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { personalizedCard, type CommandEnv } from './command-env.ts';
import { dgiValue } from './payment-state.ts';

/** Book 3 §6.5.11.2: P2 b3b2b1 = 100 "P1 is a record number", b8–b4 the SFI (1–30). */
export function readRecord(command: CommandApdu, env: CommandEnv): ResponseApdu {
  const sfi = command.p2 >> 3;
  if ((command.p2 & 0x07) !== 0x04 || sfi < 1 || sfi > 30 || command.p1 === 0) throw new CardException(SW.INCORRECT_P1P2);
  if (command.data.length !== 0) throw new CardException(SW.WRONG_LENGTH);
  const card = personalizedCard(env.state);
  if (card.log !== undefined && sfi === card.log.sfi) {
    const entry = env.state.log?.[command.p1 - 1];
    if (entry === undefined) throw new CardException(SW.RECORD_NOT_FOUND);
    return responseApdu(entry.slice(), SW.OK);
  }
  const record = dgiValue(env.state, recordDgi(sfi, command.p1));
  if (record === undefined) throw new CardException(SW.RECORD_NOT_FOUND);
  return responseApdu(record.slice(), SW.OK);
}
