import { commandApdu, type CommandApdu } from '../../apdu/index.ts';
import { assertInt, concat } from '../../bytes/index.ts';
import { badArgument, badHeader, CM_SW } from './fail.ts';
import { hex2, INS, MAX_SHORT_DATA } from './header.ts';

/** Commands that chain with the P1 b8 "more commands" bit (GPC 2.3.1 §11.1.5.1). */
const CHAINED_INS: ReadonlySet<number> = new Set([INS.DELETE, INS.INSTALL, INS.PUT_KEY]);
/** P1 b8: more commands follow (Tables 11-21, 11-41, 11-65). */
export const P1_MORE_COMMANDS = 0x80;

/**
 * Splits a DELETE, INSTALL or PUT KEY command whose data exceeds `maxData` into a GP chain
 * (GPC 2.3.1 §11.1.5.1): same header, P1 b8 set on all but the last, data cut into pieces of at most
 * `maxData` bytes; Le only on the last. Secure messaging applies to the whole command before it is
 * split (same section), so wrap first, then split. A command that fits is returned alone.
 * @example splitGpChain(buildInstall(request), 239) // [80 E6 8C .., 80 E6 0C ..]
 */
export function splitGpChain(command: CommandApdu, maxData: number = MAX_SHORT_DATA): readonly CommandApdu[] {
  assertInt(maxData, 1, MAX_SHORT_DATA, 'maxData');
  if (!CHAINED_INS.has(command.ins)) throw badArgument(`INS ${hex2(command.ins)} does not use GP command chaining`);
  if ((command.p1 & P1_MORE_COMMANDS) !== 0) throw badArgument('command already has P1 b8 (more commands) set');
  if (command.data.length <= maxData) return Object.freeze([command]);
  const out: CommandApdu[] = [];
  for (let offset = 0; offset < command.data.length; offset += maxData) {
    const last = offset + maxData >= command.data.length;
    out.push(
      commandApdu({
        cla: command.cla,
        ins: command.ins,
        p1: last ? command.p1 : command.p1 | P1_MORE_COMMANDS,
        p2: command.p2,
        data: command.data.slice(offset, offset + maxData),
        ne: last ? command.ne : undefined,
      }),
    );
  }
  return Object.freeze(out);
}

/**
 * Card side: reassembles a GP command chain (GPC 2.3.1 §11.1.5.1). Feed every DELETE, INSTALL or
 * PUT KEY command; `accept` returns the complete command (P1 b8 cleared, data concatenated) on the
 * last one and `undefined` while more are expected. A command whose header differs from the first
 * (other than Lc and P1 b8) aborts the chain with 6985; going past `maxLength` bytes aborts it with
 * 6A86 ("chaining limit reached"). Any error resets the assembler.
 */
export class GpChainAssembler {
  readonly #maxLength: number;
  #first: CommandApdu | undefined;
  #parts: Uint8Array[] = [];
  #length = 0;

  constructor(maxLength = 0xffff) {
    assertInt(maxLength, 1, 0xffff, 'maxLength');
    this.#maxLength = maxLength;
  }

  /** True while a chain is open. */
  get pending(): boolean {
    return this.#first !== undefined;
  }

  /** Drops any open chain (new session, deselect, error). */
  reset(): void {
    this.#first = undefined;
    this.#parts = [];
    this.#length = 0;
  }

  accept(command: CommandApdu): CommandApdu | undefined {
    if (!CHAINED_INS.has(command.ins)) {
      this.reset();
      throw badHeader(`INS ${hex2(command.ins)} does not use GP command chaining`, CM_SW.WRONG_INS);
    }
    const first = this.#first ?? command;
    const same = first.cla === command.cla && first.ins === command.ins && first.p2 === command.p2 &&
      (first.p1 & ~P1_MORE_COMMANDS) === (command.p1 & ~P1_MORE_COMMANDS);
    if (!same) {
      this.reset();
      throw badHeader('chained command header differs from the first of the chain (§11.1.5.1)', CM_SW.CONDITIONS);
    }
    this.#length += command.data.length;
    if (this.#length > this.#maxLength) {
      this.reset();
      throw badHeader(`chained data exceeds ${this.#maxLength} bytes (§11.1.5.1)`, CM_SW.WRONG_P1P2);
    }
    this.#first = first;
    this.#parts.push(command.data);
    if ((command.p1 & P1_MORE_COMMANDS) !== 0) return undefined;
    const data = concat(...this.#parts);
    this.reset();
    return commandApdu({ cla: command.cla, ins: command.ins, p1: command.p1, p2: command.p2, data, ne: command.ne });
  }
}
