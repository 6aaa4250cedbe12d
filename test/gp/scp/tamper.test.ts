/**
 * Hostile wires: every bit of a wrapped command flipped (the card refuses with 6982 and aborts),
 * every bit of a protected response flipped (the host refuses and closes), replays, and commands
 * after a failure (refused until a new INITIALIZE UPDATE).
 *
 * By design some bits are outside the MAC: Le (GPC Amd D v1.1.1 §6.2.4, GPC 2.3.1 §E.4.4: "It does
 * not include Le") and the logical-channel bits of CLA (Amd D §6.2.4: "The logical channel number is
 * not part of the integrity protection"). Those flips are accepted and change exactly that field.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../../src/bytes/index.ts';
import { ApduError, commandApdu, encodeCommand, parseCommand, type CommandApdu } from '../../../src/apdu/index.ts';
import { GpError, Scp02CardSession, Scp03CardSession, openScp02, openScp03, plainScp02Keys, plainScp03Keys } from '../../../src/gp/index.ts';
import { SD_AID, flipBit, scp02Pair, scp03Pair, testKeys } from './helpers.ts';

type Card = Scp02CardSession | Scp03CardSession;

const COMMANDS: CommandApdu[] = [
  commandApdu({ cla: 0x80, ins: 0xe2, p1: 0x80, p2: 0x00, data: Uint8Array.from({ length: 21 }, (_, k) => k), ne: 256 }), // case 4
  commandApdu({ cla: 0x80, ins: 0xca, p1: 0x00, p2: 0x66, ne: 256 }), // case 2
  commandApdu({ cla: 0x80, ins: 0xf2, p1: 0x40, p2: 0x02 }), // case 1
];

function isRefusal(e: unknown): boolean {
  return e instanceof GpError && e.sw === 0x6982;
}

/**
 * Flips each bit of `wrapped` against a fresh card session in the state `fresh()` returns, and
 * classifies the result: unparsable (ISO 7816-4 length error, refused before secure messaging),
 * refused with 6982 and aborted, or accepted, which is allowed only for Le and channel bits.
 */
function flipEveryBit(original: CommandApdu, wrapped: CommandApdu, fresh: () => Card): void {
  const bytes = encodeCommand(wrapped);
  const leOffset = wrapped.ne === undefined ? -1 : bytes.length - 1;
  let accepted = 0;
  for (let bit = 0; bit < bytes.length * 8; bit++) {
    const card = fresh();
    let command: CommandApdu;
    try {
      command = parseCommand(flipBit(bytes, bit));
    } catch (e) {
      assert.ok(e instanceof ApduError, `bit ${bit}: only an APDU parse error may escape`);
      continue;
    }
    const byte = bit >> 3;
    const channelBit = byte === 0 && (bit & 7) >= 6;
    try {
      const plain = card.unwrapCommand(command);
      assert.ok(channelBit || byte === leOffset, `bit ${bit} (byte ${byte}) was accepted`);
      accepted++;
      // only the unprotected field changed: the channel bits of CLA, or Ne
      assert.equal(plain.cla & 0xfc, original.cla & 0xfc, `bit ${bit}`);
      assert.deepEqual([plain.ins, plain.p1, plain.p2, toHex(plain.data)], [original.ins, original.p1, original.p2, toHex(original.data)], `bit ${bit}`);
      assert.ok(channelBit ? plain.ne === original.ne : plain.cla === original.cla, `bit ${bit}`);
    } catch (e) {
      assert.ok(isRefusal(e), `bit ${bit}: expected a 6982 refusal, got ${String(e)}`);
      assert.equal(card.state, 'aborted', `bit ${bit}: the session must abort`);
      assert.throws(() => card.unwrapCommand(wrapped), isRefusal, `bit ${bit}: the genuine command is refused after the abort`);
    }
  }
  assert.equal(accepted, 2 + (leOffset < 0 ? 0 : 8), 'exactly the channel bits and the Le bits are outside the MAC');
}

describe('flipping every bit of a wrapped command', () => {
  for (const level of [0x01, 0x03, 0x33]) {
    for (const s16 of [false, true]) {
      it(`SCP03 SL ${level.toString(16).padStart(2, '0')} ${s16 ? 'S16' : 'S8'}`, async () => {
        const pair = await scp03Pair({ securityLevel: level, i: s16 ? 0x71 : 0x70 });
        // Replay the opening into fresh cards: same keys, same counter, same host challenge
        const opening = pair.transport.sent.slice(0, 2).map((b) => parseCommand(b));
        for (const command of COMMANDS) {
          const sentSoFar = pair.transport.sent.length;
          const wrapped = pair.host.wrap(command);
          const prefix = pair.transport.sent.slice(2, sentSoFar).map((b) => parseCommand(b));
          flipEveryBit(command, wrapped, () => {
            const card = new Scp03CardSession({ keys: testKeys(16, 0x30), sdAid: SD_AID, sequenceCounter: 5, i: s16 ? 0x71 : 0x70 });
            card.initializeUpdate(opening[0]!);
            card.externalAuthenticate(opening[1]!);
            for (const p of prefix) card.unwrapCommand(p);
            return card;
          });
          // keep the host and the reference chain in step
          await pair.transport.transmit(encodeCommand(wrapped));
        }
      });
    }
  }

  for (const level of [0x01, 0x03]) {
    it(`SCP02 SL ${level.toString(16).padStart(2, '0')}`, async () => {
      const pair = await scp02Pair({ securityLevel: level, i: 0x55 });
      const opening = pair.transport.sent.slice(0, 2).map((b) => parseCommand(b));
      for (const command of COMMANDS) {
        const sentSoFar = pair.transport.sent.length;
        const wrapped = pair.host.wrap(command);
        const prefix = pair.transport.sent.slice(2, sentSoFar).map((b) => parseCommand(b));
        flipEveryBit(command, wrapped, () => {
          const card = new Scp02CardSession({ keys: testKeys(16, 0x20), sdAid: SD_AID, sequenceCounter: 7, i: 0x55 });
          card.initializeUpdate(opening[0]!);
          card.externalAuthenticate(opening[1]!);
          for (const p of prefix) card.unwrapCommand(p);
          return card;
        });
        await pair.transport.transmit(encodeCommand(wrapped));
      }
    });
  }
});

