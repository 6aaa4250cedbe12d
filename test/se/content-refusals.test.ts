/**
 * Every refusal of INSTALL, LOAD and DELETE with its exact status word (GPC 2.3.1 Tables 11-26,
 * 11-55, 11-60; gp.md §6), each checked to leave the card state byte-identical.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concat, fromHex, toHex } from '../../src/bytes/index.ts';
import { commandApdu, SW, type CommandApdu } from '../../src/apdu/index.ts';
import {
  APPLICATION_LIFECYCLE,
  SECURITY_DOMAIN_LIFECYCLE,
  buildDelete,
  buildInstall,
  buildLoadCommands,
  buildLoadFile,
  encodeInstallParameters,
  encodePrivileges,
  type InstallRequest,
  type PrivilegeName,
  type SecureChannelSession,
} from '../../src/gp/index.ts';
import { AppletLibrary, type CardState, type VirtualSecureElement } from '../../src/se/index.ts';
import { APPLET, CAP, ISD, PACKAGE, SD_MODULE, SD_PACKAGE, SSD_KEYS, capVariant, contentCard, openSd, refused, sdEntry, sendLoad, swOf, withApps } from './content-helpers.ts';

const C9 = encodeInstallParameters({ applicationSpecific: new Uint8Array(0) });
const INSTANCE = fromHex('0102030405060708AA');
const SSD = fromHex('A000000151535041AB');
const ROOT_SSD = fromHex('A000000151535041CD');
const CHILD_SSD = fromHex('A000000151535041CE');
const E = SW.CONDITIONS_OF_USE_NOT_SATISFIED;
const BAD = SW.INCORRECT_DATA;
const NOT_FOUND = SW.REFERENCED_DATA_NOT_FOUND;

const forLoad = (loadFileAid: Uint8Array, extra: Partial<Extract<InstallRequest, { kind: 'load' }>> = {}) => buildInstall({ kind: 'load', loadFileAid, ...extra });
const forInstall = (applicationAid: Uint8Array, extra: Partial<Extract<InstallRequest, { kind: 'install' }>> = {}) =>
  buildInstall({ kind: 'install', loadFileAid: PACKAGE, moduleAid: APPLET, applicationAid, privileges: encodePrivileges([]), parameters: C9, makeSelectable: true, ...extra });
const sdPrivileges = (...names: PrivilegeName[]) => encodePrivileges(['SecurityDomain', ...names]);

/** A card with the test package loaded through the ISD; `change` crafts the factory state first. */
async function loaded(change?: (s: CardState) => CardState, library?: AppletLibrary): Promise<{ card: VirtualSecureElement; session: SecureChannelSession }> {
  const card = contentCard({ ...(change === undefined ? {} : { change }), ...(library === undefined ? {} : { library }) });
  const { session } = await openSd(card);
  assert.equal((await session.transmit(forLoad(PACKAGE))).sw, SW.OK);
  assert.equal((await sendLoad(session, CAP.loadFileDataBlock)).sw, SW.OK);
  return { card, session };
}

/** Sends the LOAD commands of `loadFile` and returns the status word of the last one sent. */
async function loadRaw(session: SecureChannelSession, commands: readonly CommandApdu[]): Promise<number> {
  let sw = 0;
  for (const c of commands) {
    sw = await swOf(session, c);
    if (sw !== SW.OK) break;
  }
  return sw;
}

