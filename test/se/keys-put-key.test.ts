import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concat, fromHex, toHex } from '../../src/bytes/index.ts';
import { commandApdu, encodeCommand, parseResponse, SW } from '../../src/apdu/index.ts';
import { kcv } from '../../src/crypto/index.ts';
import {
  GET_DATA_TAGS,
  GpError,
  KEY_TYPES,
  buildGetData,
  buildPutKey,
  buildPutKeyWith,
  parseKeyInformationTemplate,
  splitGpChain,
  wrappedKeyEntry,
  type PutKeyEntry,
} from '../../src/gp/index.ts';
import { LEGACY_UICC, NO_QUIRKS, STRICT_ESE, type CardProfile } from '../../src/se/index.ts';
import { ISD_KEYS } from './helpers.ts';
import { aesWrapper, desWrapper, keyOf, keySet, keysCard, openSd, rejectsWithSw, snapshot } from './keys-fixtures.ts';

const LEVELS = [0x01, 0x03, 0x13, 0x33];
/** An SCP02 card that follows GPC 2.3.1 (6982 for a bad KCV), for the DES cases. */
const STRICT_SCP02: CardProfile = { ...LEGACY_UICC, id: 'strict-scp02', quirks: NO_QUIRKS };

function keysOf(set: { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array }): Uint8Array[] {
  return [set.enc, set.mac, set.dek];
}

