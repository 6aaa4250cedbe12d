/**
 * Properties: any SPI, key algorithm, TAR, counter and data built by the host is verified by the
 * card to the same fields, and the PoR the card builds back is verified by the host; arbitrary bytes
 * into the card- and host-side parsers end in an OtaError, never another exception.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  COUNTER_MODES,
  OTA_ALGORITHMS,
  OtaError,
  POR_MODES,
  POR_VIA,
  buildCommandPacket,
  buildResponsePacket,
  encodeKeyId,
  otaKeyId,
  openResponsePacket,
  plainOtaHostKeys,
  sealCommandPacket,
  parseSpi,
  spi,
  unwrapCommandPacket,
  unwrapResponsePacket,
  type OtaAlgorithm,
} from '../../src/ota/index.ts';

const KEY_LENGTHS: Record<OtaAlgorithm, number[]> = { 'des-cbc': [8], '3des-2key': [16], '3des-3key': [24], aes: [16, 24, 32], 'des-ecb': [8] };

const arbKey = (algorithm: OtaAlgorithm) =>
  fc.constantFrom(...KEY_LENGTHS[algorithm]).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));

const algoKey = (algorithms: readonly OtaAlgorithm[]) =>
  fc.constantFrom(...algorithms).chain((algorithm) =>
    fc.record({ algorithm: fc.constant(algorithm), index: fc.integer({ min: 0, max: 15 }), key: arbKey(algorithm) }),
  );
const arbAlgoKey = algoKey(OTA_ALGORITHMS);
/** DES-ECB is a KIc coding only (ETSI TS 102 225 §5.1.2). */
const arbKidKey = algoKey(OTA_ALGORITHMS.filter((a) => a !== 'des-ecb'));
/** A KID for an RC must read as CRC-16 (x1) or CRC-32 (x5): the DES-CBC and 2-key 3DES nibbles. */
const arbRcKidKey = algoKey(['des-cbc', '3des-2key']);

const arbSpi = fc
  .record({
    rcCcDs: fc.constantFrom('none', 'rc', 'cc'),
    ciphered: fc.boolean(),
    counter: fc.constantFrom(...COUNTER_MODES),
    por: fc.constantFrom(...POR_MODES),
    porRcCcDs: fc.constantFrom('none', 'rc', 'cc'),
    porCiphered: fc.boolean(),
    porVia: fc.constantFrom(...POR_VIA),
  } as const)
  .map((f) => spi(f));

const arbCase = fc.record({
  spi: arbSpi,
  kic: arbAlgoKey,
  kid: arbKidKey,
  rcKid: arbRcKidKey,
  tar: fc.uint8Array({ minLength: 3, maxLength: 3 }),
  counter: fc.bigInt({ min: 1n, max: 0xff_ffff_fffen }),
  data: fc.uint8Array({ maxLength: 300 }),
  status: fc.integer({ min: 0, max: 0x0b }),
  porData: fc.uint8Array({ maxLength: 100 }),
});

/** With an RC in either direction the KID byte must name a CRC, so the case takes the RC-capable KID. */
function withRcKid<T extends { spi: { rcCcDs: string; porRcCcDs: string }; kid: unknown; rcKid: unknown }>(c: T): T {
  return c.spi.rcCcDs === 'rc' || c.spi.porRcCcDs === 'rc' ? { ...c, kid: c.rcKid } : c;
}

function cntr(v: bigint): Uint8Array {
  return Uint8Array.from({ length: 5 }, (_, i) => Number((v >> BigInt(8 * (4 - i))) & 0xffn));
}

