/**
 * End to end (issue: the payment application): a virtual SE gets the payment applet installed and
 * personalized with HSM-prepared data through a secure channel; the POS terminal taps it; the issuer
 * verifies the ARQC in the HSM; the card accepts the ARPC and issuer scripts delivered afterwards by
 * the wallet. For each cryptogram profile, on the given HSM backend; then the declines, each for its
 * own reason; then a scan of everything written for card data and keys.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { PosTerminal, deliverIssuerUpdate, type TerminalOutcome } from '../../src/device/index.ts';
import type { AuthorizationRequest, AuthorizationResponse, Authorizer } from '../../src/emv/index.ts';
import type { HsmSetup } from '../hsm/conformance/fixture.ts';
import { ISD_KEYS } from '../se/helpers.ts';
import { getData, select, send } from '../se/payment/helpers.ts';
import { E2E_PROFILES, PIN_KEY, paymentWorld, provisionCard, setLocked, spPinBlock, tap, type PaymentWorld, type ProvisionedCard } from './payment-world.ts';

function kindOf(o: TerminalOutcome): string {
  return o.kind === 'error' ? `error: ${o.error.message}` : o.kind === 'declined' ? `declined: ${o.reason}` : o.kind;
}

function authorizationOf(o: TerminalOutcome): AuthorizationResponse {
  assert.ok(o.kind === 'approved' || o.kind === 'declined', kindOf(o));
  return o.authorization;
}

/** VERIFY of a plaintext PIN (format 2 block) on the selected application. */
function verifyPin(card: ProvisionedCard, pin: string): number {
  select(card.se, card.aid);
  return send(card.se, 0x00, 0x20, 0x00, 0x80, fromHex(`2${pin.length}${pin}`.padEnd(16, 'F'))).sw;
}

/** An authorizer that lets a test see — or spoil — what the terminal sends. */
class Tap implements Authorizer {
  requests: AuthorizationRequest[] = [];
  constructor(private readonly inner: Authorizer, private readonly spoil?: (r: AuthorizationRequest) => AuthorizationRequest) {}
  authorize(r: AuthorizationRequest): Promise<AuthorizationResponse> {
    this.requests.push(r);
    return this.inner.authorize(this.spoil === undefined ? r : this.spoil(r));
  }
}


