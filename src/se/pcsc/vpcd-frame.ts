/**
 * The vpcd wire format (vsmartcard, virtualsmartcard/doc api.txt): every message in either
 * direction is a 2-byte big-endian length followed by that many payload bytes. From the driver, a
 * 1-byte payload is a control byte; a longer payload is a command APDU.
 */
import { assertInt, concat } from '../../bytes/index.ts';

/** Control bytes pcscd's vpcd driver sends (vsmartcard api.txt, `VPCD_CTRL_*`). */
export const VPCD_CTRL = {
  /** Power off the card; no reply. */
  OFF: 0x00,
  /** Power on the card; no reply. */
  ON: 0x01,
  /** Reset the card; no reply. */
  RESET: 0x02,
  /** Send the ATR; the reply is a frame holding the ATR. */
  ATR: 0x04,
} as const;

/** The largest payload a 2-byte length can announce. */
export const VPCD_MAX_PAYLOAD = 0xffff;

/** Why a byte stream is not a valid vpcd frame sequence. */
export type VpcdFrameFault = 'empty-frame' | 'frame-too-long';

/** What one chunk of input yielded: the complete payloads, and a fault if the stream is corrupt. */
export interface VpcdFrameChunk {
  readonly frames: readonly Uint8Array[];
  /** Set when the stream is corrupt; the frames before the fault are still valid, nothing after it is. */
  readonly fault?: { readonly kind: VpcdFrameFault; readonly length: number };
}

/**
 * Encodes one frame: the 2-byte big-endian length, then `payload` (vsmartcard api.txt).
 * @example encodeVpcdFrame(atr) // 00 0A 3B …
 */
export function encodeVpcdFrame(payload: Uint8Array): Uint8Array {
  assertInt(payload.length, 1, VPCD_MAX_PAYLOAD, 'vpcd payload length');
  const frame = new Uint8Array(2 + payload.length);
  frame[0] = payload.length >> 8;
  frame[1] = payload.length & 0xff;
  frame.set(payload, 2);
  return frame;
}

/**
 * Splits a TCP byte stream into vpcd payloads. It buffers at most one incomplete frame (header
 * plus at most `maxPayload` bytes), so a hostile peer cannot make it grow; a zero length or a
 * length over `maxPayload` is a fault, after which the stream cannot be resynchronised and the
 * connection must be dropped.
 */
export class VpcdFrameReader {
  readonly #maxPayload: number;
  #pending: Uint8Array = new Uint8Array(0);
  #faulted = false;

  constructor(maxPayload: number = VPCD_MAX_PAYLOAD) {
    assertInt(maxPayload, 1, VPCD_MAX_PAYLOAD, 'vpcd maxPayload');
    this.#maxPayload = maxPayload;
  }

  /** Bytes of an incomplete frame held back (0 when the stream sits on a frame boundary). */
  get buffered(): number {
    return this.#pending.length;
  }

  /** Adds `chunk` and returns every payload it completes. After a fault, every later call returns no frames. */
  push(chunk: Uint8Array): VpcdFrameChunk {
    if (this.#faulted) return { frames: [] };
    // a plain view, so that slice() copies even when the caller passes a node Buffer
    const view = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const data = this.#pending.length === 0 ? view : concat(this.#pending, view);
    const frames: Uint8Array[] = [];
    let at = 0;
    while (data.length - at >= 2) {
      const length = (data[at]! << 8) | data[at + 1]!;
      if (length === 0 || length > this.#maxPayload) {
        this.#faulted = true;
        this.#pending = new Uint8Array(0);
        return { frames, fault: { kind: length === 0 ? 'empty-frame' : 'frame-too-long', length } };
      }
      if (data.length - at - 2 < length) break;
      frames.push(data.slice(at + 2, at + 2 + length));
      at += 2 + length;
    }
    this.#pending = data.slice(at);
    return { frames };
  }
}
