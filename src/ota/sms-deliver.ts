/**
 * The SMS-DELIVER TPDU that carries a command packet to the UICC (3GPP TS 23.040 §9.2.2.1), as
 * 3GPP TS 31.115 frames SMS-PP data download: TP-UDHI set, TP-PID 7F (USIM data download),
 * TP-DCS F6 (8-bit data, class 2). A packet too long for one SMS is split first
 * (`splitCommandPacket`), one TPDU per part.
 */
import { assertBytes, ByteReader, concat } from '../bytes/index.ts';
import { guard, OtaError } from './errors.ts';
import { encodeSmsAddress, readSmsAddress, type SmsAddress } from './sms-address.ts';

/** 3GPP TS 23.040 §9.2.3.16: 8-bit user data holds at most 140 octets. */
export const MAX_USER_DATA = 140;
/** §9.2.3.9 / TS 31.111 §7.1.1: TP-PID "(U)SIM Data download". */
export const PID_DATA_DOWNLOAD = 0x7f;
/** §4 of 3GPP TS 23.038: 8-bit data, message class 2 (SIM specific). */
export const DCS_8BIT_CLASS_2 = 0xf6;

/** The fields of an SMS-DELIVER that are not fixed by SMS-PP data download. */
export interface SmsDeliverFields {
  /** Originating address digits (0–9) and its type-of-address octet (e.g. 0x81, 0x91). */
  readonly originator: SmsAddress;
  /** TP-MMS (first octet, mask 0x04): true when the SMSC has more messages waiting (the bit is then 0). */
  readonly moreMessagesWaiting: boolean;
  /** TP-SCTS: the 7 semi-octet service-centre time stamp, as sent. */
  readonly serviceCentreTimeStamp: Uint8Array;
  /** TP-UD, including its user-data header (e.g. `commandPacketUserData(packet)`). */
  readonly userData: Uint8Array;
}

/** A decoded SMS-DELIVER. */
export interface SmsDeliver extends SmsDeliverFields {
  readonly kind: 'sms-deliver';
  readonly protocolId: number;
  readonly dataCoding: number;
  readonly userDataHeaderIndicator: boolean;
}

/**
 * Encodes an SMS-DELIVER TPDU for SMS-PP data download (§9.2.2.1): first octet (TP-MTI 00,
 * TP-MMS, TP-UDHI), TP-OA, TP-PID 7F, TP-DCS F6, TP-SCTS, TP-UDL (octets), TP-UD.
 */
export function smsDeliverTpdu(fields: SmsDeliverFields): Uint8Array {
  return guard(() => {
    assertBytes(fields.serviceCentreTimeStamp, [7], 'TP-SCTS');
    assertBytes(fields.userData, undefined, 'TP-UD');
    if (fields.userData.length > MAX_USER_DATA) throw new OtaError('ERR_OTA_LENGTH', `TP-UD: ${fields.userData.length} octets over ${MAX_USER_DATA} (split the packet first)`);
    const first = 0x40 | (fields.moreMessagesWaiting ? 0 : 0x04);
    return concat(
      Uint8Array.of(first),
      encodeSmsAddress(fields.originator, 'TP-OA'),
      Uint8Array.of(PID_DATA_DOWNLOAD, DCS_8BIT_CLASS_2),
      fields.serviceCentreTimeStamp,
      Uint8Array.of(fields.userData.length),
      fields.userData,
    );
  });
}

/**
 * Decodes an SMS-DELIVER TPDU (§9.2.2.1) with 8-bit user data. Other data codings (7-bit, UCS2)
 * are refused: SMS-PP data download is 8-bit. The caller checks PID/DCS for data download.
 */
export function parseSmsDeliver(tpdu: Uint8Array): SmsDeliver {
  return parsing('SMS-DELIVER', tpdu, (r) => {
    const first = r.u8('first octet');
    if ((first & 0x03) !== 0x00) throw new OtaError('ERR_OTA_PARSE', `SMS-DELIVER: TP-MTI ${first & 3} is not 0`);
    const originator = readSmsAddress(r, 'TP-OA');
    const protocolId = r.u8('TP-PID');
    const dataCoding = r.u8('TP-DCS');
    const serviceCentreTimeStamp = r.bytes(7, 'TP-SCTS').slice();
    const userData = readUserData(r, dataCoding);
    return Object.freeze({
      kind: 'sms-deliver',
      originator,
      moreMessagesWaiting: (first & 0x04) === 0,
      protocolId,
      dataCoding,
      serviceCentreTimeStamp,
      userDataHeaderIndicator: (first & 0x40) !== 0,
      userData,
    });
  });
}

/** TS 23.038 §4: whether a DCS selects 8-bit data (general group 00xx with b4b3 = 01, or group F with b3 = 1). */
export function isEightBitCoding(dcs: number): boolean {
  if ((dcs & 0xc0) === 0x00) return (dcs & 0x0c) === 0x04;
  if ((dcs & 0xf0) === 0xf0) return (dcs & 0x04) !== 0;
  return false;
}

/** TP-UDL and TP-UD of 8-bit data: UDL counts octets, at most 140, and must match what follows. */
export function readUserData(r: ByteReader, dataCoding: number): Uint8Array {
  if (!isEightBitCoding(dataCoding)) throw new OtaError('ERR_OTA_UNSUPPORTED', `TP-DCS ${dataCoding.toString(16)}: only 8-bit data is supported`);
  const udl = r.u8('TP-UDL');
  if (udl > MAX_USER_DATA) throw new OtaError('ERR_OTA_LENGTH', `TP-UDL ${udl} over ${MAX_USER_DATA}`);
  if (r.remaining !== udl) throw new OtaError('ERR_OTA_LENGTH', `TP-UDL ${udl} but ${r.remaining} octets follow`);
  return r.bytes(udl, 'TP-UD').slice();
}

/** Runs a TPDU parser; a truncated field becomes ERR_OTA_PARSE. */
export function parsing<T>(what: string, tpdu: Uint8Array, run: (r: ByteReader) => T): T {
  return guard(() => {
    assertBytes(tpdu, undefined, what);
    try {
      return run(new ByteReader(tpdu, what));
    } catch (e) {
      if (e instanceof OtaError) throw e;
      throw new OtaError('ERR_OTA_PARSE', `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  });
}
