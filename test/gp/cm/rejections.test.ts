/**
 * Card-side refusals with the status word the card must answer: gp.md §6 for INSTALL LV fields
 * (AID < 5 or > 16, privileges length not 1 or 3, missing C9 → 6A80), bad P1/P2 (6A86), bad
 * lengths (6700), chain and block sequencing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { commandApdu } from '../../../src/apdu/index.ts';
import { fromHex } from '../../../src/bytes/index.ts';
import {
  BlockAssembler,
  buildInstall,
  buildLoadCommands,
  CM_SW,
  GpChainAssembler,
  parseDeleteCommand,
  parseGetStatusCommand,
  parseInstallCommand,
  parseLoadCommand,
  parseLoadFile,
  parsePutKeyCommand,
  parseSelectCommand,
  parseSetStatusCommand,
  parseStoreDataCommand,
} from '../../../src/gp/index.ts';
import { gpError } from './helpers.ts';

const install = (p1: number, data: string, p2 = 0) => commandApdu({ cla: 0x80, ins: 0xe6, p1, p2, data: fromHex(data.replace(/\s+/g, '')), ne: 256 });
const A5 = '05 0102030405';
const A8 = '08 0102030405060708';
const DATA = gpError('ERR_GP_PARSE', CM_SW.WRONG_DATA);
const P1P2 = gpError('ERR_GP_PARAM', CM_SW.WRONG_P1P2);

describe('INSTALL LV fields (gp.md §6, Tables 11-42..11-47) → 6A80', () => {
  const cases: [string, number, string][] = [
    ['[for load] load file AID of 4 bytes', 0x02, '04 01020304 00 00 00 00'],
    ['[for load] load file AID of 17 bytes', 0x02, '11 0102030405060708090A0B0C0D0E0F1011 00 00 00 00'],
    ['[for load] SD AID of 3 bytes', 0x02, `${A5} 03 010203 00 00 00`],
    ['[for load] hash length above 7F', 0x02, `${A5} 00 80 ${'00'.repeat(128)} 00 00`],
    ['[for load] parameters that are not TLV', 0x02, `${A5} 00 00 02 FFFF 00`],
    ['[for load] non-minimal parameter length 81 05', 0x02, `${A5} 00 00 81 05 C9 03 010203 00`],
    ['[for load] length form 83', 0x02, `${A5} 00 00 83 000001 00 00`],
    ['[for load] bytes after the token', 0x02, `${A5} 00 00 00 00 FF`],
    ['[for load] truncated token', 0x02, `${A5} 00 00 00 05 0102`],
    ['[for install] application AID of 4 bytes', 0x0c, `${A5} ${A8} 04 01020304 01 00 02 C900 00`],
    ['[for install] empty application AID', 0x0c, `${A5} ${A8} 00 01 00 02 C900 00`],
    ['[for install] privileges of 2 bytes', 0x0c, `${A5} ${A8} ${A8} 02 0000 02 C900 00`],
    ['[for install] privileges of 0 bytes', 0x0c, `${A5} ${A8} ${A8} 00 02 C900 00`],
    ['[for install] privileges of 4 bytes', 0x0c, `${A5} ${A8} ${A8} 04 00000000 02 C900 00`],
    ['[for install] no C9 in install parameters', 0x0c, `${A5} ${A8} ${A8} 01 00 04 EF02CF40 00`],
    ['[for install] empty install parameters', 0x0c, `${A5} ${A8} ${A8} 01 00 00 00`],
    ['[for install] empty load file AID outside the combined command', 0x0c, `00 ${A8} ${A8} 01 00 02 C900 00`],
    ['[for install] Card Reset without make selectable (§11.5.2.3.2)', 0x04, `${A5} ${A8} ${A8} 03 040000 02 C900 00`],
    ['[for make selectable] first length not 00', 0x08, `01 00 ${A8} 01 00 00 00`],
    ['[for extradition] SD AID empty', 0x10, `00 00 ${A8} 00 00 00`],
    ['[for registry update] privileges of 2 bytes', 0x40, `00 00 ${A8} 02 0000 00 00`],
    ['[for personalization] trailing byte', 0x20, `00 00 ${A8} 00 00 00 00`],
    ['[for personalization] AID of 17 bytes', 0x20, `00 00 11 ${'01'.repeat(17)} 00 00 00`],
    ['empty data', 0x02, ''],
  ];
  for (const [name, p1, data] of cases) it(name, () => assert.throws(() => parseInstallCommand(install(p1, data)), DATA));
  it('the same fields in their valid form parse', () => {
    assert.equal(parseInstallCommand(install(0x0c, `${A5} ${A8} ${A8} 01 00 02 C900 00`)).kind, 'install');
    assert.equal(parseInstallCommand(install(0x0c, `${A5} ${A8} ${A8} 03 000000 81 80 C9 7E ${'00'.repeat(126)} 80 ${'AA'.repeat(128)}`)).kind, 'install');
  });
});

describe('INSTALL header → 6A86', () => {
  for (const [name, p1, p2] of [
    ['P1 06 (not a role of Table 11-41)', 0x06, 0x00],
    ['P1 00', 0x00, 0x00],
    ['P1 b8 (chain not reassembled)', 0x82, 0x00],
    ['P2 01 without P1 0E', 0x02, 0x01],
    ['P1 0E with P2 00', 0x0e, 0x00],
    ['P1 0E with P2 02', 0x0e, 0x02],
  ] as const) {
    it(name, () => assert.throws(() => parseInstallCommand(install(p1, `${A5} 00 00 00 00`, p2)), P1P2));
  }
  it('wrong CLA → 6E00, wrong INS → 6D00', () => {
    assert.throws(() => parseInstallCommand(commandApdu({ cla: 0x00, ins: 0xe6, p1: 2, p2: 0, data: fromHex('00') })), gpError('ERR_GP_PARAM', CM_SW.WRONG_CLA));
    assert.throws(() => parseInstallCommand(commandApdu({ cla: 0x80, ins: 0xe8, p1: 2, p2: 0, data: fromHex('00') })), gpError('ERR_GP_PARAM', CM_SW.WRONG_INS));
  });
});

describe('other card-side parsers', () => {
  const cmd = (cla: number, ins: number, p1: number, p2: number, data = '') => commandApdu({ cla, ins, p1, p2, data: fromHex(data) });
  it('SELECT: P1 other than 04, P2 other than 00/02 → 6A86; name over 16 bytes → 6700', () => {
    assert.throws(() => parseSelectCommand(cmd(0, 0xa4, 0x00, 0x00, 'A000000151')), P1P2);
    assert.throws(() => parseSelectCommand(cmd(0, 0xa4, 0x04, 0x0c, 'A000000151')), P1P2);
    assert.throws(() => parseSelectCommand(cmd(0, 0xa4, 0x04, 0x00, '01'.repeat(17))), gpError('ERR_GP_PARSE', CM_SW.WRONG_LENGTH));
  });
  it('GET STATUS: P1 C0 → 6A86, next for the ISD → 6A86, no 4F or 4F over 16 bytes → 6A80', () => {
    assert.throws(() => parseGetStatusCommand(cmd(0x80, 0xf2, 0xc0, 0x02, '4F00')), P1P2);
    assert.throws(() => parseGetStatusCommand(cmd(0x80, 0xf2, 0x80, 0x03, '4F00')), P1P2);
    assert.throws(() => parseGetStatusCommand(cmd(0x80, 0xf2, 0x40, 0x02, '5C014F')), DATA);
    assert.throws(() => parseGetStatusCommand(cmd(0x80, 0xf2, 0x40, 0x02, `4F11${'01'.repeat(17)}`)), DATA);
    assert.throws(() => parseGetStatusCommand(cmd(0x80, 0xf2, 0x40, 0x02, '4F05A0000001')), DATA);
    assert.throws(() => parseGetStatusCommand(cmd(0x80, 0xf2, 0x40, 0x02, '4F005C029F')), DATA);
  });
  it('DELETE: no data, short AID, unknown object, bad key objects → 6A80; chain bit → 6A86', () => {
    assert.throws(() => parseDeleteCommand(cmd(0x80, 0xe4, 0, 0)), DATA);
    assert.throws(() => parseDeleteCommand(cmd(0x80, 0xe4, 0, 0, '4F0401020304')), DATA);
    assert.throws(() => parseDeleteCommand(cmd(0x80, 0xe4, 0, 0, '4F05010203040542020000')), DATA);
    assert.throws(() => parseDeleteCommand(cmd(0x80, 0xe4, 0, 0, '9E0101')), DATA);
    assert.throws(() => parseDeleteCommand(cmd(0x80, 0xe4, 0, 0, 'D0020101')), DATA);
    assert.throws(() => parseDeleteCommand(cmd(0x80, 0xe4, 0, 0, 'D00101D00102')), DATA);
    assert.throws(() => parseDeleteCommand(cmd(0x80, 0xe4, 0x80, 0, '4F050102030405')), P1P2);
  });
  it('PUT KEY: KVN 00 in data, a key without components, truncated block, two keys without P2 b8 → 6A80', () => {
    const des = `8010${'11'.repeat(16)}03000000`;
    assert.throws(() => parsePutKeyCommand(cmd(0x80, 0xd8, 0, 1, `00${des}`), { dekBlockSize: 8 }), DATA);
    assert.throws(() => parsePutKeyCommand(cmd(0x80, 0xd8, 0, 1, '0103000000'), { dekBlockSize: 8 }), DATA);
    assert.throws(() => parsePutKeyCommand(cmd(0x80, 0xd8, 0, 1, `018010${'11'.repeat(15)}`), { dekBlockSize: 8 }), DATA);
    assert.throws(() => parsePutKeyCommand(cmd(0x80, 0xd8, 0, 1, `01${des}${des}`), { dekBlockSize: 8 }), DATA);
    assert.throws(() => parsePutKeyCommand(cmd(0x80, 0xd8, 0, 1, `018811FF${'11'.repeat(16)}03000000`), { dekBlockSize: 16 }), DATA);
    assert.equal(parsePutKeyCommand(cmd(0x80, 0xd8, 0, 0x81, `01${des}${des}`), { dekBlockSize: 8 }).keys.length, 2);
  });
  it('STORE DATA: RFU codings of P1 → 6A86', () => {
    assert.throws(() => parseStoreDataCommand(cmd(0x80, 0xe2, 0xc0, 0, '00')), P1P2);
    assert.throws(() => parseStoreDataCommand(cmd(0x80, 0xe2, 0x98, 0, '00')), P1P2);
  });
  it('SET STATUS: bad P1 or card state → 6A86; application without a valid AID → 6A80', () => {
    assert.throws(() => parseSetStatusCommand(cmd(0x80, 0xf0, 0x20, 0x80, '0102030405')), P1P2);
    assert.throws(() => parseSetStatusCommand(cmd(0x80, 0xf0, 0x80, 0x03)), P1P2);
    assert.throws(() => parseSetStatusCommand(cmd(0x80, 0xf0, 0x40, 0x80, '01020304')), DATA);
  });
  it('LOAD: an empty block → 6700; a load file with junk after C4 or a bad DAP block → 6A80', () => {
    assert.throws(() => parseLoadCommand(cmd(0x80, 0xe8, 0x80, 0)), gpError('ERR_GP_PARSE', CM_SW.WRONG_LENGTH));
    assert.throws(() => parseLoadFile(fromHex('C4020102C3020102')), DATA);
    assert.throws(() => parseLoadFile(fromHex('C3020102C4020102')), DATA);
    assert.throws(() => parseLoadFile(fromHex('E2044F020102C4020102')), DATA);
    assert.throws(() => parseLoadFile(fromHex('D30401020304D4020102')), DATA);
    assert.throws(() => parseLoadFile(fromHex('C40501')), DATA);
  });
});

describe('sequencing (LOAD / STORE DATA blocks, GP chains)', () => {
  it('a block gap or a repeat → 6A86 and the sequence restarts at 00 (gp.md §6)', () => {
    const asm = new BlockAssembler('LOAD');
    assert.equal(asm.accept(0, false, fromHex('01')), undefined);
    assert.throws(() => asm.accept(2, false, fromHex('02')), P1P2);
    assert.equal(asm.expected, 0);
    asm.accept(0, false, fromHex('01'));
    assert.throws(() => asm.accept(0, false, fromHex('01')), P1P2);
    asm.accept(0, false, fromHex('AA'));
    assert.deepEqual(asm.accept(1, true, fromHex('BB')), fromHex('AABB'));
  });
  it('LOAD past 256 blocks is refused when building', () => {
    assert.throws(() => buildLoadCommands(new Uint8Array(257), 1), gpError('ERR_GP_PARAM'));
    assert.equal(buildLoadCommands(new Uint8Array(256), 1).length, 256);
  });
  it('a chained command with a different header → 6985; past the limit → 6A86', () => {
    const asm = new GpChainAssembler(10);
    asm.accept(install(0x8c, '0102'));
    assert.throws(() => asm.accept(install(0x02, '03')), gpError('ERR_GP_PARAM', CM_SW.CONDITIONS));
    assert.equal(asm.pending, false);
    asm.accept(install(0x8c, '0102030405'));
    assert.throws(() => asm.accept(install(0x8c, '010203040506')), P1P2);
  });
  it('buildInstall refuses what the card would refuse', () => {
    const aid = fromHex('0102030405');
    assert.throws(() => buildInstall({ kind: 'install', loadFileAid: aid, applicationAid: aid, privileges: fromHex('040000'), parameters: fromHex('C900'), makeSelectable: false }), gpError('ERR_GP_PARAM'));
    assert.throws(() => buildInstall({ kind: 'install', loadFileAid: aid, applicationAid: fromHex('01020304'), privileges: fromHex('00'), parameters: fromHex('C900'), makeSelectable: true }), gpError('ERR_GP_PARAM'));
  });
});
