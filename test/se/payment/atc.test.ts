/**
 * The Application Transaction Counter (EMV Book 3 §6.5.8.4 and Annex: 9F36): incremented by every
 * GET PROCESSING OPTIONS, kept in persistent memory across power cycles, and at FFFF the
 * application refuses further transactions (6985) without changing anything.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../../src/bytes/index.ts';
import { DEFAULT_APPLET_LIBRARY, VirtualSecureElement, encodeCardState } from '../../../src/se/index.ts';
import { editPaymentData, getData, gpo, personalizedPaymentCard, select, tap, terminalValues } from './helpers.ts';

describe('payment ATC', () => {
  it('persists across power cycles; a GPO without GENERATE AC still counts', async () => {
    const { card, store, aid } = await personalizedPaymentCard({ profile: 'mastercard-17', flow: 2 });
    assert.equal(toHex(tap(card, aid, 2).t['9F36']!), '0001');
    select(card, aid);
    assert.equal(gpo(card, terminalValues()).sw, 0x9000); // abandoned tap
    const rebooted = new VirtualSecureElement(store, { library: DEFAULT_APPLET_LIBRARY });
    select(rebooted, aid);
    assert.equal(toHex(getData(rebooted, 0x9f36).data), '9F36020002');
    assert.equal(toHex(tap(rebooted, aid, 2).t['9F36']!), '0003');
    const again = new VirtualSecureElement(store, { library: DEFAULT_APPLET_LIBRARY });
    select(again, aid);
    assert.equal(toHex(getData(again, 0x9f36).data), '9F36020003');
  });

  it('GPO at ATC FFFF is refused with 6985 and changes nothing', async () => {
    const { store, aid } = await personalizedPaymentCard({ profile: 'visa-18', flow: 1 });
    editPaymentData(store, aid, (d) => ({ ...d, atc: 0xfffe }));
    const card = new VirtualSecureElement(store, { library: DEFAULT_APPLET_LIBRARY });
    const last = tap(card, aid, 1);
    assert.equal(last.sw, 0x9000);
    assert.equal(toHex(last.t['9F36']!), 'FFFF');
    const before = encodeCardState(card.state);
    select(card, aid);
    assert.equal(gpo(card, terminalValues()).sw, 0x6985);
    assert.equal(encodeCardState(card.state), before);
    assert.equal(toHex(getData(card, 0x9f36).data), '9F3602FFFF');
    assert.equal(card.stats.internalErrors, 0);
  });
});
