/**
 * Property: any command APDU (cases 1–4, short and extended, any channel 0–19) wrapped by the host
 * and unwrapped by the card is the original, for every security level; and any response protected
 * by the card and verified by the host is the original (data dropped only for error status words).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { toHex } from '../../../src/bytes/index.ts';
import { commandApdu, encodeCommand, parseCommand, responseApdu, type CommandApdu } from '../../../src/apdu/index.ts';
import { scp03IsProtectedStatus } from '../../../src/gp/index.ts';
import { scp02Pair, scp03Pair } from './helpers.ts';

function arbCommand(channel: number, extendedAllowed: boolean, maxShort: number): fc.Arbitrary<CommandApdu> {
  const cla = channel < 4 ? fc.constantFrom(0x80 | channel, channel) : fc.constantFrom(0xc0 | (channel - 4), 0x40 | (channel - 4));
  const ins = fc.integer({ min: 0, max: 0xff }).filter((i) => (i & 0xf0) !== 0x60 && (i & 0xf0) !== 0x90);
  const byte = fc.integer({ min: 0, max: 0xff });
  return fc
    .record({
      cla,
      ins,
      p1: byte,
      p2: byte,
      extended: extendedAllowed ? fc.boolean() : fc.constant(false),
      data: fc.uint8Array({ maxLength: 600 }),
      ne: fc.option(fc.integer({ min: 1, max: 65536 }), { nil: undefined }),
    })
    .map((r) => {
      const data = r.extended ? r.data : r.data.subarray(0, maxShort);
      const ne = r.ne === undefined || r.extended ? r.ne : ((r.ne - 1) % 256) + 1;
      return commandApdu({ cla: r.cla, ins: r.ins, p1: r.p1, p2: r.p2, data, ne, extended: r.extended });
    });
}

const hex = (c: CommandApdu): string => toHex(encodeCommand(c));

describe('property: host wrap → card unwrap is the identity', () => {
  for (const [level, i] of [[0x01, 0x70], [0x03, 0x70], [0x33, 0x70], [0x13, 0x71], [0x00, 0x00]] as const) {
    it(`SCP03 SL ${level.toString(16).padStart(2, '0')} i ${i.toString(16)}`, async () => {
      for (const channel of [0, 2, 7]) {
        const { host, card } = await scp03Pair({ securityLevel: level, i, channel });
        fc.assert(
          fc.property(arbCommand(channel, true, host.maxPlainDataLength()), (command) => {
            const wire = encodeCommand(host.wrap(command));
            assert.equal(hex(card.unwrapCommand(parseCommand(wire))), hex(command));
          }),
          { numRuns: 150 },
        );
      }
    });
  }

  for (const level of [0x01, 0x03]) {
    it(`SCP02 SL ${level.toString(16).padStart(2, '0')}`, async () => {
      for (const channel of [0, 5]) {
        const { host, card } = await scp02Pair({ securityLevel: level, channel });
        fc.assert(
          fc.property(arbCommand(channel, false, host.maxPlainDataLength()), (command) => {
            const wire = encodeCommand(host.wrap(command));
            assert.equal(hex(card.unwrapCommand(parseCommand(wire))), hex(command));
          }),
          { numRuns: 200 },
        );
      }
    });
  }
});

describe('property: card wrapResponse → host unwrap returns the response', () => {
  for (const level of [0x11, 0x33]) {
    it(`SCP03 SL ${level.toString(16)}`, async () => {
      const { host, card } = await scp03Pair({ securityLevel: level });
      const sw = fc.oneof(fc.constant(0x9000), fc.integer({ min: 0x6200, max: 0x63ff }), fc.constantFrom(0x6a82, 0x6985, 0x6d00));
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), sw, (data, status) => {
          const command = host.wrap(commandApdu({ cla: 0x80, ins: 0xca, p1: 0, p2: 0, ne: 256 }));
          card.unwrapCommand(command);
          const back = host.unwrap(card.wrapResponse(responseApdu(data, status)));
          assert.equal(back.sw, status);
          assert.equal(toHex(back.data), scp03IsProtectedStatus(status) ? toHex(data) : '');
        }),
        { numRuns: 200 },
      );
    });
  }
});
