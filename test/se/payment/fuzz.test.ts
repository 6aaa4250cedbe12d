/**
 * Fuzz / property test of the payment applet: thousands of random and mutated APDUs sent to a
 * personalized instance (both flows), and random STORE DATA to an unpersonalized one through the
 * ISD. For every command: a status word, never 6F00 nor an exception, no internal error; and a
 * refusal leaves the card's persistent state byte-for-byte as it was.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concat, fromHex, toHex } from '../../../src/bytes/index.ts';
import { encodeCommand, commandApdu, parseResponse } from '../../../src/apdu/index.ts';
import { buildDolData, encodePinBlock, parseDol } from '../../../src/emv/index.ts';
import { buildInstall, buildStoreData } from '../../../src/gp/index.ts';
import { encodeCardState, type VirtualSecureElement } from '../../../src/se/index.ts';
import { CDOL1, PDOL, iccRsaKey, installPayment, isdSession, paymentCard, personalizedPaymentCard, terminalValues } from './helpers.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

const isSuccess = (sw: number): boolean => sw === 0x9000 || [0x61, 0x62, 0x63].includes(sw >> 8);

function probe(card: VirtualSecureElement, bytes: Uint8Array): number {
  const before = encodeCardState(card.state);
  let answer: Uint8Array;
  try {
    answer = card.process(bytes);
  } catch (e) {
    return assert.fail(`card threw on ${toHex(bytes)}: ${String(e)}`);
  }
  assert.ok(answer.length >= 2, `no status word for ${toHex(bytes)}`);
  const { sw } = parseResponse(answer);
  assert.notEqual(sw, 0x6f00, `6F00 for ${toHex(bytes)}`);
  assert.equal(card.stats.internalErrors, 0, `internal error on ${toHex(bytes)}: ${String(card.stats.lastInternalError)}`);
  if (!isSuccess(sw)) assert.equal(encodeCardState(card.state), before, `state changed by ${toHex(bytes)} → ${sw.toString(16)}`);
  return sw;
}

function corpus(aid: Uint8Array): Uint8Array[] {
  const values = terminalValues();
  const pdol = buildDolData(parseDol(PDOL), values);
  const cmd = (cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, ne?: number) =>
    encodeCommand(commandApdu({ cla, ins, p1, p2, ...(data === undefined ? {} : { data }), ...(ne === undefined ? {} : { ne }) }));
  return [
    cmd(0x00, 0xa4, 0x04, 0x00, aid, 256),
    cmd(0x80, 0xa8, 0, 0, concat(Uint8Array.of(0x83, pdol.length), pdol), 256),
    cmd(0x00, 0xb2, 1, 0x0c, undefined, 256),
    cmd(0x00, 0xb2, 2, 0x14, undefined, 256),
    cmd(0x80, 0xae, 0x80, 0, buildDolData(parseDol(CDOL1), values), 256),
    cmd(0x80, 0xca, 0x9f, 0x36, undefined, 256),
    cmd(0x80, 0xca, 0xdf, 0x70, undefined, 256),
    cmd(0x00, 0x82, 0, 0, new Uint8Array(10)),
    cmd(0x00, 0x82, 0, 0, new Uint8Array(8)),
    cmd(0x00, 0x20, 0x00, 0x80, encodePinBlock('1234', { format: 2 })),
    cmd(0x84, 0x1e, 0, 0, new Uint8Array(8)),
    cmd(0x84, 0x24, 0, 2, new Uint8Array(24)),
  ];
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), bit: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);

type Mutation = { kind: string; bit?: number; at?: number; extra?: Uint8Array; value?: number };

function mutate(base: Uint8Array, m: Mutation): Uint8Array {
  const out = base.slice();
  if (m.kind === 'flip' && out.length > 0) out[(m.bit! >> 3) % out.length]! ^= 1 << (m.bit! & 7);
  if (m.kind === 'truncate') return out.subarray(0, m.at! % (out.length + 1));
  if (m.kind === 'extend') return concat(out, m.extra!);
  if (m.kind === 'byte' && out.length > 0) out[m.at! % out.length] = m.value!;
  return out;
}

for (const [profile, flow] of [['visa-18', 1], ['mastercard-17', 2]] as const) {
  describe(`payment applet fuzz (${profile})`, () => {
    it(`${RUNS} random and mutated APDUs: status words only, refusals change nothing`, async () => {
      const { card, aid } = await personalizedPaymentCard({ profile, flow, rsa: flow === 1 ? iccRsaKey() : undefined });
      const base = corpus(aid);
      const seen = new Set<number>();
      fc.assert(
        fc.property(fc.nat({ max: base.length - 1 }), fc.array(mutation, { maxLength: 3 }), fc.uint8Array({ maxLength: 40 }), fc.boolean(), (i, ms, random, useRandom) => {
          // keep the instance selected most of the time so the mutations reach the applet
          if (i % 4 === 0) probe(card, base[0]!);
          const bytes = useRandom ? random : ms.reduce((b, m) => mutate(b, m), base[i]!);
          seen.add(probe(card, bytes));
        }),
        { numRuns: RUNS },
      );
      // the run reached the applet's paths, not only the card OS's refusals
      for (const sw of [0x9000, 0x6700, 0x6a86, 0x6985, 0x6d00, 0x6e00]) assert.ok(seen.has(sw), `never answered ${sw.toString(16)}`);
    });
  });
}

describe('payment personalization fuzz', () => {
  it('random DGI streams through the ISD: status words only, refusals change nothing', async () => {
    const { card } = paymentCard();
    const session = await isdSession(card);
    const aid = fromHex('A0000000041010');
    assert.equal(await installPayment(session, aid), 0x9000);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 180 }), fc.boolean(), async (data, last) => {
        const before = encodeCardState(card.state);
        assert.equal((await session.transmit(buildInstall({ kind: 'personalization', applicationAid: aid }))).sw, 0x9000);
        const [block] = buildStoreData(data, { format: 'none' }, 200);
        const cmd = commandApdu({ cla: block!.cla, ins: block!.ins, p1: (block!.p1 & 0x80) | 0x08 | (last ? 0x80 : 0), p2: 0, data });
        const sw = (await session.transmit(cmd)).sw;
        assert.notEqual(sw, 0x6f00);
        assert.equal(card.stats.internalErrors, 0, String(card.stats.lastInternalError));
        if (sw !== 0x9000) assert.equal(encodeCardState(card.state), before);
      }),
      { numRuns: Math.min(RUNS, 400) },
    );
    session.close();
  });
});
