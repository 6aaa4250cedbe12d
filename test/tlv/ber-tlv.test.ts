import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, hex, toHex } from '../../src/bytes/index.ts';
import {
  TlvError,
  TLV_ERROR_CODES,
  dumpTlv,
  encodeTlv,
  encodeTlvList,
  findAllTlv,
  findTlv,
  parseTlv,
  parseTlvList,
  tlv,
  type Tlv,
  type TlvErrorCode,
} from '../../src/tlv/index.ts';
import { loadVectors } from './vectors.ts';

function throwsTlv(fn: () => unknown, code: TlvErrorCode): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TlvError, `expected TlvError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

describe('BER-TLV published and hand-built encodings', () => {
  for (const v of loadVectors('ber-tlv.json')) {
    it(v.name, () => {
      const bytes = fromHex(v.hex);
      const nodes = v.list === true ? parseTlvList(bytes, v.options) : [parseTlv(bytes, v.options)];
      assert.equal(dumpTlv(nodes), v.dump!.join('\n'));
      assert.equal(toHex(encodeTlvList(nodes)), v.canonical ?? v.hex.toUpperCase());
    });
  }
});

describe('BER-TLV rejections', () => {
  for (const v of loadVectors('ber-tlv-reject.json')) {
    it(`${v.name} → ${v.code}`, () => {
      const bytes = fromHex(v.hex);
      const parse = v.single === true ? () => parseTlv(bytes, v.options) : () => parseTlvList(bytes, v.options);
      assert.ok(TLV_ERROR_CODES.includes(v.code as TlvErrorCode), `unknown code ${v.code}`);
      throwsTlv(parse, v.code as TlvErrorCode);
    });
  }
});

describe('BER-TLV parser', () => {
  it('gives GET STATUS children in order with numeric tags', () => {
    const e3 = parseTlv(hex`E3144F07A00000015100009F700107C50180EA028000`);
    assert.equal(e3.tag, 0xe3);
    assert.equal(e3.constructed, true);
    assert.deepEqual(e3.children?.map((c) => c.tag), [0x4f, 0x9f70, 0xc5, 0xea]);
    assert.equal(toHex(findTlv(e3, 0xe3, 0x4f)!.value), 'A0000001510000');
    assert.equal(toHex(findTlv(e3, 0xe3, 0x9f70)!.value), '07');
    assert.equal(findTlv(e3, 0xe3, 0xea, 0x80)?.value.length, 0);
  });

  it('returns frozen nodes whose values do not alias the input', () => {
    const input = hex`E3034F01AA`;
    const node = parseTlv(input);
    assert.ok(Object.isFrozen(node) && Object.isFrozen(node.children));
    input[4] = 0xbb;
    assert.equal(toHex(node.children![0]!.value), 'AA');
  });

  it('parses an empty input as an empty list and empty constructed values as no children', () => {
    assert.deepEqual(parseTlvList(new Uint8Array(0)), []);
    assert.deepEqual(parseTlv(hex`E300`).children, []);
    assert.equal(parseTlv(hex`4F00`).children, undefined);
  });

  it('accepts every length form at its minimal boundary', () => {
    for (const [n, header] of [[0x7f, '7F'], [0x80, '8180'], [0xff, '81FF'], [0x100, '820100'], [0xffff, '82FFFF'], [0x10000, '83010000']] as const) {
      const bytes = fromHex(`04${header}${'00'.repeat(n)}`);
      assert.equal(parseTlv(bytes).value.length, n);
      assert.equal(toHex(encodeTlv(tlv(0x04, new Uint8Array(n))).subarray(0, 1 + header.length / 2)), `04${header}`);
    }
  });

  it('accepts non-minimal lengths only when asked', () => {
    throwsTlv(() => parseTlv(hex`4F 81 01 AA`), 'ERR_TLV_NON_MINIMAL');
    const node = parseTlv(hex`4F 81 01 AA`, { allowNonMinimal: true });
    assert.equal(toHex(encodeTlv(node)), '4F01AA');
  });

  it('nests indefinite lengths and re-encodes them definite', () => {
    const bytes = hex`AF 80 80 01 01 A0 80 04 01 AA 00 00 23 03 6A 82 00 00 00`;
    throwsTlv(() => parseTlv(bytes), 'ERR_TLV_INDEFINITE');
    const af = parseTlv(bytes, { allowIndefinite: true, opaqueTags: [0x23] });
    assert.equal(dumpTlv(af), ['AF (15)', '  80 (1) 01', '  A0 (3)', '    04 (1) AA', '  23 (3) 6A8200'].join('\n'));
    assert.equal(toHex(encodeTlv(af)), 'AF0D800101A0030401AA23036A8200');
  });

  it('keeps an opaque constructed tag as bytes', () => {
    const node = parseTlv(hex`22 05 80 CA FF 21 00`, { opaqueTags: [0x22] });
    assert.equal(node.constructed, true);
    assert.equal(node.children, undefined);
    throwsTlv(() => parseTlv(hex`22 05 80 CA FF 21 00`), 'ERR_TLV_LENGTH');
  });

  it('skips padding around parseTlv only when asked', () => {
    throwsTlv(() => parseTlv(hex`00 4F 01 AA FF`), 'ERR_TLV_TAG');
    assert.equal(toHex(parseTlv(hex`00 4F 01 AA FF`, { skipPadding: true }).value), 'AA');
    throwsTlv(() => parseTlv(hex`00 FF`, { skipPadding: true }), 'ERR_TLV_TRUNCATED');
  });

  it('counts nested objects against maxNodes and allows exactly maxDepth', () => {
    assert.equal(parseTlvList(hex`E1 04 E2 02 C0 00`, { maxDepth: 3, maxNodes: 3 }).length, 1);
    throwsTlv(() => parseTlvList(hex`E1 04 E2 02 C0 00`, { maxNodes: 2 }), 'ERR_TLV_COUNT');
  });

  it('validates its options', () => {
    assert.throws(() => parseTlvList(hex`4F00`, { maxDepth: 0 }), { code: 'ERR_BYTES_RANGE' });
    assert.throws(() => parseTlvList('4F00' as unknown as Uint8Array), { code: 'ERR_BYTES_TYPE' });
  });
});

describe('BER-TLV builder and encoder', () => {
  it('builds GET STATUS entries byte for byte', () => {
    const entry = tlv(0xe3, [tlv(0x4f, hex`A0000001510000`), tlv(0x9f70, hex`07`), tlv(0xc5, hex`80`), tlv(0xea, [tlv(0x80)])]);
    assert.equal(toHex(encodeTlv(entry)), 'E3144F07A00000015100009F700107C50180EA028000');
    assert.equal(toHex(entry.value), '4F07A00000015100009F700107C50180EA028000');
  });

  it('parses bytes given for a constructed tag, unless opaque', () => {
    const a5 = tlv(0xa5, hex`BF0C 03 87 01 01`);
    assert.equal(findTlv(a5, 0xa5, 0xbf0c, 0x87)?.value[0], 1);
    throwsTlv(() => tlv(0x22, hex`80 CA FF 21 00`), 'ERR_TLV_LENGTH');
    assert.equal(toHex(encodeTlv(tlv(0x22, hex`80 CA FF 21 00`, { opaque: true }))), '220580CAFF2100');
  });

  it('copies values', () => {
    const value = hex`0102`;
    const node = tlv(0x04, value);
    value[0] = 9;
    assert.equal(toHex(node.value), '0102');
  });

  it('refuses bad tags and inconsistent nodes', () => {
    for (const tag of [0x00, 0xff, 0x1f, 0x9f, 0x0101, 0x9f00, 0x9f80, 0x9f0101, 0x9f8180, 0xff01, 0x1000000, -1, 1.5]) {
      throwsTlv(() => tlv(tag, new Uint8Array(0)), 'ERR_TLV_TAG');
    }
    throwsTlv(() => tlv(0x4f, [tlv(0x4f)]), 'ERR_TLV_ENCODE');
    const liar = { kind: 'tlv', tag: 0x4f, constructed: true, value: new Uint8Array(0) } as Tlv;
    throwsTlv(() => encodeTlv(liar), 'ERR_TLV_ENCODE');
    const kids: Tlv[] = [];
    const loop = { kind: 'tlv', tag: 0xe3, constructed: true, value: new Uint8Array(0), children: kids } as Tlv;
    kids.push(loop);
    throwsTlv(() => encodeTlv(loop), 'ERR_TLV_ENCODE');
  });

  it('encodes a shared subtree twice', () => {
    const leaf = tlv(0x4f, hex`AA`);
    assert.equal(toHex(encodeTlv(tlv(0xe3, [leaf, leaf]))), 'E3064F01AA4F01AA');
  });

  it('encodes deep trees without recursion', () => {
    let node = tlv(0x04, hex`AA`);
    const depth = 20_000;
    for (let i = 0; i < depth; i++) node = { kind: 'tlv', tag: 0xe3, constructed: true, value: new Uint8Array(0), children: [node] };
    const bytes = encodeTlv(node);
    const parsed = parseTlv(bytes, { maxDepth: depth + 1, maxNodes: depth + 1 });
    assert.equal(findAllTlv(parsed, 0xe3).length, 1);
    assert.equal(toHex(encodeTlv(parsed)), toHex(bytes));
  });
});

describe('findTlv / findAllTlv / dumpTlv', () => {
  const response = parseTlvList(hex`E3094F07A0000001510000 E3094F07A0000001510001 E3034F01AA`);

  it('follows a path through every branch', () => {
    assert.deepEqual(findAllTlv(response, 0xe3, 0x4f).map((n) => toHex(n.value)), ['A0000001510000', 'A0000001510001', 'AA']);
    assert.equal(toHex(findTlv(response, 0xe3, 0x4f)!.value), 'A0000001510000');
    assert.equal(findTlv(response, 0xe3, 0xc5), undefined);
    assert.equal(findTlv(response, 0x4f), undefined);
    assert.equal(findTlv(response, 0xe3, 0x4f, 0x01), undefined);
    assert.deepEqual(findAllTlv(response, 0xe3, 0x9f70), []);
  });

  it('redacts values of named tags', () => {
    const dump = dumpTlv(tlv(0x70, [tlv(0x57, hex`1234`), tlv(0x5f24, hex`251231`)]), { redactTags: [0x57] });
    assert.equal(dump, ['70 (10)', '  57 (2) <redacted>', '  5F24 (3) 251231'].join('\n'));
  });
});
