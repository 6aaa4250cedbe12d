/**
 * CONVENTIONS.md §8: no PIN or PAN in any error message. Every refusal path that sees a PIN or a
 * PAN is driven with generated values, and the message of the error and of every cause in its
 * chain must not contain the PIN or the PAN used (nor the PIN digits of a corrupted block).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  EmvError,
  decipherPinBlockIso4,
  decodePinBlock,
  deriveIccMasterKeyOptionA,
  deriveIccMasterKeyOptionB,
  encipherPinBlockIso4,
  encodePanFieldIso4,
  encodePinBlock,
  encodePinFieldIso4,
  encodeVisPinBlock,
} from '../../src/emv/index.ts';

const digits = (min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));

/** The messages of `e` and its cause chain. */
function messages(e: unknown): string[] {
  const out: string[] = [];
  for (let cur: unknown = e; cur instanceof Error; cur = cur.cause) out.push(cur.message, String(cur));
  return out;
}

/** Runs `fn`, which must throw an EmvError whose messages contain none of `secrets`. */
function throwsWithout(fn: () => unknown, secrets: readonly string[]): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof EmvError, `expected an EmvError, got ${String(thrown)}`);
  for (const m of messages(thrown)) for (const s of secrets) assert.ok(!m.includes(s), 'a secret appears in an error message');
}

const KEY16 = new Uint8Array(16).fill(0x11);
const OTHER16 = new Uint8Array(16).fill(0x22);

describe('error messages never contain the PIN or the PAN', () => {
  it('malformed PINs (letters, too long, too short) with a valid PAN', () => {
    fc.assert(
      fc.property(digits(4, 12), digits(13, 19), fc.constantFrom('A', ' ', '-', 'F'), (pin, pan, junk) => {
        const bad = [`${pin}${junk}`, pin.repeat(4), pin.slice(0, 3)];
        for (const p of bad) {
          const secrets = p.length >= 4 ? [p, pan] : [pan];
          throwsWithout(() => encodePinBlock(p, { format: 0, pan }), secrets);
          throwsWithout(() => encodePinBlock(p, { format: 3, pan }), secrets);
          throwsWithout(() => encodePinFieldIso4(p), secrets);
          throwsWithout(() => encipherPinBlockIso4(KEY16, p, pan), secrets);
          throwsWithout(() => encodeVisPinBlock(KEY16, '1357', p), secrets);
        }
      }),
    );
  });

  it('malformed PANs with a valid PIN', () => {
    fc.assert(
      fc.property(digits(4, 12), digits(13, 19), fc.constantFrom('A', ' ', '='), (pin, pan, junk) => {
        for (const a of [`${pan}${junk}`, `${pan}${pan}`]) {
          throwsWithout(() => encodePinBlock(pin, { format: 0, pan: a }), [pin, a, pan]);
          throwsWithout(() => decodePinBlock(new Uint8Array(8), { format: 3, pan: a }), [a, pan]);
          throwsWithout(() => encodePanFieldIso4(a), [a, pan]);
          throwsWithout(() => encipherPinBlockIso4(KEY16, pin, a), [pin, a, pan]);
          throwsWithout(() => deriveIccMasterKeyOptionA(KEY16, a, '01'), [a, pan]);
          throwsWithout(() => deriveIccMasterKeyOptionB(KEY16, a, '01'), [a, pan]);
        }
      }),
    );
  });

  it('corrupted and mis-keyed PIN blocks', () => {
    fc.assert(
      fc.property(digits(4, 12), digits(13, 19), fc.constantFrom(0, 2, 3), (pin, pan, format) => {
        const options = format === 2 ? ({ format } as const) : ({ format, pan } as const);
        const block = encodePinBlock(pin, options);
        block[0]! ^= 0x80; // a control nibble no format has
        throwsWithout(() => decodePinBlock(block, options), [pin, pan]);
        // Deciphering under the wrong key garbles the field; a garbled field must not echo anything.
        const enciphered = encipherPinBlockIso4(KEY16, pin, pan);
        try {
          const other = decipherPinBlockIso4(OTHER16, enciphered, pan);
          assert.notEqual(other, undefined);
        } catch (e) {
          assert.ok(e instanceof EmvError);
          for (const m of messages(e)) assert.ok(!m.includes(pin) && !m.includes(pan));
        }
      }),
    );
  });
});
