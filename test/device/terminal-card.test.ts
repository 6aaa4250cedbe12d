/**
 * End to end: the POS terminal taps a virtual card running the real payment applet and PPSE
 * (src/se/applets/), personalized per docs/payment-application.md §4 with certificates issued by the
 * software HSM; an in-test issuer verifies the ARQC with emv/ functions; the wallet delivers the
 * issuer's answer (EXTERNAL AUTHENTICATE, scripts) to the card.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hex, toHex } from '../../src/bytes/index.ts';
import { PosTerminal, deliverIssuerUpdate, type TerminalOutcome } from '../../src/device/index.ts';
import { AID, PPSE_AID_ENTRY } from './fixtures/e2e-constants.ts';
import { TestIssuer } from './fixtures/issuer.ts';
import { PaymentCard, paymentDgis } from './fixtures/payment-card.ts';
import { makePki, type Pki } from './fixtures/pki.ts';

const TX = { amount: 2599, currency: 978, country: 250, date: '261127' } as const;

let pki: Pki;
before(async () => (pki = await makePki()));
after(() => pki.close());

async function personalizedCard(profile: 'visa-18' | 'mastercard-17', flow: 'gpo' | 'generate-ac'): Promise<PaymentCard> {
  const card = new PaymentCard(AID);
  assert.deepEqual(card.personalize(0, [PPSE_AID_ENTRY]), [0x9000], 'PPSE personalization');
  const sws = card.personalize(1, await paymentDgis(pki, profile, flow));
  assert.ok(sws.every((sw) => sw === 0x9000), `payment personalization: ${sws.map((sw) => sw.toString(16)).join(' ')}`);
  return card;
}

function tap(issuer: TestIssuer, card: PaymentCard): Promise<TerminalOutcome> {
  return new PosTerminal({ caKeys: [pki.caKey], supportedAids: [hex`A000000003`], authorizer: issuer }).transact(card, TX);
}

describe('terminal ↔ real payment applet', () => {
  for (const [profile, flow] of [['visa-18', 'gpo'], ['mastercard-17', 'generate-ac']] as const) {
    it(`${profile}, flow ${flow}: fDDA passes, the issuer verifies the ARQC and approves, the card accepts the ARPC`, async () => {
      const card = await personalizedCard(profile, flow);
      const issuer = new TestIssuer(profile);
      const outcome = await tap(issuer, card);
      assert.equal(outcome.kind, 'approved', outcome.kind === 'error' ? `${outcome.error.code}: ${outcome.error.message}` : JSON.stringify({ ...outcome, tvr: toHex(outcome.tvr) }));
      assert.ok(outcome.kind === 'approved');
      assert.deepEqual(outcome.oda, { kind: 'fdda-ok' });
      assert.equal(toHex(outcome.tvr), '0000000000');
      assert.equal(outcome.cryptogram.source, flow);
      const report = await deliverIssuerUpdate(card, outcome.aid, outcome.authorization);
      assert.deepEqual(report.steps.map((s) => s.sw), [0x9000, 0x9000]);
      assert.equal(report.completed, true);
      // the card answers one ARPC per cryptogram
      const again = await deliverIssuerUpdate(card, outcome.aid, outcome.authorization);
      assert.deepEqual(again.steps.map((s) => s.sw), [0x9000, 0x6985]);
    });
  }

  it('APPLICATION BLOCK through the issuer update: the next tap finds the application blocked (6283) and skips it', async () => {
    const card = await personalizedCard('visa-18', 'gpo');
    const issuer = new TestIssuer('visa-18');
    issuer.script = 0x1e;
    const first = await tap(issuer, card);
    assert.ok(first.kind === 'approved');
    const report = await deliverIssuerUpdate(card, first.aid, first.authorization);
    assert.deepEqual(report.steps.map((s) => [s.command, s.sw]), [['select', 0x9000], ['external-authenticate', 0x9000], ['script', 0x9000]]);
    const second = await tap(new TestIssuer('visa-18'), card);
    assert.ok(second.kind === 'error');
    assert.equal(second.error.code, 'ERR_DEVICE_NO_APPLICATION');
  });

  it('a second tap has a higher ATC; a tampered ARPC is refused by the card (6300)', async () => {
    const card = await personalizedCard('mastercard-17', 'generate-ac');
    const issuer = new TestIssuer('mastercard-17');
    const a = await tap(issuer, card);
    const b = await tap(issuer, card);
    assert.ok(a.kind === 'approved' && b.kind === 'approved');
    assert.ok(b.cryptogram.atc > a.cryptogram.atc);
    const bad = b.authorization.issuerAuthenticationData!.slice();
    bad[0]! ^= 1;
    const report = await deliverIssuerUpdate(card, b.aid, { ...b.authorization, issuerAuthenticationData: bad });
    assert.deepEqual(report.steps.map((s) => s.sw), [0x9000, 0x6300]);
  });
});
