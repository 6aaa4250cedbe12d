/**
 * Test plumbing for the virtual SE: a card with known ISD keys on an in-memory store, and an
 * ApduTransport that talks to it in process (bytes in, bytes out — the same path PC/SC takes).
 */
import { fromHex } from '../../src/bytes/index.ts';
import type { ApduTransport } from '../../src/apdu/index.ts';
import {
  MemoryCardStore,
  STRICT_ESE,
  VirtualSecureElement,
  newCardState,
  type AppletLibrary,
  type CardPort,
  type CardProfile,
  type CardStore,
} from '../../src/se/index.ts';

/** ISD keys of test cards (distinct per role so a mix-up cannot pass). */
export const ISD_KEYS = {
  kvn: 0x30,
  enc: fromHex('404142434445464748494A4B4C4D4E4F'),
  mac: fromHex('505152535455565758595A5B5C5D5E5F'),
  dek: fromHex('606162636465666768696A6B6C6D6E6F'),
};

/** 42 bytes of CPLC with recognisable field values. */
export const TEST_CPLC = fromHex('4790' + '5040' + '4791' + '6352' + '0001' + '6353' + '01020304' + '0005' + '4812' + '6354' + '4813' + '6355' + '0000' + '0000' + '00000000' + '0000' + '0000' + '00000000');

export function testCardState(profile: CardProfile = STRICT_ESE, keys = ISD_KEYS) {
  return newCardState({ profile, isdKeys: keys, cplc: TEST_CPLC, kdd: fromHex('00010203040506070809'), iin: fromHex('42'), cin: fromHex('45') });
}

/** A fresh virtual SE on an in-memory store. */
export function testCard(options: { profile?: CardProfile; library?: AppletLibrary; store?: CardStore } = {}): VirtualSecureElement {
  const store = options.store ?? new MemoryCardStore(testCardState(options.profile));
  return new VirtualSecureElement(store, options.library === undefined ? {} : { library: options.library });
}

/** An in-process transport to a card, logging what crossed it. */
export class CardPortTransport implements ApduTransport {
  readonly log: { command: Uint8Array; response: Uint8Array }[] = [];

  constructor(readonly card: CardPort) {}

  transmit(command: Uint8Array): Promise<Uint8Array> {
    const response = this.card.process(command);
    this.log.push({ command: command.slice(), response: response.slice() });
    return Promise.resolve(response);
  }
}
