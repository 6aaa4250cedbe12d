/**
 * Host and card sessions talking to each other over an in-memory transport: every security level,
 * every key length, S8 and S16, SCP02 "i" 15 and 55, logical channels. The card answers through
 * its card session and a tiny echo applet. (S16 has no published vectors: host↔card only.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { commandApdu, encodeCommand, parseCommand, type CommandApdu } from '../../../src/apdu/index.ts';
import { GpError } from '../../../src/gp/index.ts';
import { INS_FAIL, INS_WARN, scp02Pair, scp03Pair, type Scp02Pair, type Scp03Pair } from './helpers.ts';

const SECRET = fromHex('0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20');

function commands(cla: number): CommandApdu[] {
  return [
    commandApdu({ cla, ins: 0xf2, p1: 0x20, p2: 0x02 }), // case 1
    commandApdu({ cla, ins: 0xca, p1: 0x00, p2: 0x66, ne: 16 }), // case 2
    commandApdu({ cla, ins: 0xe2, p1: 0x80, p2: 0x00, data: SECRET }), // case 3
    commandApdu({ cla, ins: 0xe2, p1: 0x80, p2: 0x01, data: SECRET.subarray(0, 16), ne: 256 }), // case 4, block-aligned data
    commandApdu({ cla, ins: 0xe2, p1: 0x80, p2: 0x02, data: new Uint8Array(0x20).fill(0xa5).subarray(0, 31), ne: 256 }),
  ];
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return toHex(haystack).includes(toHex(needle));
}

async function exchange(pair: Scp03Pair | Scp02Pair, cDec: boolean, rEnc: boolean, cla = 0x80): Promise<void> {
  for (const command of commands(cla)) {
    const response = await pair.host.transmit(command);
    assert.equal(response.sw, 0x9000);
    const expected = command.data.length > 0 ? command.data : Uint8Array.from({ length: Math.min(command.ne ?? 0, 200) }, (_, k) => k);
    assert.equal(toHex(response.data), toHex(expected));
    const wire = pair.transport.sent.at(-1)!;
    if (command.data.length >= 16) assert.equal(contains(wire, command.data.subarray(0, 16)), !cDec, 'plain data on the wire iff no C-DECRYPTION');
    if (command.data.length >= 16) assert.equal(contains(pair.transport.answered.at(-1)!, command.data.subarray(0, 16)), !rEnc, 'plain response iff no R-ENCRYPTION');
  }
  // an error status word keeps the session; under R-MAC its data is dropped by the card (Amd D §6.2.5)
  const failed = await pair.host.transmit(commandApdu({ cla, ins: INS_FAIL, p1: 0, p2: 0, ne: 256 }));
  assert.equal(failed.sw, 0x6a82);
  const warned = await pair.host.transmit(commandApdu({ cla, ins: INS_WARN, p1: 0, p2: 0, data: SECRET }));
  assert.equal(warned.sw, 0x6310);
  assert.equal(toHex(warned.data), toHex(SECRET));
  assert.equal((await pair.host.transmit(commands(cla)[0]!)).sw, 0x9000, 'the chain survives an error status word');
}

const SCP03_LEVELS = [0x00, 0x01, 0x03, 0x11, 0x13, 0x33];

describe('SCP03 host ↔ card', () => {
  for (const keyLength of [16, 24, 32]) {
    for (const i of [0x70, 0x71, 0x60]) {
      for (const level of SCP03_LEVELS) {
        it(`AES-${keyLength * 8} i=${i.toString(16)} SL ${level.toString(16).padStart(2, '0')}`, async () => {
          const pair = await scp03Pair({ keyLength, i, securityLevel: level });
          assert.equal(pair.card.securityLevel, level);
          await exchange(pair, (level & 0x02) !== 0, (level & 0x20) !== 0);
          if ((level & 0x10) !== 0) assert.equal(pair.transport.answered.at(-3)!.length, 2, 'under R-MAC the error SW travels alone');
          pair.host.close();
          assert.equal(pair.host.isOpen, false);
        });
      }
    }
  }

  for (const i of [0x00, 0x10]) {
    it(`"i"=${i.toString(16).padStart(2, '0')} (no R-MAC support): SL 01 and 03 work, SL 11 is refused before EXTERNAL AUTHENTICATE`, async () => {
      for (const level of [0x01, 0x03]) await exchange(await scp03Pair({ i, securityLevel: level }), level === 0x03, false);
      await assert.rejects(scp03Pair({ i, securityLevel: 0x11 }), (e: unknown) => e instanceof GpError && e.code === 'ERR_GP_SECURITY_LEVEL');
    });
  }

  for (const channel of [1, 3, 5, 19]) {
    it(`logical channel ${channel}`, async () => {
      const cla = channel < 4 ? 0x80 | channel : 0xc0 | (channel - 4);
      const pair = await scp03Pair({ securityLevel: 0x33, channel });
      assert.equal(pair.transport.sent[0]![0], cla, 'INITIALIZE UPDATE on the channel');
      assert.equal(pair.transport.sent[1]![0], channel < 4 ? 0x84 | channel : 0xe0 | (channel - 4), 'EXTERNAL AUTHENTICATE with SM on the channel');
      await exchange(pair, true, true, cla);
      assert.throws(() => pair.host.wrap(commandApdu({ cla: 0x80, ins: 0xf2, p1: 0, p2: 0 })), (e: unknown) => e instanceof GpError && e.code === 'ERR_GP_PARAM');
    });
  }

  it('extended-length commands wrap, and the card unwraps them', async () => {
    const pair = await scp03Pair({ securityLevel: 0x33 });
    const big = commandApdu({ cla: 0x80, ins: 0xe8, p1: 0, p2: 0, data: new Uint8Array(1000).fill(7), extended: true });
    const wrapped = pair.host.wrap(big);
    assert.equal(wrapped.extended, true);
    assert.equal(wrapped.data.length, 1008 + 8);
    assert.equal(toHex(encodeCommand(pair.card.unwrapCommand(parseCommand(encodeCommand(wrapped))))), toHex(encodeCommand(big)));
  });
});

describe('SCP02 host ↔ card', () => {
  for (const i of [0x15, 0x55]) {
    for (const level of [0x00, 0x01, 0x03]) {
      it(`i=${i.toString(16)} SL ${level.toString(16).padStart(2, '0')}`, async () => {
        const pair = await scp02Pair({ i, securityLevel: level });
        assert.equal(pair.card.securityLevel, level);
        assert.equal(pair.card.sequenceCounter, 8, 'counter +1 on a successful EXTERNAL AUTHENTICATE');
        await exchange(pair, level === 0x03, false);
        pair.host.close();
      });
    }
    for (const level of [0x10, 0x11, 0x13, 0x33, 0x02]) {
      it(`i=${i.toString(16)} SL ${level.toString(16)} is refused before INITIALIZE UPDATE`, async () => {
        await assert.rejects(scp02Pair({ i, securityLevel: level }), (e: unknown) => e instanceof GpError && e.code === 'ERR_GP_SECURITY_LEVEL');
      });
    }
  }

  it('logical channel 2 and 6', async () => {
    for (const channel of [2, 6]) {
      const cla = channel < 4 ? 0x80 | channel : 0xc0 | (channel - 4);
      await exchange(await scp02Pair({ securityLevel: 0x03, channel }), true, false, cla);
    }
  });
});
