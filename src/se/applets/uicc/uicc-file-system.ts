/**
 * The UICC file system as a pseudo-applet (ETSI TS 102 221): what a UICC-kind card has selected on
 * the basic channel after reset (TS 102 221: after the ATR the MF is the current directory; the
 * GP UICC Configuration leaves the basic channel to the telecom file system). SIM tools start with
 * `00 A4 00 04 02 3F00` (pySim `match_uicc`); this answers it with the MF's FCP.
 *
 * Supported, minimal: SELECT by FID / path (P1 00, 08, 09; P2 04 FCP or 0C no data) of the MF and EF
 * ICCID, READ BINARY (current EF or SFI 02), STATUS (CLA 8X: the current DF's FCP or no data). Every
 * other file answers 6A82, every other command a status word. `80 F2` here is the UICC STATUS,
 * never GP GET STATUS (that belongs to a Security Domain, selected by AID). The GSM class A0
 * (TS 51.011) is not supported: 6E00.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { fromHex } from '../../../bytes/index.ts';
import type { Applet, AppletContext } from '../../runtime/applet.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { decodeCla } from '../../runtime/cla.ts';
import { FID, ICCID_SFI, mfFcp, transparentEfFcp, type UiccFile } from './uicc-files.ts';

/** The identifier the card OS reports for the file system on a channel (the MF's FID). */
export const UICC_FS_ID: Uint8Array = fromHex('3F00');

const INS = { SELECT: 0xa4, READ_BINARY: 0xb0, STATUS: 0xf2 } as const;
/** SELECT P2 (TS 102 221 Table 11.2): 04 return the FCP template, 0C no data. */
const P2_FCP = 0x04;
const P2_NO_DATA = 0x0c;

export class UiccFileSystem implements Applet {
  /** The MF is selected on every channel that opens to it; the current file is per channel. */
  readonly multiselectable = true;
  readonly #iccid: () => Uint8Array | undefined;
  readonly #current = new Map<number, number>();

  /** `iccid` reads EF ICCID's content (10 bytes) from the card state; undefined: the card has no EF ICCID. */
  constructor(iccid: () => Uint8Array | undefined) {
    this.#iccid = iccid;
  }

  select(): ResponseApdu {
    // the file system is not a GP application: SELECT by DF name never reaches it
    throw new CardException(SW.FILE_NOT_FOUND);
  }

  deselect(ctx: AppletContext): void {
    this.#current.delete(ctx.channel);
  }

  process(command: CommandApdu, ctx: AppletContext): ResponseApdu {
    const cla = decodeCla(command.cla);
    if (cla === undefined) throw new CardException(SW.CLA_NOT_SUPPORTED);
    if (cla.secureMessaging) throw new CardException(SW.SECURE_MESSAGING_NOT_SUPPORTED);
    // TS 102 221 Table 10.5: SELECT and READ BINARY in class 0X/4X/6X, STATUS in 8X/CX/EX
    if (command.ins === INS.STATUS) {
      if (!cla.proprietary) throw new CardException(SW.CLA_NOT_SUPPORTED, 'STATUS uses class 8X');
      return this.#status(command, ctx);
    }
    if (command.ins === INS.SELECT || command.ins === INS.READ_BINARY) {
      if (cla.proprietary) throw new CardException(SW.CLA_NOT_SUPPORTED, 'this UICC does not answer the GSM class A0');
      return command.ins === INS.SELECT ? this.#select(command, ctx) : this.#readBinary(command, ctx);
    }
    throw new CardException(SW.INS_NOT_SUPPORTED);
  }

