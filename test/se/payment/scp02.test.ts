/**
 * Personalization over SCP02 (a legacy UICC, GPC 2.3.1 Annex E): the SD deciphers the 8xxx DGIs
 * with its 3DES session DEK, block 8 — DGI 8000's keys each on their own, the 8-byte PIN block
 * without padding, the CRT components as they are — and the card works the same.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand, parseResponse } from '../../../src/apdu/index.ts';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { buildSelect, openScp02, plainScp02Keys } from '../../../src/gp/index.ts';
import { encodePinBlock } from '../../../src/emv/index.ts';
import { DEFAULT_APPLET_LIBRARY, LEGACY_UICC, MemoryCardStore, VirtualSecureElement, withPaymentPackage } from '../../../src/se/index.ts';
import { CardPortTransport, ISD_KEYS, testCardState } from '../helpers.ts';
import { ISD, iccKeys, iccRsaKey, installPayment, paymentDgis, send, storeDgis, tap } from './helpers.ts';

describe('payment personalization over SCP02', () => {
  it('a legacy UICC: install, personalize (3DES session DEK), tap, VERIFY', async () => {
    const card = new VirtualSecureElement(new MemoryCardStore(withPaymentPackage(testCardState(LEGACY_UICC))), { library: DEFAULT_APPLET_LIBRARY });
    const transport = new CardPortTransport(card);
    assert.equal(parseResponse(await transport.transmit(encodeCommand(buildSelect(ISD)))).sw, 0x9000);
    const session = await openScp02(transport, plainScp02Keys({ keyVersion: ISD_KEYS.kvn, enc: ISD_KEYS.enc, mac: ISD_KEYS.mac, dek: ISD_KEYS.dek }), { securityLevel: 0x03, i: 0x55, sdAid: ISD });
    const aid = fromHex('A0000000041010');
    assert.equal(await installPayment(session, aid), 0x9000);
    const dgis = paymentDgis({ profile: 'mastercard-17', flow: 2, keys: iccKeys('mastercard-17'), pin: '4321', rsa: iccRsaKey() });
    assert.equal(await storeDgis(session, aid, dgis, 200, 8), 0x9000);
    session.close();
    card.reset();
    const r = tap(card, aid, 2);
    assert.equal(r.sw, 0x9000);
    assert.equal(toHex(r.t['9F27']!), '80');
    assert.equal(send(card, 0x00, 0x20, 0x00, 0x80, encodePinBlock('4321', { format: 2 })).sw, 0x9000);
    assert.equal(card.stats.internalErrors, 0, String(card.stats.lastInternalError));
  });
});
