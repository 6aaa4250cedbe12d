/**
 * Every vector of test/vectors/gp/misc.json run through gp/cm (CONVENTIONS.md §6: one table-driven
 * loop; the published values are the expected values). KCV vectors are checked through PUT KEY,
 * where gp/cm carries them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { aesCbcEncrypt, kcv, tdesEcbEncrypt } from '../../../src/crypto/index.ts';
import {
  buildLoadFile,
  buildPutKeyWith,
  checkPutKeyResponse,
  decodePrivileges,
  describeLifecycle,
  encodeInstallParameters,
  encodePrivileges,
  parseCapFile,
  parseGetStatusResponse,
  parseKeyInformationTemplate,
  type InstallParameters,
} from '../../../src/gp/index.ts';
import { loadVectors } from '../../helpers/vectors.ts';
import { splitComponents, zipCap } from './helpers.ts';

interface Vector {
  id: string;
  kind: string;
  source: string;
  [k: string]: unknown;
}

const misc = loadVectors<{ vectors: Vector[] }>('gp/misc.json');

/** One handler per vector kind; a kind without a handler fails the suite. */
const HANDLERS: Record<string, (v: Vector) => Promise<void> | void> = {
  kcv_aes: async (v) => {
    for (const c of v.cases as { key: string; kcv: string }[]) {
      const key = fromHex(c.key);
      // AmdD §7.2: AES key under the static DEK, CBC with a zero IV (here the key is its own DEK)
      const cmd = await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x30, firstKeyId: 1 }, [key], (k) => ({
        type: 0x88,
        keyLength: 16,
        ciphertext: aesCbcEncrypt(k, k, { iv: new Uint8Array(16) }),
        kcv: kcv(k, 'aes-ones'),
      }));
      assert.equal(toHex(cmd.data.slice(-3)), c.kcv);
      checkPutKeyResponse(fromHex(`30${c.kcv}`), { newKvn: 0x30, keys: [{ components: [], kcv: fromHex(c.kcv) }] });
    }
  },
  kcv_des: async (v) => {
    const key = fromHex(v.key as string);
    const cmd = await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x20, firstKeyId: 1 }, [key], (k) => ({
      type: 0x80,
      keyLength: 16,
      ciphertext: tdesEcbEncrypt(k, k),
      kcv: kcv(k, 'tdes-zeros'),
    }));
    assert.equal(toHex(cmd.data.slice(-3)), v.kcv);
  },
  load_file_data_block: (v) => {
    const code = fromHex(v.code_hex as string);
    const components = splitComponents(code);
    assert.equal(components.size, 9);
    // a Descriptor component in the zip must stay out of the LFDB
    components.set('Descriptor', fromHex('0B000400000000'));
    const cap = parseCapFile(zipCap(components));
    assert.equal(cap.loadFileDataBlock.length, v.code_len);
    assert.equal(toHex(cap.loadFileDataBlock), v.code_hex);
    assert.equal(toHex(cap.lfdbSha256), v.lfdb_sha256);
    assert.equal(toHex(cap.lfdbSha1), v.lfdb_sha1);
    // the file name Empty_0102030405_… names the package AID
    assert.equal(toHex(cap.packageAid), '0102030405');
    assert.deepEqual(cap.appletAids.map(toHex), ['0102030405060708']);
    const prefix = (v.load_file_first_bytes as string).replace('...', '');
    assert.ok(toHex(buildLoadFile({ dapBlocks: [], lfdb: cap.loadFileDataBlock })).startsWith(prefix));
  },
  get_status_response_parse: (v) => {
    const expected = v.expected as Record<string, string>;
    const [entry, ...rest] = parseGetStatusResponse(fromHex(v.response as string), { scope: 'isd' });
    assert.equal(rest.length, 0);
    assert.ok(entry);
    assert.equal(toHex(entry.aid), expected.aid);
    const lifecycle = describeLifecycle('card', entry.lifecycle);
    assert.ok(expected.lifecycle?.startsWith(toHex(Uint8Array.of(entry.lifecycle))));
    assert.ok(expected.lifecycle?.includes(lifecycle.name!));
    assert.ok(entry.privileges);
    assert.ok(expected.privileges?.startsWith(toHex(entry.privileges)));
    if (v.id === 'gppro-get-status-isd-tags') assert.deepEqual(decodePrivileges(entry.privileges), ['SecurityDomain']);
    if (v.id === 'gppro-get-status-isd-partial') {
      assert.equal(decodePrivileges(entry.privileges).length, 13);
      // CF 40..43, 80..83: contact channels 0-3, then contactless channels 0-3 (Table 11-15)
      assert.deepEqual(entry.implicitSelection, [
        ...[0, 1, 2, 3].map((channel) => ({ contactless: false, contact: true, channel })),
        ...[0, 1, 2, 3].map((channel) => ({ contactless: true, contact: false, channel })),
      ]);
      assert.equal(toHex(entry.loadFileAid!), expected.load_file_C4);
      assert.equal(toHex(entry.version!), expected.version_CE);
      assert.equal(toHex(entry.domainAid!), expected.domain_CC);
    }
  },
  privileges_bitfield: (v) => {
    for (const c of v.cases as { bytes: string; set?: string[]; count?: number }[]) {
      const names = decodePrivileges(fromHex(c.bytes));
      if (c.set !== undefined) assert.deepEqual(new Set(names), new Set(c.set));
      if (c.count !== undefined) assert.equal(names.length, c.count);
      assert.equal(toHex(encodePrivileges(names)), c.bytes);
    }
  },
  key_information_template_E0: (v) => {
    for (const c of v.cases as { data: string; entries: number }[]) {
      const keys = parseKeyInformationTemplate(fromHex(c.data));
      assert.equal(keys.length, c.entries);
    }
    // Field checks read off the published bytes with Tables 11-28 / 11-29:
    const [basic, extended] = (v.cases as { data: string }[]).map((c) => parseKeyInformationTemplate(fromHex(c.data)));
    // C0 04 01 01 88 20: key 1, KVN 1, AES 32 bytes
    assert.deepEqual(basic![0], { kind: 'key-info', format: 'basic', keyId: 1, kvn: 1, components: [{ type: 0x88, length: 0x20 }], usage: undefined, access: undefined });
    // C0 06 01 70 A1 80 A0 03: key 1, KVN 70 (token), RSA modulus 128 bytes and exponent 3 bytes
    assert.deepEqual(basic![3]!.components, [{ type: 0xa1, length: 0x80 }, { type: 0xa0, length: 3 }]);
    // C0 0D 01 73 FF A1 0080 A0 0003 01 84 01 00: key 1, KVN 73 (DAP), usage 84 (DAP), access 00
    const dap = extended![3]!;
    assert.equal(dap.format, 'extended');
    assert.equal(dap.kvn, 0x73);
    assert.deepEqual(dap.components, [{ type: 0xa1, length: 0x80 }, { type: 0xa0, length: 3 }]);
    assert.deepEqual(dap.usage, Uint8Array.of(0x84));
    assert.deepEqual(dap.access, Uint8Array.of(0x00));
  },
  install_parameters: (v) => {
    for (const c of v.cases as { args: string; expected: string }[]) {
      const args = Object.fromEntries(c.args === 'none' ? [] : c.args.split(', ').map((a) => a.split('=') as [string, string]));
      const params: InstallParameters = { applicationSpecific: new Uint8Array(0) };
      const withSystem: InstallParameters = c.args === 'none' ? params : {
        ...params,
        system: {
          volatileMemory: Number(args.volatile),
          nonVolatileMemory: Number(args.nonvolatile),
          ts102226: fromHex(args.uicc_toolkit_params!),
        },
      };
      assert.equal(toHex(encodeInstallParameters(withSystem)), c.expected);
    }
  },
};

describe('test/vectors/gp/misc.json through gp/cm', () => {
  for (const v of misc.vectors) {
    it(`${v.id} (${v.source.split(':')[0]})`, async () => {
      const handler = HANDLERS[v.kind];
      assert.ok(handler, `no handler for vector kind ${v.kind}`);
      await handler(v);
    });
  }
});
