/**
 * ARA-M (GP Secure Element Access Control v1.1) unit tests: the applet driven directly, with a
 * PersonalizationContext that commits staged persistent data only when the command returns — the
 * transaction rule of the card OS — so "refused → unchanged" is observable.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { commandApdu, parseCommand, SW, type CommandApdu, type ResponseApdu } from '../../src/apdu/index.ts';
import { encodeTlv, encodeTlvList, parseTlvList, tlv, type Tlv } from '../../src/tlv/index.ts';
import { AraMApplet, ARA_M_AID, CardException, type PersonalizationContext } from '../../src/se/index.ts';

const APP_AID = fromHex('A0000000041010AA01');
const HASH1 = fromHex('11'.repeat(20));
const HASH2 = fromHex('22'.repeat(32));

/** An ARA-M with its persistent memory, committing only what a returning command staged. */
class Harness {
  readonly applet = new AraMApplet();
  persistent: unknown = undefined;

  #ctx(channel: number, staged: { value?: unknown; set: boolean }): PersonalizationContext {
    const committed = () => this.persistent;
    return {
      channel,
      aid: ARA_M_AID,
      contactless: false,
      get persistent() {
        return staged.set ? staged.value : committed();
      },
      setPersistent(next: unknown) {
        staged.value = next;
        staged.set = true;
      },
      decryptSensitive() {
        throw new Error('the ARA-M never decrypts');
      },
    };
  }

  #run(fn: (ctx: PersonalizationContext) => ResponseApdu, channel: number): { sw: number; data: Uint8Array } {
    const staged: { value?: unknown; set: boolean } = { set: false };
    try {
      const r = fn(this.#ctx(channel, staged));
      if (staged.set) this.persistent = staged.value;
      return { sw: r.sw, data: r.data };
    } catch (e) {
      if (e instanceof CardException) return { sw: e.sw, data: new Uint8Array(0) };
      throw e;
    }
  }

  /** STORE DATA `80 E2 p1 p2 data` forwarded by the SD. */
  store(data: Uint8Array, options: { p1?: number; p2?: number; channel?: number } = {}) {
    const cmd = commandApdu({ cla: 0x80, ins: 0xe2, p1: options.p1 ?? 0x91, p2: options.p2 ?? 0, data, ne: 256 });
    return this.#run((ctx) => this.applet.storeData(cmd, ctx), options.channel ?? 0);
  }

  /** GET DATA `80 CA p1p2 [data] 00` on the selected ARA-M. */
  get(p1p2: number, data: Uint8Array = new Uint8Array(0), options: { ne?: number; channel?: number; cla?: number } = {}) {
    const cmd = commandApdu({ cla: options.cla ?? 0x80, ins: 0xca, p1: p1p2 >> 8, p2: p1p2 & 0xff, data, ne: options.ne ?? 256 });
    return this.#run((ctx) => this.applet.process(cmd, ctx), options.channel ?? 0);
  }

  raw(cmd: CommandApdu, channel = 0) {
    return this.#run((ctx) => this.applet.process(cmd, ctx), channel);
  }

  refreshTag(): string {
    const r = this.get(0xdf20);
    assert.equal(r.sw, SW.OK);
    assert.equal(toHex(r.data.subarray(0, 3)), 'DF2008');
    return toHex(r.data.subarray(3));
  }

  /** GET DATA [All], then [Next] until the FF40 length is reached (as AOSP AccessRuleApplet does). */
  all(ne = 256): { rules: readonly Tlv[]; pages: number; bytes: Uint8Array } {
    const first = this.get(0xff40, undefined, { ne });
    assert.equal(first.sw, SW.OK, `GET DATA [All] sw ${first.sw.toString(16)}`);
    const header = parseHeader(first.data);
    const total = header.size + header.length;
    let bytes = first.data;
    let pages = 1;
    while (bytes.length < total) {
      const next = this.get(0xff60, undefined, { ne });
      assert.equal(next.sw, SW.OK, `GET DATA [Next] sw ${next.sw.toString(16)}`);
      assert.ok(next.data.length > 0);
      bytes = Uint8Array.from([...bytes, ...next.data]);
      pages++;
    }
    assert.equal(bytes.length, total);
    return { rules: parseTlvList(bytes.subarray(header.size)), pages, bytes };
  }
}