describe('INSTALL [for load] refusals', () => {
  it('malformed commands and unsupported roles', async () => {
    const card = contentCard();
    const { session } = await openSd(card);
    await refused(card, session, commandApdu({ cla: 0x80, ins: 0xe6, p1: 0x02, p2: 0x00, data: fromHex('0301020300000000'), ne: 256 }), BAD, 'load file AID of 3 bytes');
    await refused(card, session, commandApdu({ cla: 0x80, ins: 0xe6, p1: 0x02, p2: 0x01, data: forLoad(PACKAGE).data, ne: 256 }), SW.INCORRECT_P1P2, 'P2 01 with P1 02');
    await refused(card, session, buildInstall({ kind: 'load', loadFileAid: PACKAGE, combined: true }), SW.INCORRECT_P1P2, 'combined [for load, install and make selectable] (P1 0E)');
    await refused(card, session, commandApdu({ cla: 0x80, ins: 0xe6, p1: 0x01, p2: 0x00, data: forLoad(PACKAGE).data, ne: 256 }), SW.INCORRECT_P1P2, 'P1 01 is no role');
  });

  it('AIDs already in the registry: 6A80; an unknown or unready Security Domain: 6A88 / 6985', async () => {
    const card = contentCard({ change: withApps(sdEntry(SSD, ['SecurityDomain', 'TrustedPath', 'AuthorizedManagement'], { lifecycle: SECURITY_DOMAIN_LIFECYCLE.SELECTABLE })) });
    const { session } = await openSd(card);
    await refused(card, session, forLoad(SD_PACKAGE), BAD, 'an existing load file AID');
    await refused(card, session, forLoad(ISD), BAD, 'an existing application AID');
    await refused(card, session, forLoad(SD_MODULE), BAD, 'an existing module AID');
    await refused(card, session, forLoad(PACKAGE, { securityDomainAid: fromHex('A0000001515350FFFF') }), NOT_FOUND, 'an unknown Security Domain');
    await refused(card, session, forLoad(PACKAGE, { securityDomainAid: SSD }), E, 'an SSD that is not PERSONALIZED');
  });

  it('tokens, hashes and memory', async () => {
    const card = contentCard({ change: (s) => ({ ...s, memoryQuota: 4096 }) });
    const { session } = await openSd(card);
    await refused(card, session, forLoad(PACKAGE, { lfdbHash: CAP.lfdbSha256, token: new Uint8Array(128) }), BAD, 'a token under Authorized Management');
    await refused(card, session, forLoad(PACKAGE, { token: new Uint8Array(128) }), BAD, 'a token without the LFDB hash');
    await refused(card, session, forLoad(PACKAGE, { lfdbHash: new Uint8Array(10) }), BAD, 'a hash of no known algorithm');
    const big = encodeInstallParameters({ system: { nonVolatileCode: 3000, nonVolatileMemory: 1000 } });
    await refused(card, session, forLoad(PACKAGE, { parameters: big }), SW.NOT_ENOUGH_MEMORY, 'C6 + C8 above the free memory');
    assert.equal((await session.transmit(forLoad(PACKAGE, { parameters: encodeInstallParameters({ system: { nonVolatileCode: 1000 } }) }))).sw, SW.OK);
  });

  it('a Security Domain without Authorized or Delegated Management, or not PERSONALIZED, manages no content: 6985', async () => {
    for (const [privileges, lifecycle] of [
      [['SecurityDomain', 'TrustedPath'], SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED],
      [['SecurityDomain', 'AuthorizedManagement'], SECURITY_DOMAIN_LIFECYCLE.SELECTABLE],
    ] as const) {
      const card = contentCard({ change: withApps(sdEntry(SSD, privileges, { lifecycle, keys: SSD_KEYS })) });
      const { session } = await openSd(card, { sdAid: SSD, keys: SSD_KEYS });
      await refused(card, session, forLoad(PACKAGE), E, `SSD ${privileges.join('+')} ${lifecycle.toString(16)}`);
      await refused(card, session, buildDelete({ kind: 'card-content', aid: SD_PACKAGE }), E, 'DELETE too');
    }
  });
});

describe('card life cycle', () => {
  it('no content management while the card is CARD_LOCKED: 6985', async () => {
    const card = contentCard({ change: (s) => ({ ...s, lifecycle: 0x7f, applications: s.applications.map((a, i) => (i === 0 ? { ...a, lifecycle: 0x7f } : a)) }) });
    const { session } = await openSd(card);
    await refused(card, session, forLoad(PACKAGE), E, 'INSTALL [for load]');
    await refused(card, session, forInstall(INSTANCE, { loadFileAid: SD_PACKAGE, moduleAid: SD_MODULE, privileges: sdPrivileges() }), E, 'INSTALL [for install]');
    await refused(card, session, buildLoadCommands(buildLoadFile({ dapBlocks: [], lfdb: CAP.loadFileDataBlock }), 250)[0]!, E, 'LOAD');
    await refused(card, session, buildDelete({ kind: 'card-content', aid: SD_PACKAGE }), E, 'DELETE');
  });
});

