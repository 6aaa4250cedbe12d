/**
 * Exact command bytes, written out by hand from the GPC 2.3.1 tables named in each test (and GPC
 * Amd D v1.1.1 Table 7-10 for AES PUT KEY). Published ciphertexts come from test/vectors/gp.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand } from '../../../src/apdu/index.ts';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { tdesEcbEncrypt } from '../../../src/crypto/index.ts';
import {
  buildDelete,
  buildGetData,
  buildGetStatus,
  buildInstall,
  buildLoadCommands,
  buildLoadFile,
  buildPutKey,
  buildPutKeyWith,
  buildSelect,
  buildSetStatus,
  buildStoreData,
  CARD_LIFECYCLE,
  encodeInstallParameters,
  encodePrivileges,
  GET_DATA_TAGS,
  GP_ISD_AID,
  installTokenData,
  deleteTokenData,
  dmTokenData,
  encodePutKeyResponse,
  parsePutKeyResponse,
  checkPutKeyResponse,
  SET_STATUS_LOCK,
  splitGpChain,
} from '../../../src/gp/index.ts';
import { encodeDgi } from '../../../src/tlv/index.ts';
import { loadVectors } from '../../helpers/vectors.ts';
import { gpError } from './helpers.ts';

const bytes = (cmd: Parameters<typeof encodeCommand>[0]): string => toHex(encodeCommand(cmd));
const h = (s: string): string => s.replace(/\s+/g, '');
const PKG = fromHex('0102030405');
const APP = fromHex('0102030405060708');

describe('SELECT (Tables 11-79..11-81)', () => {
  it('by name, first occurrence: 00 A4 04 00 Lc AID 00', () => {
    assert.equal(bytes(buildSelect(GP_ISD_AID)), h('00 A4 04 00 08 A000000151000000 00'));
  });
  it('next occurrence of a partial AID sets P2 02; no AID is the case 2 ISD select', () => {
    assert.equal(bytes(buildSelect(fromHex('A000000151'), { next: true })), h('00 A4 04 02 05 A000000151 00'));
    assert.equal(bytes(buildSelect()), h('00 A4 04 00 00'));
  });
});

describe('GET STATUS (Tables 11-32..11-35)', () => {
  it('applications, tag format, all: 80 F2 40 02 02 4F 00 00', () => {
    assert.equal(bytes(buildGetStatus({ scope: 'applications' })), h('80 F2 40 02 02 4F00 00'));
  });
  it('load files and modules, next, legacy: P1 10, P2 01', () => {
    assert.equal(bytes(buildGetStatus({ scope: 'loadFilesAndModules', next: true, format: 'legacy' })), h('80 F2 10 01 02 4F00 00'));
  });
  it('ISD with a tag list 5C 4F 9F70', () => {
    assert.equal(bytes(buildGetStatus({ scope: 'isd', tagList: [0x4f, 0x9f70] })), h('80 F2 80 02 07 4F00 5C03 4F9F70 00'));
  });
});

describe('GET DATA (Table 11-27)', () => {
  it('CPLC 9F7F and CIN 45', () => {
    assert.equal(bytes(buildGetData(GET_DATA_TAGS.CPLC)), h('80 CA 9F 7F 00'));
    assert.equal(bytes(buildGetData(GET_DATA_TAGS.CIN)), h('80 CA 00 45 00'));
  });
  it("2F00 goes the ISO way with tag list 5C 00 (§11.3.2.2)", () => {
    assert.equal(bytes(buildGetData(GET_DATA_TAGS.APPLICATIONS)), h('00 CB 2F 00 02 5C00 00'));
  });
});

describe('INSTALL (Tables 11-40..11-47)', () => {
  it('[for load] (Table 11-42): ELF AID, SD AID, no hash, no params, no token', () => {
    const cmd = buildInstall({ kind: 'load', loadFileAid: PKG, securityDomainAid: GP_ISD_AID });
    assert.equal(bytes(cmd), h('80 E6 02 00 12 05 0102030405 08 A000000151000000 00 00 00 00'));
  });
  it('[for install and make selectable] (Table 11-43): privileges 1 byte, C9 00', () => {
    const cmd = buildInstall({
      kind: 'install',
      loadFileAid: PKG,
      moduleAid: APP,
      applicationAid: APP,
      privileges: Uint8Array.of(0x00),
      parameters: encodeInstallParameters({ applicationSpecific: new Uint8Array(0) }),
      makeSelectable: true,
    });
    assert.equal(bytes(cmd), h('80 E6 0C 00 1E 05 0102030405 08 0102030405060708 08 0102030405060708 01 00 02 C900 00 00'));
  });
  it('[for make selectable] (Table 11-44) and [for personalization] (Table 11-47)', () => {
    assert.equal(
      bytes(buildInstall({ kind: 'make-selectable', applicationAid: APP, privileges: encodePrivileges(['CardReset']) })),
      h('80 E6 08 00 11 00 00 08 0102030405060708 03 040000 00 00 00'),
    );
    assert.equal(bytes(buildInstall({ kind: 'personalization', applicationAid: APP })), h('80 E6 20 00 0E 00 00 08 0102030405060708 00 00 00 00'));
  });
  it('[for extradition] (Table 11-45) and [for registry update] (Table 11-46)', () => {
    assert.equal(
      bytes(buildInstall({ kind: 'extradition', securityDomainAid: GP_ISD_AID, aid: APP })),
      h('80 E6 10 00 16 08 A000000151000000 00 08 0102030405060708 00 00 00 00'),
    );
    assert.equal(bytes(buildInstall({ kind: 'registry-update', applicationAid: APP })), h('80 E6 40 00 0E 00 00 08 0102030405060708 00 00 00 00'));
  });
  it('combined load, install and make selectable: P1 0E with P2 01 then 03 (§11.5.2.2)', () => {
    const start = buildInstall({ kind: 'load', loadFileAid: PKG, combined: true });
    assert.equal(bytes(start), h('80 E6 0E 01 0A 05 0102030405 00 00 00 00 00'));
    const end = buildInstall({ kind: 'install', applicationAid: APP, privileges: Uint8Array.of(0), parameters: fromHex('C900'), makeSelectable: true, combined: true });
    assert.equal(bytes(end), h('80 E6 0E 03 11 00 00 08 0102030405060708 01 00 02 C900 00 00'));
  });
  it('a 128-byte token gets the BER length 81 80, and the token input is P1 P2 Lc data (C.4.1)', () => {
    const token = new Uint8Array(128).fill(0xaa);
    const request = { kind: 'load' as const, loadFileAid: PKG, lfdbHash: new Uint8Array(32).fill(0x11) };
    const cmd = buildInstall({ ...request, token });
    const body = h('05 0102030405 00 20') + '11'.repeat(32) + '00';
    assert.equal(toHex(cmd.data), body + '8180' + 'AA'.repeat(128));
    assert.equal(toHex(installTokenData(request)), '0200' + '29' + body);
  });
});

describe('LOAD (Tables 11-56..11-58)', () => {
  it('C4 with a BER length, blocks numbered from 00, P1 80 on the last', () => {
    const lfdb = new Uint8Array(300).map((_, i) => i & 0xff);
    const file = buildLoadFile({ dapBlocks: [], lfdb });
    assert.equal(toHex(file.subarray(0, 4)), 'C482012C');
    const cmds = buildLoadCommands(file, 200);
    assert.deepEqual(cmds.map((c) => [c.p1, c.p2, c.data.length]), [[0x00, 0, 200], [0x80, 1, 104]]);
    assert.equal(bytes(cmds[0]!).slice(0, 18), h('80 E8 00 00 C8 C4 82 01 2C'));
  });
  it('DAP blocks E2 { 4F, C3 } come first (Table 11-58)', () => {
    const file = buildLoadFile({ dapBlocks: [{ securityDomainAid: GP_ISD_AID, signature: fromHex('0102') }], lfdb: fromHex('AABB') });
    assert.equal(toHex(file), h('E2 0E 4F08 A000000151000000 C302 0102 C402 AABB'));
  });
});

describe('DELETE (Tables 11-20..11-24)', () => {
  it('card content with related objects: P2 80, 4F AID', () => {
    assert.equal(bytes(buildDelete({ kind: 'card-content', aid: PKG, related: true })), h('80 E4 00 80 07 4F05 0102030405 00'));
  });
  it('key by id and KVN: D0 01 01 D2 01 30', () => {
    assert.equal(bytes(buildDelete({ kind: 'key', keyId: 1, kvn: 0x30 })), h('80 E4 00 00 06 D00101 D20130 00'));
  });
  it('a delete token goes in 9E; its input leaves 9E out (C.4.6)', () => {
    const cmd = buildDelete({ kind: 'card-content', aid: PKG, token: fromHex('CAFE') });
    assert.equal(bytes(cmd), h('80 E4 00 00 0B 4F05 0102030405 9E02 CAFE 00'));
    assert.equal(toHex(deleteTokenData({ kind: 'card-content', aid: PKG })), h('00 00 07 4F05 0102030405'));
  });
});

describe('PUT KEY (Tables 11-64..11-71; Amd D Table 7-10)', () => {
  const keys = loadVectors<{ vectors: { id: string; dek?: string; plaintext_key?: string; expected?: string }[] }>('gp/gppro-keys.json');
  const scp01 = keys.vectors.find((v) => v.id === 'gppro-scp01-keyenc')!;
  it('DES key set (gppro-scp01-keyenc ciphertext, KCV 8BAF47): 80 10 <16> 03 <KCV> ×3, P2 81', async () => {
    const dek = fromHex(scp01.dek!);
    const key = fromHex(scp01.plaintext_key!);
    const cmd = await buildPutKeyWith({ replaceKvn: 0, newKvn: 1, firstKeyId: 1 }, [key, key, key], (k) => ({
      type: 0x80,
      keyLength: 16,
      ciphertext: tdesEcbEncrypt(dek, k),
      kcv: fromHex('8BAF47'),
    }));
    const entry = `8010${scp01.expected!}038BAF47`;
    assert.equal(bytes(cmd), `80D8008143` + '01' + entry.repeat(3) + '00');
  });
  it('AES-128 replaces KVN 30 by 31: 88 11 10 <16> 03 <KCV>', () => {
    const ct = new Uint8Array(16).fill(0xee);
    const cmd = buildPutKey({ replaceKvn: 0x30, newKvn: 0x31, firstKeyId: 1, keys: [{ components: [{ type: 0x88, value: ct, clearLength: 16 }], kcv: fromHex('C35280') }] });
    assert.equal(bytes(cmd), h('80 D8 30 01 18 31 88 11 10') + 'EE'.repeat(16) + h('03 C35280 00'));
  });
  it('AES-256: 88 21 20 <32>; AES-192: 88 21 18 <32> (24 bytes padded to 32)', async () => {
    for (const [len, code] of [[32, '20'], [24, '18']] as const) {
      const cmd = await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x30, firstKeyId: 1 }, ['handle'], () => ({
        type: 0x88,
        keyLength: len,
        ciphertext: new Uint8Array(32).fill(0x11),
        kcv: fromHex('000000'),
      }));
      assert.equal(toHex(cmd.data.subarray(0, 4)), `308821${code}`);
      assert.equal(cmd.data.length, 1 + 3 + 32 + 4);
    }
  });
});

describe('PUT KEY response (§11.8.3.1)', () => {
  it('KVN then the KCVs without lengths; a mismatch is ERR_GP_KEY', () => {
    const response = fromHex('30 C35280 013808 840DE5'.replace(/\s+/g, ''));
    const parsed = parsePutKeyResponse(response, [3, 3, 3]);
    assert.equal(parsed.kvn, 0x30);
    assert.deepEqual(parsed.kcvs.map(toHex), ['C35280', '013808', '840DE5']);
    assert.deepEqual(encodePutKeyResponse(0x30, parsed.kcvs), response);
    const keys = parsed.kcvs.map((kcv) => ({ components: [], kcv }));
    checkPutKeyResponse(response, { newKvn: 0x30, keys });
    assert.throws(() => checkPutKeyResponse(fromHex('31C35280013808840DE5'), { newKvn: 0x30, keys }), gpError('ERR_GP_KEY'));
    assert.throws(() => parsePutKeyResponse(response, [3, 3]), gpError('ERR_GP_PARSE'));
  });
});

describe('Delegated Management token input (Appendix C.4, Tables C-4..C-9)', () => {
  it('make selectable (Table C-6): P1 P2 Lc 00 00 len AID len privileges len params', () => {
    const data = installTokenData({ kind: 'make-selectable', applicationAid: APP, privileges: fromHex('04') });
    assert.equal(toHex(data), h('08 00 0E 00 00 08 0102030405060708 01 04 00'));
  });
  it('a length above 255 is coded on 3 bytes 00 xx xx; P1 b8 is cleared', () => {
    const body = new Uint8Array(300);
    assert.equal(toHex(dmTokenData(0x8c, 0x00, body).subarray(0, 5)), '0C0000012C');
    assert.equal(toHex(dmTokenData(0x0c, 0x00, body.subarray(0, 255)).subarray(0, 3)), '0C00FF');
  });
});

describe('STORE DATA (Tables 11-88, 11-89)', () => {
  it('one DGI, last block, DGI format: P1 88, P2 00, no Le', () => {
    const cmds = buildStoreData(encodeDgi(0x0101, fromHex('700A')), { format: 'dgi' }, 239);
    assert.deepEqual(cmds.map(bytes), [h('80 E2 88 00 05 0101 02 700A')]);
  });
  it('encrypted BER-TLV, case 4: P1 F1 on the last block, Le 00', () => {
    const cmds = buildStoreData(fromHex('4203112233'), { format: 'ber', encryption: 'all', case4: true }, 239);
    assert.deepEqual(cmds.map(bytes), [h('80 E2 F1 00 05 4203112233 00')]);
  });
});

describe('SET STATUS (Tables 11-85, 11-86)', () => {
  it('card to SECURED: 80 F0 80 0F, no data', () => {
    assert.equal(bytes(buildSetStatus({ scope: 'card', state: CARD_LIFECYCLE.SECURED })), h('80 F0 80 0F'));
  });
  it('lock an application: 80 F0 40 80 Lc AID; an SD and its applications: P1 60', () => {
    assert.equal(bytes(buildSetStatus({ scope: 'application', aid: APP, state: SET_STATUS_LOCK })), h('80 F0 40 80 08 0102030405060708'));
    assert.equal(bytes(buildSetStatus({ scope: 'domainAndApplications', aid: APP, state: 0x00 })), h('80 F0 60 00 08 0102030405060708'));
  });
});

describe('GP command chaining (§11.1.5.1)', () => {
  it('splits INSTALL data with P1 b8 on all but the last, Le only on the last', () => {
    const params = encodeInstallParameters({ applicationSpecific: new Uint8Array(300) });
    const cmd = buildInstall({ kind: 'install', loadFileAid: PKG, applicationAid: APP, privileges: Uint8Array.of(0), parameters: params, makeSelectable: true });
    const parts = splitGpChain(cmd, 200);
    assert.deepEqual(parts.map((c) => [c.p1, c.data.length, c.ne]), [[0x8c, 200, undefined], [0x0c, cmd.data.length - 200, 256]]);
  });
});
