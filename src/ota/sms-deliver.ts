/**
 * The SMS-DELIVER TPDU that carries a command packet to the UICC (3GPP TS 23.040 §9.2.2.1), as
 * 3GPP TS 31.115 frames SMS-PP data download: TP-UDHI set, TP-PID 7F (USIM data download),
 * TP-DCS F6 (8-bit data, class 2). One SMS only: concatenation is not implemented.
 */
import { assertBytes, concat } from '../bytes/index.ts';
import { guard, OtaError } from './errors.ts';

/** 3GPP TS 23.040 §9.2.3.16: 8-bit user data holds at most 140 octets. */
const MAX_UD = 140;

/** The fields of an SMS-DELIVER that are not fixed by SMS-PP data download. */
export interface SmsDeliverFields {
  /** Originating address digits (0–9) and its type-of-address octet (e.g. 0x81, 0x91). */
  readonly originator: { readonly digits: string; readonly typeOfAddress: number };
  /** TP-MMS (first octet, mask 0x04): true when the SMSC has more messages waiting (the bit is then 0). */
  readonly moreMessagesWaiting: boolean;
  /** TP-SCTS: the 7 semi-octet service-centre time stamp, as sent. */
  readonly serviceCentreTimeStamp: Uint8Array;
  /** TP-UD, including its user-data header (e.g. `commandPacketUserData(packet)`). */
  readonly userData: Uint8Array;
}

/** §9.1.2.5: an address field: digit count, type of address, digits as swapped semi-octets (F-filled). */
function address(digits: string, typeOfAddress: number): Uint8Array {
  if (!/^[0-9]{1,20}$/.test(digits)) throw new OtaError('ERR_OTA_PARAM', `originating address: expected 1 to 20 decimal digits, got ${digits.length} characters`);
  if (!Number.isInteger(typeOfAddress) || typeOfAddress < 0x80 || typeOfAddress > 0xff) {
    throw new OtaError('ERR_OTA_PARAM', 'originating address: type of address must be 0x80..0xFF');
  }
  const padded = digits.length % 2 === 0 ? digits : `${digits}F`;
  const semi = Uint8Array.from({ length: padded.length / 2 }, (_, i) => parseInt(padded[2 * i + 1]! + padded[2 * i]!, 16));
  return concat(Uint8Array.of(digits.length, typeOfAddress), semi);
}

/**
 * Encodes an SMS-DELIVER TPDU for SMS-PP data download (§9.2.2.1): first octet (TP-MTI 00,
 * TP-MMS, TP-UDHI), TP-OA, TP-PID 7F, TP-DCS F6, TP-SCTS, TP-UDL (octets), TP-UD.
 */
export function smsDeliverTpdu(fields: SmsDeliverFields): Uint8Array {
  return guard(() => {
    assertBytes(fields.serviceCentreTimeStamp, [7], 'TP-SCTS');
    assertBytes(fields.userData, undefined, 'TP-UD');
    if (fields.userData.length > MAX_UD) throw new OtaError('ERR_OTA_LENGTH', `TP-UD: ${fields.userData.length} octets over ${MAX_UD} (concatenation not implemented)`);
    const first = 0x40 | (fields.moreMessagesWaiting ? 0 : 0x04);
    return concat(
      Uint8Array.of(first),
      address(fields.originator.digits, fields.originator.typeOfAddress),
      Uint8Array.of(0x7f, 0xf6),
      fields.serviceCentreTimeStamp,
      Uint8Array.of(fields.userData.length),
      fields.userData,
    );
  });
}