describe('LOAD refusals', () => {
  it('LOAD without INSTALL [for load]: 6985', async () => {
    const card = contentCard();
    const { session } = await openSd(card);
    await refused(card, session, buildLoadCommands(buildLoadFile({ dapBlocks: [], lfdb: CAP.loadFileDataBlock }), 250)[0]!, E, 'no load request');
  });

  it('a gap or a repeated block number: 6A86, and the load is over', async () => {
    const card = contentCard();
    const { session } = await openSd(card);
    const blocks = buildLoadCommands(buildLoadFile({ dapBlocks: [], lfdb: CAP.loadFileDataBlock }), 32);
    for (const wrong of [blocks[2]!, blocks[0]!]) {
      assert.equal((await session.transmit(forLoad(PACKAGE))).sw, SW.OK);
      assert.equal((await session.transmit(blocks[0]!)).sw, SW.OK);
      await refused(card, session, wrong, SW.INCORRECT_P1P2, `block ${wrong.p2} after block 0`);
      await refused(card, session, blocks[1]!, E, 'the abandoned load takes no more blocks');
    }
    assert.equal(card.state.loadFiles.length, 1);
  });

  it('at the last block: hash mismatch 6985, package AID mismatch 6A80, memory 6A84, bad structures 6A80', async () => {
    const card = contentCard({ change: (s) => ({ ...s, memoryQuota: 256 + 200 }) });
    const { session } = await openSd(card);
    const file = buildLoadFile({ dapBlocks: [], lfdb: CAP.loadFileDataBlock });
    const attempt = async (install: CommandApdu, loadFile: Uint8Array, sw: number, what: string) => {
      assert.equal((await session.transmit(install)).sw, SW.OK, `${what}: INSTALL [for load]`);
      const commands = buildLoadCommands(loadFile, 100);
      const before = card.state;
      assert.equal((await loadRaw(session, commands)).toString(16), sw.toString(16), what);
      assert.equal(card.state, before, `${what}: nothing registered`);
    };
    await attempt(forLoad(PACKAGE, { lfdbHash: CAP.lfdbSha1.map((b) => b ^ 1) }), file, E, 'SHA-1 hash mismatch');
    await attempt(forLoad(fromHex('0102030406')), file, BAD, 'package AID ≠ load file AID');
    await attempt(forLoad(PACKAGE), file, SW.NOT_ENOUGH_MEMORY, '211 bytes in 200 free');
    await attempt(forLoad(PACKAGE), buildLoadFile({ dapBlocks: [], cipheredLfdb: new Uint8Array(32) }), BAD, 'a ciphered LFDB (D4)');
    await attempt(forLoad(PACKAGE), concat(fromHex('C50100'), file), BAD, 'an unknown object before C4');
    await attempt(forLoad(PACKAGE), buildLoadFile({ dapBlocks: [], lfdb: fromHex('0100020000') }), BAD, 'an LFDB that is no CAP');
    await attempt(forLoad(PACKAGE), buildLoadFile({ dapBlocks: [{ securityDomainAid: ISD, signature: new Uint8Array(8) }], lfdb: CAP.loadFileDataBlock }), E, 'a DAP block without the hash');
  });

  it('Executable Module AIDs are unique on the card (6A80); another package with its own applet loads', async () => {
    const { card, session } = await loaded();
    const twin = capVariant({ packageAid: fromHex('0102030406'), appletAid: APPLET });
    assert.equal((await session.transmit(forLoad(fromHex('0102030406')))).sw, SW.OK);
    const before = card.state;
    assert.equal((await loadRaw(session, buildLoadCommands(buildLoadFile({ dapBlocks: [], lfdb: twin }), 100))).toString(16), '6a80');
    assert.equal(card.state, before);
    const other = capVariant({ packageAid: fromHex('0102030406'), appletAid: fromHex('0102030406060708') });
    assert.equal((await session.transmit(forLoad(fromHex('0102030406')))).sw, SW.OK);
    assert.equal((await sendLoad(session, other)).sw, SW.OK);
    assert.equal(card.state.loadFiles.length, 3);
  });
});

