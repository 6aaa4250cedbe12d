/**
 * What a reader bridge (PC/SC through vpcd, an in-process transport, an OTA receiver) needs from a
 * card: its ATR, a reset, and command bytes in, response bytes out. `CardOs` implements it; the
 * port never throws for bad input (every answer carries a status word).
 */
export interface CardPort {
  /** Answer to reset (ISO/IEC 7816-3 §8). */
  readonly atr: Uint8Array;
  /** Warm or cold reset: closes logical channels and secure channels; returns the ATR. */
  reset(): Uint8Array;
  /** Processes one command APDU and returns data ‖ SW1 SW2. */
  process(command: Uint8Array): Uint8Array;
}
