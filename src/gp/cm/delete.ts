import { commandApdu, type CommandApdu } from '../../apdu/index.ts';
import { assertBytes, assertInt } from '../../bytes/index.ts';
import { encodeTlvList, parseTlvList, tlv, type Tlv } from '../../tlv/index.ts';
import { assertAid, validAidLength } from './aid.ts';
import { P1_MORE_COMMANDS } from './chain.ts';
import { badArgument, badData, badHeader, guardCard } from './fail.ts';
import { expectCommand, gpCla, INS } from './header.ts';
import { dmTokenData } from './token.ts';

/** DELETE P2 b8: delete the object and its related objects (GPC 2.3.1 Table 11-22). */
export const DELETE_RELATED = 0x80;

/** What to delete (Tables 11-23, 11-24). */
export type DeleteRequest =
  | {
      readonly kind: 'card-content';
      /** '4F': Executable Load File or application AID. */
      readonly aid: Uint8Array;
      /** P2 b8: also delete related objects (a load file's applications). */
      readonly related?: boolean | undefined;
      /** 'B6' content: control reference template for digital signature. */
      readonly tokenCrt?: Uint8Array | undefined;
      /** '9E': Delete Token. */
      readonly token?: Uint8Array | undefined;
    }
  | {
      readonly kind: 'key';
      /** 'D0': key identifier. */
      readonly keyId?: number | undefined;
      /** 'D2': key version number. */
      readonly kvn?: number | undefined;
    };

function objects(request: DeleteRequest, withToken: boolean): Tlv[] {
  if (request.kind === 'key') {
    if (request.keyId === undefined && request.kvn === undefined) throw badArgument('DELETE [key]: give keyId and/or kvn');
    const out: Tlv[] = [];
    if (request.keyId !== undefined) {
      assertInt(request.keyId, 0, 0x7f, 'key identifier');
      out.push(tlv(0xd0, Uint8Array.of(request.keyId)));
    }
    if (request.kvn !== undefined) {
      assertInt(request.kvn, 0, 0x7f, 'key version number');
      out.push(tlv(0xd2, Uint8Array.of(request.kvn)));
    }
    return out;
  }
  assertAid(request.aid, 'DELETE AID');
  const out: Tlv[] = [tlv(0x4f, request.aid)];
  if (request.tokenCrt !== undefined) out.push(tlv(0xb6, request.tokenCrt));
  if (withToken && request.token !== undefined) {
    assertBytes(request.token, undefined, 'delete token');
    out.push(tlv(0x9e, request.token));
  }
  return out;
}

function p2Of(request: DeleteRequest): number {
  return request.kind === 'card-content' && request.related === true ? DELETE_RELATED : 0x00;
}

/**
 * Builds DELETE (GPC 2.3.1 §11.2, Tables 11-20..11-24): `80 E4 00 P2 Lc TLVs 00`, card content as
 * `4F AID [B6 CRT] [9E token]` (P2 '80' with related objects), a key as `D0 id` and/or `D2 KVN`.
 * @example buildDelete({ kind: 'card-content', aid, related: true }) // 80 E4 00 80 07 4F 05 … 00
 */
export function buildDelete(request: DeleteRequest, options: { cla?: number } = {}): CommandApdu {
  return commandApdu({ cla: gpCla(options.cla), ins: INS.DELETE, p1: 0x00, p2: p2Of(request), data: encodeTlvList(objects(request, true)), ne: 256 });
}

/** The Delete Token input (Appendix C.4.6, Table C-9): P1 P2 length 4F… [B6…], without '9E'. */
export function deleteTokenData(request: Extract<DeleteRequest, { kind: 'card-content' }>): Uint8Array {
  return dmTokenData(0x00, p2Of(request), encodeTlvList(objects(request, false)));
}

/**
 * Card side: parses DELETE (Tables 11-20..11-24). P1 b8 set means the chain is not reassembled
 * (6A86). Card content is `4F` (5–16 bytes) then optional `B6` and `9E`, in that order; a key is
 * `D0` and/or `D2` of one byte each; anything else answers 6A80.
 */
export function parseDeleteCommand(command: CommandApdu): DeleteRequest {
  expectCommand(command, INS.DELETE, 'DELETE');
  if ((command.p1 & P1_MORE_COMMANDS) !== 0) throw badHeader('DELETE: P1 b8 set; reassemble the chain first (§11.1.5.1)');
  return guardCard('DELETE', (): DeleteRequest => {
    const nodes = parseTlvList(command.data);
    const first = nodes[0];
    if (first === undefined) throw badData('DELETE: no data');
    if (first.tag === 0x4f) {
      if (!validAidLength(first.value.length)) throw badData(`DELETE: 4F of ${first.value.length} bytes (5-16)`);
      const rest = nodes.slice(1);
      const crt = rest[0]?.tag === 0xb6 ? rest.shift() : undefined;
      const token = rest[0]?.tag === 0x9e ? rest.shift() : undefined;
      if (rest.length > 0) throw badData('DELETE: only B6 and 9E may follow 4F (Table 11-23)');
      if (token?.value.length === 0) throw badData('DELETE: empty 9E token');
      return Object.freeze({
        kind: 'card-content',
        aid: first.value.slice(),
        related: (command.p2 & DELETE_RELATED) !== 0,
        tokenCrt: crt?.value.slice(),
        token: token?.value.slice(),
      });
    }
    const id = nodes.find((n) => n.tag === 0xd0);
    const kvn = nodes.find((n) => n.tag === 0xd2);
    const known = (id === undefined ? 0 : 1) + (kvn === undefined ? 0 : 1);
    if (known !== nodes.length || [id, kvn].some((n) => n !== undefined && (n.value.length !== 1 || n.value[0]! > 0x7f))) {
      throw badData('DELETE [key]: expected D0 and/or D2 of one byte each (Table 11-24)');
    }
    return Object.freeze({ kind: 'key', keyId: id?.value[0], kvn: kvn?.value[0] });
  });
}
