/**
 * The card the PC/SC services tests put into the vpcd reader. For now a CardOs with one small test
 * applet; when the GlobalPlatform card manager lands, `createServicesTestCard()` builds that card
 * instead and the tests keep their shape.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../src/apdu/index.ts';
import { concat, hex, toHex } from '../../../src/bytes/index.ts';
import {
  CardException,
  CardOs,
  type Applet,
  type AppletContext,
  type AppletDirectory,
  type CardPort,
  type SelectableEntry,
} from '../../../src/se/index.ts';
import { MemoryTransactions } from '../../helpers/memory-transactions.ts';

/** AID of the test applet: F0 (proprietary, unregistered RID) ‖ "OPENTSM" ‖ 01. */
export const TEST_APPLET_AID = hex`F0 4F 50 45 4E 54 53 4D 01`;

/** Instructions of the test applet (CLA 80). */
export const TEST_INS = {
  /** Returns the command data. */
  ECHO: 0x01,
  /** Returns Ne bytes 00 01 02 … (Ne 256 for Le 00). */
  FILL: 0x02,
  /** Increments a persistent counter and returns it (2 bytes). */
  COUNT: 0x03,
} as const;

/**
 * ATR: TS 3B, T0 = 8 historical bytes with TD1, TD1 = 81 (T=1, TD2 follows), TD2 = 01 (T=1),
 * historical bytes "OpenTSM\0"… and TCK, the XOR of T0..the last historical byte (ISO 7816-3 §8.2.5).
 */
export const TEST_ATR = withTck(hex`3B 88 81 01 4F 70 65 6E 54 53 4D 00`);

/** A T=0-only ATR: TS 3B, T0 = 8 historical bytes and no interface bytes (T=0 implied), "OpenTSM0"; no TCK. */
export const TEST_ATR_T0 = hex`3B 08 4F 70 65 6E 54 53 4D 30`;

/** The FCI the test applet answers SELECT with: 6F { 84 AID }. */
export const TEST_FCI = concat(hex`6F 0B 84 09`, TEST_APPLET_AID);

function withTck(atr: Uint8Array): Uint8Array {
  let tck = 0;
  for (const b of atr.subarray(1)) tck ^= b;
  return concat(atr, Uint8Array.of(tck));
}

/** The card behind a vpcd reader in the services tests. Keep card construction here, in one place. */
export function createServicesTestCard(atr: Uint8Array = TEST_ATR): CardPort {
  const applet = new TestApplet();
  const entry: SelectableEntry = { aid: TEST_APPLET_AID, applet };
  const directory: AppletDirectory = {
    selectable: (prefix) => (toHex(TEST_APPLET_AID).startsWith(toHex(prefix)) ? [entry] : []),
    implicit: () => undefined,
  };
  const options = { atr, channels: 4, noApplicationSw: 0x6999, selectNotFoundSw: SW.FILE_NOT_FOUND };
  return new CardOs(options, directory, new MemoryTransactions());
}

class TestApplet implements Applet {
  select(_command: CommandApdu, _ctx: AppletContext): ResponseApdu {
    return responseApdu(TEST_FCI, SW.OK);
  }

  process(command: CommandApdu, ctx: AppletContext): ResponseApdu {
    if ((command.cla & 0x80) === 0) throw new CardException(SW.CLA_NOT_SUPPORTED);
    switch (command.ins) {
      case TEST_INS.ECHO:
        return responseApdu(command.data, SW.OK);
      case TEST_INS.FILL:
        return responseApdu(Uint8Array.from({ length: command.ne ?? 0 }, (_, i) => i & 0xff), SW.OK);
      case TEST_INS.COUNT: {
        const next = ((typeof ctx.persistent === 'number' ? ctx.persistent : 0) + 1) & 0xffff;
        ctx.setPersistent(next);
        return responseApdu(Uint8Array.of(next >> 8, next & 0xff), SW.OK);
      }
      default:
        throw new CardException(SW.INS_NOT_SUPPORTED);
    }
  }
}

