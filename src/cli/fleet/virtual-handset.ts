/**
 * A fleet phone's modem as the SMSC simulator sees it: each SMS the SMSC delivers is handed to the
 * phone's virtual UICC as an SMS-DELIVER TPDU (3GPP TS 23.040 §9.2.2.1; SMS-PP data download), and
 * the card's PoR, when it sends one by SMS-SUBMIT, goes back to the SMSC as TP-UD — one SMS, or the
 * concatenated parts of a PoR longer than one SMS (each part's TP-UD, in order).
 */
import { fromHex } from '../../bytes/index.ts';
import { parseSmsSubmit, smsDeliverTpdu } from '../../ota/index.ts';
import type { VirtualSecureElement } from '../../se/index.ts';
import type { HandsetHandler } from './smsc-simulator.ts';

/** The SMSC address and time stamp the simulated network stamps on every SMS-DELIVER. */
const SMSC = { digits: '447700900000', typeOfAddress: 0x91 } as const;
const SERVICE_CENTRE_TIME_STAMP = fromHex('62117261540000');

/** A handset that answers with every SMS the card sends back (none, one, or a PoR's concatenated parts). */
export type HandsetReplies = (msisdn: string, userData: Uint8Array) => Promise<readonly Uint8Array[]>;

/**
 * The TP-UD of every SMS-SUBMIT the card of `se` answers one delivered SMS with, in order: one for
 * a PoR in one SMS, each part of a concatenated PoR (`02 71 00` only in the single form; part 1
 * `07 00 03 ref n 01 71 00`, later parts `05 00 03 ref n i`), none when no PoR goes by SMS-SUBMIT.
 */
export function virtualHandsetReplies(se: VirtualSecureElement): HandsetReplies {
  return (_msisdn, userData) => {
    const { submits } = se.receiveSms(smsDeliverTpdu({ originator: SMSC, moreMessagesWaiting: false, serviceCentreTimeStamp: SERVICE_CENTRE_TIME_STAMP, userData }));
    return Promise.resolve(submits.map((tpdu) => parseSmsSubmit(tpdu).userData));
  };
}

/** The handset handler for a phone whose SE is `se` (register it with `SmscSimulator.registerHandset`). */
export function virtualHandset(se: VirtualSecureElement): HandsetHandler {
  const replies = virtualHandsetReplies(se);
  return async (msisdn, userData) => {
    const parts = await replies(msisdn, userData);
    return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : parts;
  };
}
