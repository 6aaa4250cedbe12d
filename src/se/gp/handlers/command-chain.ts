/**
 * GlobalPlatform command chaining on the card (GPC 2.3.1 §11.1.5.1) for DELETE, INSTALL and PUT
 * KEY. Secure messaging covers the whole command before it is cut (the C-MAC sits at the end of the
 * last segment, computed with a 3-byte length), so the Security Domain reassembles the segments
 * *before* it unwraps them, then verifies and processes the complete command once.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { GpChainAssembler, INS, P1_MORE_COMMANDS } from '../../../gp/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { SdChannelState } from '../channel-state.ts';

const CHAINED: ReadonlySet<number> = new Set([INS.DELETE, INS.INSTALL, INS.PUT_KEY]);

/** What the gate does with a command: process it (the complete command) or answer at once. */
export type ChainStep = { readonly kind: 'complete'; readonly command: CommandApdu } | { readonly kind: 'answer'; readonly response: ResponseApdu };

/**
 * Feeds one raw (still wrapped) command to the channel's chain. Returns the complete command to
 * unwrap and process, or the answer to a segment that is not the last: 9000 without data and
 * without R-MAC (§11.1.5.1). A command that does not belong to the open chain aborts it with 6985;
 * the assembler answers 6A86 past its length limit. `authenticated` guards the buffer: a chain is
 * only accepted inside an authenticated secure channel (Table 11-2), otherwise 6982 at once.
 */
export function chainStep(channel: SdChannelState, command: CommandApdu, authenticated: boolean): ChainStep {
  const chain = channel.chain;
  const more = (command.p1 & P1_MORE_COMMANDS) !== 0;
  if (!CHAINED.has(command.ins)) {
    if (chain?.pending === true) {
      chain.reset();
      throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'a chained command sequence was interrupted (§11.1.5.1)');
    }
    return { kind: 'complete', command };
  }
  if (!more && chain?.pending !== true) return { kind: 'complete', command };
  if (!authenticated) {
    chain?.reset();
    throw new CardException(SW.SECURITY_STATUS_NOT_SATISFIED, 'command chaining needs an authenticated secure channel (GPC 2.3.1 Table 11-2)');
  }
  const assembler = chain ?? new GpChainAssembler();
  channel.chain = assembler;
  const whole = assembler.accept(command);
  return whole === undefined ? { kind: 'answer', response: responseApdu(new Uint8Array(0), SW.OK) } : { kind: 'complete', command: whole };
}
