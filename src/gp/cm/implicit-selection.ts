import { assertInt } from '../../bytes/index.ts';
import { badArgument, badData } from './fail.ts';

/**
 * The Implicit Selection parameter, tag 'CF' (GPC 2.3.1 §11.1.7 Table 11-15): on which interfaces
 * and logical channel an application is implicitly selected. Both interface bits clear means
 * "explicit selection only" and the channel is ignored.
 */
export interface ImplicitSelection {
  readonly contactless: boolean;
  readonly contact: boolean;
  /** Logical channel 0 to 19 (b5–b1). */
  readonly channel: number;
}

const CONTACTLESS = 0x80; // Table 11-15 b8
const CONTACT = 0x40; // Table 11-15 b7
const CHANNEL_MASK = 0x1f; // Table 11-15 b5–b1; b6 is RFU

/**
 * Encodes a CF value (Table 11-15).
 * @example encodeImplicitSelection({ contactless: false, contact: true, channel: 1 }) // 0x41
 */
export function encodeImplicitSelection(p: ImplicitSelection): number {
  if (typeof p !== 'object' || p === null) throw badArgument('implicit selection: expected an object');
  assertInt(p.channel, 0, 19, 'implicit selection channel');
  return (p.contactless ? CONTACTLESS : 0) | (p.contact ? CONTACT : 0) | p.channel;
}

/**
 * Decodes a CF value (Table 11-15). The RFU bit b6 is ignored (§11.1); a channel above 19 is refused
 * with 6A80 (this is what the card answers; the host treats it as a malformed registry entry).
 */
export function decodeImplicitSelection(value: number): ImplicitSelection {
  assertInt(value, 0, 0xff, 'implicit selection byte');
  const channel = value & CHANNEL_MASK;
  if (channel > 19) throw badData(`implicit selection: logical channel ${channel} is above 19 (Table 11-15)`);
  return Object.freeze({ contactless: (value & CONTACTLESS) !== 0, contact: (value & CONTACT) !== 0, channel });
}
