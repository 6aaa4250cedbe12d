/**
 * Reassembly of the DGIs of a STORE DATA sequence (EMV CPS v1.1 §4.3; GPC 2.3.1 §11.11.2.3: one DGI
 * may be cut across blocks, its length field giving the whole length). Each block's complete DGIs
 * are handed over; an incomplete tail is carried to the next block of the sequence on the same
 * logical channel. Shared by the payment applet and the PPSE.
 */
import { SW, type CommandApdu } from '../../../apdu/index.ts';
import { concat } from '../../../bytes/index.ts';
import { GpError, parseStoreDataCommand, type StoreDataCommand } from '../../../gp/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { StoredDgi } from './payment-state.ts';

/** Largest DGI value accepted (a 2048-bit certificate record fits many times over). */
const MAX_DGI_LENGTH = 4096;

/** The STORE DATA header as the applet reads it; RFU codings and non-DGI formats answer 6A86. */
export function parseDgiStoreData(command: CommandApdu): StoreDataCommand {
  let block: StoreDataCommand;
  try {
    block = parseStoreDataCommand(command);
  } catch (e) {
    if (e instanceof GpError) throw new CardException(e.sw ?? SW.INCORRECT_P1P2, 'STORE DATA: bad header');
    throw e;
  }
  // EMV CPS v1.1 §4.3: personalization data is in DGI format (P1 b5b4 = 01)
  if (block.format !== 'dgi') throw new CardException(SW.INCORRECT_P1P2, 'STORE DATA: DGI format expected');
  return block;
}

/** Per-channel carry of an incomplete DGI between STORE DATA blocks (volatile, like the SD's block counter). */
export class DgiStream {
  readonly #carry = new Map<number, Uint8Array>();

  /** The complete DGIs of `block` (with the carried bytes in front); refuses a last block ending inside a DGI. */
  take(channel: number, block: StoreDataCommand): StoredDgi[] {
    const carried = block.blockNumber === 0 ? new Uint8Array(0) : (this.#carry.get(channel) ?? new Uint8Array(0));
    const buffer = concat(carried, block.data);
    const out: StoredDgi[] = [];
    let pos = 0;
    for (;;) {
      const header = headerAt(buffer, pos);
      if (header === undefined || pos + header.size + header.length > buffer.length) break;
      const start = pos + header.size;
      out.push({ dgi: header.dgi, value: buffer.slice(start, start + header.length) });
      pos = start + header.length;
    }
    const rest = buffer.slice(pos);
    if (block.last && rest.length !== 0) throw new CardException(SW.INCORRECT_DATA, 'STORE DATA: the last block ends inside a DGI');
    if (block.last) this.#carry.delete(channel);
    else this.#carry.set(channel, rest);
    return out;
  }

  /** Forgets the channel's carry (a refused block ends the sequence; GPC 2.3.1 §11.11.2.2). */
  reset(channel: number): void {
    this.#carry.delete(channel);
  }
}

/** DGI number, header size and value length at `pos` (EMV CPS v1.1: length 00–FE, or FF ‖ 2 bytes), or undefined if not all there. */
function headerAt(buffer: Uint8Array, pos: number): { dgi: number; size: number; length: number } | undefined {
  if (pos + 3 > buffer.length) return undefined;
  const dgi = (buffer[pos]! << 8) | buffer[pos + 1]!;
  const first = buffer[pos + 2]!;
  if (first !== 0xff) return { dgi, size: 3, length: first };
  if (pos + 5 > buffer.length) return undefined;
  const length = (buffer[pos + 3]! << 8) | buffer[pos + 4]!;
  if (length < 0xff) throw new CardException(SW.INCORRECT_DATA, 'STORE DATA: non-minimal DGI length');
  if (length > MAX_DGI_LENGTH) throw new CardException(SW.NOT_ENOUGH_MEMORY, 'STORE DATA: DGI too long');
  return { dgi, size: 5, length };
}
