/**
 * An in-process transport to a virtual Secure Element: bytes in, bytes out, the same path a PC/SC
 * reader takes, without the reader.
 */
import type { ApduTransport } from '../../apdu/index.ts';
import type { CardPort } from '../../se/index.ts';

/** `ApduTransport` over a `CardPort` (a VirtualSecureElement), in the same process. */
export class CardPortTransport implements ApduTransport {
  readonly #card: CardPort;

  constructor(card: CardPort) {
    this.#card = card;
  }

  transmit(command: Uint8Array): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.#card.process(command.slice()));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }
}
