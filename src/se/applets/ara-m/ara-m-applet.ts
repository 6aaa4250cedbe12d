/**
 * The Access Rule Application Master (GlobalPlatform Secure Element Access Control v1.1, "SEAC"),
 * instance AID A00000015141434C00 (SEAC v1.0 §7.1.3; the AID AOSP telephony and pySim select).
 *
 * - The device reads rules with GET DATA on any logical channel (see get-data.ts).
 * - Rules change only through STORE DATA forwarded by the owning Security Domain after INSTALL [for
 *   personalization], i.e. inside its secure channel (SEAC §5.1: remote management only through
 *   GP secure channel protocols). A STORE DATA sent straight to the selected ARA-M answers 6982.
 * - STORE DATA blocks carry whole command data objects; one cut across blocks (GPC 2.3.1
 *   §11.11.2.3) is carried over to the next block. Each block's objects apply together or not at
 *   all, and only a block that completes stores anything.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { concat, fromHex } from '../../../bytes/index.ts';
import { encodeFci, GpError, parseStoreDataCommand } from '../../../gp/index.ts';
import type { Tlv } from '../../../tlv/index.ts';
import type { Applet, AppletContext, PersonalizationContext } from '../../runtime/applet.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { decodeCla } from '../../runtime/cla.ts';
import { loadAraState, type AraState } from './ara-state.ts';
import { badData, parseOne } from './data-objects.ts';
import { araGetData } from './get-data.ts';
import { Pager } from './pager.ts';
import { applyCommand, ARA_COMMAND } from './store-commands.ts';

/** The ARA-M instance AID (SEAC v1.0 §7.1.3). */
export const ARA_M_AID: Uint8Array = fromHex('A00000015141434C00');

/** STORE DATA responses stay under 256 bytes after SCP03 R-MAC (8) and R-ENC padding (to 16). */
const STORE_DATA_PAGE = 224;
/** Largest command data object a STORE DATA sequence may build across blocks. */
const MAX_ASSEMBLY = 16 * 1024 + 64;

const INS_GET_DATA = 0xca;
const INS_STORE_DATA = 0xe2;

export class AraMApplet implements Applet {
  /** The device's access control enforcer may read rules on several channels at once (SEAC §4.1). */
  readonly multiselectable = true;
  readonly #getDataPages = new Pager();
  readonly #storeDataPages = new Pager();
  /** Per channel: bytes of a command DO cut across STORE DATA blocks. */
  readonly #carry = new Map<number, Uint8Array>();

  select(_command: CommandApdu, ctx: AppletContext): ResponseApdu {
    this.#getDataPages.clear(ctx.channel);
    return responseApdu(encodeFci({ aid: ctx.aid, maxCommandDataLength: 255 }), SW.OK);
  }

  deselect(ctx: AppletContext): void {
    this.#getDataPages.clear(ctx.channel);
  }

