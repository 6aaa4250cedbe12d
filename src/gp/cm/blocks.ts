import { assertBytes, assertInt, concat } from '../../bytes/index.ts';
import { badArgument, badData, badHeader, CM_SW } from './fail.ts';
import { MAX_SHORT_DATA } from './header.ts';

/** LOAD and STORE DATA number their blocks in P2 from '00' to 'FF' (GPC 2.3.1 §11.6.2.2, §11.11.2.2). */
export const MAX_BLOCKS = 256;

/**
 * The largest plain data field that still fits in `limit` bytes once a secure channel has added its
 * MAC and, when `paddedBlockSize` is given, ISO 9797-1 method 2 padding before encryption (which
 * always adds 1 to `paddedBlockSize` bytes). gp.md §1.1: budget for the overhead before splitting.
 * @example maxPlainBlockSize({ macLength: 8, paddedBlockSize: 16 }) // 239 (SCP03 C-MAC + C-DEC)
 * @example maxPlainBlockSize({ macLength: 8 }) // 247 (C-MAC only)
 */
export function maxPlainBlockSize(options: { limit?: number; macLength: number; paddedBlockSize?: number }): number {
  const limit = options.limit ?? MAX_SHORT_DATA;
  assertInt(limit, 1, 65535, 'limit');
  assertInt(options.macLength, 0, 32, 'macLength');
  const room = limit - options.macLength;
  if (options.paddedBlockSize === undefined) {
    if (room < 1) throw badArgument('no room for data after the MAC');
    return room;
  }
  assertInt(options.paddedBlockSize, 8, 16, 'paddedBlockSize');
  const blocks = Math.floor(room / options.paddedBlockSize);
  if (blocks < 1) throw badArgument('no room for data after padding and MAC');
  return blocks * options.paddedBlockSize - 1; // pad80 adds at least one byte
}

/**
 * Cuts `data` into blocks of `blockSize` bytes (the last may be shorter), refusing more than
 * {@link MAX_BLOCKS} blocks (P2 is one byte). An empty input gives one empty block.
 */
export function splitBlocks(data: Uint8Array, blockSize: number, what: string): readonly Uint8Array[] {
  assertBytes(data, undefined, what);
  assertInt(blockSize, 1, MAX_SHORT_DATA, 'blockSize');
  const count = Math.max(1, Math.ceil(data.length / blockSize));
  if (count > MAX_BLOCKS) {
    throw badArgument(`${what}: ${data.length} bytes need ${count} blocks of ${blockSize}, more than ${MAX_BLOCKS} (P2 is one byte)`);
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(data.slice(i * blockSize, (i + 1) * blockSize));
  return Object.freeze(out);
}

/**
 * Card side: collects numbered blocks (LOAD §11.6.2.2, STORE DATA §11.11.2.2). Block numbers must
 * run 0, 1, 2, … without gaps or repeats; a wrong number answers 6A86 and resets the sequence
 * (gp.md §6: "reset load state on error"). `accept` returns the concatenated data on the last block.
 */
export class BlockAssembler {
  readonly #maxLength: number;
  #next = 0;
  #parts: Uint8Array[] = [];
  #length = 0;

  constructor(readonly what: string, maxLength = MAX_BLOCKS * MAX_SHORT_DATA) {
    assertInt(maxLength, 1, MAX_BLOCKS * 0xffff, 'maxLength');
    this.#maxLength = maxLength;
  }

  /** The block number expected next (0 when no sequence is open). */
  get expected(): number {
    return this.#next;
  }

  /** Drops the open sequence. */
  reset(): void {
    this.#next = 0;
    this.#parts = [];
    this.#length = 0;
  }

  accept(blockNumber: number, last: boolean, data: Uint8Array): Uint8Array | undefined {
    if (blockNumber !== this.#next) {
      const expected = this.#next;
      this.reset();
      throw badHeader(`${this.what}: block ${blockNumber} received, ${expected} expected`, CM_SW.WRONG_P1P2);
    }
    this.#length += data.length;
    if (this.#length > this.#maxLength) {
      this.reset();
      throw badData(`${this.what}: more than ${this.#maxLength} bytes`, CM_SW.WRONG_DATA);
    }
    this.#parts.push(data);
    if (last) {
      const all = concat(...this.#parts);
      this.reset();
      return all;
    }
    if (this.#next === MAX_BLOCKS - 1) {
      this.reset();
      throw badHeader(`${this.what}: block FF is not marked last`, CM_SW.WRONG_P1P2);
    }
    this.#next++;
    return undefined;
  }
}
