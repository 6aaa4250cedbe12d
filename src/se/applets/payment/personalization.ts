/**
 * STORE DATA forwarded by the Security Domain after INSTALL [for personalization] (GPC 2.3.1
 * §7.3.2; EMV CPS v1.1): each block's DGIs are stored, 8xxx values deciphered first with the SD's
 * DEK; the last block completes personalization only if the data is whole and consistent
 * (docs/payment-application.md §4.2), else 6A88 / 6A80 and that block is not kept.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { concat } from '../../../bytes/index.ts';
import { PAYMENT_DGI, PAYMENT_PERSONALIZED_STATE, isEncryptedDgi } from '../../../emv/index.ts';
import type { PersonalizationContext } from '../../runtime/applet.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { checkKcvs, hasOfflinePin, missingDgis, readCardData, readPin } from './card-data.ts';
import { parseDgiStoreData, type DgiStream } from './dgi-stream.ts';
import { dgiValue, loadPaymentState, withDgi, type PaymentState, type StoredDgi } from './payment-state.ts';
import { inconsistent } from './perso-refusal.ts';

const KNOWN_DGIS: ReadonlySet<number> = new Set(Object.values(PAYMENT_DGI));

/** Records: SFI 1–30 ‖ record 1–255 (EMV CPS v1.1 §4.3). */
function isRecordDgi(dgi: number): boolean {
  const sfi = dgi >> 8;
  return sfi >= 1 && sfi <= 30 && (dgi & 0xff) !== 0;
}

function decrypt(ctx: PersonalizationContext, data: Uint8Array): Uint8Array {
  try {
    return ctx.decryptSensitive(data);
  } catch {
    return inconsistent('a secret DGI does not decipher');
  }
}

/**
 * §4: each 8xxx value is enciphered on its own (DGI 8000: each 16-byte key on its own). A value
 * padded to the cipher block (80 00…) is trimmed where its length is fixed (8010: 8 bytes); the
 * CRT components are trimmed when read (rsa-crt.ts).
 */
function decipherDgi(ctx: PersonalizationContext, dgi: StoredDgi): Uint8Array {
  if (dgi.dgi === PAYMENT_DGI.ICC_KEYS) {
    if (dgi.value.length !== 48) inconsistent('DGI 8000 holds three enciphered 16-byte keys');
    const keys = [0, 16, 32].map((o) => decrypt(ctx, dgi.value.subarray(o, o + 16)));
    if (keys.some((k) => k.length !== 16)) inconsistent('DGI 8000 holds three 16-byte keys');
    return concat(...keys);
  }
  const plain = decrypt(ctx, dgi.value);
  if (dgi.dgi !== PAYMENT_DGI.PIN || plain.length === 8) return plain;
  if (plain.length !== 16 || plain[8] !== 0x80 || plain.subarray(9).some((b) => b !== 0)) inconsistent('DGI 8010 holds one 8-byte PIN block');
  return plain.slice(0, 8);
}

/** §4.2: the last block completes personalization, or is refused with 6A88 (a DGI missing) / 6A80. */
function complete(state: PaymentState): PaymentState {
  const missing = missingDgis(state);
  if (missing.length > 0) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, `payment personalization: ${missing.length} required DGI(s) missing`);
  readCardData(state);
  if (!hasOfflinePin(state)) return { ...state, personalized: true };
  const pin = readPin(state);
  return { ...state, personalized: true, pinBlock: pin.block.slice(), pinTries: pin.tries, pinTryLimit: pin.limit };
}

/** Handles one forwarded STORE DATA block. */
export function storePaymentData(command: CommandApdu, ctx: PersonalizationContext, stream: DgiStream): ResponseApdu {
  const block = parseDgiStoreData(command);
  const state = loadPaymentState(ctx.persistent);
  // a personalized application takes no more personalization data (EMV CPS v1.1: personalization ends once)
  if (state.personalized) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'payment: already personalized');
  let dgis = state.dgis;
  for (const dgi of stream.take(ctx.channel, block)) {
    // EMV CPS v1.1: a DGI the application does not know is referenced data not found
    if (!KNOWN_DGIS.has(dgi.dgi) && !isRecordDgi(dgi.dgi)) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'payment personalization: unknown DGI');
    dgis = withDgi(dgis, { dgi: dgi.dgi, value: isEncryptedDgi(dgi.dgi) ? decipherDgi(ctx, dgi) : dgi.value });
  }
  let next: PaymentState = { ...state, dgis };
  const keys = dgiValue(next, PAYMENT_DGI.ICC_KEYS);
  const kcvs = dgiValue(next, PAYMENT_DGI.ICC_KEY_KCVS);
  // §4 DGI 9000: a key whose KCV does not match is not stored
  if (keys !== undefined && kcvs !== undefined) checkKcvs(keys, kcvs);
  if (block.last) {
    next = complete(next);
    // the registry tells the TSM the instance is personalized (GET STATUS), also where it cannot be selected (OTA)
    ctx.setApplicationState?.(PAYMENT_PERSONALIZED_STATE);
  }
  ctx.setPersistent(next);
  return responseApdu(new Uint8Array(0), SW.OK);
}