/** FF40 / FF70 / FF7F templates (tlv/ refuses a first tag byte FF, ISO 7816-4 §5.2.2.1): tag ‖ length ‖ content. */
function ff(tag: number, ...kids: Tlv[]): Uint8Array {
  const content = encodeTlvList(kids);
  const n = content.length;
  const length = n < 0x80 ? [n] : n <= 0xff ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Uint8Array.from([tag >> 8, tag & 0xff, ...length, ...content]);
}

function parseHeader(data: Uint8Array, tag = 0xff40): { size: number; length: number } {
  assert.equal(data[0], tag >> 8);
  assert.equal(data[1], tag & 0xff);
  const first = data[2]!;
  if (first < 0x80) return { size: 3, length: first };
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + data[3 + i]!;
  return { size: 3 + n, length };
}

const refDo = (aid: Uint8Array | 'all' | 'default', hash: Uint8Array, pkg?: string): Tlv =>
  tlv(0xe1, [
    aid === 'default' ? tlv(0xc0) : tlv(0x4f, aid === 'all' ? new Uint8Array(0) : aid),
    tlv(0xc1, hash),
    ...(pkg === undefined ? [] : [tlv(0xca, new TextEncoder().encode(pkg))]),
  ]);
const arDo = (...kids: Tlv[]): Tlv => tlv(0xe3, kids);
const always = (): Tlv => arDo(tlv(0xd0, Uint8Array.of(0x01)), tlv(0xd1, Uint8Array.of(0x01)));
const never = (): Tlv => arDo(tlv(0xd0, Uint8Array.of(0x00)));
const refAr = (ref: Tlv, ar: Tlv): Tlv => tlv(0xe2, [ref, ar]);
const storeCmd = (...rules: Tlv[]): Uint8Array => encodeTlv(tlv(0xf0, rules));
const deleteCmd = (...kids: Tlv[]): Uint8Array => encodeTlv(tlv(0xf1, kids));