describe('INSTALL [for install] refusals', () => {
  it('unknown load file or module: 6A88; taken or malformed values: 6A80', async () => {
    const { card, session } = await loaded();
    await refused(card, session, forInstall(INSTANCE, { loadFileAid: fromHex('0102030499') }), NOT_FOUND, 'unknown load file');
    await refused(card, session, forInstall(INSTANCE, { moduleAid: fromHex('0102030405060799') }), NOT_FOUND, 'unknown module');
    await refused(card, session, forInstall(ISD), BAD, 'instance AID of an application');
    await refused(card, session, forInstall(PACKAGE), BAD, 'instance AID of a load file');
    const reset = forInstall(INSTANCE, { privileges: encodePrivileges(['CardReset']) });
    await refused(card, session, commandApdu({ cla: reset.cla, ins: reset.ins, p1: 0x04, p2: 0x00, data: reset.data, ne: 256 }), BAD, 'Card Reset without make selectable');
    await refused(card, session, forInstall(INSTANCE, { parameters: encodeInstallParameters({ system: { volatileMemory: 10 } }) }), BAD, 'no C9');
    await refused(card, session, forInstall(INSTANCE, { privileges: sdPrivileges('AuthorizedManagement') }), BAD, 'SD privilege on an applet module');
    await refused(card, session, forInstall(fromHex('A000000151535041AC'), { loadFileAid: SD_PACKAGE, moduleAid: SD_MODULE }), BAD, 'the SD module without the SD privilege');
    await refused(card, session, forInstall(INSTANCE, { privileges: encodePrivileges(['AuthorizedManagement']) }), BAD, 'Authorized Management without the SD privilege');
    await refused(card, session, forInstall(SSD, { loadFileAid: SD_PACKAGE, moduleAid: SD_MODULE, privileges: sdPrivileges('AuthorizedManagement', 'DelegatedManagement') }), BAD, 'AM and DM together');
    await refused(card, session, forInstall(SSD, { loadFileAid: SD_PACKAGE, moduleAid: SD_MODULE, privileges: sdPrivileges(), parameters: encodeInstallParameters({ applicationSpecific: fromHex('FFFF') }) }), BAD, 'an SD whose C9 is not BER-TLV');
    const cf = encodeInstallParameters({ applicationSpecific: new Uint8Array(0), system: { implicitSelection: [{ contact: true, contactless: false, channel: 1 }] } });
    await refused(card, session, forInstall(INSTANCE, { parameters: cf, makeSelectable: false }), BAD, 'CF without make selectable');
    const twoBytePrivileges = fromHex('05' + toHex(PACKAGE) + '08' + toHex(APPLET) + '09' + toHex(INSTANCE) + '020000' + '02C900' + '00');
    await refused(card, session, commandApdu({ cla: 0x80, ins: 0xe6, p1: 0x0c, p2: 0x00, data: twoBytePrivileges, ne: 256 }), BAD, 'privileges of 2 bytes');
    // the module AID may serve as instance AID
    assert.equal((await session.transmit(forInstall(APPLET))).sw, SW.OK);
  });

  it('one implicitly selectable application per channel and interface, one Card Reset holder: 6985', async () => {
    const { card, session } = await loaded();
    const cf = encodeInstallParameters({ applicationSpecific: new Uint8Array(0), system: { implicitSelection: [{ contact: true, contactless: false, channel: 1 }] } });
    assert.equal((await session.transmit(forInstall(INSTANCE, { parameters: cf, privileges: encodePrivileges(['CardReset']) }))).sw, SW.OK);
    await refused(card, session, forInstall(fromHex('0102030405060708BB'), { parameters: cf }), E, 'channel 1 contact is taken');
    await refused(card, session, forInstall(fromHex('0102030405060708BB'), { privileges: encodePrivileges(['CardReset']) }), E, 'Card Reset is held by another application');
  });

  it('memory: 6A84', async () => {
    const { card, session } = await loaded((s) => ({ ...s, memoryQuota: 256 + 211 + 100 }));
    await refused(card, session, forInstall(INSTANCE), SW.NOT_ENOUGH_MEMORY, 'no room for the instance');
  });

  it('an applet whose constructor throws is not installed: 6985', async () => {
    const library = new AppletLibrary().with(APPLET, { name: 'broken', create: () => { throw new Error('constructor failed'); } });
    const { card, session } = await loaded(undefined, library);
    await refused(card, session, forInstall(INSTANCE), E, 'install() threw');
  });

  it('an SSD grants no card-wide privilege it lacks, and installs from no other hierarchy: 6985', async () => {
    const card = contentCard({
      change: withApps(
        sdEntry(SSD, ['SecurityDomain', 'TrustedPath', 'AuthorizedManagement'], { keys: SSD_KEYS }),
        sdEntry(ROOT_SSD, ['SecurityDomain', 'TrustedPath', 'AuthorizedManagement'], { parent: ROOT_SSD, keys: { ...SSD_KEYS, kvn: 0x32 } }),
      ),
    });
    const { session } = await openSd(card, { sdAid: SSD, keys: SSD_KEYS });
    await refused(card, session, forInstall(fromHex('A000000151535041EE'), { loadFileAid: SD_PACKAGE, moduleAid: SD_MODULE, privileges: sdPrivileges('CardLock') }), E, 'Card Lock granted by an SSD');
    assert.equal((await session.transmit(forInstall(fromHex('A000000151535041EE'), { loadFileAid: SD_PACKAGE, moduleAid: SD_MODULE, privileges: sdPrivileges('AuthorizedManagement') }))).sw, SW.OK, 'the SD package of its parent ISD serves it');
    const root = await openSd(card, { sdAid: ROOT_SSD, keys: { ...SSD_KEYS, kvn: 0x32 } });
    assert.equal((await root.session.transmit(forLoad(PACKAGE))).sw, SW.OK);
    assert.equal((await sendLoad(root.session, CAP.loadFileDataBlock)).sw, SW.OK);
    assert.equal(toHex(card.state.loadFiles.at(-1)!.sdAid), toHex(ROOT_SSD));
    const isd = await openSd(card);
    await refused(card, isd.session, forInstall(INSTANCE), E, 'the ISD does not install from a load file of a separate hierarchy');
  });
});

