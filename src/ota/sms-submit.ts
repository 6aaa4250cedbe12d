/**
 * The SMS-SUBMIT TPDU (3GPP TS 23.040 §9.2.2.2): what a mobile sends — the UICC's PoR when SPI
 * byte 2 b6 asks for it "via SMS-SUBMIT" (TS 31.115; sent with the proactive SEND SHORT MESSAGE),
 * or an SMS a test submits in place of an SMSC. 8-bit user data only; no validity period
 * (TP-VPF 00).
 */
import { assertBytes, assertInt, concat } from '../bytes/index.ts';
import { guard, OtaError } from './errors.ts';
import { encodeSmsAddress, readSmsAddress, type SmsAddress } from './sms-address.ts';
import { MAX_USER_DATA, parsing, readUserData } from './sms-deliver.ts';

/** The fields of an SMS-SUBMIT. */
export interface SmsSubmitFields {
  /** TP-MR, 0..255. */
  readonly messageReference: number;
  readonly destination: SmsAddress;
  /** TP-PID: 7F for data download to a UICC; 00 for the PoR SMS a card sends (ota.md §1.4). */
  readonly protocolId: number;
  /** TP-DCS: F6 (8-bit, class 2) or another 8-bit coding (TS 23.038 §4). */
  readonly dataCoding: number;
  /** TP-UD including its header; TP-UDHI is set when `userDataHeader` is true. */
  readonly userData: Uint8Array;
  readonly userDataHeader: boolean;
  /** TP-SRR: a status report is requested. */
  readonly statusReportRequest: boolean;
}

/** A decoded SMS-SUBMIT. */
export interface SmsSubmit extends SmsSubmitFields {
  readonly kind: 'sms-submit';
  readonly rejectDuplicates: boolean;
}

/**
 * Encodes an SMS-SUBMIT (§9.2.2.2): first octet (TP-MTI 01, TP-RD 0, TP-VPF 00, TP-SRR, TP-UDHI,
 * TP-RP 0), TP-MR, TP-DA, TP-PID, TP-DCS, TP-UDL, TP-UD.
 */
export function smsSubmitTpdu(fields: SmsSubmitFields): Uint8Array {
  return guard(() => {
    assertInt(fields.messageReference, 0, 255, 'TP-MR');
    assertInt(fields.protocolId, 0, 255, 'TP-PID');
    assertInt(fields.dataCoding, 0, 255, 'TP-DCS');
    assertBytes(fields.userData, undefined, 'TP-UD');
    if (fields.userData.length > MAX_USER_DATA) throw new OtaError('ERR_OTA_LENGTH', `TP-UD: ${fields.userData.length} octets over ${MAX_USER_DATA} (split the packet first)`);
    const first = 0x01 | (fields.statusReportRequest ? 0x20 : 0) | (fields.userDataHeader ? 0x40 : 0);
    return concat(
      Uint8Array.of(first, fields.messageReference),
      encodeSmsAddress(fields.destination, 'TP-DA'),
      Uint8Array.of(fields.protocolId, fields.dataCoding, fields.userData.length),
      fields.userData,
    );
  });
}

/** §9.2.3.3: bytes of the TP-VP field by TP-VPF (b4b3): none, enhanced (7), relative (1), absolute (7). */
const VP_LENGTH = [0, 7, 1, 7] as const;

/** Decodes an SMS-SUBMIT with 8-bit user data (a validity period, if any, is skipped). */
export function parseSmsSubmit(tpdu: Uint8Array): SmsSubmit {
  return parsing('SMS-SUBMIT', tpdu, (r) => {
    const first = r.u8('first octet');
    if ((first & 0x03) !== 0x01) throw new OtaError('ERR_OTA_PARSE', `SMS-SUBMIT: TP-MTI ${first & 3} is not 1`);
    const messageReference = r.u8('TP-MR');
    const destination = readSmsAddress(r, 'TP-DA');
    const protocolId = r.u8('TP-PID');
    const dataCoding = r.u8('TP-DCS');
    r.bytes(VP_LENGTH[(first >> 3) & 0x03]!, 'TP-VP');
    const userData = readUserData(r, dataCoding);
    return Object.freeze({
      kind: 'sms-submit',
      messageReference,
      destination,
      protocolId,
      dataCoding,
      userData,
      userDataHeader: (first & 0x40) !== 0,
      statusReportRequest: (first & 0x20) !== 0,
      rejectDuplicates: (first & 0x04) !== 0,
    });
  });
}
