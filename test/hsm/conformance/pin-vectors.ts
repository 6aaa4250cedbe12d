/**
 * Conformance: the ISO 9564-1 PIN block vectors (test/vectors/hsm/pinblock.json, psec 1.3.0)
 * through translatePinBlock. The test encrypts a vector's block under a known P0 key, the HSM
 * decrypts, decodes, re-encodes and re-encrypts it, and the test decrypts the result: the published
 * blocks of the deterministic formats (0, 2) must come out exactly, and every decoded PIN must be
 * the published one. The PIN and PAN fields of format 4 are internal to the block (listed).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { tdesEcbDecrypt, tdesEcbEncrypt } from '../../../src/crypto/index.ts';
import { decipherPinBlockIso4, decodePinBlock, encodePinBlock } from '../../../src/emv/index.ts';
import type { EncryptedPinBlock } from '../../../src/hsm/index.ts';
import { loadCaptured, str, type CapturedVector } from '../../emv/captured.ts';
import { SPECS, importClear, withHsm, type HsmSetup, type HsmUnderTest } from './fixture.ts';

const vectors = loadCaptured('hsm/pinblock.json');
const SOURCE = fromHex('C1D0F8FB4958670DBA40AB1F3752EF0D');
const TARGET = fromHex('0123456789ABCDEFFEDCBA9876543210');
const TARGET_AES = fromHex('2B7E151628AED2A6ABF7158809CF4F3C');
/** Any PAN, for a format 2 or 1 block translated to a PAN-bound format. */
const OTHER_PAN = '4000001234567899';

export const PIN_FIELDS_NOT_THROUGH_THE_HSM: Readonly<Record<string, string>> = {
  'psec.pinblock.encode_pin_field_iso_4': 'the clear PIN field inside a format 4 block (the block vectors cover the HSM path)',
  'psec.pinblock.decode_pin_field_iso_4': 'the clear PIN field inside a format 4 block',
  'psec.pinblock.encode_pan_field_iso_4': 'the PAN field inside a format 4 block',
};

interface Keys {
  readonly source: string;
  readonly target: string;
}

async function keys(t: HsmUnderTest): Promise<Keys> {
  return { source: (await importClear(t, SPECS.pinT, SOURCE)).id, target: (await importClear(t, SPECS.pinT, TARGET)).id };
}

/** `block` (clear, format `format`) encrypted under the source key. */
function sourceBlock(k: Keys, format: 0 | 1 | 2 | 3, block: Uint8Array, pan?: string): EncryptedPinBlock {
  return { key: k.source, format, block: tdesEcbEncrypt(SOURCE, block), ...(pan === undefined ? {} : { pan }) };
}

async function toTarget(t: HsmUnderTest, k: Keys, from: EncryptedPinBlock, format: 0 | 1 | 2 | 3, pan?: string): Promise<Uint8Array> {
  const out = await t.hsm.translatePinBlock(from, { key: k.target, format, ...(pan === undefined ? {} : { pan }) }, t.ctx);
  return tdesEcbDecrypt(TARGET, out);
}