describe('INSTALL [for make selectable], [for personalization], [for extradition], [for registry update] refusals', () => {
  const crafted = () =>
    withApps(
      { ...sdEntry(SSD, ['SecurityDomain', 'TrustedPath', 'AuthorizedManagement'], { keys: SSD_KEYS }) },
      sdEntry(fromHex('A000000151535041AD'), ['SecurityDomain', 'TrustedPath', 'AuthorizedManagement'], { lifecycle: SECURITY_DOMAIN_LIFECYCLE.SELECTABLE }),
      sdEntry(fromHex('A000000151535041AE'), ['SecurityDomain', 'TrustedPath', 'DAPVerification']),
      sdEntry(ROOT_SSD, ['SecurityDomain', 'TrustedPath', 'AuthorizedManagement'], { parent: ROOT_SSD }),
      sdEntry(CHILD_SSD, ['SecurityDomain', 'TrustedPath'], { parent: SSD }),
    );

  it('make selectable', async () => {
    const { card, session } = await loaded(crafted());
    assert.equal((await session.transmit(forInstall(INSTANCE, { makeSelectable: false }))).sw, SW.OK);
    const makeSelectable = (aid: Uint8Array) => buildInstall({ kind: 'make-selectable', applicationAid: aid, privileges: encodePrivileges([]) });
    await refused(card, session, makeSelectable(fromHex('0102030405060799')), NOT_FOUND, 'unknown application');
    await refused(card, session, makeSelectable(ISD), E, 'the ISD');
    await refused(card, session, makeSelectable(SSD), E, 'an SSD already PERSONALIZED');
    await refused(card, session, makeSelectable(ROOT_SSD), E, 'an SSD of a separate hierarchy');
    assert.equal((await session.transmit(makeSelectable(INSTANCE))).sw, SW.OK);
    await refused(card, session, makeSelectable(INSTANCE), E, 'already SELECTABLE');
  });

  it('personalization', async () => {
    const { card, session } = await loaded(crafted());
    const locked = fromHex('0102030405060708CC');
    assert.equal((await session.transmit(forInstall(locked))).sw, SW.OK);
    assert.equal((await session.transmit(forInstall(INSTANCE))).sw, SW.OK);
    assert.equal((await session.transmit(buildInstall({ kind: 'extradition', securityDomainAid: SSD, aid: INSTANCE }))).sw, SW.OK);
    const lockedState = { ...card.state, applications: card.state.applications.map((a) => (toHex(a.aid) === toHex(locked) ? { ...a, lifecycle: APPLICATION_LIFECYCLE.SELECTABLE | 0x80 } : a)) };
    const lockedCard = contentCard({ change: () => lockedState });
    const forPerso = (aid: Uint8Array) => buildInstall({ kind: 'personalization', applicationAid: aid });
    await refused(card, session, forPerso(fromHex('0102030405060799')), NOT_FOUND, 'unknown application');
    await refused(card, session, forPerso(INSTANCE), E, 'associated with another SD');
    await refused(card, session, forPerso(ISD), E, 'the SD itself');
    const l = await openSd(lockedCard);
    await refused(lockedCard, l.session, forPerso(locked), E, 'a LOCKED application');
    // an SD without Trusted Path does not forward (§6.7)
    const noPath = contentCard({ change: withApps(sdEntry(SSD, ['SecurityDomain', 'AuthorizedManagement'], { keys: SSD_KEYS }), { ...card.state.applications.find((a) => toHex(a.aid) === toHex(INSTANCE))!, sdAid: SSD }) });
    const s = await openSd(noPath, { sdAid: SSD, keys: SSD_KEYS });
    await refused(noPath, s.session, forPerso(INSTANCE), E, 'no Trusted Path');
  });

  it('extradition', async () => {
    const { card, session } = await loaded(crafted());
    assert.equal((await session.transmit(forInstall(INSTANCE))).sw, SW.OK);
    const extradite = (to: Uint8Array, aid: Uint8Array) => buildInstall({ kind: 'extradition', securityDomainAid: to, aid });
    await refused(card, session, extradite(fromHex('A0000001515350FFFF'), INSTANCE), NOT_FOUND, 'unknown destination');
    await refused(card, session, extradite(INSTANCE, PACKAGE), NOT_FOUND, 'a destination that is no SD');
    await refused(card, session, extradite(fromHex('A000000151535041AD'), INSTANCE), E, 'a destination not PERSONALIZED');
    await refused(card, session, extradite(SSD, fromHex('0102030405060799')), NOT_FOUND, 'unknown application or load file');
    await refused(card, session, extradite(SSD, ISD), E, 'the ISD');
    await refused(card, session, extradite(fromHex('A000000151535041AE'), PACKAGE), E, 'a load file to a DAP Verification SD');
    await refused(card, session, extradite(ISD, ROOT_SSD), E, 'an SSD of a separate hierarchy');
    await refused(card, session, extradite(CHILD_SSD, SSD), E, 'an SD under one of its own descendants');
    assert.equal((await session.transmit(extradite(SSD, SSD))).sw, SW.OK, 'an SD may become the root of its own hierarchy (§7.2)');
  });

  it('registry update', async () => {
    const { card, session } = await loaded(crafted());
    assert.equal((await session.transmit(forInstall(INSTANCE))).sw, SW.OK);
    const update = (fields: Partial<Extract<InstallRequest, { kind: 'registry-update' }>>) => buildInstall({ kind: 'registry-update', ...fields });
    await refused(card, session, update({ applicationAid: fromHex('0102030405060799'), privileges: encodePrivileges([]) }), NOT_FOUND, 'unknown application');
    await refused(card, session, update({ applicationAid: INSTANCE, parameters: encodeInstallParameters({ system: { restrict: 0x01 } }) }), BAD, 'D9 restrict (not supported)');
    await refused(card, session, update({ parameters: encodeInstallParameters({ system: { restrict: 0x01 } }) }), BAD, 'restricting OPEN');
    await refused(card, session, update({}), BAD, 'no application AID');
    await refused(card, session, update({ applicationAid: INSTANCE, privileges: sdPrivileges() }), BAD, 'an application cannot become an SD');
    await refused(card, session, update({ applicationAid: SSD, privileges: encodePrivileges([]) }), BAD, 'an SD cannot become an application');
    await refused(card, session, update({ applicationAid: ISD, privileges: encodePrivileges([]) }), E, 'the ISD');
    await refused(card, session, update({ applicationAid: ROOT_SSD, privileges: sdPrivileges() }), E, 'an SD of a separate hierarchy');
    await refused(card, session, update({ applicationAid: INSTANCE, securityDomainAid: fromHex('A000000151535041AD') }), E, 'extradition to an SD not PERSONALIZED');
    // atomic: a valid privilege change with an impossible extradition changes nothing
    await refused(card, session, update({ applicationAid: INSTANCE, securityDomainAid: fromHex('A000000151535041AD'), privileges: encodePrivileges(['GlobalService']) }), E, 'all or nothing');
  });
});

