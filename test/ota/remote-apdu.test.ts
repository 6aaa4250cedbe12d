/**
 * ETSI TS 102 226 remote APDU formats: compact C-APDUs (the real-card trace of ota.md §2) and the
 * expanded Command / Response Scripting Templates, definite and indefinite (the SCP81 example of
 * ota.md §2 [S]); refusals of malformed templates; property: encode → parse round trip and
 * arbitrary bytes give an OtaError only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import {
  OtaError,
  encodeCommandScript,
  encodeCompactCommands,
  encodeCompactResponse,
  encodeResponseScript,
  isExpandedFormat,
  parseCommandScript,
  parseCompactResponse,
  parseResponseScript,
  splitCompactCommands,
  type CommandScriptItem,
} from '../../src/ota/index.ts';

const isParse = (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_PARSE';

describe('compact format', () => {
  it('the real-card trace 80CA00E000 00C0000000: two case-2 commands (GET DATA, GET RESPONSE)', () => {
    const apdus = splitCompactCommands(fromHex('80CA00E00000C0000000'));
    assert.deepEqual(apdus.map((a) => toHex(a)), ['80CA00E000', '00C0000000']);
    assert.equal(toHex(encodeCompactCommands(apdus)), '80CA00E00000C0000000');
  });
  it('a case-3 SELECT and a case-1 command; a case-4 APDU loses its Le when encoded', () => {
    const data = fromHex('00A40004023F00' + '80F0800700');
    assert.deepEqual(splitCompactCommands(data).map((a) => toHex(a)), ['00A40004023F00', '80F08007']);
    assert.equal(toHex(encodeCompactCommands([fromHex('00A40004023F0000'), fromHex('80F08007')])), toHex(data));
  });
  it('a last case-4 command keeps its Le (80F24000024F0000, the negative vectors\' script)', () => {
    assert.deepEqual(splitCompactCommands(fromHex('80F24000024F0000')).map((x) => toHex(x)), ['80F24000024F0000']);
    assert.deepEqual(splitCompactCommands(fromHex('00A40004023F00' + '80F24000024F0000')).map((x) => toHex(x)), ['00A40004023F00', '80F24000024F0000']);
  });
  it('refuses truncation', () => {
    assert.throws(() => splitCompactCommands(fromHex('00A4000402')), isParse);
    assert.throws(() => splitCompactCommands(fromHex('00A400')), isParse);
  });
  it('compact response round trip (pySim PoR data 01 6132)', () => {
    assert.equal(toHex(encodeCompactResponse(1, 0x6132, new Uint8Array(0))), '016132');
    assert.deepEqual(parseCompactResponse(fromHex('019000E012')), { kind: 'ota-compact-response', numberOfCommands: 1, lastSw: 0x9000, lastData: fromHex('E012') });
  });
});

describe('expanded format', () => {
  it('AE80 2205 80CAFF2100 0000 (indefinite) decodes and encodes back', () => {
    const bytes = fromHex('AE80220580CAFF21000000');
    const s = parseCommandScript(bytes);
    assert.equal(s.length, 'indefinite');
    assert.deepEqual(s.items, [{ kind: 'c-apdu', apdu: fromHex('80CAFF2100') }]);
    assert.deepEqual(encodeCommandScript(s.items, { length: 'indefinite' }), bytes);
    assert.equal(isExpandedFormat(bytes), true);
    assert.equal(isExpandedFormat(fromHex('80CA')), false);
  });
  it('definite AA with a C-APDU, an Immediate Action and an Error Action', () => {
    const items: CommandScriptItem[] = [
      { kind: 'immediate-action', value: fromHex('01') },
      { kind: 'c-apdu', apdu: fromHex('80F24002024F0000') },
      { kind: 'error-action', value: new Uint8Array(0) },
    ];
    const bytes = encodeCommandScript(items, { length: 'definite' });
    assert.equal(toHex(bytes), 'AA0F' + '810101' + '220880F24002024F0000' + '8200');
    assert.deepEqual(parseCommandScript(bytes).items, items);
  });
  it('AF80 800101 2304 ... 0000: the response to it', () => {
    const bytes = fromHex('AF80' + '800101' + '2304' + 'AB129000' + '0000');
    const r = parseResponseScript(bytes);
    assert.equal(r.executed, 1);
    assert.deepEqual(r.responses, [fromHex('AB129000')]);
    assert.deepEqual(encodeResponseScript(r), bytes);
  });
  it('long lengths: a 200-octet C-APDU takes 22 81 C8; a template over 255 takes AA 82', () => {
    const apdu = new Uint8Array(200).fill(0x11);
    const bytes = encodeCommandScript([{ kind: 'c-apdu', apdu }, { kind: 'c-apdu', apdu }], { length: 'definite' });
    assert.equal(toHex(bytes.subarray(0, 7)), 'AA8201962281C8');
    assert.equal(parseCommandScript(bytes).items.length, 2);
  });
  it('refuses an unknown tag, a TLV past its template, bytes after 00 00, a missing end, a wrong outer tag', () => {
    for (const h of ['AA03990100', 'AA0322050102', 'AE80220180000000AA', 'AE80220180', 'AB00', 'AE0100', '']) {
      assert.throws(() => parseCommandScript(fromHex(h)), (e: unknown) => e instanceof OtaError, h);
    }
    assert.throws(() => parseResponseScript(fromHex('AB03230190')), isParse);
  });
});

describe('property: remote APDU codecs', () => {
  const arbItem: fc.Arbitrary<CommandScriptItem> = fc.oneof(
    fc.uint8Array({ minLength: 4, maxLength: 300 }).map((apdu) => ({ kind: 'c-apdu' as const, apdu })),
    fc.uint8Array({ maxLength: 3 }).map((value) => ({ kind: 'immediate-action' as const, value })),
    fc.uint8Array({ maxLength: 3 }).map((value) => ({ kind: 'error-action' as const, value })),
  );
  it('encode → parse is the identity, definite and indefinite', () => {
    fc.assert(
      fc.property(fc.array(arbItem, { maxLength: 6 }), fc.constantFrom<'definite' | 'indefinite'>('definite', 'indefinite'), (items, length) => {
        const back = parseCommandScript(encodeCommandScript(items, { length }));
        assert.deepEqual(back.items, items);
        assert.equal(back.length, length);
      }),
    );
  });
  it('arbitrary bytes give an OtaError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), fc.constantFrom(0xaa, 0xae, 0xab, 0xaf), (b, tag) => {
        for (const input of [b, Uint8Array.of(tag, ...b), Uint8Array.of(tag, 0x80, ...b)]) {
          for (const parse of [parseCommandScript, parseResponseScript, splitCompactCommands]) {
            try {
              parse(input);
            } catch (e) {
              if (!(e instanceof OtaError)) throw e;
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