describe('ARA-M: storing and reading rules', () => {
  it('answers SELECT with a GP FCI naming its AID, and an empty store with FF40 00 and a zero refresh tag', () => {
    const h = new Harness();
    const fci = h.applet.select(commandApdu({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: ARA_M_AID }), {
      channel: 0, aid: ARA_M_AID, contactless: false, persistent: undefined, setPersistent() {},
    });
    assert.equal(fci.sw, SW.OK);
    assert.ok(toHex(fci.data).startsWith('6F'));
    assert.ok(toHex(fci.data).includes('8409A00000015141434C00'));
    assert.equal(toHex(h.get(0xff40).data), 'FF4000');
    assert.equal(h.refreshTag(), '0000000000000000');
  });

  it('stores a REF-AR-DO (Command-Store F0) and returns it byte for byte in FF40', () => {
    const h = new Harness();
    const rule = refAr(refDo(APP_AID, HASH1), always());
    assert.equal(h.store(storeCmd(rule)).sw, SW.OK);
    assert.equal(toHex(h.get(0xff40).data), toHex(ff(0xff40, rule)));
    // the STORE DATA of GlobalPlatformPro issue #81: AID D276…9B01, SHA-1 hash, APDU always
    const example = fromHex('F031E22FE1284F10D2760001180002FF49502589C0019B01C11454AC1FC8DB794570D0CF2565DBFBE98C266AE07FE303D00101');
    assert.equal(h.store(example).sw, SW.OK, 'GlobalPlatformPro issue #81 example STORE DATA');
    assert.equal(h.all().rules.length, 2);
  });

  it('canonicalises the AR-DO order so two spellings of one rule are one rule', () => {
    const h = new Harness();
    const reversed = arDo(tlv(0xd1, Uint8Array.of(0x01)), tlv(0xd0, Uint8Array.of(0x01)));
    assert.equal(h.store(storeCmd(refAr(refDo(APP_AID, HASH1), reversed))).sw, SW.OK);
    const stored = h.all().rules[0]!;
    assert.equal(toHex(encodeTlv(stored.children![1]!)), 'E306D00101D10101');
  });

  it('accepts C0 (default application), 4F 00 (all), empty C1 (all apps), SHA-256 hashes, PKG-REF-DO, PERM-AR-DO and APDU filters', () => {
    const h = new Harness();
    const rules = [
      refAr(refDo('default', new Uint8Array(0)), never()),
      refAr(refDo('all', new Uint8Array(0)), always()),
      refAr(refDo(APP_AID, HASH2, 'com.example.wallet'), arDo(tlv(0xdb, fromHex('0000000000000001')))),
      refAr(refDo(APP_AID, HASH1), arDo(tlv(0xd0, fromHex('00100100' + '00FFFFFF' + '80CA0000' + 'FFFF0000')))),
    ];
    assert.equal(h.store(storeCmd(...rules)).sw, SW.OK);
    assert.deepEqual(h.all().rules.map((r) => toHex(encodeTlv(r))), rules.map((r) => toHex(encodeTlv(r))));
  });

  it('GET DATA [Specific] answers FF50 { AR-DO } for an exact REF-DO, 6A88 otherwise', () => {
    const h = new Harness();
    h.store(storeCmd(refAr(refDo(APP_AID, HASH1), always())));
    const r = h.get(0xff50, encodeTlv(refDo(APP_AID, HASH1)));
    assert.equal(r.sw, SW.OK);
    assert.equal(toHex(r.data), 'FF5008E306D00101D10101');
    assert.equal(h.get(0xff50, encodeTlv(refDo(APP_AID, new Uint8Array(0)))).sw, SW.REFERENCED_DATA_NOT_FOUND);
    assert.equal(h.get(0xff50, fromHex('E100')).sw, SW.INCORRECT_DATA);
  });

  it('changes the refresh tag on every update and never on a read', () => {
    const h = new Harness();
    const tags = [h.refreshTag()];
    const step = (sw: number) => {
      assert.equal(sw, SW.OK);
      const t = h.refreshTag();
      assert.ok(!tags.includes(t), 'a new tag');
      tags.push(t);
    };
    step(h.store(storeCmd(refAr(refDo(APP_AID, HASH1), always()))).sw);
    step(h.store(storeCmd(refAr(refDo(APP_AID, HASH2), never()))).sw);
    h.all();
    h.get(0xff50, encodeTlv(refDo(APP_AID, HASH1)));
    assert.equal(h.refreshTag(), tags.at(-1), 'reads leave it');
    step(h.store(fromHex('F200')).sw); // Command-UpdateRefreshTag
    step(h.store(deleteCmd(refDo(APP_AID, HASH1))).sw);
    step(h.store(deleteCmd()).sw);
    assert.equal(h.all().rules.length, 0);
  });

  it('Command-Delete by AID-REF-DO, REF-DO, exact REF-AR-DO, or all; nothing matching → 6A88, unchanged', () => {
    const h = new Harness();
    const other = fromHex('A0000000041010BB02');
    h.store(storeCmd(refAr(refDo(APP_AID, HASH1), always()), refAr(refDo(APP_AID, HASH2), never()), refAr(refDo(other, HASH1), always())));
    assert.equal(h.store(deleteCmd(refAr(refDo(APP_AID, HASH1), never()))).sw, SW.REFERENCED_DATA_NOT_FOUND, 'AR-DO differs');
    assert.equal(h.all().rules.length, 3);
    assert.equal(h.store(deleteCmd(refAr(refDo(APP_AID, HASH1), always()))).sw, SW.OK);
    assert.equal(h.store(deleteCmd(tlv(0x4f, APP_AID))).sw, SW.OK);
    assert.deepEqual(h.all().rules.map((r) => toHex(r.children![0]!.children![0]!.value)), [toHex(other)]);
    assert.equal(h.store(deleteCmd(tlv(0x4f, APP_AID))).sw, SW.REFERENCED_DATA_NOT_FOUND);
    const tag = h.refreshTag();
    assert.equal(h.store(deleteCmd(refDo(other, HASH2))).sw, SW.REFERENCED_DATA_NOT_FOUND);
    assert.equal(h.refreshTag(), tag, 'a refused delete keeps the tag');
    assert.equal(h.store(deleteCmd(tlv(0x4f, other), tlv(0x4f, other))).sw, SW.REFERENCED_DATA_NOT_FOUND, 'second item fails → whole command refused');
    assert.equal(h.all().rules.length, 1);
  });

  it('refuses a rule whose REF-DO is already stored with 6A89 (same or different AR-DO), atomically', () => {
    const h = new Harness();
    h.store(storeCmd(refAr(refDo(APP_AID, HASH1), always())));
    const before = h.all().bytes;
    const tag = h.refreshTag();
    assert.equal(h.store(storeCmd(refAr(refDo(APP_AID, HASH1), always()))).sw, 0x6a89, 'exact duplicate');
    assert.equal(h.store(storeCmd(refAr(refDo(APP_AID, HASH1), never()))).sw, 0x6a89, 'conflicting rule');
    assert.equal(h.store(storeCmd(refAr(refDo(APP_AID, HASH2), never()), refAr(refDo(APP_AID, HASH2), always()))).sw, 0x6a89, 'duplicate in one command');
    assert.deepEqual(h.all().bytes, before);
    assert.equal(h.refreshTag(), tag);
  });

  it('refuses a direct STORE DATA to the selected ARA-M (6982): rules come only through the SD', () => {
    const h = new Harness();
    assert.equal(h.raw(commandApdu({ cla: 0x80, ins: 0xe2, p1: 0x90, p2: 0, data: storeCmd(refAr(refDo('all', new Uint8Array(0)), always())) })).sw, SW.SECURITY_STATUS_NOT_SATISFIED);
    assert.equal(h.raw(commandApdu({ cla: 0x00, ins: 0xca, p1: 0xff, p2: 0x40, ne: 256 })).sw, SW.CLA_NOT_SUPPORTED);
    assert.equal(h.raw(commandApdu({ cla: 0x84, ins: 0xca, p1: 0xff, p2: 0x40, ne: 256 })).sw, SW.SECURE_MESSAGING_NOT_SUPPORTED);
    assert.equal(h.raw(commandApdu({ cla: 0x80, ins: 0xcb, p1: 0xff, p2: 0x40, ne: 256 })).sw, SW.INS_NOT_SUPPORTED);
    assert.equal(h.get(0x9f7f).sw, SW.INCORRECT_P1P2);
    assert.equal(h.get(0xff40, fromHex('00')).sw, SW.WRONG_LENGTH);
    assert.equal(h.all().rules.length, 0);
  });
});

