/**
 * Hostile input to INSTALL, LOAD and DELETE on the card (CONVENTIONS.md §3, gp.md §6): mutations
 * of valid commands and of a valid load file, sent through a real secure channel, always end in a
 * status word — never an internal error (6F00) — and the card state stays a valid registry.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { commandApdu, SW, type CommandApdu } from '../../src/apdu/index.ts';
import { fromHex } from '../../src/bytes/index.ts';
import { buildDelete, buildInstall, buildLoadCommands, buildLoadFile, encodeInstallParameters, encodePrivileges, type SecureChannelSession } from '../../src/gp/index.ts';
import { decodeCardState, encodeCardState, type VirtualSecureElement } from '../../src/se/index.ts';
import { APPLET, CAP, ISD, PACKAGE, capVariant, contentCard, openSd, sendLoad, swOf } from './content-helpers.ts';

const C9 = encodeInstallParameters({ applicationSpecific: new Uint8Array(0) });
const INSTANCE = fromHex('0102030405060708AA');
const OTHER = fromHex('0102030406');

/** Valid commands whose data the property mutates. */
const SEEDS: readonly CommandApdu[] = [
  buildInstall({ kind: 'install', loadFileAid: PACKAGE, moduleAid: APPLET, applicationAid: INSTANCE, privileges: encodePrivileges([]), parameters: encodeInstallParameters({ applicationSpecific: new Uint8Array(0), system: { implicitSelection: [{ contact: true, contactless: false, channel: 1 }] } }), makeSelectable: true }),
  buildInstall({ kind: 'install', loadFileAid: fromHex('A0000001515350'), moduleAid: fromHex('A000000151535041'), applicationAid: fromHex('A000000151535041AA'), privileges: encodePrivileges(['SecurityDomain', 'AuthorizedManagement']), parameters: C9, makeSelectable: false }),
  buildInstall({ kind: 'load', loadFileAid: OTHER, lfdbHash: CAP.lfdbSha256, parameters: encodeInstallParameters({ system: { nonVolatileCode: 100 } }) }),
  buildInstall({ kind: 'make-selectable', applicationAid: INSTANCE, privileges: encodePrivileges(['CardReset']) }),
  buildInstall({ kind: 'extradition', securityDomainAid: ISD, aid: PACKAGE }),
  buildInstall({ kind: 'registry-update', securityDomainAid: ISD, applicationAid: INSTANCE, privileges: encodePrivileges(['GlobalService']) }),
  buildInstall({ kind: 'personalization', applicationAid: INSTANCE }),
  buildDelete({ kind: 'card-content', aid: PACKAGE, related: true }),
  buildDelete({ kind: 'key', keyId: 1, kvn: 0x30 }),
];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(data: Uint8Array, m: Mutation): Uint8Array {
  const at = data.length === 0 ? 0 : m.at % data.length;
  if (m.kind === 'flip') return data.map((b, i) => (i === at ? m.value : b));
  if (m.kind === 'cut') return data.slice(0, at);
  return Uint8Array.from([...data.subarray(0, at), ...m.bytes, ...data.subarray(at)]);
}

/** A card with the test package loaded, and a sender that reopens the secure channel after a 6982. */
async function fixture(): Promise<{ card: VirtualSecureElement; send: (c: CommandApdu) => Promise<number> }> {
  const card = contentCard();
  let session: SecureChannelSession = (await openSd(card)).session;
  assert.equal((await session.transmit(buildInstall({ kind: 'load', loadFileAid: PACKAGE }))).sw, SW.OK);
  assert.equal((await sendLoad(session, CAP.loadFileDataBlock)).sw, SW.OK);
  const send = async (c: CommandApdu) => {
    const sw = await swOf(session, c);
    if (sw === SW.SECURITY_STATUS_NOT_SATISFIED) session = (await openSd(card)).session;
    return sw;
  };
  return { card, send };
}

function check(card: VirtualSecureElement, sw: number): void {
  assert.notEqual(sw, SW.NO_PRECISE_DIAGNOSIS);
  assert.equal(card.stats.internalErrors, 0, String(card.stats.lastInternalError));
}

describe('hostile card content management commands', () => {
  it('mutated INSTALL / DELETE commands end in a status word', async () => {
    const { card, send } = await fixture();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 255 }), async (i, ms, p2) => {
        const seed = SEEDS[i]!;
        const data = ms.reduce(mutate, seed.data).slice(0, 200);
        const sw = await send(commandApdu({ cla: 0x80, ins: seed.ins, p1: seed.p1, p2: p2 % 4 === 0 ? seed.p2 : p2, data, ne: 256 }));
        check(card, sw);
      }),
      { numRuns: 300 },
    );
    assert.deepEqual(decodeCardState(encodeCardState(card.state)).applications.length, card.state.applications.length);
  });

  it('mutated load files end in a status word and register nothing half-loaded', async () => {
    const { card, send } = await fixture();
    const loadFile = buildLoadFile({ dapBlocks: [{ securityDomainAid: ISD, signature: new Uint8Array(16) }], lfdb: capVariant({ packageAid: OTHER, appletAid: fromHex('0102030406060708') }) });
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: 16, max: 200 }), async (ms, blockSize) => {
        const before = card.state.loadFiles.length;
        check(card, await send(buildInstall({ kind: 'load', loadFileAid: OTHER })));
        const file = ms.reduce(mutate, loadFile);
        if (file.length === 0) return;
        let sw = 0;
        for (const c of buildLoadCommands(file, blockSize)) {
          sw = await send(c);
          check(card, sw);
          if (sw !== SW.OK) break;
        }
        const after = card.state.loadFiles.length;
        assert.ok(after === before || (sw === SW.OK && after === before + 1));
        if (after > before) check(card, await send(buildDelete({ kind: 'card-content', aid: OTHER, related: true })));
      }),
      { numRuns: 150 },
    );
  });
});