describe('PUT KEY (GPC 2.3.1 §11.8, Amd D v1.1.1 §7.2): AES key sets over SCP03', () => {
  for (const length of [16, 24, 32]) {
    for (const level of LEVELS) {
      it(`adds an AES-${length * 8} key set at SL ${level.toString(16)}, then opens a channel with it`, async () => {
        const card = keysCard();
        const { session } = await openSd(card, { level });
        const next = keySet(0x31, 0x10, length);
        const command = await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x31, firstKeyId: 1 }, keysOf(next), aesWrapper(session));
        const r = await session.transmit(command);
        assert.equal(r.sw, SW.OK);
        // §11.8.3.1: KVN ‖ KCVs as sent (Amd D §7.2.2: AES of sixteen 01)
        assert.equal(toHex(r.data), toHex(concat(Uint8Array.of(0x31), ...keysOf(next).map((k) => kcv(k, 'aes-ones')))));
        const sets = card.state.applications[0]!.sd!.keySets;
        assert.deepEqual(sets.map((s) => [s.kvn, s.counter, s.keys.map((k) => [k.id, k.type, k.value.length])]), [
          [0x30, 1, [[1, 0x88, 16], [2, 0x88, 16], [3, 0x88, 16]]],
          [0x31, 0, [[1, 0x88, length], [2, 0x88, length], [3, 0x88, length]]],
        ]);
        session.close();
        const reopened = await openSd(card, { level, keys: next });
        const info = await reopened.session.transmit(buildGetData(GET_DATA_TAGS.KEY_INFORMATION));
        assert.deepEqual(parseKeyInformationTemplate(info.data).filter((k) => k.kvn === 0x31).map((k) => k.components[0]?.length), [length, length, length]);
        assert.equal(card.stats.internalErrors, 0);
      });
    }

    it(`replaces a whole AES-${length * 8} key set: the old keys fail at the card cryptogram, the counter restarts`, async () => {
      const card = keysCard();
      const first = keySet(0x32, 0x20, length);
      let { session } = await openSd(card, { level: 0x03 });
      assert.equal((await session.transmit(await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x32, firstKeyId: 1 }, keysOf(first), aesWrapper(session)))).sw, SW.OK);
      session.close();
      for (let i = 0; i < 3; i++) (await openSd(card, { level: 0x01, keys: first })).session.close();
      assert.equal(card.state.applications[0]!.sd!.keySets[1]!.counter, 3);
      ({ session } = await openSd(card, { level: 0x33, keys: first }));
      const second = keySet(0x32, 0x60, length);
      const r = await session.transmit(await buildPutKeyWith({ replaceKvn: 0x32, newKvn: 0x32, firstKeyId: 1 }, keysOf(second), aesWrapper(session)));
      assert.equal(r.sw, SW.OK);
      assert.equal(card.state.applications[0]!.sd!.keySets[1]!.counter, 0, 'Amd D §6.2.2.1: a replaced key set counts from 0');
      session.close();
      await assert.rejects(openSd(card, { level: 0x01, keys: first }), (e: unknown) => e instanceof GpError && e.code === 'ERR_GP_CARD_CRYPTOGRAM');
      (await openSd(card, { level: 0x01, keys: second })).session.close();
    });
  }

  it('replaces the ISD key set under a new KVN: the old KVN is gone (6A88), the new keys work', async () => {
    const card = keysCard();
    const { session } = await openSd(card, { level: 0x03 });
    const next = keySet(0x3a, 0x90, 16);
    const r = await session.transmit(await buildPutKeyWith({ replaceKvn: 0x30, newKvn: 0x3a, firstKeyId: 1 }, keysOf(next), aesWrapper(session)));
    assert.equal(r.sw, SW.OK);
    assert.equal(toHex(r.data.subarray(0, 1)), '3A');
    session.close();
    await assert.rejects(openSd(card, { level: 0x01 }), (e: unknown) => e instanceof GpError && e.sw === SW.REFERENCED_DATA_NOT_FOUND);
    (await openSd(card, { level: 0x13, keys: next })).session.close();
  });

  it('replaces one key of a set (single key, P2 b8 = 0): the others and the counter stay', async () => {
    const card = keysCard();
    const { session } = await openSd(card, { level: 0x01 });
    const mac = keyOf(0xa0, 16);
    const r = await session.transmit(await buildPutKeyWith({ replaceKvn: 0x30, newKvn: 0x30, firstKeyId: 2 }, [mac], aesWrapper(session)));
    assert.equal(r.sw, SW.OK);
    const set = card.state.applications[0]!.sd!.keySets[0]!;
    assert.equal(set.counter, 1);
    assert.deepEqual(set.keys.map((k) => toHex(k.value)), [toHex(ISD_KEYS.enc), toHex(mac), toHex(ISD_KEYS.dek)]);
    session.close();
    (await openSd(card, { level: 0x01, keys: { ...ISD_KEYS, mac } })).session.close();
  });

  it('adds a key identifier to an existing KVN with P1 00 (§11.8.1: a new KI/KVN combination)', async () => {
    const card = keysCard();
    const { session } = await openSd(card, { level: 0x01 });
    const extra = keyOf(0x33, 16);
    assert.equal((await session.transmit(await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x30, firstKeyId: 4 }, [extra], aesWrapper(session)))).sw, SW.OK);
    assert.deepEqual(card.state.applications[0]!.sd!.keySets[0]!.keys.map((k) => k.id), [1, 2, 3, 4]);
  });

  it('stores a DES key set sent under the AES DEK, and the extended format with usage and access', async () => {
    const card = keysCard();
    const { session } = await openSd(card, { level: 0x03 });
    const des = keyOf(0x01, 16);
    assert.equal((await session.transmit(await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x20, firstKeyId: 1 }, [des], desWrapper(session)))).sw, SW.OK);
    const entry = wrappedKeyEntry(await aesWrapper(session)(keyOf(0x44, 32), 1));
    const extended: PutKeyEntry = { ...entry, extended: { usage: Uint8Array.of(0x48), access: Uint8Array.of(0x01) } };
    assert.equal((await session.transmit(buildPutKey({ replaceKvn: 0, newKvn: 0x71, firstKeyId: 1, keys: [extended] }))).sw, SW.OK);
    const info = parseKeyInformationTemplate((await session.transmit(buildGetData(GET_DATA_TAGS.KEY_INFORMATION))).data);
    const receipt = info.find((k) => k.kvn === 0x71)!;
    assert.equal(receipt.format, 'extended');
    assert.deepEqual([toHex(receipt.usage!), toHex(receipt.access!), receipt.components[0]!.type, receipt.components[0]!.length], ['48', '01', 0x88, 32]);
    assert.deepEqual(info.find((k) => k.kvn === 0x20)!.components, [{ type: KEY_TYPES.DES, length: 16 }]);
  });

  it('stores an RSA public token key (A1 modulus, A0 exponent, in clear, no KCV), and a 2048-bit one through a C-MAC + C-DEC chain', async () => {
    const card = keysCard();
    const { session, transport } = await openSd(card, { level: 0x33 });
    const rsa = (modulus: Uint8Array): PutKeyEntry => ({
      components: [{ type: KEY_TYPES.RSA_PUBLIC_N, value: modulus }, { type: KEY_TYPES.RSA_PUBLIC_E, value: fromHex('010001') }],
      kcv: new Uint8Array(0),
    });
    const r1024 = await session.transmit(buildPutKey({ replaceKvn: 0, newKvn: 0x70, firstKeyId: 1, keys: [rsa(keyOf(0x80, 128))] }));
    assert.equal(r1024.sw, SW.OK);
    assert.equal(toHex(r1024.data), '70'); // §11.8.3.1: no check value for RSA
    // GPC 2.3.1 §11.1.5.1: secure messaging over the whole command (extended Lc in the MAC), then segments
    const whole = buildPutKey({ replaceKvn: 0, newKvn: 0x73, firstKeyId: 1, keys: [rsa(keyOf(0x11, 256))] });
    assert.ok(whole.data.length > 255);
    const wrapped = session.wrap(commandApdu({ cla: whole.cla, ins: whole.ins, p1: whole.p1, p2: whole.p2, data: whole.data, ne: whole.ne, extended: true }));
    const segments = splitGpChain(wrapped, 200);
    assert.equal(segments.length, 2);
    const first = parseResponse(await transport.transmit(encodeCommand(segments[0]!)));
    assert.deepEqual([first.sw, first.data.length], [SW.OK, 0], '§11.1.5.1: 9000 without data (nor R-MAC) before the last command');
    const last = session.unwrap(parseResponse(await transport.transmit(encodeCommand(segments[1]!))));
    assert.deepEqual([last.sw, toHex(last.data)], [SW.OK, '73']);
    const token = card.state.applications[0]!.sd!.keySets.find((s) => s.kvn === 0x73)!.keys[0]!;
    assert.deepEqual(token.components?.map((c) => [c.type, c.value.length]), [[0xa1, 256], [0xa0, 3]]);
    const info = parseKeyInformationTemplate((await session.transmit(buildGetData(GET_DATA_TAGS.KEY_INFORMATION))).data);
    assert.deepEqual(info.find((k) => k.kvn === 0x73)!.components, [{ type: 0xa1, length: 0 }, { type: 0xa0, length: 3 }], 'Table 11-28: 256 bytes or more is coded 00');
    assert.equal(card.stats.internalErrors, 0);
  });

  it('a chain interrupted by another command is aborted with 6985 and changes nothing', async () => {
    const card = keysCard();
    const { session, transport } = await openSd(card, { level: 0x01 });
    const whole = await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x31, firstKeyId: 1 }, keysOf(keySet(0x31, 0x10, 16)), aesWrapper(session));
    const segments = splitGpChain(session.wrap(whole), 40);
    const before = snapshot(card);
    assert.equal(parseResponse(await transport.transmit(encodeCommand(segments[0]!))).sw, SW.OK);
    assert.equal(parseResponse(await transport.transmit(encodeCommand(buildGetData(GET_DATA_TAGS.CIN)))).sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    assert.equal(parseResponse(await transport.transmit(encodeCommand(segments[1]!))).sw, SW.SECURITY_STATUS_NOT_SATISFIED, 'the rest is no chain: its MAC fails');
    assert.equal(snapshot(card), before);
  });
});

