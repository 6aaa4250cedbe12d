/**
 * Issuer update on the card (docs/payment-application.md §3, §3.2; EMV Book 3 §6.5.1, §6.5.2,
 * §6.5.4, §6.5.10): ARPC checked once per cryptogram, scripts only after it, with their MAC and
 * enciphered data checked, and nothing changes on a refusal.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodePinBlock, type CvnProfileId } from '../../../src/emv/index.ts';
import { encodeCardState } from '../../../src/se/index.ts';
import { getData, personalizedPaymentCard, select, send, tap } from './helpers.ts';
import { issuer, type Txn } from './issuer-side.ts';

const BLOCK = 0x1e;
const UNBLOCK = 0x18;
const PIN_CHANGE = 0x24;

const txnOf = (r: ReturnType<typeof tap>): Txn => ({ atc: r.t['9F36']!, ac: r.t['9F26']!, un: r.un });
const verify = (card: Parameters<typeof select>[0], pin: string) => send(card, 0x00, 0x20, 0x00, 0x80, encodePinBlock(pin, { format: 2 })).sw;

for (const [profile, flow] of [['visa-18', 1], ['mastercard-17', 2]] as [CvnProfileId, 1 | 2][]) {
  describe(`issuer update (${profile})`, () => {
    it('ARPC → APPLICATION BLOCK → 6283 and AAC; ARPC on the AAC → UNBLOCK; PIN CHANGE then VERIFY', async () => {
      const { card, keys, aid } = await personalizedPaymentCard({ profile, flow, pin: '1234' });
      const bank = issuer(profile, keys);
      let r = tap(card, aid, flow);
      assert.equal(r.sw, 0x9000);
      let t = txnOf(r);
      assert.equal(send(card, 0x00, 0x82, 0, 0, bank.issuerAuthData(t)).sw, 0x9000);
      assert.equal(send(card, 0x84, BLOCK, 0, 0, bank.script(t, BLOCK, 0, new Uint8Array(0))).sw, 0x9000);
      assert.equal(select(card, aid).sw, 0x6283);
      r = tap(card, aid, flow);
      assert.equal(r.sw, 0x9000);
      assert.equal(r.t['9F27']![0], 0x00, 'a blocked application answers an AAC');
      // the wallet forwards the AAC; the issuer answers it with an ARPC and APPLICATION UNBLOCK
      t = txnOf(r);
      assert.equal(send(card, 0x00, 0x82, 0, 0, bank.issuerAuthData(t)).sw, 0x9000);
      assert.equal(send(card, 0x84, UNBLOCK, 0, 0, bank.script(t, UNBLOCK, 0, new Uint8Array(0), 4)).sw, 0x9000, 'a 4-byte MAC is accepted');
      assert.equal(select(card, aid).sw, 0x9000);
      r = tap(card, aid, flow);
      assert.equal(r.t['9F27']![0], 0x80);
      // PIN CHANGE without the current PIN (P2 02), then VERIFY
      t = txnOf(r);
      assert.equal(send(card, 0x00, 0x82, 0, 0, bank.issuerAuthData(t)).sw, 0x9000);
      assert.equal(send(card, 0x84, PIN_CHANGE, 0, 2, bank.script(t, PIN_CHANGE, 2, bank.pinData(t, '8642', null))).sw, 0x9000);
      assert.equal(verify(card, '1234'), 0x63c2);
      assert.equal(verify(card, '8642'), 0x9000);
      assert.equal(getData(card, 0x9f17).data.at(-1), 3);
      if (profile === 'visa-18') {
        // P2 01: the VIS block with the current PIN
        assert.equal(send(card, 0x84, PIN_CHANGE, 0, 1, bank.script(t, PIN_CHANGE, 1, bank.pinData(t, '97531', '8642'))).sw, 0x9000);
        assert.equal(verify(card, '97531'), 0x9000);
      }
      // PIN try counter exhausted, then PIN UNBLOCK (P2 00) resets it
      for (const left of [2, 1, 0]) assert.equal(verify(card, '0000'), 0x63c0 | left);
      assert.equal(verify(card, '0000'), 0x6983);
      assert.equal(send(card, 0x84, PIN_CHANGE, 0, 0, bank.script(t, PIN_CHANGE, 0, new Uint8Array(0))).sw, 0x9000);
      assert.equal(getData(card, 0x9f17).data.at(-1), 3);
      assert.equal(card.stats.internalErrors, 0, String(card.stats.lastInternalError));
    });

    it('refusals: a flipped MAC bit → 6988 and the card unchanged; wrong ARPC → 6300; replay → 6985; script without ARPC → 6985', async () => {
      const { card, keys, aid } = await personalizedPaymentCard({ profile, flow });
      const bank = issuer(profile, keys);
      // script without EXTERNAL AUTHENTICATE
      let r = tap(card, aid, flow);
      let t = txnOf(r);
      assert.equal(send(card, 0x84, BLOCK, 0, 0, bank.script(t, BLOCK, 0, new Uint8Array(0))).sw, 0x6985);
      // wrong ARPC: 6300, then the cryptogram is answered: a second try (even right) is 6985
      const wrong = bank.issuerAuthData(t);
      wrong[0]! ^= 0x01;
      assert.equal(send(card, 0x00, 0x82, 0, 0, wrong).sw, 0x6300);
      assert.equal(send(card, 0x00, 0x82, 0, 0, bank.issuerAuthData(t)).sw, 0x6985);
      assert.equal(send(card, 0x84, BLOCK, 0, 0, bank.script(t, BLOCK, 0, new Uint8Array(0))).sw, 0x6985);
      // a fresh transaction: right ARPC, replay refused
      r = tap(card, aid, flow);
      t = txnOf(r);
      assert.equal(send(card, 0x00, 0x82, 0, 0, bank.issuerAuthData(t)).sw, 0x9000);
      assert.equal(send(card, 0x00, 0x82, 0, 0, bank.issuerAuthData(t)).sw, 0x6985);
      // every single-bit flip of a BLOCK and a PIN CHANGE script: 6988, state byte-for-byte unchanged
      const before = encodeCardState(card.state);
      for (const [ins, p2, data] of [[BLOCK, 0, bank.script(t, BLOCK, 0, new Uint8Array(0))], [PIN_CHANGE, 2, bank.script(t, PIN_CHANGE, 2, bank.pinData(t, '5555', null))]] as const) {
        for (let bit = 0; bit < data.length * 8; bit++) {
          const bad = data.slice();
          bad[bit >> 3]! ^= 0x80 >> (bit & 7);
          assert.equal(send(card, 0x84, ins, 0, p2, bad).sw, 0x6988, `bit ${bit}`);
          assert.equal(encodeCardState(card.state), before);
        }
      }
      // enciphered data that does not decipher to a PIN block, correctly MACed: 6988 too
      assert.equal(send(card, 0x84, PIN_CHANGE, 0, 2, bank.script(t, PIN_CHANGE, 2, new Uint8Array(16).fill(0x42))).sw, 0x6988);
      assert.equal(encodeCardState(card.state), before);
      // the script window closes with the selection
      select(card, aid);
      assert.equal(send(card, 0x84, BLOCK, 0, 0, bank.script(t, BLOCK, 0, new Uint8Array(0))).sw, 0x6985);
      assert.equal(verify(card, '1234'), 0x9000);
      assert.equal(card.stats.internalErrors, 0, String(card.stats.lastInternalError));
    });
  });
}
