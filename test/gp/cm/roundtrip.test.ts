/**
 * Build → parse round trips: what the TSM builds, the card-side parser reads back (and builds back to
 * the same bytes). fast-check properties for INSTALL, GET STATUS, PUT KEY, STORE DATA, registry data.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeCommand, parseCommand } from '../../../src/apdu/index.ts';
import { concat, fromHex, toHex } from '../../../src/bytes/index.ts';
import { encodeDgi, encodeTlv, tlv } from '../../../src/tlv/index.ts';
import {
  BlockAssembler,
  buildDelete,
  buildGetData,
  buildGetStatus,
  buildInstall,
  buildLoadCommands,
  buildLoadFile,
  buildPutKey,
  buildSelect,
  buildSetStatus,
  buildStoreData,
  decodePrivileges,
  encodeLegacyRegistryEntries,
  encodePrivileges,
  encodeRegistryEntries,
  GpChainAssembler,
  parseDeleteCommand,
  parseGetDataCommand,
  parseGetStatusCommand,
  parseGetStatusResponse,
  parseInstallCommand,
  parseInstallParameters,
  parseLoadCommand,
  parseLoadFile,
  parsePutKeyCommand,
  parseSelectCommand,
  parseSetStatusCommand,
  parseStoreDataCommand,
  splitGpChain,
  type GetStatusQuery,
  type RegistryEntryFields,
} from '../../../src/gp/index.ts';
import { aid, installRequest, putKeyRequest, registryEntry } from './arbitraries.ts';

/** Through the wire and back, so the parser sees what a card would. */
const wire = <T extends Parameters<typeof encodeCommand>[0]>(c: T) => parseCommand(encodeCommand(c));

describe('INSTALL round trip (Tables 11-42..11-47)', () => {
  it('parseInstallCommand(buildInstall(r)) rebuilds the same bytes, for every variant', () => {
    fc.assert(fc.property(installRequest, (r) => {
      const cmd = buildInstall(r);
      const parsed = parseInstallCommand(wire(cmd));
      assert.equal(parsed.kind, r.kind);
      assert.equal(toHex(encodeCommand(buildInstall(parsed))), toHex(encodeCommand(cmd)));
    }), { numRuns: 500 });
  });
  it('survives GP chaining at any split size', () => {
    fc.assert(fc.property(installRequest, fc.integer({ min: 1, max: 255 }), (r, size) => {
      const cmd = buildInstall(r);
      const asm = new GpChainAssembler();
      let whole;
      for (const part of splitGpChain(cmd, size)) whole = asm.accept(wire(part));
      assert.ok(whole);
      assert.equal(toHex(encodeCommand(buildInstall(parseInstallCommand(whole)))), toHex(encodeCommand(cmd)));
    }), { numRuns: 200 });
  });
  it('install parameters decode to what was encoded (pySim layout)', () => {
    const p = parseInstallParameters(fromHex('C900EF1CC8020100C7020100CA12010001001505000000000000000000000000'));
    assert.deepEqual(p.applicationSpecific, new Uint8Array(0));
    assert.equal(p.system?.volatileMemory, 256);
    assert.equal(p.system?.nonVolatileMemory, 256);
    assert.equal(toHex(p.system.ts102226!), '010001001505000000000000000000000000');
  });
});

