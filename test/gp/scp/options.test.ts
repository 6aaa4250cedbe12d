/**
 * The option tables: security levels (GPC 2.3.1 Table E-11, GPC Amd D v1.1.1 Table 7-3), SCP02 "i"
 * (GPC 2.3.1 Table E-1), SCP03 "i" (Amd D Table 5-1, S16 from v1.2), and class-byte handling
 * (GPC 2.3.1 Tables 11-11, 11-12).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { encodeCommand } from '../../../src/apdu/index.ts';
import {
  ALLOWED_SECURITY_LEVELS,
  GpError,
  SCP02_SUPPORTED_I,
  SCP03_I_VALUES,
  gpCla,
  hasSecureMessaging,
  initializeUpdateCommand,
  logicalChannel,
  macCla,
  scp02Options,
  scp03CounterBlock,
  scp03LcField,
  scp03Options,
  securityLevel,
  withSecureMessaging,
  withoutSecureMessaging,
} from '../../../src/gp/index.ts';

const gp = (code: string) => (e: unknown) => e instanceof GpError && e.code === code;

describe('security levels', () => {
  it('SCP03 allows exactly 00 01 03 11 13 33; SCP02 00 01 03 10 11 13', () => {
    const all = { rMac: true, rEncryption: true };
    for (let p1 = 0; p1 <= 0xff; p1++) {
      const ok03 = (ALLOWED_SECURITY_LEVELS.scp03 as readonly number[]).includes(p1);
      if (ok03) assert.equal(securityLevel('scp03', p1, all).level, p1);
      else assert.throws(() => securityLevel('scp03', p1, all), gp('ERR_GP_SECURITY_LEVEL'));
      const ok02 = (ALLOWED_SECURITY_LEVELS.scp02 as readonly number[]).includes(p1);
      if (!ok02) assert.throws(() => securityLevel('scp02', p1, all), gp('ERR_GP_SECURITY_LEVEL'));
    }
    assert.deepEqual(securityLevel('scp03', 0x33, all), { level: 0x33, cMac: true, cDecryption: true, rMac: true, rEncryption: true });
    assert.throws(() => securityLevel('scp03', 0x11, { rMac: false, rEncryption: false }), gp('ERR_GP_SECURITY_LEVEL'));
  });
});

describe('"i" parameters', () => {
  it('SCP02: 15 and 55 decode per Table E-1; the rest are refused', () => {
    assert.deepEqual(scp02Options(0x55), {
      i: 0x55, threeKeys: true, cMacOnUnmodifiedApdu: false, explicitInitiation: true, icvMacOverAid: false,
      icvEncryption: true, rMac: false, pseudoRandomChallenge: true,
    });
    assert.equal(scp02Options(0x15).pseudoRandomChallenge, false);
    for (let i = 0; i < 0x80; i++) if (!(SCP02_SUPPORTED_I as readonly number[]).includes(i)) assert.throws(() => scp02Options(i), gp('ERR_GP_UNSUPPORTED'));
  });

  it('SCP03: the Table 5-1 values, each in S8 and S16; RFU bits and R-ENC without R-MAC refused', () => {
    const valid = SCP03_I_VALUES.flatMap((i) => [i, i | 1]);
    for (let i = 0; i < 0x80; i++) {
      if (valid.includes(i)) assert.equal(scp03Options(i).i, i);
      else assert.throws(() => scp03Options(i), gp('ERR_GP_UNSUPPORTED'), i.toString(16));
    }
    assert.deepEqual(scp03Options(0x71), { i: 0x71, s16: true, pseudoRandomChallenge: true, rMac: true, rEncryption: true, challengeLength: 16, macLength: 16 });
    assert.equal(scp03Options(0x20).rEncryption, false);
  });
});

describe('class bytes', () => {
  it('channels 0–19 with and without secure messaging', () => {
    for (let ch = 0; ch < 20; ch++) {
      const plain = gpCla(ch, false);
      const sm = gpCla(ch, true);
      assert.equal(logicalChannel(plain), ch);
      assert.equal(logicalChannel(sm), ch);
      assert.equal(withSecureMessaging(plain), sm);
      assert.equal(withoutSecureMessaging(sm), plain);
      assert.equal(hasSecureMessaging(sm), true);
      assert.equal(hasSecureMessaging(plain), false);
      assert.equal(macCla(sm), 0x84, 'GPC Amd D §6.2.4: the MAC covers channel 0 with GP SM');
    }
    assert.equal(macCla(0x00), 0x04);
    assert.equal(macCla(0x94), 0x94, 'the chaining bit is covered');
    assert.throws(() => withSecureMessaging(0x84), gp('ERR_GP_PARAM'));
    assert.throws(() => withSecureMessaging(0x88), gp('ERR_GP_PARAM'));
    assert.throws(() => logicalChannel(0x20), gp('ERR_GP_PARAM'));
    assert.equal(hasSecureMessaging(0x8c), false, 'ISO SM (b4b3 = 11) is not GP secure messaging');
  });
});

describe('encodings', () => {
  it('INITIALIZE UPDATE command (GPC 2.3.1 Table E-7)', () => {
    assert.equal(toHex(encodeCommand(initializeUpdateCommand(0x30, fromHex('B13E5F938FC108C4')))), '8050300008B13E5F938FC108C400');
    assert.equal(toHex(encodeCommand(initializeUpdateCommand(0, new Uint8Array(16), 5))).slice(0, 10), 'C150000010');
    assert.throws(() => initializeUpdateCommand(0x30, new Uint8Array(9)), gp('ERR_GP_PARAM'));
  });

  it('SCP03 counter blocks (Amd D §6.2.6–7) and the Lc field of the MAC input', () => {
    assert.equal(toHex(scp03CounterBlock(1, false)), '00000000000000000000000000000001');
    assert.equal(toHex(scp03CounterBlock(0x0102, true)), '80000000000000000000000000000102');
    assert.throws(() => scp03CounterBlock(0, false), gp('ERR_GP_COUNTER'));
    assert.equal(toHex(scp03LcField(0xff)), 'FF');
    assert.equal(toHex(scp03LcField(0x100)), '000100');
  });
});
