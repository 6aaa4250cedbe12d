/**
 * SMS-PP data download as the UICC sees it: the phone's modem hands each SMS-DELIVER with TP-PID 7F
 * and a class 2 coding to the card in an ENVELOPE (SMS-PP DOWNLOAD, ETSI TS 102 223 §7.1.1.2 [M];
 * 3GPP TS 31.111 §7.1.1) instead of storing it. This models that path without the ENVELOPE's BER-TLV:
 * the TPDU is parsed, its TP-UD fed to the card's OtaReceiver, and a PoR the SPI wants "via
 * SMS-SUBMIT" comes back as the SMS-SUBMIT TPDU the card would send with the proactive SEND SHORT
 * MESSAGE: to the command's originating address, TP-PID 00, TP-DCS F6, TP-UDHI set (ota research
 * §1.4, from a real card's trace). A PoR longer than one SMS (e.g. the response data of a GET
 * STATUS) is secured whole, then split into concatenated SMS-SUBMITs like a command packet (3GPP TS
 * 23.040 §9.2.3.24.1; the RPI element in part 1 only [M]), each with its own TP-MR. A PoR "via
 * SMS-DELIVER-REPORT" stays in the receipt (`por`): the modem puts it into the RP-ACK.
 *
 * Mutable state: the reassembly in progress (in the receiver), the TP-MR of the next SMS-SUBMIT
 * (volatile here; a real phone keeps it in EF SMSS) and the next concatenation reference.
 */
import { OtaError, parseSmsDeliver, PID_DATA_DOWNLOAD, smsSubmitTpdu, splitResponsePacket, DCS_8BIT_CLASS_2, type SmsAddress } from '../../ota/index.ts';
import type { OtaReceipt, OtaReceiver } from './receiver.ts';

/** What one SMS-DELIVER did: the receiver's receipt, and the PoR SMS-SUBMIT TPDU(s) to send, if any. */
export interface SmsReceipt {
  readonly receipt: OtaReceipt;
  /**
   * The SMS-SUBMIT carrying the PoR, when the SPI asks for one via SMS-SUBMIT and it fits one SMS;
   * undefined otherwise (no PoR, a PoR via SMS-DELIVER-REPORT, or a PoR in several SMS: `submits`).
   */
  readonly submit: Uint8Array | undefined;
  /**
   * Every SMS-SUBMIT carrying the PoR, in order: `[submit]` for a PoR in one SMS, the concatenated
   * parts of a longer one, none when no PoR goes by SMS-SUBMIT (or one over 255 parts — not sent).
   */
  readonly submits: readonly Uint8Array[];
}

/** TS 23.038 §4: message class 2 (SIM specific) — general group with class bits, or group F. */
export function isClass2(dcs: number): boolean {
  if ((dcs & 0xc0) === 0x00) return (dcs & 0x10) !== 0 && (dcs & 0x03) === 0x02;
  if ((dcs & 0xf0) === 0xf0) return (dcs & 0x03) === 0x02;
  return false;
}

/** The PoR SMS's TP-PID (ota research §1.4: the real card's SEND SHORT MESSAGE uses 00). */
const POR_PID = 0x00;

/** The card side of SMS-PP data download: one per card, in front of its OtaReceiver. */
export class SmsPpDownload {
  readonly #receiver: OtaReceiver;
  #messageReference = 0;
  #concatReference = 0;

  constructor(receiver: OtaReceiver) {
    this.#receiver = receiver;
  }

  /** One SMS-DELIVER TPDU as the modem delivers it (see the file header). */
  receive(tpdu: Uint8Array): SmsReceipt {
    let sms;
    try {
      sms = parseSmsDeliver(tpdu);
    } catch (e) {
      if (e instanceof OtaError) return discarded(e);
      throw e;
    }
    // TS 31.111 §7.1.1: only TP-PID 7F with a class 2 coding is data download; the ME keeps other SMS
    if (sms.protocolId !== PID_DATA_DOWNLOAD || !isClass2(sms.dataCoding)) {
      return discarded(new OtaError('ERR_OTA_PARAM', `SMS-DELIVER: TP-PID ${hex2(sms.protocolId)} / TP-DCS ${hex2(sms.dataCoding)} is not SMS-PP data download`));
    }
    if (!sms.userDataHeaderIndicator) return discarded(new OtaError('ERR_OTA_PARSE', 'SMS-DELIVER: TP-UDHI not set (no command packet header)'));
    const receipt = this.#receiver.receiveUserData(sms.userData);
    const submits = this.#porSubmits(receipt, sms.originator);
    return { receipt, submit: submits.length === 1 ? submits[0] : undefined, submits };
  }

  #porSubmits(receipt: OtaReceipt, destination: SmsAddress): Uint8Array[] {
    if (receipt.kind !== 'processed' || receipt.por === undefined || receipt.porVia !== 'submit') return [];
    let parts: Uint8Array[];
    try {
      // TS 23.040 §9.2.3.24.1: a new reference for every concatenated message (unused for one SMS)
      parts = splitResponsePacket(receipt.por, { reference: this.#concatReference, referenceBits: 8 });
    } catch (e) {
      if (e instanceof OtaError) return []; // over 255 parts: the PoR cannot be sent by SMS
      throw e;
    }
    if (parts.length > 1) this.#concatReference = (this.#concatReference + 1) % 256;
    return parts.map((userData) => {
      const messageReference = this.#messageReference;
      this.#messageReference = (messageReference + 1) % 256;
      return smsSubmitTpdu({ messageReference, destination, protocolId: POR_PID, dataCoding: DCS_8BIT_CLASS_2, userData, userDataHeader: true, statusReportRequest: false });
    });
  }
}

function discarded(error: OtaError): SmsReceipt {
  return { receipt: { kind: 'discarded', error }, submit: undefined, submits: [] };
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