describe('DELETE refusals', () => {
  it('unknown AID 6A88; the ISD, a load file with instances, an SD with content: 6985', async () => {
    const { card, session } = await loaded(withApps(sdEntry(SSD, ['SecurityDomain', 'TrustedPath', 'AuthorizedManagement'], { keys: SSD_KEYS })));
    assert.equal((await session.transmit(forInstall(INSTANCE))).sw, SW.OK);
    assert.equal((await session.transmit(buildInstall({ kind: 'extradition', securityDomainAid: SSD, aid: INSTANCE }))).sw, SW.OK);
    const del = (aid: Uint8Array, related = false) => buildDelete({ kind: 'card-content', aid, related });
    await refused(card, session, del(fromHex('0102030499')), NOT_FOUND, 'unknown AID');
    await refused(card, session, del(ISD), E, 'the ISD');
    await refused(card, session, del(PACKAGE), E, 'a load file with an instance');
    await refused(card, session, del(SSD), E, 'an SSD with an associated application');
    await refused(card, session, del(SD_PACKAGE, true), E, 'the SD package with related objects takes the ISD along');
    await refused(card, session, buildDelete({ kind: 'card-content', aid: INSTANCE, token: new Uint8Array(64) }), BAD, 'a Delete Token under Authorized Management');
    await refused(card, session, buildDelete({ kind: 'key', kvn: 0x7f }), NOT_FOUND, 'no key set 7F');
    // the SSD may not delete the ISD's load file, nor itself
    const ssd = await openSd(card, { sdAid: SSD, keys: SSD_KEYS });
    await refused(card, ssd.session, del(PACKAGE, true), E, 'content of the ISD without Global Delete');
    await refused(card, ssd.session, del(SSD), E, 'itself');
    assert.equal((await ssd.session.transmit(del(INSTANCE))).sw, SW.OK, 'its own application');
  });

  it('a load file imported by another is not deleted; a LOCKED application is; Global Delete reaches other hierarchies', async () => {
    const importer = capVariant({ packageAid: fromHex('0102030406'), appletAid: fromHex('0102030406060708'), importAid: PACKAGE });
    const { card, session } = await loaded(withApps(sdEntry(ROOT_SSD, ['SecurityDomain', 'TrustedPath', 'AuthorizedManagement'], { parent: ROOT_SSD, keys: SSD_KEYS })));
    assert.equal((await session.transmit(forLoad(fromHex('0102030406')))).sw, SW.OK);
    assert.equal((await sendLoad(session, importer)).sw, SW.OK);
    await refused(card, session, buildDelete({ kind: 'card-content', aid: PACKAGE, related: true }), E, 'imported by 0102030406');
    assert.equal((await session.transmit(buildDelete({ kind: 'card-content', aid: fromHex('0102030406') }))).sw, SW.OK);
    // content of a separate hierarchy: the ISD has Global Delete
    const root = await openSd(card, { sdAid: ROOT_SSD, keys: SSD_KEYS });
    assert.equal((await root.session.transmit(forLoad(fromHex('0102030406')))).sw, SW.OK);
    assert.equal((await sendLoad(root.session, importer)).sw, SW.OK);
    assert.equal((await root.session.transmit(buildInstall({ kind: 'install', loadFileAid: fromHex('0102030406'), moduleAid: fromHex('0102030406060708'), applicationAid: INSTANCE, privileges: encodePrivileges([]), parameters: C9, makeSelectable: true }))).sw, SW.OK);
    const locked = { ...card.state, applications: card.state.applications.map((a) => (toHex(a.aid) === toHex(INSTANCE) ? { ...a, lifecycle: 0x87 } : a)) };
    const again = contentCard({ change: () => locked });
    const r = await openSd(again, { sdAid: ROOT_SSD, keys: SSD_KEYS });
    assert.equal((await r.session.transmit(buildDelete({ kind: 'card-content', aid: INSTANCE }))).sw, SW.OK, 'a LOCKED application by its SD');
    const isd = await openSd(again);
    assert.equal((await isd.session.transmit(buildDelete({ kind: 'card-content', aid: fromHex('0102030406'), related: true }))).sw, SW.OK, 'Global Delete');
    assert.equal(again.state.loadFiles.some((f) => toHex(f.aid) === '0102030406'), false);
  });
});
