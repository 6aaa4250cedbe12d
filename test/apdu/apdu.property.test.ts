import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { toHex } from '../../src/bytes/index.ts';
import {
  ApduError,
  commandApdu,
  describeSw,
  encodeCommand,
  encodeResponse,
  parseCommand,
  parseResponse,
  transmit,
  type ApduTransport,
} from '../../src/apdu/index.ts';

const byte = fc.integer({ min: 0, max: 0xff });
const cla = fc.integer({ min: 0, max: 0xfe });
const ins = byte.filter((b) => (b & 0xf0) !== 0x60 && (b & 0xf0) !== 0x90); // ISO 7816-3: not procedure bytes
const data = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 65535 }).map((n) => new Uint8Array(n).fill(0xa5)) },
);
const ne = fc.option(fc.oneof(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 1, max: 65536 })), { nil: undefined });
const fields = fc.record({ cla, ins, p1: byte, p2: byte, data, ne, extended: fc.boolean() });

/** Runs `fn`; any exception must be an ApduError. */
function parsesOrApduError<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof ApduError)) throw new Error(`not an ApduError: ${String(e)}`, { cause: e });
    return undefined;
  }
}

describe('command APDU properties', () => {
  it('encode → parse round-trips every valid command, short and extended', () => {
    fc.assert(
      fc.property(fields, (f) => {
        const apdu = commandApdu(f);
        const bytes = encodeCommand(apdu);
        assert.deepEqual(parseCommand(bytes), apdu);
        assert.equal(toHex(encodeCommand(parseCommand(bytes))), toHex(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary bytes parse or throw ApduError; what parses re-encodes to the same bytes', () => {
    const header = fc.tuple(cla, ins, byte, byte).map((h) => Uint8Array.from(h));
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 2000 }),
      fc.tuple(header, fc.uint8Array({ maxLength: 12 })).map(([h, b]) => Uint8Array.of(...h, ...b)),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        const apdu = parsesOrApduError(() => parseCommand(bytes));
        if (apdu !== undefined) assert.equal(toHex(encodeCommand(apdu)), toHex(bytes));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('response APDU properties', () => {
  it('arbitrary bytes parse or throw ApduError, and round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const r = parsesOrApduError(() => parseResponse(bytes));
        if (r !== undefined) assert.equal(toHex(encodeResponse(r)), toHex(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it('describes every status word', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), (sw) => assert.match(describeSw(sw), /^[0-9A-F]{4} \S/)));
  });
});

describe('transmit properties', () => {
  it('resolves or rejects with ApduError, within bounds, whatever the card answers', async () => {
    const answer = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(0x61, 0x6c, 0x90, 0x6a), byte).map(([d, s1, s2]) => Uint8Array.of(...d, s1, s2)),
    );
    await fc.assert(
      fc.asyncProperty(fields, fc.array(answer, { minLength: 1, maxLength: 20 }), async (f, answers) => {
        let i = 0;
        const card: ApduTransport = { transmit: () => Promise.resolve(answers[i++ % answers.length]!) };
        try {
          const r = await transmit(card, commandApdu(f), { maxGetResponses: 8, maxResponseLength: 4096 });
          assert.ok(r.sw >> 8 !== 0x61 && r.data.length <= 4096);
        } catch (e) {
          if (!(e instanceof ApduError)) throw e;
        }
        assert.ok(i <= 1 + 1 + 8, `sent ${i} commands`); // command, one 6Cxx resend, 8 GET RESPONSEs
      }),
      { numRuns: 500 },
    );
  });
});