describe('flipping every bit of a protected response', () => {
  for (const level of [0x11, 0x13, 0x33]) {
    for (const s16 of [false, true]) {
      it(`SCP03 SL ${level.toString(16)} ${s16 ? 'S16' : 'S8'}: the host refuses and closes`, async () => {
        const probe = await scp03Pair({ securityLevel: level, i: s16 ? 0x71 : 0x70 });
        const command = COMMANDS[0]!;
        await probe.host.transmit(command);
        const good = probe.transport.answered.at(-1)!;
        const swStart = (good.length - 2) * 8;
        for (let bit = 0; bit < good.length * 8; bit++) {
          const pair = await scp03Pair({ securityLevel: level, i: s16 ? 0x71 : 0x70 });
          pair.transport.tamperResponse = (bytes) => flipBit(bytes, bit);
          if (bit >= swStart) {
            // a flipped 9000 is an error status word: not MAC-protected (Amd D §6.2.5), so the host
            // returns it bare and never hands out the unauthenticated data
            const r = await pair.host.transmit(command);
            assert.notEqual(r.sw, 0x9000);
            assert.equal(r.data.length, 0, `bit ${bit}: data delivered under an unprotected status word`);
            continue;
          }
          await assert.rejects(pair.host.transmit(command), (e: unknown) => e instanceof GpError && e.code === 'ERR_GP_MAC', `bit ${bit}`);
          assert.equal(pair.host.isOpen, false, `bit ${bit}: the session must close`);
          await assert.rejects(pair.host.transmit(command), (e: unknown) => e instanceof GpError && e.code === 'ERR_GP_SESSION_STATE');
        }
      });
    }
  }

  it('SCP03: a truncated or emptied protected response is refused', async () => {
    for (const cut of [0, 1, 7, 8]) {
      const pair = await scp03Pair({ securityLevel: 0x33 });
      pair.transport.tamperResponse = (bytes) => Uint8Array.of(...bytes.subarray(0, cut), 0x90, 0x00);
      await assert.rejects(pair.host.transmit(COMMANDS[0]!), (e: unknown) => e instanceof GpError && e.code === 'ERR_GP_MAC');
    }
  });
});

describe('replays and commands after a failure', () => {
  for (const scp of [2, 3] as const) {
    it(`SCP0${scp}: a replayed command is refused with 6982, and so is everything after it`, async () => {
      const pair = scp === 3 ? await scp03Pair({ securityLevel: 0x03 }) : await scp02Pair({ securityLevel: 0x03 });
      await pair.host.transmit(COMMANDS[0]!);
      const replay = pair.transport.sent.at(-1)!;
      assert.equal(toHex((await pair.transport.transmit(replay)).subarray(-2)), '6982');
      assert.equal(pair.card.state, 'aborted');
      // the host's next genuine command: the card refuses it, the host closes its session
      await assert.rejects(pair.host.transmit(COMMANDS[1]!), (e: unknown) => e instanceof GpError && e.sw === 0x6982);
      assert.equal(pair.host.isOpen, false);
      // an unsecured command is refused too (Amd D §5.6: aborted in the same application session)
      assert.equal(toHex((await pair.transport.transmit(Uint8Array.of(0x80, 0xca, 0x00, 0x66, 0x00))).subarray(-2)), '6982');
      // a replayed EXTERNAL AUTHENTICATE does not revive it
      assert.equal(toHex((await pair.transport.transmit(pair.transport.sent[1]!)).subarray(-2)), '6982');
    });

    it(`SCP0${scp}: a replayed EXTERNAL AUTHENTICATE in an open session aborts it`, async () => {
      const pair = scp === 3 ? await scp03Pair({ securityLevel: 0x01 }) : await scp02Pair({ securityLevel: 0x01 });
      assert.equal(toHex((await pair.transport.transmit(pair.transport.sent[1]!)).subarray(-2)), '6982');
      assert.equal(pair.card.state, 'aborted');
    });

    it(`SCP0${scp}: the same card, re-initialized, works again after an abort`, async () => {
      const pair = scp === 3 ? await scp03Pair({ securityLevel: 0x03 }) : await scp02Pair({ securityLevel: 0x03 });
      pair.transport.tamperCommand = (b) => flipBit(b, b.length * 8 - 1);
      await assert.rejects(pair.host.transmit(COMMANDS[2]!), (e: unknown) => e instanceof GpError && e.sw === 0x6982);
      assert.equal(pair.card.state, 'aborted');
      pair.transport.tamperCommand = undefined;
      const host =
        scp === 3
          ? await openScp03(pair.transport, plainScp03Keys(testKeys(16, 0x30)), { securityLevel: 0x03, sdAid: SD_AID })
          : await openScp02(pair.transport, plainScp02Keys(testKeys(16, 0x20)), { securityLevel: 0x03, i: 0x55, sdAid: SD_AID });
      assert.equal((await host.transmit(COMMANDS[0]!)).sw, 0x9000);
      assert.equal(pair.card.state, 'open');
    });
  }
});
