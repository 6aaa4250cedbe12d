/**
 * Card content management end to end through the real host side (SCP03 over the in-process
 * transport, security levels 03 and 33): INSTALL [for load] + LOAD of the GPPro test CAP in small
 * blocks, INSTALL [for install and make selectable], an SSD from the preloaded SD package,
 * extradition, registry update, INSTALL [for personalization], DELETE — each step checked in the
 * registry (the committed card state) and, where it helps, through GET STATUS.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { encodeCommand, parseResponse, responseApdu, SW } from '../../src/apdu/index.ts';
import {
  APPLICATION_LIFECYCLE,
  SECURITY_DOMAIN_LIFECYCLE,
  buildDelete,
  buildInstall,
  buildLoadCommands,
  buildLoadFile,
  buildSelect,
  buildSetStatus,
  buildStoreData,
  encodeInstallParameters,
  encodePrivileges,
  getStatusAll,
  hasPrivilege,
} from '../../src/gp/index.ts';
import { AppletLibrary, STRICT_ESE, encodeCardState, type Applet, type CardProfile, type CardState } from '../../src/se/index.ts';
import { APPLET, CAP, ISD, PACKAGE, SD_MODULE, SD_PACKAGE, contentCard, openSd, sendChained, sendLoad } from './content-helpers.ts';
import { ISD_KEYS } from './helpers.ts';

const INSTANCE = fromHex('0102030405060708AA');
const INSTANCE_2 = fromHex('0102030405060708BB');
const SSD = fromHex('A00000015153504101');
const C9_EMPTY = encodeInstallParameters({ applicationSpecific: new Uint8Array(0) });
/** A profile whose new SSDs start with a copy of the ISD keys, so the test can open the SSD's own channel. */
const COPY_KEYS: CardProfile = { ...STRICT_ESE, id: 'strict-ese-copy-isd-keys', ssdInitialKeys: 'copy-isd-keys' };

const ok = (r: { sw: number; data: Uint8Array }, what: string) => {
  assert.equal(r.sw.toString(16), '9000', what);
  assert.equal(toHex(r.data), '00', `${what}: response data '00' (no confirmation)`);
};
const app = (s: CardState, aid: Uint8Array) => s.applications.find((a) => toHex(a.aid) === toHex(aid));
const file = (s: CardState, aid: Uint8Array) => s.loadFiles.find((f) => toHex(f.aid) === toHex(aid));

