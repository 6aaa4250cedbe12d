import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromHex, hex, toHex } from '../../src/bytes/index.ts';
import { ApduError, apduCase, commandApdu, encodeCommand, parseCommand, type ApduCase } from '../../src/apdu/index.ts';
import { expand } from '../tlv/vectors.ts';

interface CommandVector {
  name: string;
  source: string;
  hex: string;
  apdu?: { cla: number; ins: number; p1: number; p2: number; data: string; ne?: number; extended: boolean };
  case?: ApduCase;
}

const file = JSON.parse(readFileSync(new URL('../vectors/apdu/command.json', import.meta.url), 'utf8')) as {
  cases: CommandVector[];
  rejects: CommandVector[];
};
const bytesOf = (text: string): Uint8Array => fromHex(expand(text).replace(/\s+/g, ''));

function throwsApdu(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApduError, `expected ApduError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

describe('command APDU encodings', () => {
  for (const v of file.cases) {
    it(v.name, () => {
      const f = v.apdu!;
      const apdu = commandApdu({ cla: f.cla, ins: f.ins, p1: f.p1, p2: f.p2, data: bytesOf(f.data), ne: f.ne, extended: f.extended });
      const expected = bytesOf(v.hex);
      assert.equal(toHex(encodeCommand(apdu)), toHex(expected));
      assert.equal(apduCase(apdu), v.case);
      const parsed = parseCommand(expected);
      assert.deepEqual(parsed, apdu);
      assert.ok(Object.isFrozen(parsed));
    });
  }
});

describe('command APDU parse rejections', () => {
  for (const v of file.rejects) {
    it(v.name, () => throwsApdu(() => parseCommand(bytesOf(v.hex)), 'ERR_APDU_MALFORMED'));
  }
});

describe('commandApdu', () => {
  it('chooses extended length for data over 255 bytes or Ne over 256', () => {
    assert.equal(commandApdu({ cla: 0x80, ins: 0xe8, p1: 0, p2: 0, data: new Uint8Array(255) }).extended, false);
    assert.equal(commandApdu({ cla: 0x80, ins: 0xe8, p1: 0, p2: 0, data: new Uint8Array(256) }).extended, true);
    assert.equal(commandApdu({ cla: 0x00, ins: 0xb0, p1: 0, p2: 0, ne: 256 }).extended, false);
    assert.equal(commandApdu({ cla: 0x00, ins: 0xb0, p1: 0, p2: 0, ne: 257 }).extended, true);
  });

  it('never marks case 1 extended, so encode and parse agree', () => {
    const apdu = commandApdu({ cla: 0x80, ins: 0xf2, p1: 0x20, p2: 0x02, extended: true });
    assert.equal(apdu.extended, false);
    assert.deepEqual(parseCommand(encodeCommand(apdu)), apdu);
  });

  it('validates its fields', () => {
    throwsApdu(() => commandApdu({ cla: 0xff, ins: 0xca, p1: 0, p2: 0 }), 'ERR_APDU_FIELD');
    throwsApdu(() => commandApdu({ cla: 0x00, ins: 0x61, p1: 0, p2: 0 }), 'ERR_APDU_FIELD');
    throwsApdu(() => commandApdu({ cla: 0x00, ins: 0x9a, p1: 0, p2: 0 }), 'ERR_APDU_FIELD');
    throwsApdu(() => commandApdu({ cla: 0x00, ins: 0xd6, p1: 0, p2: 0, data: new Uint8Array(65536) }), 'ERR_APDU_LENGTH');
    assert.throws(() => commandApdu({ cla: 0x100, ins: 0xca, p1: 0, p2: 0 }), { code: 'ERR_BYTES_RANGE' });
    assert.throws(() => commandApdu({ cla: 0, ins: 0xca, p1: 0, p2: 0, ne: 0 }), { code: 'ERR_BYTES_RANGE' });
    assert.throws(() => commandApdu({ cla: 0, ins: 0xca, p1: 0, p2: 0, ne: 65537 }), { code: 'ERR_BYTES_RANGE' });
  });

  it('parses every 4- and 5-byte input as case 1 or case 2', () => {
    assert.equal(apduCase(parseCommand(hex`00A40400`)), 1);
    for (let b = 0; b < 256; b++) {
      const apdu = parseCommand(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, b));
      assert.equal(apduCase(apdu), 2);
      assert.equal(apdu.ne, b === 0 ? 256 : b);
    }
  });
});
