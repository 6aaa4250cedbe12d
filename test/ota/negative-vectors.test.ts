/**
 * The negative SCP80 vectors (shared vectors/ota/negative.json): every one refused with the error
 * and PoR status the vector names. The valid twin of each tampered packet is checked to pass, so a
 * refusal is the tampering's doing, not a broken key.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../../src/bytes/index.ts';
import { OtaError, buildCommandPacket, spi, unwrapCommandPacket, unwrapResponsePacket, type OtaErrorCode } from '../../src/ota/index.ts';
import { loadVectors } from '../helpers/vectors.ts';
import { keysOf, type VectorKeys } from './helpers.ts';

interface Vector {
  name: string;
  source: string;
  inputs: Partial<VectorKeys> & Record<string, string>;
  expected: Record<string, string>;
}

const file = loadVectors<{ source: string; vectors: Vector[] }>('ota/negative.json');
const byName = (name: string): Vector => file.vectors.find((v) => v.name === name)!;

function refused(run: () => unknown, code: OtaErrorCode, porStatus: number | undefined): void {
  assert.throws(run, (e: unknown) => e instanceof OtaError && e.code === code && e.porStatus === porStatus);
}

/** Per vector: the error code and PoR status it names (`por_status_if_por_sent`; "none" is undefined). */
const EXPECT: Record<string, { code: OtaErrorCode; porStatus: number | undefined }> = {
  'neg-flipped-ciphertext-bit': { code: 'ERR_OTA_CC', porStatus: 0x01 },
  'neg-tar-altered': { code: 'ERR_OTA_CC', porStatus: 0x01 },
  'neg-truncated-packet': { code: 'ERR_OTA_LENGTH', porStatus: undefined },
  'neg-wrong-chl': { code: 'ERR_OTA_LENGTH', porStatus: 0x06 },
};

describe(`SCP80 negative vectors (${file.vectors.length})`, () => {
  const stored = fromHex('0000000000');
  for (const [name, want] of Object.entries(EXPECT)) {
    const v = byName(name);
    const { keys } = keysOf(v.inputs as unknown as VectorKeys);
    it(`${name}: refused (${want.code}, PoR ${String(want.porStatus)}); ${v.expected.por_status_if_por_sent}`, () => {
      refused(() => unwrapCommandPacket(keys, fromHex(v.inputs.packet!), { storedCounter: stored }), want.code, want.porStatus);
    });
    it(`${name}: the valid twin passes`, () => {
      const cmd = unwrapCommandPacket(keys, fromHex(v.inputs.valid_packet!), { storedCounter: stored });
      assert.equal(cmd.kind, 'ota-command');
    });
  }

  it('pysim-por-cc-mismatch: the host refuses the PoR (ERR_OTA_CC)', () => {
    const v = byName('pysim-por-cc-mismatch');
    const { keys, spi: s, kic, kid } = keysOf(v.inputs as unknown as VectorKeys);
    assert.throws(() => unwrapResponsePacket(keys, fromHex(v.inputs.por_ud!), { spi: s, kic, kid }), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_CC');
  });

  it('neg-replayed-counter: CNTR not higher than the card\'s is refused with PoR 02', () => {
    const v = byName('neg-replayed-counter');
    const { keys } = keysOf(byName('neg-flipped-ciphertext-bit').inputs as unknown as VectorKeys); // same key set and packet
    assert.equal(v.inputs.packet, byName('neg-flipped-ciphertext-bit').inputs.valid_packet);
    refused(() => unwrapCommandPacket(keys, fromHex(v.inputs.packet!), { storedCounter: fromHex(v.inputs.card_counter_before!) }), 'ERR_OTA_COUNTER', 0x02);
  });

  it('neg-counter-gap-mode-11: CNTR two higher in mode 11 is refused with PoR 03', () => {
    const v = byName('neg-counter-gap-mode-11');
    const keys = { kic: fromHex('000102030405060708090a0b0c0d0e0f'), kid: fromHex('0f0e0d0c0b0a09080706050403020100') };
    const s = spi({ rcCcDs: 'cc', ciphered: true, counter: 'one-higher', por: 'required', porRcCcDs: 'cc', porCiphered: true, porVia: 'submit' });
    const packet = buildCommandPacket(keys, { spi: s, kic: 0x12, kid: 0x12, tar: fromHex('000000'), counter: fromHex(v.inputs.packet_cntr!), data: fromHex('80f24000024f00') });
    refused(() => unwrapCommandPacket(keys, packet, { storedCounter: fromHex(v.inputs.card_counter_before!) }), 'ERR_OTA_COUNTER', 0x03);
    // exactly one higher passes
    const next = buildCommandPacket(keys, { spi: s, kic: 0x12, kid: 0x12, tar: fromHex('000000'), counter: fromHex('0000000002'), data: fromHex('80f24000024f00') });
    assert.equal(unwrapCommandPacket(keys, next, { storedCounter: fromHex(v.inputs.card_counter_before!) }).kind, 'ota-command');
  });

  it('every single-bit flip of a pySim command packet is refused with an OtaError', () => {
    const v = loadVectors<{ vectors: { name: string; inputs: VectorKeys; expected: { command_packet?: string } }[] }>('ota/pysim.json').vectors;
    for (const x of v.filter((y) => y.expected.command_packet !== undefined)) {
      const { keys } = keysOf(x.inputs);
      const packet = fromHex(x.expected.command_packet!);
      for (let bit = 0; bit < packet.length * 8; bit++) {
        const bad = packet.slice();
        bad[bit >> 3]! ^= 0x80 >> (bit & 7);
        assert.throws(() => unwrapCommandPacket(keys, bad, {}), OtaError, `${x.name} bit ${bit}`);
      }
    }
  });
});
