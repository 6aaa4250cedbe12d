/**
 * Refusals on both sides: every bad input ends in a typed GpError (card side: with the status word
 * to answer), never a TypeError or RangeError, and a failed card authentication never reaches
 * EXTERNAL AUTHENTICATE.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concat, fromHex, toHex } from '../../../src/bytes/index.ts';
import { commandApdu, encodeCommand, parseCommand, responseApdu } from '../../../src/apdu/index.ts';
import { CryptoError, padMethod2 } from '../../../src/crypto/index.ts';
import {
  GpError,
  SCP03_INITIAL_CHAIN,
  Scp02CardSession,
  Scp03CardSession,
  deriveScp03SessionKeys,
  openScp02,
  openScp03,
  openSecureChannel,
  parseInitializeUpdateResponse,
  plainScp02Keys,
  plainScp03Keys,
  scp03CounterBlock,
  scp03ProtectCommand,
  scp03ResponseMacInput,
  scp03VerifyCommand,
  scp03VerifyResponse,
  securityLevel,
} from '../../../src/gp/index.ts';
import { loadVectors } from '../../helpers/vectors.ts';
import { CardTransport, SD_AID, ScriptedTransport, ok, scp02Pair, scp03Pair, testKeys, type Scp03Transcript } from './helpers.ts';

const gp = (code: string, sw?: number) => (e: unknown) => e instanceof GpError && e.code === code && (sw === undefined || e.sw === sw);
const typed = (e: unknown) => e instanceof GpError || e instanceof CryptoError;
const v = loadVectors<{ vectors: Scp03Transcript[] }>('gp/pysim-scp03.json').vectors[0]!;
const vKeys = { keyVersion: 0x30, enc: fromHex(v.static_keys.ENC), mac: fromHex(v.static_keys.MAC), dek: fromHex(v.static_keys.DEK) };
const vOptions = { securityLevel: 0x11, hostChallenge: fromHex(v.host_challenge) };

describe('host: card authentication failures never send EXTERNAL AUTHENTICATE', () => {
  it('card cryptogram mismatch (wrong keys)', async () => {
    const transport = new ScriptedTransport([ok(v.initialize_update_response_data), '9000']);
    const wrong = plainScp03Keys({ ...vKeys, mac: testKeys(16, 0x30).mac });
    await assert.rejects(openScp03(transport, wrong, vOptions), gp('ERR_GP_CARD_CRYPTOGRAM'));
    assert.equal(transport.sent.length, 1, 'only INITIALIZE UPDATE went out');
  });

  it('card cryptogram mismatch (one bit of the published response flipped)', async () => {
    const bad = fromHex(v.initialize_update_response_data);
    bad[28]! ^= 0x01; // inside the card cryptogram
    const transport = new ScriptedTransport([ok(toHex(bad)), '9000']);
    await assert.rejects(openScp03(transport, plainScp03Keys(vKeys), vOptions), gp('ERR_GP_CARD_CRYPTOGRAM'));
    assert.equal(transport.sent.length, 1);
  });

  it('replayed INITIALIZE UPDATE response (new host challenge)', async () => {
    const transport = new ScriptedTransport([ok(v.initialize_update_response_data), '9000']);
    await assert.rejects(openScp03(transport, plainScp03Keys(vKeys), { securityLevel: 0x11 }), gp('ERR_GP_CARD_CRYPTOGRAM'));
    assert.equal(transport.sent.length, 1);
  });

  it('pseudo-random challenge not produced for the expected SD AID', async () => {
    const transport = new ScriptedTransport([ok(v.initialize_update_response_data), '9000']);
    await assert.rejects(openScp03(transport, plainScp03Keys(vKeys), { ...vOptions, sdAid: SD_AID }), gp('ERR_GP_CARD_CRYPTOGRAM'));
    assert.equal(transport.sent.length, 1);
  });

  it('SCP02 card cryptogram mismatch against a card with other keys', async () => {
    const card = new Scp02CardSession({ keys: testKeys(16, 0x20, 1), sdAid: SD_AID, sequenceCounter: 0, i: 0x15 });
    const transport = new CardTransport(card);
    await assert.rejects(openScp02(transport, plainScp02Keys(testKeys(16, 0x20)), { securityLevel: 0x01, i: 0x15 }), gp('ERR_GP_CARD_CRYPTOGRAM'));
    assert.deepEqual(transport.sent.map((b) => b[1]), [0x50]);
    assert.equal(card.sequenceCounter, 0, 'no session, no counter increment');
  });

  it('SCP02 "i" = 55 challenge not the pseudo-random one for the SD AID', async () => {
    const card = new Scp02CardSession({ keys: testKeys(16, 0x20), sdAid: fromHex('A000000003000000'), sequenceCounter: 0, i: 0x55 });
    const transport = new CardTransport(card);
    await assert.rejects(openScp02(transport, plainScp02Keys(testKeys(16, 0x20)), { securityLevel: 0x01, i: 0x55, sdAid: SD_AID }), gp('ERR_GP_CARD_CRYPTOGRAM'));
    assert.equal(transport.sent.length, 1);
  });
});

describe('host: other INITIALIZE UPDATE / EXTERNAL AUTHENTICATE outcomes', () => {
  it('truncated and over-long responses are ERR_GP_PARSE', async () => {
    const full = fromHex(v.initialize_update_response_data);
    for (let n = 0; n <= full.length + 1; n++) {
      if (n === full.length) continue;
      const data = n <= full.length ? full.subarray(0, n) : concat(full, Uint8Array.of(0));
      const transport = new ScriptedTransport([ok(toHex(data))]);
      await assert.rejects(openScp03(transport, plainScp03Keys(vKeys), vOptions), gp('ERR_GP_PARSE'), `length ${n}`);
      assert.equal(transport.sent.length, 1);
    }
  });

  it('unknown SCP and SCP mismatch are ERR_GP_UNSUPPORTED', async () => {
    const scp01 = fromHex(v.initialize_update_response_data.slice(0, 22) + '01' + v.initialize_update_response_data.slice(24));
    assert.throws(() => parseInitializeUpdateResponse(scp01), gp('ERR_GP_UNSUPPORTED'));
    const transport = new ScriptedTransport([ok(v.initialize_update_response_data)]);
    await assert.rejects(openScp02(transport, plainScp02Keys(testKeys(16, 0x30)), { securityLevel: 0x01, i: 0x15 }), gp('ERR_GP_UNSUPPORTED'));
    const scp02 = new CardTransport(new Scp02CardSession({ keys: testKeys(16, 0x30), sdAid: SD_AID, sequenceCounter: 0, i: 0x15 }));
    await assert.rejects(openScp03(scp02, plainScp03Keys(testKeys(16, 0x30)), { securityLevel: 0x01 }), gp('ERR_GP_UNSUPPORTED'));
    assert.equal(scp02.sent.length, 1);
    const rfu = fromHex(v.initialize_update_response_data);
    rfu[12] = 0x72; // "i" with an RFU bit
    assert.throws(() => parseInitializeUpdateResponse(rfu), gp('ERR_GP_UNSUPPORTED'));
  });

  it('S8/S16 mismatch: the card answers 6700 (wrong host-challenge length), or the host refuses the answer', async () => {
    const s16 = new CardTransport(new Scp03CardSession({ keys: testKeys(16, 0x30), sdAid: SD_AID, sequenceCounter: 0, i: 0x71 }));
    await assert.rejects(openScp03(s16, plainScp03Keys(testKeys(16, 0x30)), { securityLevel: 0x01 }), gp('ERR_GP_STATUS', 0x6700));
    const s8 = new CardTransport(new Scp03CardSession({ keys: testKeys(16, 0x30), sdAid: SD_AID, sequenceCounter: 0, i: 0x70 }));
    await assert.rejects(openScp03(s8, plainScp03Keys(testKeys(16, 0x30)), { securityLevel: 0x01, s16: true }), gp('ERR_GP_STATUS', 0x6700));
    const transport = new ScriptedTransport([ok(v.initialize_update_response_data)]);
    // a scripted S8 answer (i = 70) to an S16 request: the host refuses before deriving anything
    await assert.rejects(openScp03(transport, plainScp03Keys(vKeys), { securityLevel: 0x01, s16: true, hostChallenge: new Uint8Array(16) }), gp('ERR_GP_UNSUPPORTED'));
    assert.equal(transport.sent.length, 1);
  });

  it('card status words: 6A88 unknown KVN, 6985 counter exhausted, 6300 host cryptogram', async () => {
    const card = new Scp03CardSession({ keys: testKeys(16, 0x30), sdAid: SD_AID, sequenceCounter: 0, i: 0x70 });
    await assert.rejects(openScp03(new CardTransport(card), plainScp03Keys(testKeys(16, 0x31)), { securityLevel: 0x01 }), gp('ERR_GP_STATUS', 0x6a88));
    const full = new Scp03CardSession({ keys: testKeys(16, 0x30), sdAid: SD_AID, sequenceCounter: 0xffffff, i: 0x70 });
    await assert.rejects(openScp03(new CardTransport(full), plainScp03Keys(testKeys(16, 0x30)), { securityLevel: 0x01 }), gp('ERR_GP_STATUS', 0x6985));
    assert.equal(full.sequenceCounter, 0xffffff);
    const full02 = new Scp02CardSession({ keys: testKeys(16, 0x20), sdAid: SD_AID, sequenceCounter: 0xffff, i: 0x55 });
    await assert.rejects(openScp02(new CardTransport(full02), plainScp02Keys(testKeys(16, 0x20)), { securityLevel: 0x01, i: 0x55 }), gp('ERR_GP_STATUS', 0x6985));
    const transport = new ScriptedTransport([ok(v.initialize_update_response_data), '6300']);
    await assert.rejects(openScp03(transport, plainScp03Keys(vKeys), vOptions), gp('ERR_GP_HOST_CRYPTOGRAM', 0x6300));
    const withData = new ScriptedTransport([ok(v.initialize_update_response_data), '019000']);
    await assert.rejects(openScp03(withData, plainScp03Keys(vKeys), vOptions), gp('ERR_GP_PARSE'));
  });

  it('a bad security level is refused before anything is sent', async () => {
    for (const level of [0x02, 0x10, 0x20, 0x31, 0x21, 0x04, 0x100, -1, 1.5]) {
      const transport = new ScriptedTransport([]);
      await assert.rejects(openScp03(transport, plainScp03Keys(vKeys), { securityLevel: level }), gp('ERR_GP_SECURITY_LEVEL'), `SL ${level}`);
      assert.equal(transport.sent.length, 0);
    }
    assert.throws(() => securityLevel('scp03', 0x33, { rMac: true, rEncryption: false }), gp('ERR_GP_SECURITY_LEVEL'));
  });

  it('openSecureChannel dispatches on the keys and needs "i" for SCP02', async () => {
    const pair = await scp03Pair({ securityLevel: 0x01 });
    const transport = new CardTransport(pair.card);
    const session = await openSecureChannel(transport, plainScp03Keys(testKeys(16, 0x30)), { securityLevel: 0x01, sdAid: SD_AID });
    assert.equal(session.scp, 3);
    await assert.rejects(openSecureChannel(transport, plainScp02Keys(testKeys(16, 0x20)), { securityLevel: 0x01 }), gp('ERR_GP_PARAM'));
    const card02 = new CardTransport(new Scp02CardSession({ keys: testKeys(16, 0x20), sdAid: SD_AID, sequenceCounter: 0, i: 0x15 }));
    assert.equal((await openSecureChannel(card02, plainScp02Keys(testKeys(16, 0x20)), { securityLevel: 0x03, i: 0x15 })).scp, 2);
  });
});

describe('host session: wrap budget, state, transport failures', () => {
  it('refuses short-APDU overflows with the budget in the message, allows the maximum', async () => {
    const cases: [Promise<{ host: { wrap: (a: ReturnType<typeof commandApdu>) => unknown; maxPlainDataLength: (e?: boolean) => number } }>, number][] = [
      [scp03Pair({ securityLevel: 0x01 }), 247],
      [scp03Pair({ securityLevel: 0x03 }), 239],
      [scp03Pair({ securityLevel: 0x33, i: 0x71 }), 223],
      [scp02Pair({ securityLevel: 0x01 }), 247],
      [scp02Pair({ securityLevel: 0x03 }), 239],
    ];
    for (const [pending, max] of cases) {
      const { host } = await pending;
      assert.equal(host.maxPlainDataLength(), max);
      host.wrap(commandApdu({ cla: 0x80, ins: 0xe2, p1: 0, p2: 0, data: new Uint8Array(max) }));
      assert.throws(
        () => host.wrap(commandApdu({ cla: 0x80, ins: 0xe2, p1: 0, p2: 0, data: new Uint8Array(max + 1) })),
        (e: unknown) => gp('ERR_GP_LENGTH')(e) && (e as Error).message.includes(`= ${max} bytes`) && (e as Error).message.includes('255 −'),
      );
    }
  });

  it('a refused wrap leaves the chain intact; SCP02 refuses extended APDUs', async () => {
    const pair = await scp03Pair({ securityLevel: 0x03 });
    assert.throws(() => pair.host.wrap(commandApdu({ cla: 0x80, ins: 0xe2, p1: 0, p2: 0, data: new Uint8Array(250) })), gp('ERR_GP_LENGTH'));
    assert.equal((await pair.host.transmit(commandApdu({ cla: 0x80, ins: 0xe2, p1: 0, p2: 0, data: new Uint8Array(5) }))).sw, 0x9000);
    const p02 = await scp02Pair({ securityLevel: 0x01 });
    assert.throws(() => p02.host.wrap(commandApdu({ cla: 0x80, ins: 0xe2, p1: 0, p2: 0, data: new Uint8Array(5), extended: true })), gp('ERR_GP_LENGTH'));
    assert.throws(() => p02.host.maxPlainDataLength(true), gp('ERR_GP_LENGTH'));
  });

  it('refuses a CLA already carrying secure messaging, and non-APDU input', async () => {
    const { host } = await scp03Pair({ securityLevel: 0x01 });
    assert.throws(() => host.wrap(commandApdu({ cla: 0x84, ins: 0xf2, p1: 0, p2: 0 })), gp('ERR_GP_PARAM'));
    assert.throws(() => host.wrap({} as never), gp('ERR_GP_PARAM'));
    assert.throws(() => host.unwrap(null as never), gp('ERR_GP_PARAM'));
  });

  it('a transport failure or a card security error closes the session', async () => {
    const pair = await scp03Pair({ securityLevel: 0x01 });
    pair.transport.tamperCommand = () => {
      throw new Error('link down');
    };
    await assert.rejects(pair.host.transmit(commandApdu({ cla: 0x80, ins: 0xf2, p1: 0, p2: 0 })), (e: unknown) => e instanceof Error && !(e instanceof TypeError));
    assert.equal(pair.host.isOpen, false);
    await assert.rejects(pair.host.transmit(commandApdu({ cla: 0x80, ins: 0xf2, p1: 0, p2: 0 })), gp('ERR_GP_SESSION_STATE'));
    assert.throws(() => pair.host.wrap(commandApdu({ cla: 0x80, ins: 0xf2, p1: 0, p2: 0 })), gp('ERR_GP_SESSION_STATE'));
    await assert.rejects(pair.host.encryptSensitive(new Uint8Array(16)), gp('ERR_GP_SESSION_STATE'));
  });

  it('one command at a time', async () => {
    const { host } = await scp03Pair({ securityLevel: 0x01 });
    const first = host.transmit(commandApdu({ cla: 0x80, ins: 0xf2, p1: 0, p2: 0 }));
    await assert.rejects(host.transmit(commandApdu({ cla: 0x80, ins: 0xf2, p1: 0, p2: 0 })), gp('ERR_GP_SESSION_STATE'));
    assert.equal((await first).sw, 0x9000);
  });

  it('sensitive data: SCP03 static DEK and SCP02 session DEK round-trip to the card; unaligned data is refused', async () => {
    const p03 = await scp03Pair({ securityLevel: 0x03, keyLength: 24 });
    const key = Uint8Array.from({ length: 32 }, (_, k) => k);
    assert.equal(toHex(p03.card.decryptSensitive(await p03.host.encryptSensitive(key))), toHex(key));
    await assert.rejects(p03.host.encryptSensitive(new Uint8Array(24)), gp('ERR_GP_LENGTH'));
    const p02 = await scp02Pair({ securityLevel: 0x03 });
    assert.equal(toHex(p02.card.decryptSensitive(await p02.host.encryptSensitive(key.subarray(0, 16)))), toHex(key.subarray(0, 16)));
    await assert.rejects(p02.host.encryptSensitive(new Uint8Array(12)), gp('ERR_GP_LENGTH'));
  });
});

describe('keys: wrong lengths and garbage are typed errors', () => {
  it('plain key holders', () => {
    const k16 = new Uint8Array(16);
    assert.throws(() => plainScp03Keys({ keyVersion: 0x30, enc: new Uint8Array(15), mac: k16, dek: k16 }), gp('ERR_GP_KEY'));
    assert.throws(() => plainScp03Keys({ keyVersion: 0x30, enc: k16, mac: new Uint8Array(32), dek: k16 }), gp('ERR_GP_KEY'));
    assert.throws(() => plainScp03Keys({ keyVersion: 0x100, enc: k16, mac: k16, dek: k16 }), gp('ERR_GP_KEY'));
    assert.throws(() => plainScp02Keys({ keyVersion: 0x20, enc: new Uint8Array(24), mac: k16, dek: k16 }), gp('ERR_GP_KEY'));
    assert.throws(() => plainScp02Keys({ keyVersion: 0x20, enc: k16, mac: k16, dek: k16, diversification: 'kdf3' as never }), gp('ERR_GP_PARAM'));
    for (const garbage of [null, undefined, 7, 'key', {}, { keyVersion: 1 }]) {
      assert.throws(() => plainScp03Keys(garbage as never), typed);
      assert.throws(() => plainScp02Keys(garbage as never), typed);
      assert.throws(() => new Scp03CardSession({ keys: garbage, sdAid: SD_AID, sequenceCounter: 0, i: 0x70 } as never), typed);
      assert.throws(() => new Scp02CardSession({ keys: garbage, sdAid: SD_AID, sequenceCounter: 0, i: 0x55 } as never), typed);
    }
  });

  it('card session options', () => {
    const keys = testKeys(16, 0x30);
    assert.throws(() => new Scp03CardSession({ keys, sdAid: new Uint8Array(4), sequenceCounter: 0, i: 0x70 }), gp('ERR_GP_PARAM'));
    assert.throws(() => new Scp03CardSession({ keys, sdAid: SD_AID, sequenceCounter: 0x1000000, i: 0x70 }), gp('ERR_GP_COUNTER'));
    assert.throws(() => new Scp03CardSession({ keys, sdAid: SD_AID, sequenceCounter: 0, i: 0x50 }), gp('ERR_GP_UNSUPPORTED'));
    assert.throws(() => new Scp02CardSession({ keys, sdAid: SD_AID, sequenceCounter: 0, i: 0x1a }), gp('ERR_GP_UNSUPPORTED'));
    assert.throws(() => new Scp02CardSession({ keys, sdAid: SD_AID, sequenceCounter: -1, i: 0x15 }), gp('ERR_GP_COUNTER'));
  });

  it('parseInitializeUpdateResponse never throws anything but GpError (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(2, 3, 7), (bytes, scp) => {
        const data = bytes.slice();
        if (data.length > 11) data[11] = scp;
        try {
          parseInitializeUpdateResponse(data);
        } catch (e) {
          assert.ok(e instanceof GpError, String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('card: refusals carry the status word to answer', () => {
  const card = () => new Scp03CardSession({ keys: testKeys(16, 0x30), sdAid: SD_AID, sequenceCounter: 0, i: 0x70 });
  const iu = (p1 = 0x30, data = new Uint8Array(8)) => commandApdu({ cla: 0x80, ins: 0x50, p1, p2: 0, data, ne: 256 });

  it('INITIALIZE UPDATE: KVN, length, P2, CLA', () => {
    assert.throws(() => card().initializeUpdate(iu(0x31)), gp('ERR_GP_KEY', 0x6a88));
    assert.throws(() => card().initializeUpdate(iu(0x30, new Uint8Array(7))), gp('ERR_GP_LENGTH', 0x6700));
    assert.throws(() => card().initializeUpdate(commandApdu({ ...iu(), p2: 1 })), gp('ERR_GP_PARAM', 0x6a86));
    assert.throws(() => card().initializeUpdate(commandApdu({ ...iu(), cla: 0x84 })), gp('ERR_GP_PARAM', 0x6e00));
    assert.throws(() => card().initializeUpdate(commandApdu({ ...iu(), cla: 0x00 })), gp('ERR_GP_PARAM', 0x6e00));
  });

  it('EXTERNAL AUTHENTICATE: sequence, bad security level, bad host cryptogram with a valid MAC', () => {
    const ea = commandApdu({ cla: 0x84, ins: 0x82, p1: 0x01, p2: 0, data: new Uint8Array(16) });
    assert.throws(() => card().externalAuthenticate(ea), gp('ERR_GP_SESSION_STATE', 0x6985));
    for (const [p1, host, sw] of [
      [0x02, 'good', 0x6a86],
      [0x31, 'good', 0x6a86],
      [0x33, 'wrong', 0x6300],
    ] as const) {
      const c = card();
      const hc = new Uint8Array(8).fill(9);
      const response = parseInitializeUpdateResponse(c.initializeUpdate(iu(0x30, hc)));
      const keys = testKeys(16, 0x30);
      const session = deriveScp03SessionKeys(keys, { kdd: response.kdd, keyVersion: 0x30, i: 0x70, hostChallenge: hc, cardChallenge: response.cardChallenge });
      const cryptogram = host === 'good' ? session.hostCryptogram() : new Uint8Array(8);
      const level = { level: p1, cMac: true, cDecryption: false, rMac: false, rEncryption: false };
      const { apdu } = scp03ProtectCommand(session, SCP03_INITIAL_CHAIN, commandApdu({ cla: 0x80, ins: 0x82, p1, p2: 0, data: cryptogram }), { level, macLength: 8 });
      assert.throws(() => c.externalAuthenticate(apdu), (e: unknown) => e instanceof GpError && e.sw === sw, `P1 ${p1} ${host}`);
      assert.equal(c.state, 'aborted');
      assert.throws(() => c.unwrapCommand(commandApdu({ cla: 0x80, ins: 0xca, p1: 0, p2: 0x66, ne: 256 })), gp('ERR_GP_SESSION_STATE', 0x6982));
    }
  });

  it('outside a session: secured commands 6982, plain ones pass, unreadable CLA 6E00', () => {
    const c = card();
    assert.throws(() => c.unwrapCommand(commandApdu({ cla: 0x84, ins: 0xca, p1: 0, p2: 0x66, data: new Uint8Array(8) })), gp('ERR_GP_SESSION_STATE', 0x6982));
    const plain = commandApdu({ cla: 0x80, ins: 0xca, p1: 0, p2: 0x66, ne: 256 });
    assert.equal(c.unwrapCommand(plain), plain);
    assert.equal(c.wrapResponse(responseApdu(Uint8Array.of(1), 0x9000)).data.length, 1);
    assert.throws(() => c.unwrapCommand(commandApdu({ cla: 0x20, ins: 0xca, p1: 0, p2: 0x66 })), gp('ERR_GP_PARAM', 0x6e00));
  });

  it('security level 00: plain commands pass, secured ones are refused', async () => {
    const pair = await scp03Pair({ securityLevel: 0x00 });
    const plain = commandApdu({ cla: 0x80, ins: 0xca, p1: 0, p2: 0x66, ne: 256 });
    assert.equal(toHex(encodeCommand(pair.host.wrap(plain))), toHex(encodeCommand(plain)));
    assert.throws(() => pair.card.unwrapCommand(commandApdu({ ...plain, cla: 0x84, data: new Uint8Array(8) })), gp('ERR_GP_SECURITY_LEVEL', 0x6982));
  });

  it('closed card sessions refuse everything', () => {
    const c = card();
    c.close();
    c.close();
    assert.throws(() => c.initializeUpdate(iu()), gp('ERR_GP_SESSION_STATE', 0x6985));
    assert.throws(() => c.unwrapCommand(commandApdu({ cla: 0x80, ins: 0xca, p1: 0, p2: 0x66 })), gp('ERR_GP_SESSION_STATE', 0x6985));
    assert.throws(() => c.decryptSensitive(new Uint8Array(16)), gp('ERR_GP_SESSION_STATE', 0x6985));
  });
});

describe('padding errors after decryption: the same single error as a bad MAC, never a crash', () => {
  const hc = new Uint8Array(8).fill(1);
  const cc = new Uint8Array(8).fill(2);
  const keys = () => deriveScp03SessionKeys(testKeys(16, 0x30), { kdd: new Uint8Array(10), keyVersion: 0x30, i: 0x70, hostChallenge: hc, cardChallenge: cc });
  const level = { level: 0x33, cMac: true, cDecryption: true, rMac: true, rEncryption: true };
  const protection = { level, macLength: 8 as const };

  it('card: a correctly MACed command whose plaintext has no 80 padding gives 6982', () => {
    const k = keys();
    for (const plaintext of [new Uint8Array(16), new Uint8Array(32).fill(0x80).fill(1, 20), fromHex('11223344556677880000000000000001')]) {
      const data = k.encrypt(plaintext, scp03CounterBlock(1, false)); // no method-2 padding: a buggy or hostile sender
      // the unpadded ciphertext with a valid C-MAC over it (counter 1, as the first command)
      const macOnly = { level: { ...level, cDecryption: false }, macLength: 8 as const };
      const { apdu } = scp03ProtectCommand(k, SCP03_INITIAL_CHAIN, commandApdu({ cla: 0x80, ins: 0xe2, p1: 0, p2: 0, data }), macOnly);
      assert.throws(() => scp03VerifyCommand(k, SCP03_INITIAL_CHAIN, apdu, protection), (e: unknown) => gp('ERR_GP_MAC', 0x6982)(e) && (e as Error).message === 'secure messaging verification failed');
    }
  });

  it('host: an R-MAC-valid response whose plaintext has no 80 padding is refused like a bad R-MAC', () => {
    const k = keys();
    const chain = { mcv: new Uint8Array(16).fill(3), counter: 1 };
    for (const plaintext of [new Uint8Array(16), padMethod2(new Uint8Array(3), 16).fill(0x00, 3)]) {
      const data = k.encrypt(plaintext, scp03CounterBlock(1, true));
      const rmac = k.rMac(scp03ResponseMacInput(chain.mcv, data, 0x9000)).subarray(0, 8);
      assert.throws(() => scp03VerifyResponse(k, chain, responseApdu(concat(data, rmac), 0x9000), protection), (e: unknown) => gp('ERR_GP_MAC')(e) && (e as Error).message === 'response verification failed');
    }
    const misaligned = Uint8Array.of(1, 2, 3);
    const rmac = k.rMac(scp03ResponseMacInput(chain.mcv, misaligned, 0x9000)).subarray(0, 8);
    assert.throws(() => scp03VerifyResponse(k, chain, responseApdu(concat(misaligned, rmac), 0x9000), protection), gp('ERR_GP_MAC'));
  });

  it('a wrapped command parses back from bytes (sanity for the fixtures above)', () => {
    const k = keys();
    const { apdu } = scp03ProtectCommand(k, SCP03_INITIAL_CHAIN, commandApdu({ cla: 0x80, ins: 0xe2, p1: 0, p2: 0, data: Uint8Array.of(1) }), protection);
    assert.equal(toHex(encodeCommand(parseCommand(encodeCommand(apdu)))), toHex(encodeCommand(apdu)));
  });
});
