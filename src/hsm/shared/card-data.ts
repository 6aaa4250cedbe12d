/**
 * Sensitive personalization data for a card, as both backends prepare it before the DEK
 * encryption (EMV CPS; docs/payment-application.md §4): which DEK a channel needs, the padding of
 * a DGI value (ISO/IEC 9797-1 method 2, `80 00…`, only when the value is not a whole cipher block),
 * and the offline PIN as an ISO 9564-1 format 2 block (DGI 8010). The encryption itself is the
 * backend's (software/card-wrap.ts, pkcs11/card-wrap.ts).
 */
import { wipe } from '../../bytes/index.ts';
import { padMethod2, type KeyAlgorithm } from '../../crypto/index.ts';
import { encodePinBlock } from '../../emv/index.ts';
import { HsmError } from '../errors.ts';
import type { CardDataEncryption, EncryptedPinBlock } from '../hsm.ts';

/** How the card channel protects data: SCP03 (static DEK) or SCP02 (session DEK from the counter). */
export interface CardChannel {
  readonly scp: 2 | 3;
  readonly sequenceCounter?: number | undefined;
}

/** The channel of `request`, checked (SCP03 has no counter; SCP02 needs one, 0..FFFF). */
export function cardChannel(request: CardDataEncryption): CardChannel {
  if (typeof request !== 'object' || request === null) throw new HsmError('ERR_HSM_PARAM', 'expected a request');
  if (request.scp !== 2 && request.scp !== 3) throw new HsmError('ERR_HSM_PARAM', 'scp: 2 or 3');
  const counter = request.sequenceCounter;
  if (request.scp === 3 && counter !== undefined) throw new HsmError('ERR_HSM_PARAM', 'SCP03 has no session DEK: no sequence counter');
  if (request.scp === 2 && (typeof counter !== 'number' || !Number.isInteger(counter) || counter < 0 || counter > 0xffff)) {
    throw new HsmError('ERR_HSM_PARAM', 'SCP02: the sequence counter (0..FFFF) of the channel is required');
  }
  return { scp: request.scp, sequenceCounter: counter };
}

/** Refuses a DEK of the wrong kind for the channel: SCP03 an AES key, SCP02 a double-length TDES key. */
export function checkCardDek(dekAlgorithm: KeyAlgorithm, dekLength: number, options: CardChannel): void {
  if (options?.scp !== 2 && options?.scp !== 3) throw new HsmError('ERR_HSM_PARAM', 'scp: 2 or 3');
  if (options.scp === 3 && dekAlgorithm !== 'A') throw new HsmError('ERR_HSM_USAGE', 'an SCP03 DEK is an AES key');
  if (options.scp === 2 && (dekAlgorithm !== 'T' || dekLength !== 16)) throw new HsmError('ERR_HSM_USAGE', 'an SCP02 DEK is a double-length TDES key');
  if (options.scp === 3 && options.sequenceCounter !== undefined) throw new HsmError('ERR_HSM_PARAM', 'SCP03 has no session DEK: no sequence counter');
}

/** The cipher block of the channel's DEK encryption: AES 16 (SCP03), 3DES 8 (SCP02). */
export function cardBlock(options: CardChannel): 8 | 16 {
  return options.scp === 3 ? 16 : 8;
}

/**
 * A DGI value ready for the DEK: a copy (the caller wipes it), padded `80 00…` (ISO/IEC 9797-1
 * method 2) only when it is not a whole number of blocks (EMV CPS; docs/payment-application.md §4).
 */
export function padForCard(value: Uint8Array, options: CardChannel): Uint8Array {
  const block = cardBlock(options);
  return value.length % block === 0 && value.length > 0 ? value.slice() : padMethod2(value, block);
}

/** Source formats a card PIN may come in (ISO 9564-1: format 2 is for the ICC only, never under a PIN key). */
export function checkCardPinSource(pin: EncryptedPinBlock): void {
  if (typeof pin !== 'object' || pin === null) throw new HsmError('ERR_HSM_PARAM', 'pin: an encrypted PIN block');
  if (pin.format !== 0 && pin.format !== 1 && pin.format !== 3 && pin.format !== 4) {
    throw new HsmError('ERR_HSM_PARAM', 'the card PIN comes as a PIN block of format 0, 1, 3 or 4 under a PIN key (format 2 is the card\'s own)');
  }
}

/**
 * ISO 9564-1 format 2 block of `pin` (DGI 8010: `2` ‖ N ‖ PIN ‖ F…), padded for the DEK (the
 * caller wipes it). The clear block lives only inside this function and the caller's encryption.
 */
export function cardPinBlock(pin: string, options: CardChannel): Uint8Array {
  const block = encodePinBlock(pin, { format: 2 });
  try {
    return padForCard(block, options);
  } finally {
    wipe(block);
  }
}
