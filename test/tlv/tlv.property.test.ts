import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concat, toHex } from '../../src/bytes/index.ts';
import {
  TlvError,
  dumpTlv,
  encodeDgi,
  encodeSimpleTlv,
  encodeTlvList,
  isConstructedTag,
  parseDgiList,
  parseSimpleTlvList,
  parseTlv,
  parseTlvList,
  tlv,
  type Tlv,
  type TlvParseOptions,
} from '../../src/tlv/index.ts';

// Valid BER tags of 1–3 bytes (ISO 8825-1 §8.1.2 as profiled by ISO 7816-4: first byte not 00/FF).
const firstByte = fc.integer({ min: 0x01, max: 0xfe }).filter((b) => (b & 0x1f) !== 0x1f);
const multiFirst = fc.integer({ min: 0, max: 6 }).map((hi) => (hi << 5) | 0x1f); // 1F 3F … DF, not FF
const tag1 = firstByte;
const tag2 = fc.tuple(multiFirst, fc.integer({ min: 0x01, max: 0x7f })).map(([a, b]) => (a << 8) | b);
const tag3 = fc
  .tuple(multiFirst, fc.integer({ min: 0x81, max: 0xff }), fc.integer({ min: 0x00, max: 0x7f }))
  .map(([a, b, c]) => (a << 16) | (b << 8) | c);
const anyTag = fc.oneof(tag1, tag2, tag3);
const primitiveTag = anyTag.filter((t) => !isConstructedTag(t));
const constructedTag = anyTag.filter((t) => isConstructedTag(t));

const { tree } = fc.letrec<{ tree: Tlv; leaf: Tlv; node: Tlv }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', maxDepth: 6 }, tie('leaf'), tie('node')),
  leaf: fc.tuple(primitiveTag, fc.uint8Array({ maxLength: 300 })).map(([t, v]) => tlv(t, v)),
  node: fc.tuple(constructedTag, fc.array(tie('tree'), { maxLength: 4 })).map(([t, c]) => tlv(t, c)),
}));

const options = fc.record(
  {
    allowIndefinite: fc.boolean(),
    allowNonMinimal: fc.boolean(),
    skipPadding: fc.boolean(),
    maxDepth: fc.integer({ min: 1, max: 10 }),
    opaqueTags: fc.constant([0x22, 0x23]),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<TlvParseOptions>;

/** Runs `fn`; any exception must be a TlvError. */
function parsesOrTlvError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof TlvError)) throw new Error(`not a TlvError: ${String(e)}`, { cause: e });
  }
}

describe('BER-TLV properties', () => {
  it('encode → parse → encode is the identity on generated trees', () => {
    fc.assert(
      fc.property(fc.array(tree, { maxLength: 4 }), (nodes) => {
        const bytes = encodeTlvList(nodes);
        const parsed = parseTlvList(bytes, { maxDepth: 16 });
        assert.equal(toHex(encodeTlvList(parsed)), toHex(bytes));
        assert.equal(dumpTlv(parsed), dumpTlv(nodes));
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes parse or throw TlvError, under any options', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), options, (bytes, opts) => {
        parsesOrTlvError(() => parseTlvList(bytes, opts));
        parsesOrTlvError(() => parseTlv(bytes, opts));
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid encodings parse or throw TlvError', () => {
    fc.assert(
      fc.property(tree, fc.nat(), fc.integer({ min: 0, max: 255 }), (node, at, b) => {
        const bytes = encodeTlvList([node]);
        if (bytes.length > 0) bytes[at % bytes.length] = b;
        parsesOrTlvError(() => parseTlv(bytes, { allowIndefinite: true }));
        parsesOrTlvError(() => parseTlv(bytes.subarray(0, at % (bytes.length + 1))));
      }),
      { numRuns: 1000 },
    );
  });

  // Linear time: these finish (with a result or a typed error) in well under a second each; a
  // quadratic parser or a recursive one would hang or overflow the stack here.
  const mb = 1 << 20;

  it('terminates on 1 MB of tiny objects (512k)', () => {
    const tiny = new Uint8Array(mb);
    for (let i = 0; i < mb; i += 2) tiny[i] = 0xc0;
    assert.throws(() => parseTlvList(tiny), (e: unknown) => e instanceof TlvError && e.code === 'ERR_TLV_COUNT');
    assert.equal(parseTlvList(tiny, { maxNodes: mb }).length, mb / 2);
  });

  it('terminates on 1 MB of unclosed indefinite-length nesting (512k levels)', () => {
    const nested = new Uint8Array(mb);
    for (let i = 0; i < mb; i += 2) nested.set([0xe3, 0x80], i);
    const opts = { allowIndefinite: true };
    assert.throws(() => parseTlv(nested, opts), (e: unknown) => e instanceof TlvError && e.code === 'ERR_TLV_DEPTH');
    assert.throws(
      () => parseTlv(nested, { ...opts, maxDepth: mb, maxNodes: mb }),
      (e: unknown) => e instanceof TlvError && e.code === 'ERR_TLV_TRUNCATED',
    );
  });

  it('terminates on 1 MB of definite-length nesting (200k levels)', () => {
    const levels = 200_000;
    const deep = new Uint8Array(levels * 5);
    for (let i = 0; i < levels; i++) {
      const rest = deep.length - 5 * (i + 1);
      deep.set([0xe3, 0x83, rest >> 16, (rest >> 8) & 0xff, rest & 0xff], 5 * i);
    }
    assert.throws(() => parseTlv(deep, { allowNonMinimal: true }), (e: unknown) => e instanceof TlvError && e.code === 'ERR_TLV_DEPTH');
    const parsed = parseTlv(deep, { maxDepth: levels, maxNodes: levels, allowNonMinimal: true });
    assert.equal(parsed.value.length, deep.length - 5);
  });
});

describe('DGI and SIMPLE-TLV properties', () => {
  it('round-trip generated sequences', () => {
    const value = fc.uint8Array({ maxLength: 600 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), value), { maxLength: 5 }), (items) => {
        const bytes = concat(...items.map(([t, v]) => encodeDgi(t, v)));
        assert.deepEqual(parseDgiList(bytes).map((d) => [d.tag, toHex(d.value)]), items.map(([t, v]) => [t, toHex(v)]));
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 0xfe }), value), { maxLength: 5 }), (items) => {
        const bytes = concat(...items.map(([t, v]) => encodeSimpleTlv(t, v)));
        assert.deepEqual(parseSimpleTlvList(bytes).map((d) => [d.tag, toHex(d.value)]), items.map(([t, v]) => [t, toHex(v)]));
      }),
    );
  });

  it('arbitrary bytes parse or throw TlvError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        parsesOrTlvError(() => parseDgiList(bytes));
        parsesOrTlvError(() => parseSimpleTlvList(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});
