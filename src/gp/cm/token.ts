import { assertBytes, assertInt, concat } from '../../bytes/index.ts';
import { badArgument } from './fail.ts';
import { P1_MORE_COMMANDS } from './chain.ts';

/**
 * The data a Delegated Management token signs (GPC 2.3.1 Appendix C.4, Tables C-4..C-10; gp.md
 * §4.13): `P1 ‖ P2 ‖ length ‖ data`, where `data` is the command data without the token and without
 * the token's length field (INSTALL) or its '9E' object (DELETE), and `length` is that data's length
 * on 1 byte up to 255, else on 3 bytes `00 xx xx` (C.4: "as for the last command of the sequence").
 * P1's "more commands" bit is cleared, as for the last command of a chain. Signing belongs to the HSM.
 * @example dmTokenData(0x02, 0x00, installForLoadDataWithoutToken)
 */
export function dmTokenData(p1: number, p2: number, data: Uint8Array): Uint8Array {
  assertInt(p1, 0, 0xff, 'P1');
  assertInt(p2, 0, 0xff, 'P2');
  assertBytes(data, undefined, 'token input data');
  if (data.length > 0xffff) throw badArgument(`token input data: ${data.length} bytes (at most 65535)`);
  const length = data.length <= 0xff ? Uint8Array.of(data.length) : Uint8Array.of(0, data.length >> 8, data.length & 0xff);
  return concat(Uint8Array.of(p1 & ~P1_MORE_COMMANDS, p2), length, data);
}