describe('PUT KEY: DES key sets over SCP02 (GPC 2.3.1 §E.4.7 session DEK)', () => {
  for (const level of [0x01, 0x03]) {
    it(`adds and replaces DES key sets at SL ${level.toString(16)}; old keys fail, KCV mismatch is 6982`, async () => {
      const card = keysCard({ profile: STRICT_SCP02 });
      let { session } = await openSd(card, { level });
      const added = keySet(0x21, 0x10, 16);
      const r = await session.transmit(await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x21, firstKeyId: 1 }, keysOf(added), desWrapper(session)));
      assert.equal(toHex(r.data), toHex(concat(Uint8Array.of(0x21), ...keysOf(added).map((k) => kcv(k, 'tdes-zeros')))));
      session.close();
      ({ session } = await openSd(card, { level, keys: added }));
      const replaced = keySet(0x30, 0x70, 16);
      assert.equal((await session.transmit(await buildPutKeyWith({ replaceKvn: 0x30, newKvn: 0x30, firstKeyId: 1 }, keysOf(replaced), desWrapper(session)))).sw, SW.OK);
      assert.equal(card.state.applications[0]!.sd!.keySets[0]!.counter, 0);
      const before = snapshot(card);
      const bad = await buildPutKeyWith({ replaceKvn: 0x21, newKvn: 0x21, firstKeyId: 1 }, [keyOf(0x55, 16)], async (key, id) => ({ ...(await desWrapper(session)(key, id)), kcv: fromHex('000000') }));
      await rejectsWithSw(session.transmit(bad), SW.SECURITY_STATUS_NOT_SATISFIED);
      assert.equal(snapshot(card), before);
      await assert.rejects(openSd(card, { level }), (e: unknown) => e instanceof GpError && e.code === 'ERR_GP_CARD_CRYPTOGRAM');
      (await openSd(card, { level, keys: replaced })).session.close();
    });
  }

  it('the legacy profile answers a bad KCV with the deprecated 9485 (GPC 2.2)', async () => {
    const card = keysCard({ profile: LEGACY_UICC });
    const { session } = await openSd(card, { level: 0x01 });
    const before = snapshot(card);
    const bad = await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x21, firstKeyId: 1 }, [keyOf(0x55, 16)], async (key, id) => ({ ...(await desWrapper(session)(key, id)), kcv: fromHex('ABCDEF') }));
    assert.equal((await session.transmit(bad)).sw, 0x9485);
    assert.equal(snapshot(card), before);
  });
});

