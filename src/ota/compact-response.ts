/**
 * The compact remote response carried in a PoR's additional data (ETSI TS 102 226, compact
 * format): number of executed commands, status word of the last one, then its response data.
 */
import { assertBytes } from '../bytes/index.ts';
import { OtaError } from './errors.ts';

/** A decoded compact remote response. */
export interface CompactResponse {
  readonly kind: 'ota-compact-response';
  readonly numberOfCommands: number;
  readonly lastSw: number;
  readonly lastData: Uint8Array;
}

/** Decodes `n(1) SW(2) data` (ETSI TS 102 226 compact response). */
export function parseCompactResponse(data: Uint8Array): CompactResponse {
  assertBytes(data, undefined, 'compact response');
  if (data.length < 3) throw new OtaError('ERR_OTA_PARSE', `compact response: ${data.length} bytes, needs at least 3`);
  return Object.freeze({
    kind: 'ota-compact-response',
    numberOfCommands: data[0]!,
    lastSw: (data[1]! << 8) | data[2]!,
    lastData: data.slice(3),
  });
}
