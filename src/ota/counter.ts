/**
 * Card-side replay check of the 5-byte CNTR (ETSI TS 102 225 §5.1.1, SPI b5b4) and the PoR status
 * a refusal gives (§5.2).
 */
import { assertBytes } from '../bytes/index.ts';
import { OtaError } from './errors.ts';
import { POR } from './por-status.ts';
import type { CounterMode } from './spi.ts';

const MAX = 0xff_ffff_ffffn;

function value(bytes: Uint8Array): bigint {
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

/**
 * Checks a received counter against the card's stored one: mode `higher` needs CNTR > stored,
 * `one-higher` needs CNTR = stored + 1; `none` and `no-check` pass. A stored counter at its
 * maximum blocks the key set (PoR 04).
 */
export function checkCounter(mode: CounterMode, stored: Uint8Array | undefined, received: Uint8Array): void {
  assertBytes(received, [5], 'CNTR');
  if (mode === 'none' || mode === 'no-check') return;
  if (stored === undefined) throw new OtaError('ERR_OTA_PARAM', `counter mode ${mode}: the card's stored counter is required`);
  assertBytes(stored, [5], 'stored CNTR');
  const s = value(stored);
  const r = value(received);
  if (s === MAX) throw new OtaError('ERR_OTA_COUNTER', 'CNTR blocked: the stored counter is at its maximum', { porStatus: POR.CNTR_BLOCKED });
  if (r <= s) throw new OtaError('ERR_OTA_COUNTER', 'CNTR low: not higher than the stored counter', { porStatus: POR.CNTR_LOW });
  if (mode === 'one-higher' && r !== s + 1n) {
    throw new OtaError('ERR_OTA_COUNTER', 'CNTR high: not exactly one higher than the stored counter', { porStatus: POR.CNTR_HIGH });
  }
}
