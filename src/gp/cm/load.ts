import { commandApdu, type CommandApdu } from '../../apdu/index.ts';
import { assertBytes } from '../../bytes/index.ts';
import { encodeTlvList, parseTlvList, tlv, type Tlv } from '../../tlv/index.ts';
import { assertAid, isAid } from './aid.ts';
import { splitBlocks } from './blocks.ts';
import { badArgument, badData, CM_SW, guardCard } from './fail.ts';
import { expectCommand, gpCla, INS } from './header.ts';

/** LOAD P1 (GPC 2.3.1 Table 11-57): b8 set on the last block. */
export const LOAD_LAST_BLOCK = 0x80;

/** A DAP block (Table 11-58): the verifying Security Domain and its signature of the LFDB hash (C.3). */
export interface DapBlock {
  readonly securityDomainAid: Uint8Array;
  readonly signature: Uint8Array;
}

/** The content of a Load File (Table 11-58): DAP blocks, then a plain or a ciphered LFDB. */
export interface LoadFile {
  readonly dapBlocks: readonly DapBlock[];
  /** 'C4': the Load File Data Block. */
  readonly lfdb?: Uint8Array | undefined;
  /** 'D4': the ciphered Load File Data Block (Ciphered Load File Data Block privilege, C.6). */
  readonly cipheredLfdb?: Uint8Array | undefined;
  /** 'D3': ICV for the ciphered LFDB (8 or 16 bytes), optional. */
  readonly icv?: Uint8Array | undefined;
}

/**
 * Builds the Load File (GPC 2.3.1 §11.6.2.3, Table 11-58): `E2 { 4F AID, C3 signature }*` first,
 * then `C4 len LFDB` (or `[D3 ICV] D4 len ciphered`), BER lengths (`C4 81 D3 …`, `C4 82 xx xx …`).
 * @example buildLoadFile({ dapBlocks: [], lfdb }) // C4 81 D3 01 00 0F DE CA FF ED …
 */
export function buildLoadFile(file: LoadFile): Uint8Array {
  const nodes: Tlv[] = [];
  for (const dap of file.dapBlocks) {
    assertAid(dap.securityDomainAid, 'DAP security domain AID');
    assertBytes(dap.signature, undefined, 'DAP signature');
    if (dap.signature.length === 0) throw badArgument('DAP signature is empty');
    nodes.push(tlv(0xe2, [tlv(0x4f, dap.securityDomainAid), tlv(0xc3, dap.signature)]));
  }
  if ((file.lfdb === undefined) === (file.cipheredLfdb === undefined)) throw badArgument('load file: give exactly one of lfdb or cipheredLfdb');
  if (file.lfdb !== undefined) {
    if (file.icv !== undefined) throw badArgument('load file: an ICV goes only with a ciphered LFDB');
    nodes.push(tlv(0xc4, file.lfdb));
  } else {
    if (file.icv !== undefined) {
      assertBytes(file.icv, [8, 16], 'ICV'); // Table 11-58: 'D3' is 8 or 16 bytes
      nodes.push(tlv(0xd3, file.icv));
    }
    nodes.push(tlv(0xd4, file.cipheredLfdb));
  }
  return encodeTlvList(nodes);
}

/**
 * Splits a Load File into LOAD commands (GPC 2.3.1 §11.6, Tables 11-56..11-57): `80 E8 P1 P2 Lc
 * block 00`, P2 numbering blocks '00'..'FF', P1 '80' on the last. `blockSize` is the plain data per
 * command: leave room for the secure channel (`maxPlainBlockSize`) and the card's '9F65'. Objects may
 * straddle blocks (GPPro does the same). More than 256 blocks is refused.
 */
export function buildLoadCommands(loadFile: Uint8Array, blockSize: number, options: { cla?: number } = {}): readonly CommandApdu[] {
  const cla = gpCla(options.cla);
  if (loadFile.length === 0) throw badArgument('load file is empty');
  const blocks = splitBlocks(loadFile, blockSize, 'load file');
  return Object.freeze(blocks.map((data, i) =>
    commandApdu({ cla, ins: INS.LOAD, p1: i === blocks.length - 1 ? LOAD_LAST_BLOCK : 0x00, p2: i, data, ne: 256 })));
}

/** A parsed LOAD command (card side). */
export interface LoadCommand {
  readonly kind: 'load';
  readonly last: boolean;
  readonly blockNumber: number;
  readonly data: Uint8Array;
}

/**
 * Card side: parses one LOAD command (Tables 11-56, 11-57). RFU bits of P1 are ignored; an empty
 * block answers 6700. Feed the result to a `BlockAssembler`, which enforces the numbering.
 */
export function parseLoadCommand(command: CommandApdu): LoadCommand {
  expectCommand(command, INS.LOAD, 'LOAD');
  if (command.data.length === 0) throw badData('LOAD: empty block', CM_SW.WRONG_LENGTH);
  return Object.freeze({ kind: 'load', last: (command.p1 & LOAD_LAST_BLOCK) !== 0, blockNumber: command.p2, data: command.data.slice() });
}

/**
 * Card side: splits a reassembled Load File into its parts (Table 11-58): DAP blocks 'E2' each with
 * '4F' (5–16 bytes) and 'C3', all before exactly one 'C4', or before an optional 'D3' (8/16 bytes)
 * and one 'D4'. Anything else, or anything after the data block, answers 6A80.
 */
export function parseLoadFile(bytes: Uint8Array): LoadFile {
  assertBytes(bytes, undefined, 'load file');
  return guardCard('load file', () => {
    const nodes = parseTlvList(bytes);
    const dapBlocks: DapBlock[] = [];
    let i = 0;
    for (; nodes[i]?.tag === 0xe2; i++) {
      const kids = nodes[i]!.children ?? [];
      const aid = kids.find((k) => k.tag === 0x4f)?.value;
      const signature = kids.find((k) => k.tag === 0xc3)?.value;
      if (!isAid(aid) || signature === undefined || signature.length === 0 || kids.length !== 2) {
        throw badData('load file: a DAP block needs 4F (5-16 bytes) and C3');
      }
      dapBlocks.push(Object.freeze({ securityDomainAid: aid.slice(), signature: signature.slice() }));
    }
    let icv: Uint8Array | undefined;
    if (nodes[i]?.tag === 0xd3) {
      icv = nodes[i]!.value.slice();
      if (icv.length !== 8 && icv.length !== 16) throw badData('load file: D3 ICV must be 8 or 16 bytes');
      i++;
    }
    const block = nodes[i];
    const ok = block !== undefined && i === nodes.length - 1 && (block.tag === 0xd4 || (block.tag === 0xc4 && icv === undefined));
    if (!ok) throw badData('load file: expected E2* then C4, or E2* [D3] D4, and nothing after');
    return Object.freeze({
      dapBlocks: Object.freeze(dapBlocks),
      lfdb: block.tag === 0xc4 ? block.value.slice() : undefined,
      cipheredLfdb: block.tag === 0xd4 ? block.value.slice() : undefined,
      icv,
    });
  });
}
