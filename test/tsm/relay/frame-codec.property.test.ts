/**
 * The relay frame codec (src/apdu/relay-batch.ts): valid frames round-trip; random text, random JSON,
 * and valid frames mutated in every field end in ApduError ERR_APDU_RELAY_FRAME — never a TypeError,
 * a RangeError or a hang.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ApduError,
  checkRelayAnswer,
  continuesBatch,
  decodeRelayFrame,
  encodeCommand,
  encodeRelayFrame,
  relayApdusFrame,
  relayResponsesFrame,
  runRelayBatch,
  RELAY_LIMITS,
  commandApdu,
  type RelayFrame,
} from '../../../src/apdu/index.ts';
import { toHex } from '../../../src/bytes/index.ts';

/** Valid command APDUs of every case (short and extended), through the apdu/ encoder. */
const command = fc
  .record({
    cla: fc.constantFrom(0x00, 0x80, 0x84, 0x01),
    ins: fc.constantFrom(0xa4, 0xca, 0xf2, 0xe6, 0xe8, 0x50, 0x82),
    p1: fc.integer({ min: 0, max: 255 }),
    p2: fc.integer({ min: 0, max: 255 }),
    data: fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { nil: undefined }),
    ne: fc.option(fc.integer({ min: 1, max: 256 }), { nil: undefined }),
  })
  .map((f) => encodeCommand(commandApdu({ ...f, extended: (f.data?.length ?? 0) > 255 })));
const sw = fc.oneof(fc.constant(0x9000), fc.integer({ min: 0x6100, max: 0x6fff }), fc.integer({ min: 0x9000, max: 0x9fff }));
const response = fc.tuple(fc.uint8Array({ maxLength: 260 }), sw).map(([data, w]) => Uint8Array.of(...data, w >> 8, w & 0xff));
const id = fc.integer({ min: 0, max: RELAY_LIMITS.maxId });
const frame: fc.Arbitrary<RelayFrame> = fc.oneof(
  fc.tuple(id, fc.array(command, { minLength: 1, maxLength: 20 }), fc.boolean()).map(([i, a, s]) => relayApdusFrame(i, a, s)),
  fc.tuple(id, fc.array(response, { minLength: 1, maxLength: 20 })).map(([i, r]) => relayResponsesFrame(i, r)),
);

/** Decodes; anything but a frame or our typed error fails the property. */
function decodeOrTypedError(input: string | Uint8Array): RelayFrame | undefined {
  try {
    return decodeRelayFrame(input);
  } catch (e) {
    if (!(e instanceof ApduError) || e.code !== 'ERR_APDU_RELAY_FRAME') throw e;
    return undefined;
  }
}

const hexOf = (f: RelayFrame): string[] => (f.kind === 'apdus' ? f.apdus : f.responses).map(toHex);