async function check(t: HsmUnderTest, v: CapturedVector): Promise<void> {
  const k = await keys(t);
  const f = v.function.replace('psec.pinblock.', '');
  const pan = typeof v.inputs.pan === 'string' ? v.inputs.pan : undefined;
  switch (f) {
    case 'encode_pinblock_iso_0': {
      const from = sourceBlock(k, 1, encodePinBlock(str(v, 'pin'), { format: 1 }));
      assert.equal(toHex(await toTarget(t, k, from, 0, pan)), v.expected);
      return;
    }
    case 'encode_pinblock_iso_2': {
      const from = sourceBlock(k, 1, encodePinBlock(str(v, 'pin'), { format: 1 }));
      assert.equal(toHex(await toTarget(t, k, from, 2)), v.expected);
      return;
    }
    case 'encode_pinblock_iso_3': {
      // The published block (random fill) is a valid format 3 block of the PIN: decode it through the HSM,
      const out = await toTarget(t, k, sourceBlock(k, 3, fromHex(v.expected), pan), 0, pan);
      assert.equal(decodePinBlock(out, { format: 0, pan: pan! }), str(v, 'pin'));
      // and produce a fresh one that decodes to the PIN with A–F fill.
      const fresh = await toTarget(t, k, sourceBlock(k, 1, encodePinBlock(str(v, 'pin'), { format: 1 })), 3, pan);
      assert.equal(decodePinBlock(fresh, { format: 3, pan: pan! }), str(v, 'pin'));
      return;
    }
    case 'decode_pinblock_iso_0':
    case 'decode_pinblock_iso_3': {
      const format = f === 'decode_pinblock_iso_0' ? 0 : 3;
      const out = await toTarget(t, k, sourceBlock(k, format, fromHex(str(v, 'pinblock')), pan), 0, pan);
      assert.equal(toHex(out), toHex(encodePinBlock(v.expected, { format: 0, pan: pan! })));
      return;
    }
    case 'decode_pinblock_iso_2': {
      const block = fromHex(str(v, 'pinblock'));
      assert.equal(toHex(await toTarget(t, k, sourceBlock(k, 2, block), 2)), toHex(block));
      assert.equal(decodePinBlock(await toTarget(t, k, sourceBlock(k, 2, block), 0, OTHER_PAN), { format: 0, pan: OTHER_PAN }), v.expected);
      return;
    }
    case 'encipher_pinblock_iso_4':
    case 'decipher_pinblock_iso_4': {
      const key = fromHex(str(v, 'key'));
      const iso4 = await importClear(t, SPECS.pinA, key);
      const other = await importClear(t, SPECS.pinA, TARGET_AES);
      const block = fromHex(f === 'encipher_pinblock_iso_4' ? v.expected : str(v, 'pin_block'));
      const pin = f === 'encipher_pinblock_iso_4' ? str(v, 'pin') : v.expected;
      // 4 → 4 under another AES key (any PAN length), deciphered here
      const moved = await t.hsm.translatePinBlock({ key: iso4.id, format: 4, block, pan: pan! }, { key: other.id, format: 4, pan: pan! }, t.ctx);
      assert.equal(decipherPinBlockIso4(TARGET_AES, moved, pan!), pin);
      // 4 → 0 (formats 0–3 need a PAN of 8 digits or more) and back 0 → 4 under the vector's key
      if (pan!.length < 8) return;
      assert.equal(toHex(await toTarget(t, k, { key: iso4.id, format: 4, block, pan: pan! }, 0, pan)), toHex(encodePinBlock(pin, { format: 0, pan: pan! })));
      const back = await t.hsm.translatePinBlock(sourceBlock(k, 0, encodePinBlock(pin, { format: 0, pan: pan! }), pan), { key: iso4.id, format: 4, pan: pan! }, t.ctx);
      assert.equal(decipherPinBlockIso4(key, back, pan!), pin);
      return;
    }
    default:
      throw new Error(`no HSM path for ${v.function}`);
  }
}

export function pinVectorTests(setup: HsmSetup): void {
  describe('PIN block vectors through translatePinBlock (pinblock.json)', () => {
    for (const v of vectors) {
      if (PIN_FIELDS_NOT_THROUGH_THE_HSM[v.function] !== undefined) continue;
      it(v.name, () => withHsm(setup, (t) => check(t, v)));
    }
    it('the vectors left out are field-level ones only', () => {
      const left = vectors.filter((v) => PIN_FIELDS_NOT_THROUGH_THE_HSM[v.function] !== undefined);
      assert.ok(vectors.length - left.length >= 30, `only ${vectors.length - left.length} PIN vectors go through the HSM`);
      assert.ok(left.every((v) => v.function.includes('_field_')));
    });
  });
}
