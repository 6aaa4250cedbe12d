/**
 * Every input from the card is hostile: whatever bytes a card answers — random, or a good card's
 * answers with bytes flipped, cut or extended — the terminal ends in an outcome (an `error` outcome
 * carrying a DeviceError, or a decision) and never throws, hangs or crashes (CONVENTIONS.md §3).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hex } from '../../src/bytes/index.ts';
import { DeviceError, PosTerminal, deliverIssuerUpdate } from '../../src/device/index.ts';
import type { AuthorizationRequest, AuthorizationResponse } from '../../src/emv/index.ts';
import { AID, MockCard, cardSpec } from './fixtures/mock-card.ts';
import { PAN, makePki, type Pki } from './fixtures/pki.ts';

const TX = { amount: 100, currency: 978, country: 250, date: '261127' } as const;
const APPROVE: AuthorizationResponse = { decision: 'approved', responseCode: '00', issuerAuthenticationData: hex`0102030405060708`, scripts: [hex`841E000008AABBCCDDEEFF0011`] };

let pki: Pki;
before(async () => (pki = await makePki()));
after(() => pki.close());

function terminal(): PosTerminal {
  return new PosTerminal({ caKeys: [pki.caKey], supportedAids: [hex`A000000003`], authorizer: { authorize: (_: AuthorizationRequest) => Promise.resolve(APPROVE) }, random: () => hex`01020304` });
}

function checkOutcomeError(e: unknown): void {
  assert.ok(e instanceof DeviceError, `not a DeviceError: ${String(e)}`);
  assert.ok(!e.message.includes(PAN), 'a message holds the PAN');
}

describe('hostile card answers', () => {
  it('random bytes for every answer: an outcome, a DeviceError inside when it is an error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 12 }), async (answers) => {
        let i = 0;
        const card = { transmit: () => Promise.resolve(answers[i++ % answers.length]!) };
        const outcome = await terminal().transact(card, TX);
        if (outcome.kind === 'error') checkOutcomeError(outcome.error);
      }),
      { numRuns: 300 },
    );
  });

  it('a good card with one answer mutated (flipped, cut, extended): an outcome, never a throw', async () => {
    const spec = await cardSpec(pki, 'gpo');
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 8 }), fc.nat(), fc.integer({ min: 0, max: 2 }), fc.uint8Array({ maxLength: 8 }), async (which, at, how, extra) => {
        const good = new MockCard(spec);
        let n = 0;
        const card = {
          transmit: async (c: Uint8Array): Promise<Uint8Array> => {
            const r = await good.transmit(c);
            if (n++ !== which) return r;
            if (how === 0) return r.map((b, i) => (i === at % r.length ? b ^ (1 << (at % 8)) : b));
            if (how === 1) return r.subarray(0, at % (r.length + 1));
            return Uint8Array.from([...r.subarray(0, r.length - 2), ...extra, ...r.subarray(r.length - 2)]);
          },
        };
        const outcome = await terminal().transact(card, TX);
        if (outcome.kind === 'error') checkOutcomeError(outcome.error);
      }),
      { numRuns: 200 },
    );
  });

  it('a transport that throws or answers non-bytes: ERR_DEVICE_TRANSPORT', async () => {
    for (const transmit of [() => Promise.reject(new Error('field lost')), () => Promise.resolve('9000' as unknown as Uint8Array)]) {
      const outcome = await terminal().transact({ transmit }, TX);
      assert.ok(outcome.kind === 'error' && outcome.error.code === 'ERR_DEVICE_TRANSPORT');
    }
  });

  it('the issuer update on random card answers reports status words or throws a DeviceError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 20 }), { minLength: 1, maxLength: 4 }), async (answers) => {
        let i = 0;
        const card = { transmit: () => Promise.resolve(answers[i++ % answers.length]!) };
        try {
          const report = await deliverIssuerUpdate(card, AID, APPROVE);
          assert.ok(report.steps.length >= 1 && report.steps.length <= 3);
        } catch (e) {
          checkOutcomeError(e);
        }
      }),
      { numRuns: 200 },
    );
  });
});
