/**
 * Hostile input (CONVENTIONS.md §3, gp.md §6): arbitrary bytes into every card-side parser and every
 * host-side response parser either parse or end in a GpError, never a TypeError, RangeError or any
 * other error. Inputs are random bytes and mutations (flips, cuts, splices) of valid encodings, so the
 * deeper branches are reached too.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { commandApdu, encodeCommand } from '../../../src/apdu/index.ts';
import { fromHex } from '../../../src/bytes/index.ts';
import {
  BlockAssembler,
  buildInstall,
  buildPutKey,
  encodeCardData,
  encodeRegistryEntries,
  GpChainAssembler,
  GpError,
  getDataValue,
  parseCapFile,
  parseCardData,
  parseCplc,
  parseDeleteCommand,
  parseFci,
  parseGetDataCommand,
  parseGetStatusCommand,
  parseGetStatusResponse,
  parseInstallCommand,
  parseInstallParameters,
  parseKeyInformationTemplate,
  parseLoadCommand,
  parseLoadFile,
  parsePutKeyCommand,
  parseSelectCommand,
  parseSequenceCounter,
  parseSetStatusCommand,
  parseStoreDataCommand,
} from '../../../src/gp/index.ts';
import { installRequest, putKeyRequest, registryEntry } from './arbitraries.ts';
import { splitComponents, zipCap } from './helpers.ts';

/** Runs `parse`; anything thrown must be a GpError. */
function onlyGpErrors(parse: () => unknown): void {
  try {
    parse();
  } catch (e) {
    if (!(e instanceof GpError)) assert.fail(`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

/** Random bytes, or a valid sample with bytes flipped, cut or spliced. */
function mutated(valid: fc.Arbitrary<Uint8Array>, maxLength = 400): fc.Arbitrary<Uint8Array> {
  const mutate = fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), fc.boolean()).map(([v, flips, cut, doCut]) => {
    const out = v.slice();
    for (const [i, b] of flips) if (out.length > 0) out[i % out.length] = b;
    return doCut ? out.slice(0, cut % (out.length + 1)) : out;
  });
  return fc.oneof(fc.uint8Array({ maxLength }), mutate);
}

const cmd = (ins: number, cla = 0x80) =>
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })).map(([p1, p2]) => (data: Uint8Array) =>
    commandApdu({ cla, ins, p1, p2, data }));

const installData = installRequest.map((r) => buildInstall(r).data);
const putKeyData = putKeyRequest.map((r) => buildPutKey(r).data);
const E3 = fc.array(registryEntry, { maxLength: 3 }).map(encodeRegistryEntries);
const RUNS = { numRuns: 400 };

describe('card-side command parsers never throw anything but GpError', () => {
  const table: [string, number, number, fc.Arbitrary<Uint8Array>, (c: ReturnType<typeof commandApdu>) => unknown][] = [
    ['INSTALL', 0xe6, 0x80, mutated(installData), parseInstallCommand],
    ['PUT KEY (DES DEK)', 0xd8, 0x80, mutated(putKeyData), (c) => parsePutKeyCommand(c, { dekBlockSize: 8 })],
    ['PUT KEY (AES DEK)', 0xd8, 0x80, mutated(putKeyData), (c) => parsePutKeyCommand(c, { dekBlockSize: 16 })],
    ['GET STATUS', 0xf2, 0x80, mutated(fc.constant(fromHex('4F005C034F9F70'))), parseGetStatusCommand],
    ['DELETE', 0xe4, 0x80, mutated(fc.constant(fromHex('4F050102030405B6024201429E020102'))), parseDeleteCommand],
    ['SELECT', 0xa4, 0x00, fc.uint8Array({ maxLength: 20 }), parseSelectCommand],
    ['GET DATA', 0xca, 0x80, fc.uint8Array({ maxLength: 10 }), parseGetDataCommand],
    ['LOAD', 0xe8, 0x80, fc.uint8Array({ maxLength: 255 }), parseLoadCommand],
    ['STORE DATA', 0xe2, 0x80, fc.uint8Array({ maxLength: 255 }), parseStoreDataCommand],
    ['SET STATUS', 0xf0, 0x80, fc.uint8Array({ maxLength: 20 }), parseSetStatusCommand],
  ];
  for (const [name, ins, cla, data, parse] of table) {
    it(name, () => {
      fc.assert(fc.property(cmd(ins, cla), data, (make, d) => onlyGpErrors(() => parse(make(d)))), RUNS);
    });
  }
  it('any INS and CLA into any parser', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xfe }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }), (cla, ins, data) => {
      if ((ins & 0xf0) === 0x60 || (ins & 0xf0) === 0x90) return;
      const c = commandApdu({ cla, ins, p1: 0, p2: 0, data });
      for (const [, , , , parse] of table) onlyGpErrors(() => parse(c));
    }), RUNS);
  });
  it('load files, install parameters, block and chain assemblers', () => {
    fc.assert(fc.property(mutated(fc.constant(fromHex('E20E4F08A000000151000000C3020102C4020102'))), (d) => onlyGpErrors(() => parseLoadFile(d))), RUNS);
    fc.assert(fc.property(mutated(fc.constant(fromHex('C900EF1CC8020100C7020100CA12010001001505000000000000000000000000'))), (d) => onlyGpErrors(() => parseInstallParameters(d))), RUNS);
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.boolean(), fc.uint8Array({ maxLength: 10 })), { maxLength: 20 }), (blocks) => {
      const asm = new BlockAssembler('LOAD', 50);
      for (const [n, last, data] of blocks) onlyGpErrors(() => asm.accept(n, last, data));
    }));
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0xe6, 0xe4, 0xd8, 0xe8), fc.uint8Array({ maxLength: 10 })), { maxLength: 20 }), (cmds) => {
      const asm = new GpChainAssembler(40);
      for (const [p1, ins, data] of cmds) onlyGpErrors(() => asm.accept(commandApdu({ cla: 0x80, ins, p1, p2: 0, data })));
    }));
  });
});

describe('host-side response parsers never throw anything but GpError', () => {
  const parsers: [string, fc.Arbitrary<Uint8Array>, (d: Uint8Array) => unknown][] = [
    ['GET STATUS tag format', mutated(E3), (d) => parseGetStatusResponse(d, { scope: 'applications' })],
    ['GET STATUS legacy, P1 10', fc.uint8Array({ maxLength: 100 }), (d) => parseGetStatusResponse(d, { scope: 'loadFilesAndModules', format: 'legacy' })],
    ['FCI', mutated(fc.constant(fromHex('6F108408A000000151000000A5049F6501FF'))), parseFci],
    ['Card Data', mutated(fc.constant(encodeCardData({ gpVersion: '2.2.1', cardIdentificationScheme: true, secureChannels: [{ scp: 2, i: 0x15 }] }))), parseCardData],
    ['CPLC', fc.uint8Array({ minLength: 40, maxLength: 46 }), parseCplc],
    ['Key Information Template', mutated(fc.constant(fromHex('E021C00401018010C00402018010C00403018010C00D0173FFA10080A0000301840100'))), parseKeyInformationTemplate],
    ['GET DATA value', fc.uint8Array({ maxLength: 20 }), (d) => getDataValue(d, 0x45)],
    ['sequence counter', fc.uint8Array({ maxLength: 8 }), parseSequenceCounter],
  ];
  for (const [name, data, parse] of parsers) {
    it(name, () => fc.assert(fc.property(data, (d) => onlyGpErrors(() => parse(d))), RUNS));
  }
});

describe('CAP reader: hostile zips end in ERR_GP_CAP', () => {
  const code = fromHex('01000FDECAFFED010204000005010203040503000C010801020304050607080013');
  const zip = zipCap(splitComponents(code));
  it('random bytes and mutated CAP zips', () => {
    fc.assert(fc.property(mutated(fc.constant(zip), 2000), (d) => {
      try {
        parseCapFile(d);
      } catch (e) {
        assert.ok(e instanceof GpError && e.code === 'ERR_GP_CAP', `${String(e)}`);
      }
    }), { numRuns: 600 });
  });
});

describe('encodeCommand of what the builders make stays valid', () => {
  it('INSTALL and PUT KEY commands encode', () => {
    fc.assert(fc.property(installRequest, putKeyRequest, (i, p) => {
      encodeCommand(buildInstall(i));
      encodeCommand(buildPutKey(p));
    }), { numRuns: 100 });
  });
});
