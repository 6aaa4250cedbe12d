/**
 * The Redundancy Check (ETSI TS 102 225 §5.1.3.2: CRC-16 / CRC-32 of ISO/IEC 13239) against the
 * published CRC check values and packets laid out as pySim lays them out, and DES in ECB mode for
 * the KIc (§5.1.2, low nibble D).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { desEcbEncrypt } from '../../src/crypto/index.ts';
import {
  OtaError,
  buildCommandPacket,
  buildResponsePacket,
  crc16Iso13239,
  crc32Iso13239,
  parseKeyId,
  parseSpi,
  spi,
  unwrapCommandPacket,
  unwrapResponsePacket,
} from '../../src/ota/index.ts';
import { loadVectors } from '../helpers/vectors.ts';

interface RcVector {
  name: string;
  source: string;
  kind: string;
  inputs: { algorithm?: string; data_ascii?: string; spi?: string; kic?: string; kid?: string; tar?: string; cntr?: string; secured_data_plain?: string };
  expected: { crc?: string; command_packet?: string };
}

const file = loadVectors<{ vectors: RcVector[] }>('ota/rc.json');
const NO_KEYS = { kic: new Uint8Array(16), kid: new Uint8Array(16) };

describe(`RC vectors (${file.vectors.length})`, () => {
  for (const v of file.vectors) {
    if (v.kind === 'crc') {
      it(`${v.name}: ${v.inputs.algorithm} of "${v.inputs.data_ascii}"`, () => {
        const data = new TextEncoder().encode(v.inputs.data_ascii);
        const crc = v.inputs.algorithm === 'crc16' ? crc16Iso13239(data) : crc32Iso13239(data);
        assert.equal(crc, parseInt(v.expected.crc!, 16));
      });
      continue;
    }
    const i = v.inputs;
    const fields = { spi: parseSpi(fromHex(i.spi!)), kic: parseInt(i.kic!, 16), kid: parseInt(i.kid!, 16), tar: fromHex(i.tar!), counter: fromHex(i.cntr!), data: fromHex(i.secured_data_plain!) };
    it(`${v.name}: host builds it, card verifies it`, () => {
      const packet = buildCommandPacket(NO_KEYS, fields);
      assert.equal(toHex(packet).toLowerCase(), v.expected.command_packet);
      const cmd = unwrapCommandPacket(NO_KEYS, packet, {});
      assert.deepEqual(cmd.data, fields.data);
    });
    it(`${v.name}: a flipped data bit fails the RC with PoR 01`, () => {
      const packet = fromHex(v.expected.command_packet!);
      packet[packet.length - 1]! ^= 0x01;
      assert.throws(() => unwrapCommandPacket(NO_KEYS, packet, {}), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_CC' && e.porStatus === 0x01);
    });
  }
});

describe('RC in the PoR and refusals', () => {
  it('a PoR with an RC (SPI2 b4b3 = 01) round-trips and is checked', () => {
    const s = spi({ rcCcDs: 'rc', ciphered: false, counter: 'none', por: 'required', porRcCcDs: 'rc', porCiphered: false, porVia: 'submit' });
    const fields = { spi: s, kic: 0, kid: 0x05, tar: fromHex('b00000'), counter: new Uint8Array(5), status: 0, data: fromHex('019000') };
    const por = buildResponsePacket(NO_KEYS, fields, { unsecured: false });
    assert.equal(por[5], 10 + 4); // RHL: 10 + the 4-byte CRC-32
    assert.deepEqual(unwrapResponsePacket(NO_KEYS, por, fields).data, fromHex('019000'));
    por[por.length - 1]! ^= 0x80;
    assert.throws(() => unwrapResponsePacket(NO_KEYS, por, fields), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_CC');
  });
  it('a KID that names no CRC (AES, 3-key 3DES, implicit) is refused with PoR 06', () => {
    for (const kid of [0x02, 0x09, 0x00, 0x03]) {
      const s = spi({ rcCcDs: 'rc', ciphered: false, counter: 'none', por: 'none', porRcCcDs: 'none', porCiphered: false, porVia: 'submit' });
      assert.throws(
        () => buildCommandPacket(NO_KEYS, { spi: s, kic: 0, kid, tar: new Uint8Array(3), counter: new Uint8Array(5), data: new Uint8Array(1) }),
        (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_UNSUPPORTED' && e.porStatus === 0x06,
      );
    }
  });
});

describe('KIc DES in ECB mode (low nibble D)', () => {
  const key = fromHex('0123456789abcdef');
  it('decodes for a KIc and is refused as a KID', () => {
    assert.deepEqual(parseKeyId(0x1d, 'KIc'), { kind: 'ota-key-id', index: 1, algorithm: 'des-ecb' });
    assert.throws(() => parseKeyId(0x1d, 'KID'), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_UNSUPPORTED');
  });
  it('ciphers CNTR..padding block by block (two equal plaintext blocks give two equal ciphertext blocks)', () => {
    const s = spi({ rcCcDs: 'none', ciphered: true, counter: 'none', por: 'none', porRcCcDs: 'none', porCiphered: false, porVia: 'submit' });
    // CNTR(5) PCNTR(1) + 10 data bytes = 16: blocks "00..00 00 00" and 8 data bytes; pick data so block 2 = block 1
    const data = fromHex('0000' + '0000000000000000');
    const packet = buildCommandPacket({ kic: key, kid: key }, { spi: s, kic: 0x1d, kid: 0x01, tar: fromHex('b00000'), counter: new Uint8Array(5), data });
    const ciphered = packet.subarray(10);
    assert.equal(ciphered.length, 16);
    assert.deepEqual(ciphered.subarray(0, 8), desEcbEncrypt(key, new Uint8Array(8)));
    assert.deepEqual(ciphered.subarray(8), ciphered.subarray(0, 8));
    assert.deepEqual(unwrapCommandPacket({ kic: key, kid: key }, packet, {}).data, data);
  });
});
