/**
 * The vpcd framing (vsmartcard api.txt): 2-byte big-endian length, then the payload; a stream
 * split anywhere yields the same frames; a zero or over-long length is a fault, never a crash.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BytesError, concat, hex, toHex } from '../../../src/bytes/index.ts';
import { encodeVpcdFrame, VPCD_MAX_PAYLOAD, VpcdFrameReader } from '../../../src/se/pcsc/vpcd-frame.ts';

describe('encodeVpcdFrame', () => {
  it('prefixes the big-endian length', () => {
    assert.equal(toHex(encodeVpcdFrame(hex`04`)), '000104');
    assert.equal(toHex(encodeVpcdFrame(hex`00A4040000`)), '000500A4040000');
    const big = encodeVpcdFrame(new Uint8Array(VPCD_MAX_PAYLOAD).fill(0x5a));
    assert.equal(toHex(big.subarray(0, 3)), 'FFFF5A');
    assert.equal(big.length, 2 + VPCD_MAX_PAYLOAD);
  });

  it('refuses an empty payload and one a 2-byte length cannot announce', () => {
    assert.throws(() => encodeVpcdFrame(new Uint8Array(0)), BytesError);
    assert.throws(() => encodeVpcdFrame(new Uint8Array(VPCD_MAX_PAYLOAD + 1)), BytesError);
  });
});

describe('VpcdFrameReader', () => {
  it('returns every frame of one chunk, in order', () => {
    const reader = new VpcdFrameReader();
    const { frames, fault } = reader.push(hex`000104 000101 000500A4040000`);
    assert.equal(fault, undefined);
    assert.deepEqual(frames.map(toHex), ['04', '01', '00A4040000']);
    assert.equal(reader.buffered, 0);
  });

  it('reassembles a frame delivered one byte at a time', () => {
    const reader = new VpcdFrameReader();
    const bytes = hex`0005 00A4040000`;
    for (let i = 0; i < bytes.length - 1; i++) {
      assert.deepEqual(reader.push(bytes.subarray(i, i + 1)).frames, []);
      assert.equal(reader.buffered, i + 1);
    }
    assert.deepEqual(reader.push(bytes.subarray(-1)).frames.map(toHex), ['00A4040000']);
    assert.equal(reader.buffered, 0);
  });

  it('copies frames out of a node Buffer (the socket may reuse its memory)', () => {
    const reader = new VpcdFrameReader();
    const chunk = Buffer.from('000204AA', 'hex');
    const [frame] = reader.push(chunk).frames;
    chunk.fill(0);
    assert.equal(toHex(frame!), '04AA');
    assert.equal(Object.getPrototypeOf(frame), Uint8Array.prototype);
  });

  it('faults on a zero length, keeping the frames before it, and stays faulted', () => {
    const reader = new VpcdFrameReader();
    const { frames, fault } = reader.push(hex`000104 0000 000104`);
    assert.deepEqual(frames.map(toHex), ['04']);
    assert.deepEqual(fault, { kind: 'empty-frame', length: 0 });
    assert.deepEqual(reader.push(hex`000104`), { frames: [] });
    assert.equal(reader.buffered, 0);
  });

  it('faults on a length over the limit before buffering the payload', () => {
    const reader = new VpcdFrameReader(261);
    assert.deepEqual(reader.push(hex`0106`).fault, { kind: 'frame-too-long', length: 262 });
    assert.equal(reader.buffered, 0);
    const ok = new VpcdFrameReader(261);
    assert.equal(ok.push(concat(hex`0105`, new Uint8Array(261))).frames[0]?.length, 261);
  });

  it('never holds more than one incomplete maximal frame', () => {
    const reader = new VpcdFrameReader();
    const huge = concat(hex`FFFF`, new Uint8Array(VPCD_MAX_PAYLOAD - 1));
    assert.deepEqual(reader.push(huge).frames, []);
    assert.equal(reader.buffered, 2 + VPCD_MAX_PAYLOAD - 1);
    const { frames } = reader.push(hex`00 0001`);
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.length, VPCD_MAX_PAYLOAD);
    assert.equal(reader.buffered, 2); // the next frame's header
  });

  it('rejects a limit outside 1..65535', () => {
    assert.throws(() => new VpcdFrameReader(0), BytesError);
    assert.throws(() => new VpcdFrameReader(65536), BytesError);
  });

  it('yields the same frames however the stream is cut (property)', () => {
    const payloads = fc.array(fc.uint8Array({ minLength: 1, maxLength: 600 }), { maxLength: 8 });
    fc.assert(
      fc.property(payloads, fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 10 }), (list, cuts) => {
        const stream = concat(...list.map(encodeVpcdFrame));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const reader = new VpcdFrameReader();
        const got: Uint8Array[] = [];
        let from = 0;
        for (const to of [...points, stream.length]) {
          const { frames, fault } = reader.push(stream.subarray(from, to));
          assert.equal(fault, undefined);
          got.push(...frames);
          from = to;
        }
        assert.deepEqual(got.map(toHex), list.map(toHex));
        assert.equal(reader.buffered, 0);
      }),
    );
  });

  it('ends arbitrary bytes in frames or a fault, never an exception (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 6 }), fc.integer({ min: 1, max: 500 }), (chunks, limit) => {
        const reader = new VpcdFrameReader(limit);
        for (const chunk of chunks) {
          const { frames } = reader.push(chunk);
          for (const f of frames) assert.ok(f.length >= 1 && f.length <= limit);
          assert.ok(reader.buffered <= 2 + limit);
        }
      }),
    );
  });
});
