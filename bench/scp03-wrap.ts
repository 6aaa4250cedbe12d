/**
 * SCP03 wrap of a 200-byte command at security level 03 (C-MAC + C-DECRYPTION), S8, AES-128, on a
 * host session opened in process against the card-side session. Floor: one AES-CBC encryption of
 * the padded 208 bytes plus one AES-CBC pass over the 240-byte padded MAC input (MCV 16 ‖ header 5
 * ‖ 208 ciphertext bytes) — the cipher work Amd D §6.2.6–6.2.7 cannot avoid.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { commandApdu, encodeResponse, parseCommand, responseApdu, type ApduTransport } from '../src/apdu/index.ts';
import { GpError, Scp03CardSession, openScp03, plainScp03Keys, type Scp03HostSession } from '../src/gp/index.ts';
import type { Pair } from './measure.ts';

const SD_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00);

/** A card on a wire answering only the two authentication commands, as the wrap needs no more. */
function cardTransport(card: Scp03CardSession): ApduTransport {
  return {
    transmit(bytes: Uint8Array): Promise<Uint8Array> {
      const command = parseCommand(bytes);
      try {
        const data = command.ins === 0x50 ? card.initializeUpdate(command) : card.externalAuthenticate(command);
        return Promise.resolve(encodeResponse(responseApdu(data, 0x9000)));
      } catch (e) {
        if (e instanceof GpError && e.sw !== undefined) return Promise.resolve(encodeResponse(responseApdu(new Uint8Array(0), e.sw)));
        throw e;
      }
    },
  };
}

async function openSession(): Promise<Scp03HostSession> {
  const keys = { keyVersion: 0x30, enc: new Uint8Array(randomBytes(16)), mac: new Uint8Array(randomBytes(16)), dek: new Uint8Array(randomBytes(16)) };
  const card = new Scp03CardSession({ keys, sdAid: SD_AID, sequenceCounter: 1, i: 0x70 });
  return openScp03(cardTransport(card), plainScp03Keys(keys), { securityLevel: 0x03, sdAid: SD_AID });
}

/** The SCP03 wrap pair for bench/foundation.ts. */
export async function scp03Pairs(): Promise<Pair[]> {
  const session = await openSession();
  const command = commandApdu({ cla: 0x80, ins: 0xe2, p1: 0x90, p2: 0x00, data: new Uint8Array(randomBytes(200)) });
  const key = randomBytes(16);
  const iv = Buffer.alloc(16);
  const padded = randomBytes(208);
  const macInput = randomBytes(240);
  return [
    {
      name: 'SCP03 wrap 200 B, C-MAC+C-ENC',
      op: () => session.wrap(command),
      floorName: 'AES-CBC 208 B + AES-CBC 240 B',
      floor: () => {
        const enc = createCipheriv('aes-128-cbc', key, iv);
        enc.setAutoPadding(false);
        enc.update(padded);
        enc.final();
        const mac = createCipheriv('aes-128-cbc', key, iv);
        mac.setAutoPadding(false);
        mac.update(macInput);
        return mac.final();
      },
    },
  ];
}