  #file(fid: number): UiccFile | undefined {
    if (fid === FID.MF) return { fid, kind: 'df' };
    const iccid = this.#iccid();
    if (fid === FID.EF_ICCID && iccid !== undefined) return { fid, kind: 'ef', content: iccid };
    return undefined;
  }

  #fcp(file: UiccFile): Uint8Array {
    return file.kind === 'df' ? mfFcp() : transparentEfFcp(file.fid, file.content?.length ?? 0, ICCID_SFI);
  }

  /** SELECT (TS 102 221 §11.1.1): P1 00 by FID, 08 path from the MF, 09 path from the current DF (always the MF here). */
  #select(command: CommandApdu, ctx: AppletContext): ResponseApdu {
    if (command.p2 !== P2_FCP && command.p2 !== P2_NO_DATA) throw new CardException(SW.INCORRECT_P1P2, 'SELECT P2 is 04 (FCP) or 0C (no data)');
    const data = command.data;
    let fid: number;
    if (command.p1 === 0x00) {
      if (data.length !== 2) throw new CardException(SW.WRONG_LENGTH, 'SELECT by file identifier takes 2 bytes');
      fid = (data[0]! << 8) | data[1]!;
    } else if (command.p1 === 0x08 || command.p1 === 0x09) {
      // a path names files below the MF, without the MF's own identifier (ISO 7816-4 §7.1.1)
      if (data.length === 0 || data.length % 2 !== 0) throw new CardException(SW.WRONG_LENGTH, 'a path is a list of 2-byte file identifiers');
      if (data.length !== 2) throw new CardException(SW.FILE_NOT_FOUND, 'this card has no DF below the MF');
      fid = (data[0]! << 8) | data[1]!;
      if (fid === FID.MF) throw new CardException(SW.FILE_NOT_FOUND);
    } else {
      throw new CardException(SW.INCORRECT_P1P2, 'SELECT P1 00, 04, 08 or 09');
    }
    const file = this.#file(fid);
    if (file === undefined) throw new CardException(SW.FILE_NOT_FOUND);
    this.#current.set(ctx.channel, fid);
    return responseApdu(command.p2 === P2_FCP ? this.#fcp(file) : new Uint8Array(0), SW.OK);
  }

  /** READ BINARY (TS 102 221 §11.1.3): P1 b8 = 1 names the EF by SFI (b5–b1), P2 the offset. */
  #readBinary(command: CommandApdu, ctx: AppletContext): ResponseApdu {
    if (command.data.length !== 0) throw new CardException(SW.WRONG_LENGTH);
    let file: UiccFile | undefined;
    let offset: number;
    if ((command.p1 & 0x80) !== 0) {
      if ((command.p1 & 0x60) !== 0) throw new CardException(SW.INCORRECT_P1P2);
      file = (command.p1 & 0x1f) === ICCID_SFI ? this.#file(FID.EF_ICCID) : undefined;
      if (file === undefined) throw new CardException(SW.FILE_NOT_FOUND);
      this.#current.set(ctx.channel, file.fid); // the EF read by SFI becomes the current EF (ISO 7816-4 §7.2.2)
      offset = command.p2;
    } else {
      file = this.#file(this.#current.get(ctx.channel) ?? FID.MF);
      if (file?.kind !== 'ef') throw new CardException(SW.COMMAND_NOT_ALLOWED_NO_CURRENT_EF);
      offset = (command.p1 << 8) | command.p2;
    }
    const content = file.content ?? new Uint8Array(0);
    if (offset >= content.length) throw new CardException(SW.WRONG_P1P2, 'offset outside the EF');
    const available = content.length - offset;
    const wanted = command.ne ?? 256;
    // short Le 00 reads "up to 256"; a longer explicit Le than the file holds: the bytes there are, 6282
    const upTo = command.ne === undefined || (command.ne === 256 && !command.extended);
    const data = content.slice(offset, offset + Math.min(wanted, available));
    return responseApdu(data, wanted > available && !upTo ? SW.END_OF_DATA : SW.OK);
  }

  /** STATUS (TS 102 221 §11.1.2): P1 00/01/02 (application status indication), P2 00 FCP of the current DF, 0C no data. */
  #status(command: CommandApdu, _ctx: AppletContext): ResponseApdu {
    if (command.p1 > 0x02) throw new CardException(SW.INCORRECT_P1P2);
    if (command.data.length !== 0) throw new CardException(SW.WRONG_LENGTH);
    if (command.p2 === 0x00) return responseApdu(mfFcp(), SW.OK);
    if (command.p2 === P2_NO_DATA) return responseApdu(new Uint8Array(0), SW.OK);
    // P2 01 asks for the DF name of the current application: there is no ADF on this card
    throw new CardException(SW.INCORRECT_P1P2, 'STATUS P2 00 or 0C');
  }
}