describe('GET STATUS round trip (Tables 11-32..11-37)', () => {
  const query: fc.Arbitrary<GetStatusQuery> = fc
    .record({
      scope: fc.constantFrom('isd' as const, 'applications' as const, 'loadFiles' as const, 'loadFilesAndModules' as const),
      next: fc.boolean(),
      format: fc.constantFrom('tag' as const, 'legacy' as const),
      aid: fc.uint8Array({ maxLength: 16 }),
      tagList: fc.option(fc.subarray([0x4f, 0x9f70, 0xc5, 0xcf, 0xc4, 0xce, 0x84, 0xcc], { minLength: 1 }), { nil: undefined }),
    })
    .map((q) => (q.scope === 'isd' ? { ...q, next: false } : q));
  it('parseGetStatusCommand(buildGetStatus(q)) gives q back', () => {
    fc.assert(fc.property(query, (q) => {
      const parsed = parseGetStatusCommand(wire(buildGetStatus(q)));
      assert.deepEqual(
        { scope: parsed.scope, next: parsed.next, format: parsed.format, aid: parsed.aid, tagList: parsed.tagList },
        { scope: q.scope, next: q.next, format: q.format, aid: q.aid, tagList: q.tagList },
      );
    }));
  });
  const normal = (e: RegistryEntryFields) => ({ ...e, kind: 'registry-entry', implicitSelection: e.implicitSelection ?? [], modules: e.modules ?? [] });
  it('registry entries survive the tag format (E3) both ways', () => {
    fc.assert(fc.property(fc.array(registryEntry, { maxLength: 5 }), (entries) => {
      const parsed = parseGetStatusResponse(encodeRegistryEntries(entries), { scope: 'applications' });
      assert.deepEqual(parsed, entries.map(normal));
    }));
  });
  it('registry entries survive the legacy format (AID, LCS, privilege byte, modules for P1 10)', () => {
    fc.assert(fc.property(fc.array(registryEntry, { maxLength: 5 }), (entries) => {
      const apps = parseGetStatusResponse(encodeLegacyRegistryEntries(entries, 'applications'), { scope: 'applications', format: 'legacy' });
      assert.deepEqual(apps.map((e) => [e.aid, e.lifecycle, e.privileges]), entries.map((e) => [e.aid, e.lifecycle, Uint8Array.of(e.privileges?.[0] ?? 0)]));
      const files = parseGetStatusResponse(encodeLegacyRegistryEntries(entries, 'loadFilesAndModules'), { scope: 'loadFilesAndModules', format: 'legacy' });
      assert.deepEqual(files.map((e) => e.modules), entries.map((e) => e.modules ?? []));
    }));
  });
});

describe('PUT KEY round trip (Tables 11-64..11-71)', () => {
  it('parsePutKeyCommand(buildPutKey(r)) gives r back, for DES, AES and clear RSA components', () => {
    fc.assert(fc.property(putKeyRequest, fc.constantFrom(8 as const, 16 as const), (r, dekBlockSize) => {
      const parsed = parsePutKeyCommand(wire(buildPutKey(r)), { dekBlockSize });
      assert.equal(parsed.replaceKvn, r.replaceKvn);
      assert.equal(parsed.newKvn, r.newKvn);
      assert.equal(parsed.firstKeyId, r.firstKeyId);
      assert.equal(parsed.multiple, r.multiple);
      assert.deepEqual(parsed.keys, r.keys.map((k) => (k.extended === undefined ? { components: k.components, kcv: k.kcv } : k)));
      assert.deepEqual(parsed.keyIds, r.keys.map((_, i) => r.firstKeyId + i));
    }), { numRuns: 300 });
  });
});

describe('STORE DATA round trip (Tables 11-88, 11-89)', () => {
  const dgis = fc.array(fc.record({ tag: fc.integer({ min: 0, max: 0xffff }), value: fc.uint8Array({ maxLength: 600 }) }), { minLength: 1, maxLength: 8 });
  it('DGI streams come back whole through numbered blocks; small DGIs are never cut', () => {
    fc.assert(fc.property(dgis, fc.integer({ min: 16, max: 255 }), fc.constantFrom('none' as const, 'application' as const, 'all' as const), fc.boolean(), (list, size, encryption, case4) => {
      const encoded = list.map((d) => encodeDgi(d.tag, d.value));
      const stream = concat(...encoded);
      const cmds = buildStoreData(stream, { format: 'dgi', encryption, case4 }, size);
      const asm = new BlockAssembler('STORE DATA');
      let result: Uint8Array | undefined;
      for (const c of cmds) {
        const p = parseStoreDataCommand(wire(c));
        assert.equal(p.format, 'dgi');
        assert.equal(p.encryption, encryption);
        assert.equal(p.case4, case4);
        assert.ok(p.data.length <= size);
        result = asm.accept(p.blockNumber, p.last, p.data);
      }
      assert.deepEqual(result, stream);
      const blocks = cmds.map((c) => toHex(c.data));
      for (const d of encoded) if (d.length <= size) assert.ok(blocks.some((b) => b.includes(toHex(d))), 'a DGI that fits a block is not split');
    }), { numRuns: 200 });
  });
  it('BER-TLV streams too', () => {
    const stream = concat(encodeTlv(tlv(0x42, fromHex('112233'))), encodeTlv(tlv(0x45, new Uint8Array(300))));
    const cmds = buildStoreData(stream, { format: 'ber' }, 100);
    const asm = new BlockAssembler('STORE DATA');
    let out: Uint8Array | undefined;
    for (const c of cmds) {
      const p = parseStoreDataCommand(c);
      out = asm.accept(p.blockNumber, p.last, p.data);
    }
    assert.deepEqual(out, stream);
    assert.equal(cmds[0]!.data.length, 5); // 42 03 112233 alone: the next TLV does not fit behind it
  });
});