describe('property: host → card → host round trip at every SPI option', () => {
  it('command packet verifies to the same fields; PoR verifies to the same status and data', () => {
    fc.assert(
      fc.property(arbCase.map(withRcKid), (c) => {
        const keys = { kic: c.kic.key, kid: c.kid.key };
        const kic = encodeKeyId(otaKeyId(c.kic.index, c.kic.algorithm));
        const kid = encodeKeyId(otaKeyId(c.kid.index, c.kid.algorithm));
        const counter = cntr(c.counter);
        const packet = buildCommandPacket(keys, { spi: c.spi, kic, kid, tar: c.tar, counter, data: c.data });
        const cmd = unwrapCommandPacket(keys, packet, { storedCounter: cntr(c.counter - 1n) });
        assert.deepEqual(cmd.data, c.data);
        assert.deepEqual(cmd.tar, c.tar);
        assert.deepEqual(cmd.counter, counter);
        assert.deepEqual(cmd.spi, c.spi);
        assert.equal(cmd.kic, kic);
        assert.equal(cmd.kid, kid);
        const por = buildResponsePacket(keys, { spi: cmd.spi, kic, kid, tar: cmd.tar, counter: cmd.counter, status: c.status, data: c.porData }, { unsecured: false });
        const back = unwrapResponsePacket(keys, por, { spi: c.spi, kic, kid, tar: c.tar, counter });
        assert.equal(back.status, c.status);
        assert.deepEqual(back.data, c.porData);
        assert.equal(back.secured, true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('property: the OtaHostKeys host path equals the clear-key path', () => {
  it('sealCommandPacket = buildCommandPacket; openResponsePacket = unwrapResponsePacket', async () => {
    await fc.assert(
      fc.asyncProperty(arbCase.map(withRcKid), async (c) => {
        const keys = { kic: c.kic.key, kid: c.kid.key };
        const host = plainOtaHostKeys({ key: c.kic.key, algorithm: c.kic.algorithm }, { key: c.kid.key, algorithm: c.kid.algorithm });
        const kic = encodeKeyId(otaKeyId(c.kic.index, c.kic.algorithm));
        const kid = encodeKeyId(otaKeyId(c.kid.index, c.kid.algorithm));
        const fields = { spi: c.spi, kic, kid, tar: c.tar, counter: cntr(c.counter), data: c.data };
        assert.deepEqual(await sealCommandPacket(host, fields), buildCommandPacket(keys, fields));
        const por = buildResponsePacket(keys, { ...fields, status: c.status, data: c.porData }, { unsecured: false });
        assert.deepEqual(await openResponsePacket(host, por, fields), unwrapResponsePacket(keys, por, fields));
      }),
      { numRuns: 150 },
    );
  });
});

describe('property: arbitrary bytes give OtaError only', () => {
  const keys = { kic: new Uint8Array(16).fill(1), kid: new Uint8Array(16).fill(2) };
  const onlyOta = (run: () => unknown): void => {
    try {
      run();
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
    }
  };
  it('card-side command parser', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ minLength: 5, maxLength: 5 }), (bytes, stored) => {
        onlyOta(() => unwrapCommandPacket(keys, bytes, { storedCounter: stored }));
      }),
      { numRuns: 2000 },
    );
  });
  it('card-side parser on packets with a consistent CPL (reaching the crypto and counter checks)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 14, maxLength: 80 }), (tail) => {
        const packet = new Uint8Array(2 + tail.length);
        packet.set([tail.length >> 8, tail.length & 0xff]);
        packet.set(tail, 2);
        onlyOta(() => unwrapCommandPacket(keys, packet, { storedCounter: new Uint8Array(5) }));
      }),
      { numRuns: 2000 },
    );
  });
  it('host-side PoR parser', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), fc.constantFrom('0619', '1639', '0609', '0601', '0000'), (bytes, s) => {
        const ud = new Uint8Array(bytes.length + 5);
        ud.set([0x02, 0x71, 0x00, bytes.length >> 8, bytes.length & 0xff]);
        ud.set(bytes, 5);
        const spiValue = parseSpi(Uint8Array.of(parseInt(s.slice(0, 2), 16), parseInt(s.slice(2), 16)));
        onlyOta(() => unwrapResponsePacket(keys, ud, { spi: spiValue, kic: 0x12, kid: 0x12 }));
        onlyOta(() => unwrapResponsePacket(keys, bytes, { spi: spiValue, kic: 0x12, kid: 0x12 }));
      }),
      { numRuns: 2000 },
    );
  });
});
