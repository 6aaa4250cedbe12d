import { SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { CardException } from '../../runtime/card-exception.ts';

/**
 * SELECT other than by DF name reaches the selected Security Domain (the card OS resolves SELECT by
 * AID itself). A Security Domain has no files: "file or application not found" (ISO/IEC 7816-4
 * §11.2.2, GPC 2.3.1 §11.9.4), so an eSE never pretends to be a UICC.
 */
export function selectFile(_command: CommandApdu): ResponseApdu {
  throw new CardException(SW.FILE_NOT_FOUND, 'a Security Domain has no file system');
}