export function paymentE2eSuite(name: string, setup: HsmSetup): void {
  describe(`payment end to end: ${name}`, { timeout: 300_000 }, () => {
    for (const p of E2E_PROFILES) {
      it(`${p.profile} (${p.flow}): personalize through SCP03 with HSM data, tap, issuer approves, the card takes the ARPC and a PIN change`, async () => {
        const world = await paymentWorld(setup);
        try {
          const card = await provisionCard(world, p);
          const first = await tap(world, card);
          assert.equal(first.kind, 'approved', kindOf(first));
          assert.deepEqual(first.kind === 'approved' ? first.oda : undefined, { kind: 'fdda-ok' }, 'fDDA verified');
          assert.equal(first.kind === 'approved' ? first.cryptogram.source : '', p.flow);
          const update = await deliverIssuerUpdate(card.transport, card.aid, authorizationOf(first));
          assert.deepEqual(update.steps.map((s) => [s.command, s.sw]), [['select', 0x9000], ['external-authenticate', 0x9000]]);
          // A PIN change: queued at the issuer, MACed and enciphered by the HSM on the next authorization, run by the card.
          await world.issuer.queueScript(card.cardId, { kind: 'pin-change', pin: { key: world.pinKey, format: 0, block: spPinBlock('9876', p.pan) } });
          const second = await tap(world, card);
          const auth = authorizationOf(second);
          assert.equal(second.kind, 'approved', kindOf(second));
          assert.equal(auth.scripts.length, 1);
          assert.equal(second.kind === 'approved' ? second.cryptogram.atc : 0, (first.kind === 'approved' ? first.cryptogram.atc : 0) + 1);
          const delivered = await deliverIssuerUpdate(card.transport, card.aid, auth);
          assert.ok(delivered.completed, JSON.stringify(delivered.steps));
          await world.issuer.confirmScripts(card.cardId, 1);
          assert.equal(verifyPin(card, '9876'), 0x9000);
          assert.equal(verifyPin(card, '1234') & 0xfff0, 0x63c0);
          // The card's own ATC equals what the issuer last saw.
          select(card.se, card.aid);
          const atc = getData(card.se, 0x9f36);
          assert.equal((await world.issuer.cardState(card.cardId)).lastAtc, Number.parseInt(toHex(atc.data).slice(-4), 16));
        } finally {
          await world.close();
        }
      });
    }

    it('declines for the right reasons: tampered ARQC, replayed ATC, wrong PAN/PSN, unknown card, locked application, blocked card', async () => {
      const world = await paymentWorld(setup);
      try {
        const p = E2E_PROFILES[0]!;
        const card = await provisionCard(world, p);
        // Replaying a request the issuer already approved: same ATC.
        const request = await captureRequest(world, card, new Tap(world.issuer));
        assert.equal((await world.issuer.authorize(request)).decision, 'declined');
        assert.equal((await world.issuer.authorize(request)).reason, 'atc-replayed');
        // Tampered ARQC on the way to the issuer.
        const tampered = await tapThrough(world, card, (r) => ({ ...r, cryptogram: r.cryptogram.map((b, i) => (i === 0 ? b ^ 0x80 : b)) }));
        assert.equal(kindOf(tampered), 'declined: cryptogram-invalid');
        assert.equal(authorizationOf(tampered).issuerAuthenticationData, undefined);
        // The card's ATC moved on; the untampered next tap is approved (a failed attempt does not burn the issuer's ATC window).
        assert.equal((await tap(world, card)).kind, 'approved');
        // Wrong PAN or PSN in the request: no such card at the issuer.
        assert.equal(kindOf(await tapThrough(world, card, (r) => ({ ...r, pan: `${r.pan.slice(0, -1)}9` }))), 'declined: card-unknown');
        assert.equal(kindOf(await tapThrough(world, card, (r) => ({ ...r, psn: '02' }))), 'declined: card-unknown');
        // Blocked at the issuer: declined, and the APPLICATION BLOCK script reaches the card; the card then declines offline (AAC).
        await world.issuer.queueScript(card.cardId, { kind: 'application-block' });
        const blocked = await tap(world, card);
        assert.equal(kindOf(blocked), 'declined: card-blocked');
        const update = await deliverIssuerUpdate(card.transport, card.aid, authorizationOf(blocked));
        assert.ok(update.completed, JSON.stringify(update.steps));
        const afterBlock = await tap(world, card);
        assert.equal(afterBlock.kind, 'error', 'a blocked application is skipped at selection (6283)');
        // Unknown card: terminated at the issuer.
        const other = await provisionCard(world, E2E_PROFILES[1]!);
        await world.issuer.terminateCard(other.cardId);
        assert.equal(kindOf(await tap(world, other)), 'declined: card-unknown');
        // Locked by the TSM (GP SET STATUS): not selectable, the terminal finds no application.
        const third = await provisionCard(world, { ...E2E_PROFILES[1]!, pan: '4761730000000036' });
        await setLocked(world, third, true);
        const locked = await tap(world, third);
        assert.equal(locked.kind, 'error');
        select(third.se, third.aid);
        assert.equal(select(third.se, third.aid).sw, 0x6a82);
        await setLocked(world, third, false);
        assert.equal((await tap(world, third)).kind, 'approved');
      } finally {
        await world.close();
      }
    });

    it('an issuer script with a bad MAC is refused by the card (6988) and changes nothing', async () => {
      const world = await paymentWorld(setup);
      try {
        const p = E2E_PROFILES[1]!;
        const card = await provisionCard(world, p);
        await world.issuer.queueScript(card.cardId, { kind: 'pin-change', pin: { key: world.pinKey, format: 0, block: spPinBlock('4321', p.pan) } });
        const o = await tap(world, card);
        const auth = authorizationOf(o);
        const script = auth.scripts[0]!.slice();
        script[script.length - 1]! ^= 0x01;
        const report = await deliverIssuerUpdate(card.transport, card.aid, { ...auth, scripts: [script] });
        assert.deepEqual(report.steps.map((s) => s.sw), [0x9000, 0x9000, 0x6988]);
        assert.equal(verifyPin(card, '1234'), 0x9000, 'the PIN did not change');
        assert.equal(verifyPin(card, '4321') & 0xfff0, 0x63c0);
      } finally {
        await world.close();
      }
    });

    it('no PAN, PIN or key appears in the audit trail, the store or the outcomes of a full run', async () => {
      const world = await paymentWorld(setup);
      try {
        const written: string[] = [];
        for (const p of E2E_PROFILES) {
          const card = await provisionCard(world, p);
          await world.issuer.queueScript(card.cardId, { kind: 'pin-change', pin: { key: world.pinKey, format: 0, block: spPinBlock('9876', p.pan) } });
          for (let i = 0; i < 2; i++) {
            const o = await tap(world, card);
            written.push(inspect(o, { depth: 8 }), JSON.stringify(o, (_k, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v)));
            if (o.kind === 'approved') await deliverIssuerUpdate(card.transport, card.aid, o.authorization);
          }
        }
        written.push(JSON.stringify(world.t.auditEvents()));
        for (const table of ['issuer_cards', 'key_records', 'audit_events'] as const) {
          written.push(JSON.stringify(await world.db.selectFrom(table).selectAll().execute()));
        }
        const text = written.join('\n').toUpperCase();
        const secrets = [
          ...E2E_PROFILES.map((p) => p.pan),
          toHex(PIN_KEY), toHex(ISD_KEYS.enc), toHex(ISD_KEYS.mac), toHex(ISD_KEYS.dek),
          '241234FFFFFFFFFF', '249876FFFFFFFFFF', // the format 2 PIN blocks
        ];
        for (const s of secrets) assert.ok(!text.includes(s.toUpperCase()), `a secret leaked: ${s.slice(0, 4)}…`);
        assert.ok(text.length > 10_000, 'the scan saw the run');
      } finally {
        await world.close();
      }
    });
  });
}

/** Runs one tap whose request is `spoil`ed on the way to the issuer. */
async function tapThrough(world: PaymentWorld, card: ProvisionedCard, spoil: (r: AuthorizationRequest) => AuthorizationRequest): Promise<TerminalOutcome> {
  return terminalFor(world, new Tap(world.issuer, spoil)).transact(card.transport, { amount: 1500, currency: 978, country: 250, date: '261127' });
}

/** Runs one approved tap and returns the request the terminal sent. */
async function captureRequest(world: PaymentWorld, card: ProvisionedCard, spy: Tap): Promise<AuthorizationRequest> {
  const o = await terminalFor(world, spy).transact(card.transport, { amount: 1500, currency: 978, country: 250, date: '261127' });
  assert.equal(o.kind, 'approved', kindOf(o));
  return spy.requests.at(-1)!;
}

function terminalFor(world: PaymentWorld, authorizer: Authorizer): PosTerminal {
  return new PosTerminal({ ...world.terminalOptions, authorizer });
}
