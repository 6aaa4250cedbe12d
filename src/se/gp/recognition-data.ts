import { encodeCardRecognitionData } from '../../gp/index.ts';
import type { Tlv } from '../../tlv/index.ts';
import type { ScpConfig } from '../state/card-state.ts';

/**
 * Card Recognition Data / Security Domain Management Data, template 73 (GPC 2.3.1 §H.2–H.3): GP
 * 2.3.1, card identification scheme, and the SD's secure channel protocol with its "i".
 */
export function recognitionData(scp: ScpConfig): Tlv {
  return encodeCardRecognitionData({ gpVersion: '2.3.1', cardIdentificationScheme: true, secureChannels: [{ scp: scp.protocol, i: scp.i }] });
}
