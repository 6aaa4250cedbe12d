/**
 * A fleet phone's modem as the SMSC simulator sees it: each SMS the SMSC delivers is handed to the
 * phone's virtual UICC as an SMS-DELIVER TPDU (3GPP TS 23.040 §9.2.2.1; SMS-PP data download), and
 * the card's PoR, when it sends one as an SMS-SUBMIT, goes back to the SMSC as its TP-UD.
 */
import { fromHex } from '../../bytes/index.ts';
import { parseSmsSubmit, smsDeliverTpdu } from '../../ota/index.ts';
import type { VirtualSecureElement } from '../../se/index.ts';
import type { HandsetHandler } from './smsc-simulator.ts';

/** The SMSC address and time stamp the simulated network stamps on every SMS-DELIVER. */
const SMSC = { digits: '447700900000', typeOfAddress: 0x91 } as const;
const SERVICE_CENTRE_TIME_STAMP = fromHex('62117261540000');

/** The handset handler for a phone whose SE is `se` (register it with `SmscSimulator.registerHandset`). */
export function virtualHandset(se: VirtualSecureElement): HandsetHandler {
  return (_msisdn, userData) => {
    const receipt = se.receiveSms(smsDeliverTpdu({ originator: SMSC, moreMessagesWaiting: false, serviceCentreTimeStamp: SERVICE_CENTRE_TIME_STAMP, userData }));
    return Promise.resolve(receipt.submit === undefined ? undefined : parseSmsSubmit(receipt.submit).userData);
  };
}