describe('other commands round trip', () => {
  it('SELECT', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.boolean(), (name, next) => {
      assert.deepEqual(parseSelectCommand(wire(buildSelect(name, { next }))), { kind: 'select', aid: name, occurrence: next ? 'next' : 'first' });
    }));
    assert.equal(parseSelectCommand(buildSelect()).aid, undefined);
  });
  it('GET DATA', () => {
    for (const tag of [0x42, 0x45, 0x66, 0xe0, 0xc1, 0x9f7f, 0x2f00]) assert.equal(parseGetDataCommand(wire(buildGetData(tag))).tag, tag);
  });
  it('LOAD: a load file through blocks and the assembler', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.integer({ min: 20, max: 255 }), (lfdb, size) => {
      const file = buildLoadFile({ dapBlocks: [{ securityDomainAid: fromHex('A000000151000000'), signature: fromHex('0102') }], lfdb });
      const asm = new BlockAssembler('LOAD');
      let out: Uint8Array | undefined;
      for (const c of buildLoadCommands(file, size)) {
        const p = parseLoadCommand(wire(c));
        out = asm.accept(p.blockNumber, p.last, p.data);
      }
      assert.deepEqual(out, file);
      assert.deepEqual(parseLoadFile(out).lfdb, lfdb);
    }), { numRuns: 100 });
  });
  it('DELETE, card content and key', () => {
    fc.assert(fc.property(aid, fc.boolean(), fc.option(fc.uint8Array({ minLength: 1, maxLength: 200 }), { nil: undefined }), (a, related, token) => {
      assert.deepEqual(parseDeleteCommand(wire(buildDelete({ kind: 'card-content', aid: a, related, token }))), {
        kind: 'card-content', aid: a, related, tokenCrt: undefined, token,
      });
    }));
    assert.deepEqual(parseDeleteCommand(buildDelete({ kind: 'key', kvn: 0x30 })), { kind: 'key', keyId: undefined, kvn: 0x30 });
  });
  it('SET STATUS', () => {
    assert.deepEqual(parseSetStatusCommand(buildSetStatus({ scope: 'card', state: 0x7f })), { kind: 'set-status', scope: 'card', state: 0x7f });
    fc.assert(fc.property(aid, fc.integer({ min: 0, max: 255 }), fc.constantFrom('application' as const, 'domainAndApplications' as const), (a, state, scope) => {
      assert.deepEqual(parseSetStatusCommand(wire(buildSetStatus({ scope, aid: a, state }))), { kind: 'set-status', scope, aid: a, state });
    }));
  });
  it('privileges: decode(encode(names)) adds only the implied Security Domain bit', () => {
    fc.assert(fc.property(fc.subarray(['CardLock', 'DelegatedManagement', 'TrustedPath', 'ReceiptGeneration', 'GlobalService'] as const), (names) => {
      const back = decodePrivileges(encodePrivileges(names));
      const expected = new Set<string>(names);
      if (names.includes('DelegatedManagement')) expected.add('SecurityDomain');
      assert.deepEqual(new Set(back), expected);
    }));
  });
});
