/**
 * Fuzz test of the virtual SE (issue "virtual Secure Element": bad input never corrupts the card).
 * Thousands of random and mutated APDUs, outside and inside secure channels. For every command:
 * the card answers with a status word and never fails internally; and when the answer is an error,
 * the persistent state — registry, keys, counters — is exactly what it was before. The only
 * exceptions GP itself makes are INITIALIZE UPDATE (the SCP03 counter moves before the card
 * answers) and EXTERNAL AUTHENTICATE (failures are counted): for those, everything but the counters
 * must be unchanged.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { encodeCommand, parseResponse } from '../../src/apdu/index.ts';
import { buildGetData, buildGetStatus, buildSelect, GET_DATA_TAGS, openScp03, plainScp03Keys, type SecureChannelSession } from '../../src/gp/index.ts';
import { encodeCardState, type CardState, type VirtualSecureElement } from '../../src/se/index.ts';
import { CardPortTransport, ISD_KEYS, testCard } from './helpers.ts';

const ISD = fromHex('A000000151000000');
const HOST_KEYS = { keyVersion: ISD_KEYS.kvn, enc: ISD_KEYS.enc, mac: ISD_KEYS.mac, dek: ISD_KEYS.dek };
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

/** The state without the fields GP lets a failed INITIALIZE UPDATE / EXTERNAL AUTHENTICATE change. */
function withoutCounters(state: CardState): string {
  return encodeCardState({
    ...state,
    applications: state.applications.map((a) =>
      a.sd === undefined ? a : { ...a, sd: { ...a.sd, authFailures: 0, keySets: a.sd.keySets.map((k) => ({ ...k, counter: 0 })) } },
    ),
  });
}

function isSuccess(sw: number): boolean {
  return sw === 0x9000 || (sw >> 8) === 0x61 || (sw >> 8) === 0x62 || (sw >> 8) === 0x63;
}

/** Sends `bytes` and checks the invariants; returns the status word. */
function probe(card: VirtualSecureElement, bytes: Uint8Array): number {
  const before = card.state;
  let answer: Uint8Array;
  try {
    answer = card.process(bytes);
  } catch (e) {
    assert.fail(`card threw on ${toHex(bytes)}: ${String(e)}`);
  }
  assert.ok(answer.length >= 2, `no status word for ${toHex(bytes)}`);
  const { sw } = parseResponse(answer);
  assert.equal(card.stats.internalErrors, 0, `internal error on ${toHex(bytes)}: ${String(card.stats.lastInternalError)}`);
  if (!isSuccess(sw)) {
    const ins = bytes.length > 1 ? bytes[1]! : -1;
    if (ins === 0x50 || ins === 0x82) assert.equal(withoutCounters(card.state), withoutCounters(before), `state changed by ${toHex(bytes)} → ${sw.toString(16)}`);
    else assert.equal(encodeCardState(card.state), encodeCardState(before), `state changed by ${toHex(bytes)} → ${sw.toString(16)}`);
  }
  return sw;
}

/** Valid commands to mutate: the ones a TSM sends most. */
const CORPUS = [
  encodeCommand(buildSelect(ISD)),
  encodeCommand(buildGetData(GET_DATA_TAGS.CPLC)),
  encodeCommand(buildGetData(GET_DATA_TAGS.KEY_INFORMATION)),
  fromHex('8050300008' + '0102030405060708' + '00'),
  fromHex('84F28002024F0000'),
  fromHex('80E60C001B05A00000000106A0000000010107A0000000010101010002C9000000'),
  fromHex('80E8800005C40300000000'),
  fromHex('80E40080074F05A000000001' + '00'),
  fromHex('80D800810188101111111111111111111111111111111103000000'),
  fromHex('80F0400706A00000000101'),
  fromHex('80E2900003420142'),
  fromHex('0070000001'),
  fromHex('0070800100'),
];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), bit: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);

interface Mutation {
  kind: string;
  bit?: number;
  at?: number;
  extra?: Uint8Array;
  value?: number;
}

function mutate(base: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let out = base.slice();
  for (const m of ms) {
    if (m.kind === 'flip' && out.length > 0) out[(m.bit! >> 3) % out.length]! ^= 1 << (m.bit! & 7);
    else if (m.kind === 'truncate') out = out.slice(0, m.at! % (out.length + 1));
    else if (m.kind === 'extend') out = Uint8Array.from([...out, ...m.extra!]);
    else if (m.kind === 'byte' && out.length > 0) out[m.at! % out.length] = m.value!;
  }
  return out;
}

describe('virtual SE fuzz: status words only, no corruption', () => {
  it(`${RUNS} random byte strings outside a secure channel`, () => {
    const card = testCard();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => void probe(card, bytes)), { numRuns: RUNS });
  });

  it(`${RUNS} mutated GP commands outside a secure channel`, () => {
    const card = testCard();
    fc.assert(
      fc.property(fc.constantFrom(...CORPUS), fc.array(mutation, { minLength: 1, maxLength: 4 }), (base, ms) => void probe(card, mutate(base, ms))),
      { numRuns: RUNS },
    );
  });

  it(`${RUNS} mutated wrapped commands inside SCP03 sessions (SL 01, 03, 33)`, async () => {
    const card = testCard();
    const transport = new CardPortTransport(card);
    let session: SecureChannelSession | undefined;
    let opened = 0;
    const levels = [0x01, 0x03, 0x33];
    for (let i = 0; i < RUNS; i++) {
      if (session === undefined || !session.isOpen || i % 50 === 0) {
        session?.close();
        probe(card, encodeCommand(buildSelect(ISD)));
        session = await openScp03(transport, plainScp03Keys(HOST_KEYS), { securityLevel: levels[opened++ % levels.length]!, sdAid: ISD });
      }
      const plain = [buildGetStatus({ scope: 'applications', format: 'tag' }), buildGetData(GET_DATA_TAGS.CPLC), buildGetData(GET_DATA_TAGS.KEY_INFORMATION)][i % 3]!;
      const wrapped = encodeCommand(session.wrap(plain));
      const bad = mutate(wrapped, [{ kind: 'flip', bit: (i * 7919) % (wrapped.length * 8) }]);
      const sw = probe(card, bad);
      if (sw !== 0x9000) session.close(); // the card ended or refused it; the host opens a new one
    }
    session?.close();
  });
});