describe('relay frame codec', () => {
  it('round-trips every valid frame', () => {
    fc.assert(
      fc.property(frame, (f) => {
        const back = decodeRelayFrame(encodeRelayFrame(f));
        assert.equal(back.kind, f.kind);
        assert.equal(back.id, f.id);
        assert.deepEqual(hexOf(back), hexOf(f));
        if (f.kind === 'apdus' && back.kind === 'apdus') assert.equal(back.stopOnError, f.stopOnError);
        assert.deepEqual(decodeRelayFrame(Buffer.from(encodeRelayFrame(f))), back, 'bytes decode as the text does');
      }),
      { numRuns: 300 },
    );
  });

  it('random text, bytes and JSON values end in ERR_APDU_RELAY_FRAME', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => void decodeOrTypedError(s)), { numRuns: 1000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => void decodeOrTypedError(b)), { numRuns: 1000 });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => void decodeOrTypedError(JSON.stringify(v) ?? 'null')), { numRuns: 1000 });
  });

  it('every field of a valid frame, mutated, ends in ERR_APDU_RELAY_FRAME or a valid frame', () => {
    const junk = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(-1, 2 ** 31, 1.5, '', 'zz', 'ABC', '00', [], [''], ['6F'], ['0000'], ['00A4'], null, true, '__proto__'));
    fc.assert(
      fc.property(frame, fc.constantFrom('type', 'id', 'apdus', 'responses', 'stopOnError', 'extra', '__proto__'), junk, fc.boolean(), (f, key, value, drop) => {
        const wire = JSON.parse(encodeRelayFrame(f)) as Record<string, unknown>;
        if (drop) delete wire[key];
        else Object.defineProperty(wire, key, { value, enumerable: true, configurable: true, writable: true });
        const back = decodeOrTypedError(JSON.stringify(wire));
        if (back !== undefined) assert.deepEqual(Object.keys(JSON.parse(encodeRelayFrame(back)) as object).sort(), Object.keys(wire).sort());
      }),
      { numRuns: 2000 },
    );
  });

  it('byte-level mutations of encoded frames end in a frame or ERR_APDU_RELAY_FRAME', () => {
    fc.assert(
      fc.property(frame, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (f, edits) => {
        const bytes = Buffer.from(encodeRelayFrame(f));
        for (const [at, b] of edits) bytes[at % bytes.length] = b;
        decodeOrTypedError(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('enforces the limits: 256 KiB, 255 APDUs, ids 0..2^31-1, hex, APDU validity, unknown fields', () => {
    const ok = { type: 'apdus', id: 1, apdus: ['00A4040000'], stopOnError: true };
    const refused: unknown[] = [
      { ...ok, apdus: Array.from({ length: 256 }, () => '00A4040000') },
      { ...ok, apdus: [] },
      { ...ok, id: -1 }, { ...ok, id: 2 ** 31 }, { ...ok, id: 1.5 }, { ...ok, id: '1' },
      { ...ok, apdus: ['00a4040'] }, { ...ok, apdus: ['00A4 0400'] }, { ...ok, apdus: ['00A4'] }, { ...ok, apdus: ['00A4040002FF'] },
      { ...ok, stopOnError: 'yes' }, { ...ok, extra: 1 }, { type: 'apdus', id: 1, apdus: ['00A4040000'] },
      { type: 'responses', id: 1, responses: ['90'] }, { type: 'responses', id: 1, responses: ['1234'] }, { type: 'responses', id: 1, responses: [] },
      { type: 'hello' }, [ok], null, 'apdus',
    ];
    for (const value of refused) assert.throws(() => decodeRelayFrame(JSON.stringify(value)), { code: 'ERR_APDU_RELAY_FRAME' }, JSON.stringify(value).slice(0, 80));
    assert.throws(() => decodeRelayFrame(JSON.stringify({ ...ok, pad: 'x'.repeat(RELAY_LIMITS.maxFrameBytes) })), { code: 'ERR_APDU_RELAY_FRAME', message: /over 262144 bytes/ });
    assert.throws(() => decodeRelayFrame(Uint8Array.of(0x7b, 0xff, 0x7d)), { code: 'ERR_APDU_RELAY_FRAME', message: /UTF-8/ });
    assert.equal(decodeRelayFrame(JSON.stringify({ ...ok, apdus: Array.from({ length: 255 }, () => '00a4040000') })).kind, 'apdus');
    // the sender cannot build what the receiver would refuse
    assert.throws(() => encodeRelayFrame(relayApdusFrame(1, [Uint8Array.of(0, 0xa4, 4, 0, 0x20, ...new Uint8Array(0x10))], true)), ApduError);
    const big = encodeCommand(commandApdu({ cla: 0x80, ins: 0xe8, p1: 0, p2: 0, data: new Uint8Array(65535), extended: true }));
    assert.throws(() => encodeRelayFrame(relayApdusFrame(1, [big, big], true)), { code: 'ERR_APDU_RELAY_FRAME', message: /over 262144 bytes/ });
  });

  it('stopOnError: continues on 9000, 61xx, 62xx, 63xx; stops on everything else', () => {
    for (const w of [0x9000, 0x6100, 0x61ff, 0x6283, 0x6310, 0x63c2]) assert.equal(continuesBatch(w), true, w.toString(16));
    for (const w of [0x6400, 0x6581, 0x6700, 0x6982, 0x6a82, 0x6c10, 0x6d00, 0x6f00, 0x9001, 0x9100, 0x9f10]) assert.equal(continuesBatch(w), false, w.toString(16));
  });

  it('checks that responses answer their batch', () => {
    const cmd = encodeCommand(commandApdu({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: Uint8Array.of(1, 2, 3) }));
    const batch = relayApdusFrame(7, [cmd, cmd, cmd], true);
    const r = (...sws: number[]) => relayResponsesFrame(7, sws.map((w) => Uint8Array.of(w >> 8, w & 0xff)));
    checkRelayAnswer(batch, r(0x9000, 0x9000, 0x9000));
    checkRelayAnswer(batch, r(0x9000, 0x6a82));
    checkRelayAnswer(batch, r(0x6a82));
    checkRelayAnswer(batch, r(0x9000, 0x6310, 0x6a82));
    for (const bad of [r(0x9000, 0x9000), r(0x6a82, 0x9000), r(0x9000, 0x9000, 0x9000, 0x9000), relayResponsesFrame(8, [Uint8Array.of(0x90, 0)])]) {
      assert.throws(() => checkRelayAnswer(batch, bad), { code: 'ERR_APDU_RELAY_FRAME' });
    }
    const noStop = relayApdusFrame(7, [cmd, cmd], false);
    checkRelayAnswer(noStop, r(0x6a82, 0x6a82));
    assert.throws(() => checkRelayAnswer(noStop, r(0x6a82)), { code: 'ERR_APDU_RELAY_FRAME' });
  });

  it('runRelayBatch refuses a card answer that is not a response APDU', async () => {
    const cmd = encodeCommand(commandApdu({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: Uint8Array.of(1) }));
    const batch = relayApdusFrame(1, [cmd], true);
    await assert.rejects(runRelayBatch({ transmit: () => Promise.resolve(Uint8Array.of(0x90)) }, batch), { code: 'ERR_APDU_RELAY_FRAME' });
    await assert.rejects(runRelayBatch({ transmit: () => Promise.resolve('9000' as unknown as Uint8Array) }, batch), { code: 'ERR_APDU_TRANSPORT' });
  });
});