describe('card content management round trip (INSTALL, LOAD, DELETE)', () => {
  for (const securityLevel of [0x03, 0x33]) {
    it(`loads, installs, extradites, updates and deletes at security level ${securityLevel.toString(16)}`, async () => {
      const card = contentCard({ profile: COPY_KEYS });
      const factory = card.state;
      let { session, transport } = await openSd(card, { securityLevel });

      // INSTALL [for load] with the SHA-256 LFDB hash, then LOAD in 64-byte blocks
      ok(await session.transmit(buildInstall({ kind: 'load', loadFileAid: PACKAGE, lfdbHash: CAP.lfdbSha256 })), 'INSTALL [for load]');
      assert.equal(file(card.state, PACKAGE), undefined, 'nothing registered before the last block');
      ok(await sendLoad(session, CAP.loadFileDataBlock, { blockSize: 64 }), 'LOAD');
      const elf = file(card.state, PACKAGE)!;
      assert.deepEqual([toHex(elf.sdAid), elf.modules.map((m) => toHex(m.aid)), toHex(elf.version!), elf.size], [toHex(ISD), [toHex(APPLET)], '0000', 211]);
      assert.equal(toHex(elf.lfdb!), toHex(CAP.loadFileDataBlock));

      // INSTALL [for install and make selectable] of the applet module: an inert applet
      ok(await session.transmit(buildInstall({ kind: 'install', loadFileAid: PACKAGE, moduleAid: APPLET, applicationAid: INSTANCE, privileges: encodePrivileges([]), parameters: C9_EMPTY, makeSelectable: true })), 'INSTALL [for install and make selectable]');
      const instance = app(card.state, INSTANCE)!;
      assert.deepEqual([instance.lifecycle, toHex(instance.sdAid), toHex(instance.loadFileAid), toHex(instance.moduleAid), toHex(instance.privileges)], [APPLICATION_LIFECYCLE.SELECTABLE, toHex(ISD), toHex(PACKAGE), toHex(APPLET), '000000']);

      // GET STATUS (tag format) sees the new load file and instance
      const send = (c: Parameters<typeof session.transmit>[0]) => session.transmit(c);
      const files = await getStatusAll(send, { scope: 'loadFilesAndModules' });
      assert.deepEqual(files.find((f) => toHex(f.aid) === toHex(PACKAGE))?.modules.map(toHex), [toHex(APPLET)]);
      const apps = await getStatusAll(send, { scope: 'applications' });
      assert.equal(apps.find((a) => toHex(a.aid) === toHex(INSTANCE))?.lifecycle, APPLICATION_LIFECYCLE.SELECTABLE);

      // the instance answers SELECT (on logical channel 1, so the ISD session stays open)
      const channel = parseResponse(await transport.transmit(fromHex('0070000001')));
      assert.equal(toHex(channel.data), '01');
      assert.equal(parseResponse(await transport.transmit(encodeCommand(buildSelect(INSTANCE, { channel: 1 })))).sw, SW.OK);

      // an SSD from the preloaded SD package: INSTALL [for install], then [for make selectable]
      const ssdPrivileges = encodePrivileges(['SecurityDomain', 'TrustedPath', 'AuthorizedManagement']);
      ok(await session.transmit(buildInstall({ kind: 'install', loadFileAid: SD_PACKAGE, moduleAid: SD_MODULE, applicationAid: SSD, privileges: ssdPrivileges, parameters: C9_EMPTY, makeSelectable: false })), 'INSTALL SSD');
      const ssd = app(card.state, SSD)!;
      assert.equal(ssd.lifecycle, SECURITY_DOMAIN_LIFECYCLE.INSTALLED);
      assert.equal(toHex(ssd.sdAid), toHex(ISD));
      assert.deepEqual(ssd.sd?.scp, COPY_KEYS.scp);
      assert.equal(ssd.sd?.kdd.length, 10);
      assert.deepEqual(ssd.sd?.keySets.map((k) => [k.kvn, k.counter]), [[ISD_KEYS.kvn, 0]], 'copy-isd-keys: the ISD key set, counter 0');
      ok(await session.transmit(buildInstall({ kind: 'make-selectable', applicationAid: SSD, privileges: encodePrivileges([]) })), 'INSTALL [for make selectable]');
      assert.equal(app(card.state, SSD)!.lifecycle, SECURITY_DOMAIN_LIFECYCLE.SELECTABLE);

      // INSTALL [for personalization] of the SSD (it is associated with the ISD) answers '00'
      ok(await session.transmit(buildInstall({ kind: 'personalization', applicationAid: SSD })), 'INSTALL [for personalization]');

      // the SSD personalizes itself (SET STATUS on its own channel), so it can receive content (§9.4.1)
      session.close();
      const own = await openSd(card, { sdAid: SSD, securityLevel });
      assert.equal((await own.session.transmit(buildSetStatus({ scope: 'application', aid: SSD, state: SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED }))).sw, SW.OK);
      own.session.close();
      ({ session, transport } = await openSd(card, { securityLevel }));

      // extradition of the instance and of the load file to the SSD
      ok(await session.transmit(buildInstall({ kind: 'extradition', securityDomainAid: SSD, aid: INSTANCE })), 'extradite the application');
      ok(await session.transmit(buildInstall({ kind: 'extradition', securityDomainAid: SSD, aid: PACKAGE })), 'extradite the load file');
      assert.equal(toHex(app(card.state, INSTANCE)!.sdAid), toHex(SSD));
      assert.equal(toHex(file(card.state, PACKAGE)!.sdAid), toHex(SSD));

      // registry update: back to the ISD, Global Service, implicitly selectable on channel 2 (contact)
      const update = buildInstall({
        kind: 'registry-update',
        securityDomainAid: ISD,
        applicationAid: INSTANCE,
        privileges: encodePrivileges(['GlobalService']),
        parameters: encodeInstallParameters({ system: { implicitSelection: [{ contact: true, contactless: false, channel: 2 }] } }),
      });
      ok(await session.transmit(update), 'INSTALL [for registry update]');
      const updated = app(card.state, INSTANCE)!;
      assert.equal(toHex(updated.sdAid), toHex(ISD));
      assert.ok(hasPrivilege(updated.privileges, 'GlobalService'));
      assert.deepEqual(updated.implicitSelection, [{ contact: true, contactless: false, channel: 2 }]);

      // a second instance; the load file cannot go alone while it has instances, nor the SSD while it owns the load file
      ok(await session.transmit(buildInstall({ kind: 'install', loadFileAid: PACKAGE, moduleAid: APPLET, applicationAid: INSTANCE_2, privileges: encodePrivileges([]), parameters: C9_EMPTY, makeSelectable: true })), 'second instance');
      assert.equal(toHex(app(card.state, INSTANCE_2)!.sdAid), toHex(SSD), 'an application goes with its load file\'s SD (§9.3.3)');
      assert.equal((await session.transmit(buildDelete({ kind: 'card-content', aid: PACKAGE }))).sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED);
      assert.equal((await session.transmit(buildDelete({ kind: 'card-content', aid: SSD }))).sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED);

      // DELETE the first instance, then the load file with its related objects, then the SSD
      ok(await session.transmit(buildDelete({ kind: 'card-content', aid: INSTANCE })), 'DELETE instance');
      assert.equal(app(card.state, INSTANCE), undefined);
      ok(await session.transmit(buildDelete({ kind: 'card-content', aid: PACKAGE, related: true })), 'DELETE load file and related objects');
      assert.equal(file(card.state, PACKAGE), undefined);
      assert.equal(app(card.state, INSTANCE_2), undefined);
      ok(await session.transmit(buildDelete({ kind: 'card-content', aid: SSD })), 'DELETE SSD');
      assert.equal(app(card.state, SSD), undefined);

      // back to the factory registry (only the ISD's sequence counter moved)
      const strip = (s: CardState) => encodeCardState({ ...s, applications: s.applications.map((a) => ({ ...a, sd: a.sd === undefined ? undefined : { ...a.sd, keySets: a.sd.keySets.map((k) => ({ ...k, counter: 0 })) } })) });
      assert.equal(strip(card.state), strip(factory));
      assert.equal(card.stats.internalErrors, 0);
      session.close();
    });
  }

  it('a chained INSTALL (P1 b8) is reassembled and processed once', async () => {
    const card = contentCard();
    const { session, transport } = await openSd(card);
    const r = await sendChained(session, transport, buildInstall({ kind: 'install', loadFileAid: SD_PACKAGE, moduleAid: SD_MODULE, applicationAid: SSD, privileges: encodePrivileges(['SecurityDomain']), parameters: encodeInstallParameters({ applicationSpecific: fromHex('4581' + 'FF' + '00'.repeat(255)) }), makeSelectable: false }));
    ok(r, 'chained INSTALL');
    assert.equal(app(card.state, SSD)?.installParameters.length, 258);
  });

  it('INSTALL [for personalization] sends the next STORE DATA to the target application', async () => {
    const received: string[] = [];
    const recording: Applet = {
      select: () => responseApdu(new Uint8Array(0), SW.OK),
      process: () => responseApdu(new Uint8Array(0), SW.OK),
      storeData: (command) => {
        received.push(toHex(command.data));
        return responseApdu(new Uint8Array(0), SW.OK);
      },
    };
    const library = new AppletLibrary().with(APPLET, { name: 'recording', create: () => recording });
    const card = contentCard({ library });
    const { session } = await openSd(card, { securityLevel: 0x33 });
    ok(await session.transmit(buildInstall({ kind: 'load', loadFileAid: PACKAGE })), 'INSTALL [for load] without hash');
    ok(await sendLoad(session, CAP.loadFileDataBlock, { blockSize: 200 }), 'LOAD');
    ok(await session.transmit(buildInstall({ kind: 'install', loadFileAid: PACKAGE, moduleAid: APPLET, applicationAid: INSTANCE, privileges: encodePrivileges([]), parameters: C9_EMPTY, makeSelectable: false })), 'INSTALL [for install]');
    assert.equal(app(card.state, INSTANCE)!.lifecycle, APPLICATION_LIFECYCLE.INSTALLED);
    ok(await session.transmit(buildInstall({ kind: 'personalization', applicationAid: INSTANCE })), 'INSTALL [for personalization]');
    const [store] = buildStoreData(fromHex('DF0103010203'), { format: 'ber' }, 200);
    assert.equal((await session.transmit(store!)).sw, SW.OK);
    assert.deepEqual(received, ['DF0103010203']);
  });

  it('Card Reset with make selectable moves the privilege from the ISD and makes the application implicitly selected; DELETE gives both back', async () => {
    const card = contentCard();
    const { session } = await openSd(card);
    ok(await session.transmit(buildInstall({ kind: 'load', loadFileAid: PACKAGE })), 'INSTALL [for load]');
    ok(await sendLoad(session, CAP.loadFileDataBlock), 'LOAD');
    ok(await session.transmit(buildInstall({ kind: 'install', loadFileAid: PACKAGE, moduleAid: APPLET, applicationAid: INSTANCE, privileges: encodePrivileges(['CardReset']), parameters: C9_EMPTY, makeSelectable: true })), 'INSTALL with Card Reset');
    assert.ok(!hasPrivilege(app(card.state, ISD)!.privileges, 'CardReset'));
    assert.deepEqual(app(card.state, INSTANCE)!.implicitSelection, [{ contact: true, contactless: true, channel: 0 }]);
    card.reset();
    assert.equal(toHex(card.selectedOn(0)!), toHex(INSTANCE), 'implicitly selected after reset (§6.4.1)');
    const again = await openSd(card);
    ok(await again.session.transmit(buildDelete({ kind: 'card-content', aid: INSTANCE })), 'DELETE');
    assert.ok(hasPrivilege(app(card.state, ISD)!.privileges, 'CardReset'), 'the ISD takes Card Reset back (§6.6.2)');
    card.reset();
    assert.equal(toHex(card.selectedOn(0)!), toHex(ISD));
  });

  it('a load in progress is volatile: a reset forgets it and nothing half-loaded is registered', async () => {
    const card = contentCard();
    const { session } = await openSd(card);
    const before = encodeCardState(card.state);
    ok(await session.transmit(buildInstall({ kind: 'load', loadFileAid: PACKAGE, lfdbHash: CAP.lfdbSha256 })), 'INSTALL [for load]');
    const blocks = buildLoadCommands(buildLoadFile({ dapBlocks: [], lfdb: CAP.loadFileDataBlock }), 64);
    ok(await session.transmit(blocks[0]!), 'LOAD block 0');
    ok(await session.transmit(blocks[1]!), 'LOAD block 1');
    assert.equal(encodeCardState(card.state), before);
    card.reset(); // power cut
    const again = await openSd(card);
    assert.equal((await again.session.transmit(blocks[2]!)).sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'the load did not survive the reset');
    assert.equal(card.state.loadFiles.length, 1);
  });

  it('DELETE [key] removes keys of the current SD; a missing key is 6A88', async () => {
    const card = contentCard();
    const { session } = await openSd(card);
    assert.equal((await session.transmit(buildDelete({ kind: 'key', keyId: 0x7f, kvn: 0x30 }))).sw, SW.REFERENCED_DATA_NOT_FOUND);
    ok(await session.transmit(buildDelete({ kind: 'key', keyId: 3, kvn: 0x30 })), 'DELETE [key] DEK');
    assert.deepEqual(app(card.state, ISD)!.sd!.keySets[0]!.keys.map((k) => k.id), [1, 2]);
  });
});
