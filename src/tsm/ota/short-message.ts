/**
 * SMPP 3.4 field values for SMS-PP data download (docs/sms-bearer.md) and the conversion between the
 * `smpp` library's decoded `short_message` and the TP-UD octets of 3GPP TS 23.040 §9.2.3.24.
 */
import type { ShortMessage } from 'smpp';
import { concat } from '../../bytes/index.ts';

/** SMPP 3.4 §5.2.12 esm_class: UDHI (bit 6) and the message-type bits (2..5). */
export const ESM_CLASS = Object.freeze({ UDHI: 0x40, TYPE_MASK: 0x3c, MC_DELIVERY_RECEIPT: 0x04 } as const);

/** SMPP 3.4 §5.1.3 command_status values the bearer and the simulator name. */
export const SMPP_STATUS = Object.freeze({
  ESME_ROK: 0x00,
  ESME_RSYSERR: 0x08,
  ESME_RINVDSTADR: 0x0b,
  ESME_RBINDFAIL: 0x0d,
  ESME_RINVPASWD: 0x0e,
  ESME_RINVSYSID: 0x0f,
  ESME_RMSGQFUL: 0x14,
  ESME_RTHROTTLED: 0x58,
} as const);

/** The name of a command_status for messages (`0x0e ESME_RINVPASWD`), or its hex value. */
export function smppStatusName(status: number): string {
  const name = Object.entries(SMPP_STATUS).find(([, v]) => v === status)?.[0];
  const hex = `0x${status.toString(16).padStart(2, '0')}`;
  return name === undefined ? hex : `${hex} ${name}`;
}

/**
 * The TP-UD octets of a decoded `short_message`: the library splits the UDH into its elements when
 * UDHI is set; this puts UDHL and the elements back in front of the body.
 */
export function shortMessageOctets(sm: ShortMessage | undefined): Uint8Array {
  if (sm === undefined) return new Uint8Array(0);
  if (typeof sm === 'string') return new TextEncoder().encode(sm);
  if (Buffer.isBuffer(sm)) return new Uint8Array(sm);
  const body = typeof sm.message === 'string' ? new TextEncoder().encode(sm.message) : new Uint8Array(sm.message);
  const elements = (sm.udh ?? []).map((e) => new Uint8Array(e));
  if (elements.length === 0) return body;
  const header = concat(...elements);
  return concat(Uint8Array.of(header.length), header, body);
}

/** The text of a decoded `short_message` (a delivery receipt's `id:… stat:…`). */
export function shortMessageText(sm: ShortMessage | undefined): string {
  if (sm === undefined) return '';
  if (typeof sm === 'string') return sm;
  if (Buffer.isBuffer(sm)) return sm.toString('latin1');
  return typeof sm.message === 'string' ? sm.message : sm.message.toString('latin1');
}