  process(command: CommandApdu, ctx: AppletContext): ResponseApdu {
    const cla = decodeCla(command.cla);
    if (cla === undefined || !cla.proprietary) throw new CardException(SW.CLA_NOT_SUPPORTED, 'ARA-M: GET DATA uses the proprietary class 80');
    if (cla.secureMessaging) throw new CardException(SW.SECURE_MESSAGING_NOT_SUPPORTED);
    if (command.ins === INS_STORE_DATA) {
      throw new CardException(SW.SECURITY_STATUS_NOT_SATISFIED, 'ARA-M: rules are stored only through the owning Security Domain');
    }
    if (command.ins !== INS_GET_DATA) throw new CardException(SW.INS_NOT_SUPPORTED);
    const outcome = araGetData(command, loadAraState(ctx.persistent), this.#getDataPages, ctx.channel);
    if (outcome.state !== undefined) ctx.setPersistent(outcome.state);
    return outcome.response;
  }

  storeData(command: CommandApdu, ctx: PersonalizationContext): ResponseApdu {
    try {
      return this.#storeData(command, ctx);
    } catch (e) {
      this.#carry.delete(ctx.channel); // a refused block ends the sequence
      if (e instanceof GpError) throw new CardException(e.sw ?? SW.INCORRECT_P1P2, e.message);
      throw e;
    }
  }

  #storeData(command: CommandApdu, ctx: PersonalizationContext): ResponseApdu {
    const block = parseStoreDataCommand(command);
    // the rules are BER-TLV in the clear (SEAC §5.1); DGI or encrypted data is not an ARA-M format
    if (block.format === 'dgi' || block.encryption !== 'none') throw new CardException(SW.INCORRECT_P1P2, 'ARA-M: STORE DATA carries plain BER-TLV');
    const carried = block.blockNumber === 0 ? new Uint8Array(0) : (this.#carry.get(ctx.channel) ?? new Uint8Array(0));
    const buffer = concat(carried, block.data);
    const { complete, rest } = splitCommandObjects(buffer);
    if (block.last && rest.length !== 0) badData('the last STORE DATA block ends inside a command data object');
    if (block.last && buffer.length === 0) badData('STORE DATA without a command data object');
    let state: AraState = loadAraState(ctx.persistent);
    let changed = false;
    const responses: Uint8Array[] = [];
    for (const node of complete) {
      const outcome = applyCommand(state, node);
      state = outcome.state;
      changed ||= outcome.changed;
      if (outcome.response !== undefined) responses.push(outcome.response);
      if (outcome.listing !== undefined) responses.push(this.#storeDataPages.start(ctx.channel, outcome.listing, STORE_DATA_PAGE, state.refreshTag));
      if (outcome.next === true) responses.push(this.#storeDataPages.next(ctx.channel, STORE_DATA_PAGE, state.refreshTag));
    }
    if (changed) ctx.setPersistent(state);
    if (block.last) this.#carry.delete(ctx.channel);
    else this.#carry.set(ctx.channel, rest);
    return responseApdu(concat(...responses), SW.OK);
  }
}

/**
 * Splits `buffer` into the complete command data objects at its front and an incomplete tail. The
 * command DOs have one-byte tags and lengths of at most three bytes (81/82/83); anything else, or a
 * declared length beyond what the ARA-M can hold, is refused before it is buffered.
 */
export function splitCommandObjects(buffer: Uint8Array): { complete: Tlv[]; rest: Uint8Array } {
  const complete: Tlv[] = [];
  let pos = 0;
  for (;;) {
    const header = headerAt(buffer, pos);
    if (header === undefined || pos + header.size + header.length > buffer.length) break;
    const end = pos + header.size + header.length;
    complete.push(parseOne(buffer.subarray(pos, end), 'STORE DATA command object', { opaqueTags: [ARA_COMMAND.BLOCK_DO] }));
    pos = end;
  }
  if (buffer.length > MAX_ASSEMBLY) throw new CardException(SW.NOT_ENOUGH_MEMORY, 'ARA-M: STORE DATA sequence too long');
  return { complete, rest: buffer.slice(pos) };
}

/** The tag+length size and the value length at `pos`, or undefined if the header is not all there. */
function headerAt(buffer: Uint8Array, pos: number): { size: number; length: number } | undefined {
  if (pos + 2 > buffer.length) return undefined;
  const tag = buffer[pos]!;
  if ((tag & 0x1f) === 0x1f) badData('STORE DATA command objects have one-byte tags');
  const first = buffer[pos + 1]!;
  if (first < 0x80) return { size: 2, length: first };
  const n = first & 0x7f;
  if (n === 0 || n > 3) badData('STORE DATA command object: invalid length field');
  if (pos + 2 + n > buffer.length) return undefined;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + buffer[pos + 2 + i]!;
  if (length > MAX_ASSEMBLY) throw new CardException(SW.NOT_ENOUGH_MEMORY, 'ARA-M: command data object too long');
  return { size: 2 + n, length };
}