describe('PUT KEY refusals leave the card state unchanged', () => {
  async function refused(sw: number, build: (s: Awaited<ReturnType<typeof openSd>>['session']) => Promise<ReturnType<typeof buildPutKey>>, profile: CardProfile = STRICT_ESE) {
    const card = keysCard({ profile });
    const { session } = await openSd(card, { level: 0x03 });
    const before = snapshot(card);
    const command = await build(session);
    if (sw === SW.SECURITY_STATUS_NOT_SATISFIED) await rejectsWithSw(session.transmit(command), sw);
    else assert.equal((await session.transmit(command)).sw, sw);
    assert.equal(snapshot(card), before);
    assert.equal(card.stats.internalErrors, 0);
  }

  it('KCV mismatch: 6982 (Table 11-78)', () =>
    refused(SW.SECURITY_STATUS_NOT_SATISFIED, async (s) =>
      buildPutKeyWith({ replaceKvn: 0, newKvn: 0x31, firstKeyId: 1 }, [keyOf(1, 16), keyOf(2, 16)], async (k, id) => ({ ...(await aesWrapper(s)(k, id)), kcv: id === 2 ? fromHex('010203') : kcv(k, 'aes-ones') })),
    ));
  it('AES key of 20 bytes: 6A80', () =>
    refused(SW.INCORRECT_DATA, async (s) =>
      buildPutKeyWith({ replaceKvn: 0, newKvn: 0x31, firstKeyId: 1 }, [keyOf(1, 20)], async (k) => ({ type: KEY_TYPES.AES, keyLength: 20, ciphertext: await s.encryptSensitive(concat(k, new Uint8Array(12))), kcv: fromHex('000000') })),
    ));
  it('DES key of 32 bytes: 6A80', () =>
    refused(SW.INCORRECT_DATA, async (s) =>
      buildPutKeyWith({ replaceKvn: 0, newKvn: 0x21, firstKeyId: 1 }, [keyOf(1, 32)], async (k) => ({ type: KEY_TYPES.DES, keyLength: 32, ciphertext: await s.encryptSensitive(k), kcv: fromHex('000000') })),
    ));
  it('AES key without its KCV: 6A80 (§11.8.2.3.3)', () =>
    refused(SW.INCORRECT_DATA, async (s) => buildPutKeyWith({ replaceKvn: 0, newKvn: 0x31, firstKeyId: 1 }, [keyOf(1, 16)], async (k, id) => ({ ...(await aesWrapper(s)(k, id)), kcv: new Uint8Array(0) }))));
  it('a KCV on an RSA key: 6A80 (§11.8.2.3.6)', () =>
    refused(SW.INCORRECT_DATA, () =>
      Promise.resolve(buildPutKey({ replaceKvn: 0, newKvn: 0x70, firstKeyId: 1, keys: [{ components: [{ type: KEY_TYPES.RSA_PUBLIC_N, value: keyOf(1, 64) }], kcv: fromHex('010203') }] })),
    ));
  it('an unknown key type: 6A80 (9484 deprecated)', () =>
    refused(SW.INCORRECT_DATA, async (s) => buildPutKey({ replaceKvn: 0, newKvn: 0x31, firstKeyId: 1, keys: [{ components: [{ type: 0x8a, value: await s.encryptSensitive(keyOf(1, 16)) }], kcv: fromHex('000000') }] })));
  it('KVN 00 in the data: 6A80', () =>
    refused(SW.INCORRECT_DATA, async (s) => {
      const c = await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x31, firstKeyId: 1 }, [keyOf(1, 16)], aesWrapper(s));
      return commandApdu({ cla: c.cla, ins: c.ins, p1: c.p1, p2: c.p2, data: concat(Uint8Array.of(0), c.data.subarray(1)), ne: c.ne });
    }));
  it('replacing a KVN that does not exist: 6A88', () => refused(SW.REFERENCED_DATA_NOT_FOUND, async (s) => buildPutKeyWith({ replaceKvn: 0x35, newKvn: 0x35, firstKeyId: 1 }, [keyOf(1, 16)], aesWrapper(s))));
  it('replacing a key identifier the set does not have: 6A88', () => refused(SW.REFERENCED_DATA_NOT_FOUND, async (s) => buildPutKeyWith({ replaceKvn: 0x30, newKvn: 0x30, firstKeyId: 4 }, [keyOf(1, 16)], aesWrapper(s))));
  it('replacing an AES-128 key with an AES-256 key: 6A80 (§11.8.2.3.3)', () =>
    refused(SW.INCORRECT_DATA, async (s) => buildPutKeyWith({ replaceKvn: 0x30, newKvn: 0x30, firstKeyId: 1 }, keysOf(keySet(0x30, 1, 32)), aesWrapper(s))));
  it('replacing an AES key with a DES key: 6A80', () => refused(SW.INCORRECT_DATA, async (s) => buildPutKeyWith({ replaceKvn: 0x30, newKvn: 0x30, firstKeyId: 3 }, [keyOf(1, 16)], desWrapper(s))));
  it('adding a key that exists (P1 00, same KVN and id): 6A80', () => refused(SW.INCORRECT_DATA, async (s) => buildPutKeyWith({ replaceKvn: 0, newKvn: 0x30, firstKeyId: 1 }, [keyOf(1, 16)], aesWrapper(s))));
  it('no room for another key set: 6A84', () =>
    refused(SW.NOT_ENOUGH_MEMORY, async (s) => buildPutKeyWith({ replaceKvn: 0, newKvn: 0x31, firstKeyId: 1 }, [keyOf(1, 16)], aesWrapper(s)), { ...STRICT_ESE, id: 'one-key-set', maxKeySets: 1 }));

  it('replacing into a KVN another set has: 6A80', async () => {
    const card = keysCard();
    const { session } = await openSd(card, { level: 0x01 });
    assert.equal((await session.transmit(await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x31, firstKeyId: 1 }, keysOf(keySet(0x31, 1, 16)), aesWrapper(session)))).sw, SW.OK);
    const before = snapshot(card);
    assert.equal((await session.transmit(await buildPutKeyWith({ replaceKvn: 0x31, newKvn: 0x30, firstKeyId: 1 }, keysOf(keySet(0x30, 5, 16)), aesWrapper(session)))).sw, SW.INCORRECT_DATA);
    assert.equal(snapshot(card), before);
  });

  it('without a secure channel: 6982 (Table 11-2)', () => {
    const card = keysCard();
    const command = buildPutKey({ replaceKvn: 0, newKvn: 0x31, firstKeyId: 1, keys: [{ components: [{ type: KEY_TYPES.AES, value: keyOf(1, 16), clearLength: 16 }], kcv: fromHex('000000') }] });
    const before = snapshot(card);
    assert.equal(parseResponse(card.process(encodeCommand(command))).sw, SW.SECURITY_STATUS_NOT_SATISFIED);
    assert.equal(snapshot(card), before);
  });
});
