/**
 * What the ARA-M and the ARA-C share (GP SEAC v1.1 ch. 5): a rule store personalized through the
 * owning Security Domain with INSTALL [for personalization] + STORE DATA (GPC 2.3.1 §7.3.2), the
 * command data objects of store-commands.ts, and STORE DATA blocks that may cut a command data
 * object (GPC 2.3.1 §11.11.2.3; the cut part is carried over to the next block). Each block's objects
 * apply together or not at all, and only a block that completes stores anything. The role decides
 * which command objects the store accepts (store-commands.ts).
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { concat } from '../../../bytes/index.ts';
import { GpError, parseStoreDataCommand } from '../../../gp/index.ts';
import type { Tlv } from '../../../tlv/index.ts';
import type { Applet, AppletContext, PersonalizationContext } from '../../runtime/applet.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { loadAraState, type AraState } from './ara-state.ts';
import { badData, parseOne } from './data-objects.ts';
import { Pager } from './pager.ts';
import { applyCommand, ARA_COMMAND, type AraRole } from './store-commands.ts';

/** STORE DATA responses stay under 256 bytes after SCP03 R-MAC (8) and R-ENC padding (to 16). */
const STORE_DATA_PAGE = 224;
/** Largest command data object a STORE DATA sequence may build across blocks. */
const MAX_ASSEMBLY = 16 * 1024 + 64;

/** GET DATA and STORE DATA instruction bytes (ISO/IEC 7816-4 Table 4; GPC 2.3.1 §11.11). */
export const INS_GET_DATA = 0xca;
export const INS_STORE_DATA = 0xe2;

/** The rule store and its STORE DATA personalization, common to the ARA-M and the ARA-C. */
export abstract class AraRuleStoreApplet implements Applet {
  readonly #storeDataPages = new Pager();
  /** Per channel: bytes of a command DO cut across STORE DATA blocks. */
  readonly #carry = new Map<number, Uint8Array>();
  /** Which command objects this store accepts. */
  protected abstract readonly role: AraRole;

  abstract select(command: CommandApdu, ctx: AppletContext): ResponseApdu;
  abstract process(command: CommandApdu, ctx: AppletContext): ResponseApdu;

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
    // the rules are BER-TLV in the clear (SEAC §5.1); DGI or encrypted data is not an ARA format
    if (block.format === 'dgi' || block.encryption !== 'none') throw new CardException(SW.INCORRECT_P1P2, 'ARA: STORE DATA carries plain BER-TLV');
    const carried = block.blockNumber === 0 ? new Uint8Array(0) : (this.#carry.get(ctx.channel) ?? new Uint8Array(0));
    const buffer = concat(carried, block.data);
    const { complete, rest } = splitCommandObjects(buffer);
    if (block.last && rest.length !== 0) badData('the last STORE DATA block ends inside a command data object');
    if (block.last && buffer.length === 0) badData('STORE DATA without a command data object');
    let state: AraState = loadAraState(ctx.persistent);
    let changed = false;
    const responses: Uint8Array[] = [];
    for (const node of complete) {
      const outcome = applyCommand(state, node, this.role);
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