describe('ARA-M: malformed and hostile rule data', () => {
  const ok = refDo(APP_AID, HASH1);
  const cases: [string, Uint8Array, number][] = [
    ['AID of 4 bytes', storeCmd(refAr(refDo(fromHex('A0000000'), HASH1), always())), SW.INCORRECT_DATA],
    ['AID of 17 bytes', storeCmd(refAr(refDo(fromHex('A0'.repeat(17)), HASH1), always())), SW.INCORRECT_DATA],
    ['hash of 19 bytes', storeCmd(refAr(refDo(APP_AID, fromHex('11'.repeat(19))), always())), SW.INCORRECT_DATA],
    ['hash of 21 bytes', storeCmd(refAr(refDo(APP_AID, fromHex('11'.repeat(21))), always())), SW.INCORRECT_DATA],
    ['C0 with a value', storeCmd(refAr(tlv(0xe1, [tlv(0xc0, APP_AID), tlv(0xc1, HASH1)]), always())), SW.INCORRECT_DATA],
    ['REF-DO without C1', storeCmd(refAr(tlv(0xe1, [tlv(0x4f, APP_AID)]), always())), SW.INCORRECT_DATA],
    ['REF-DO in the wrong order', storeCmd(refAr(tlv(0xe1, [tlv(0xc1, HASH1), tlv(0x4f, APP_AID)]), always())), SW.INCORRECT_DATA],
    ['REF-DO with two AIDs', storeCmd(refAr(tlv(0xe1, [tlv(0x4f, APP_AID), tlv(0x4f, APP_AID), tlv(0xc1, HASH1)]), always())), SW.INCORRECT_DATA],
    ['PKG-REF-DO with a space', storeCmd(refAr(refDo(APP_AID, HASH1, 'com.example bad'), always())), SW.INCORRECT_DATA],
    ['empty AR-DO', storeCmd(refAr(ok, arDo())), SW.INCORRECT_DATA],
    ['APDU-AR-DO 02', storeCmd(refAr(ok, arDo(tlv(0xd0, Uint8Array.of(2))))), SW.INCORRECT_DATA],
    ['APDU-AR-DO of 7 bytes', storeCmd(refAr(ok, arDo(tlv(0xd0, fromHex('00100100FFFFFF'))))), SW.INCORRECT_DATA],
    ['APDU filter header outside its mask', storeCmd(refAr(ok, arDo(tlv(0xd0, fromHex('80CA00FF' + 'FFFF0000'))))), SW.INCORRECT_DATA],
    ['NFC-AR-DO 02', storeCmd(refAr(ok, arDo(tlv(0xd1, Uint8Array.of(2))))), SW.INCORRECT_DATA],
    ['PERM-AR-DO of 7 bytes', storeCmd(refAr(ok, arDo(tlv(0xdb, fromHex('00000000000001'))))), SW.INCORRECT_DATA],
    ['AR-DO with D0 twice', storeCmd(refAr(ok, arDo(tlv(0xd0, Uint8Array.of(1)), tlv(0xd0, Uint8Array.of(0))))), SW.INCORRECT_DATA],
    ['AR-DO with an unknown object', storeCmd(refAr(ok, arDo(tlv(0xd2, Uint8Array.of(1))))), SW.INCORRECT_DATA],
    ['REF-AR-DO without AR-DO', storeCmd(tlv(0xe2, [ok])), SW.INCORRECT_DATA],
    ['REF-AR-DO with AR-DO first', storeCmd(tlv(0xe2, [always(), ok])), SW.INCORRECT_DATA],
    ['empty Command-Store', fromHex('F000'), SW.INCORRECT_DATA],
    ['Command-UpdateRefreshTag with data', fromHex('F2024F00'), SW.INCORRECT_DATA],
    ['unknown command object', fromHex('F900'), SW.INCORRECT_DATA],
    ['Block-DO', fromHex('E703000010'), 0x6981],
    ['non-minimal length', fromHex('F08100'), SW.INCORRECT_DATA],
    ['truncated on the last block', fromHex('F0051234'), SW.INCORRECT_DATA],
    ['two-byte tag', fromHex('FF4000'), SW.INCORRECT_DATA],
    ['declared length beyond capacity', fromHex('F0837FFFFF'), SW.NOT_ENOUGH_MEMORY],
  ];
  for (const [name, data, sw] of cases) {
    it(`${name} → ${sw.toString(16).toUpperCase()}, rules and refresh tag unchanged`, () => {
      const h = new Harness();
      h.store(storeCmd(refAr(refDo('all', new Uint8Array(0)), always())));
      const before = h.all().bytes;
      const tag = h.refreshTag();
      assert.equal(h.store(data).sw, sw);
      assert.deepEqual(h.all().bytes, before);
      assert.equal(h.refreshTag(), tag);
    });
  }

  it('refuses DGI and encrypted STORE DATA formats with 6A86', () => {
    const h = new Harness();
    const data = storeCmd(refAr(refDo(APP_AID, HASH1), always()));
    assert.equal(h.store(data, { p1: 0x88 }).sw, SW.INCORRECT_P1P2);
    assert.equal(h.store(data, { p1: 0xb0 }).sw, SW.INCORRECT_P1P2);
    assert.equal(h.store(data, { p1: 0x80 }).sw, SW.OK, 'no structure information: read as BER-TLV');
  });

  it('fast-check: arbitrary bytes into STORE DATA and GET DATA end in a status word, never a crash, and a refusal changes nothing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xffff }), (data, p1, p1p2) => {
        const h = new Harness();
        h.store(storeCmd(refAr(refDo(APP_AID, HASH1), always())));
        const before = h.persistent;
        const r = h.store(data, { p1 });
        if (r.sw !== SW.OK) assert.equal(h.persistent, before);
        const g = h.get(p1p2, data);
        assert.ok(typeof g.sw === 'number');
      }),
      { numRuns: 2000 },
    );
  });

  it('fast-check: mutated valid rules never crash and are either stored canonically or refused', () => {
    const valid = storeCmd(refAr(refDo(APP_AID, HASH1, 'a.b'), arDo(tlv(0xd0, fromHex('00100100' + '00FFFFFF')), tlv(0xd1, Uint8Array.of(1)))));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const h = new Harness();
        const data = valid.slice();
        data[at] = value;
        const r = h.store(data);
        const rules = h.all().rules;
        if (r.sw === SW.OK) assert.equal(rules.length, 1);
        else assert.equal(rules.length, 0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ARA-M: paging and multi-block STORE DATA', () => {
  const manyRules = (n: number) =>
    Array.from({ length: n }, (_, i) => refAr(refDo(fromHex(`A00000000410${i.toString(16).padStart(4, '0')}`), HASH2, `com.example.app${i}`), always()));

  it('pages GET DATA [All] with [Next] (FF60) like AOSP, then answers 6A88 when nothing is pending', () => {
    const h = new Harness();
    const rules = manyRules(30);
    for (let i = 0; i < rules.length; i += 5) assert.equal(h.store(storeCmd(...rules.slice(i, i + 5))).sw, SW.OK);
    const { rules: read, pages, bytes } = h.all();
    assert.ok(bytes.length > 2000);
    assert.equal(pages, Math.ceil(bytes.length / 256));
    assert.deepEqual(read.map((r) => toHex(encodeTlv(r))), rules.map((r) => toHex(encodeTlv(r))));
    assert.equal(h.get(0xff60).sw, SW.REFERENCED_DATA_NOT_FOUND);
    assert.equal(h.all(100).pages, Math.ceil(bytes.length / 100), 'pages follow Le');
  });

  it('keeps one listing per logical channel', () => {
    const h = new Harness();
    h.store(storeCmd(...manyRules(10)));
    const a = h.get(0xff40, undefined, { channel: 1, ne: 100 });
    const b = h.get(0xff40, undefined, { channel: 2, ne: 100 });
    assert.deepEqual(a.data, b.data);
    const a2 = h.get(0xff60, undefined, { channel: 1, ne: 100 });
    const b2 = h.get(0xff60, undefined, { channel: 2, ne: 100 });
    assert.deepEqual(a2.data, b2.data);
  });

  it('answers 6984 to [Next] when the rules changed during the listing', () => {
    const h = new Harness();
    h.store(storeCmd(...manyRules(10)));
    assert.equal(h.get(0xff40).sw, SW.OK);
    h.store(fromHex('F200'));
    assert.equal(h.get(0xff60).sw, SW.REFERENCE_DATA_NOT_USABLE);
    assert.equal(h.get(0xff60).sw, SW.REFERENCED_DATA_NOT_FOUND);
  });

  it('assembles a command object cut across STORE DATA blocks and stores it only when complete', () => {
    const h = new Harness();
    const data = storeCmd(...manyRules(4));
    const cut = [data.subarray(0, 100), data.subarray(100, 250), data.subarray(250)];
    assert.equal(h.store(cut[0]!, { p1: 0x10, p2: 0 }).sw, SW.OK);
    assert.equal(h.all().rules.length, 0);
    assert.equal(h.store(cut[1]!, { p1: 0x10, p2: 1 }).sw, SW.OK);
    assert.equal(h.store(cut[2]!, { p1: 0x90, p2: 2 }).sw, SW.OK);
    assert.equal(h.all().rules.length, 4);
    // a sequence whose last block ends inside an object is refused, and restarts at block 0
    const more = storeCmd(...manyRules(6).slice(4));
    assert.equal(h.store(more.subarray(0, 50), { p1: 0x10, p2: 0 }).sw, SW.OK);
    assert.equal(h.store(more.subarray(50, 60), { p1: 0x90, p2: 1 }).sw, SW.INCORRECT_DATA);
    assert.equal(h.store(more, { p1: 0x90, p2: 0 }).sw, SW.OK);
    assert.equal(h.all().rules.length, 6);
  });

  it('lists rules over STORE DATA (Command-Get F3 / Get-All F4 / Get-Next F5), as GlobalPlatformPro does', () => {
    const h = new Harness();
    const rules = manyRules(12);
    h.store(storeCmd(...rules));
    const other = fromHex('A0000000041000000B');
    h.store(storeCmd(refAr(refDo(other, HASH1), never())));
    let r = h.store(fromHex('F300'), { p1: 0x11 });
    assert.equal(r.sw, SW.OK);
    const { size, length } = parseHeader(r.data);
    let bytes = r.data;
    while (bytes.length < size + length) {
      r = h.store(fromHex('F500'), { p1: 0x11, p2: 1 });
      assert.equal(r.sw, SW.OK);
      bytes = Uint8Array.from([...bytes, ...r.data]);
    }
    assert.ok(r.data.length <= 224);
    assert.equal(parseTlvList(bytes.subarray(size)).length, 13);
    const one = h.store(encodeTlv(tlv(0xf3, [tlv(0x4f, other)])), { p1: 0x91 });
    assert.equal(parseTlvList(one.data.subarray(parseHeader(one.data).size)).length, 1, 'Command-Get with an AID-REF-DO');
    assert.equal(toHex(h.store(fromHex('F400')).data.subarray(0, 2)), 'FF40');
  });

  it('registers ARA-C AIDs (F7) and lists them (F6); reports the device configuration (F8) once GET DATA [Config] told it', () => {
    const h = new Harness();
    const c1 = fromHex('A00000015141434301');
    const c2 = fromHex('A00000015141434302');
    assert.equal(h.store(encodeTlv(tlv(0xf7, [tlv(0x4f, c1), tlv(0x4f, c2)]))).sw, SW.OK);
    assert.equal(toHex(h.store(fromHex('F600')).data), toHex(ff(0xff70, tlv(0x4f, c1), tlv(0x4f, c2))));
    assert.equal(h.store(encodeTlv(tlv(0xf7, [tlv(0x4f, c1), tlv(0x4f, c1)]))).sw, SW.INCORRECT_DATA);
    assert.equal(h.store(fromHex('F800')).sw, SW.REFERENCED_DATA_NOT_FOUND);
    const config = h.get(0xdf21, fromHex('E405E603000100'));
    assert.equal(config.sw, SW.OK);
    assert.equal(toHex(config.data), 'DF2107E505E603010100');
    assert.equal(toHex(h.store(fromHex('F800')).data), 'FF7F07E405E603000100');
    assert.equal(h.get(0xdf21, fromHex('E403E60100')).sw, SW.INCORRECT_DATA);
  });
});

describe('ARA-M: persistence', () => {
  it('keeps its rules in ctx.persistent only (a fresh applet object over the same memory sees them)', () => {
    const h = new Harness();
    h.store(storeCmd(refAr(refDo(APP_AID, HASH1), always())));
    const tag = h.refreshTag();
    const again = new Harness();
    again.persistent = h.persistent;
    assert.equal(again.all().rules.length, 1);
    assert.equal(again.refreshTag(), tag);
  });

  it('answers 6581 over damaged persistent data', () => {
    const h = new Harness();
    h.persistent = { format: 'ara-m/1', rules: 'nope' };
    assert.equal(h.get(0xff40).sw, SW.MEMORY_FAILURE);
    assert.equal(h.store(fromHex('F200')).sw, SW.MEMORY_FAILURE);
  });

  it('parses its own example commands as APDUs (sanity of the test builders)', () => {
    const cmd = parseCommand(fromHex('80CAFF4000'));
    assert.equal(cmd.p1, 0xff);
  });
});
