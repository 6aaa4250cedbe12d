/**
 * The full content-management round trip of the issue "virtual Secure Element", every step checked
 * through GET STATUS (what a TSM sees), not through the card's internals: authenticate to the ISD,
 * create an SSD, put its keys, the SP takes the SSD over with its own keys and marks it
 * PERSONALIZED, loads a CAP through it, installs, personalizes, locks, unlocks and deletes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { SW, responseApdu, type CommandApdu, type ResponseApdu } from '../../src/apdu/index.ts';
import {
  APPLICATION_LIFECYCLE,
  SECURITY_DOMAIN_LIFECYCLE,
  buildDelete,
  buildInstall,
  buildPutKeyWith,
  buildSetStatus,
  buildStoreData,
  encodeInstallParameters,
  encodePrivileges,
  getStatusAll,
  type SecureChannelSession,
} from '../../src/gp/index.ts';
import { AppletLibrary, STRICT_ESE, type Applet, type PersonalizationContext } from '../../src/se/index.ts';
import { APPLET, CAP, PACKAGE, SD_MODULE, SD_PACKAGE, sendLoad } from './content-helpers.ts';
import { ISD, aesWrapper, keySet, keysCard, openSd } from './keys-fixtures.ts';

const SSD = fromHex('A00000015153504441');
const INSTANCE = fromHex('010203040506070801');

/** A test applet that keeps what STORE DATA brings it (so personalization is observable). */
const recorder: Applet = {
  select: () => responseApdu(new Uint8Array(0), SW.OK),
  process: (c: CommandApdu): ResponseApdu => responseApdu(new Uint8Array(0), c.ins === 0xca ? SW.OK : SW.INS_NOT_SUPPORTED),
  storeData(command: CommandApdu, ctx: PersonalizationContext): ResponseApdu {
    const before = (ctx.persistent as { records?: string[] } | undefined)?.records ?? [];
    ctx.setPersistent({ records: [...before, toHex(command.data)] });
    return responseApdu(new Uint8Array(0), SW.OK);
  },
};

async function registry(session: SecureChannelSession) {
  const send = (c: CommandApdu) => session.transmit(c);
  const apps = await getStatusAll(send, { scope: 'applications' });
  const files = await getStatusAll(send, { scope: 'loadFilesAndModules' });
  const find = (aid: Uint8Array) => apps.find((a) => toHex(a.aid) === toHex(aid));
  return { apps, files, find, hasFile: (aid: Uint8Array) => files.some((f) => toHex(f.aid) === toHex(aid)) };
}

describe('content management round trip, checked through GET STATUS', () => {
  it('authenticate, create an SSD, put its keys, load, install, personalize, lock, unlock, delete', async () => {
    const library = new AppletLibrary().with(APPLET, { name: 'recorder', create: () => recorder });
    const card = keysCard({ profile: STRICT_ESE, library });
    const ok = (r: ResponseApdu, what: string) => assert.equal(r.sw.toString(16), '9000', what);

    // 1. the SEI authenticates to the ISD and creates an SSD with Authorized Management
    const isd = await openSd(card, { level: 0x33 });
    const ssdPrivileges = encodePrivileges(['SecurityDomain', 'AuthorizedManagement', 'TrustedPath']);
    ok(await isd.session.transmit(buildInstall({ kind: 'install', loadFileAid: SD_PACKAGE, moduleAid: SD_MODULE, applicationAid: SSD, privileges: ssdPrivileges, parameters: encodeInstallParameters({ applicationSpecific: new Uint8Array(0) }), makeSelectable: true })), 'INSTALL SSD');
    assert.equal((await registry(isd.session)).find(SSD)?.lifecycle, SECURITY_DOMAIN_LIFECYCLE.SELECTABLE);

    // 2. its initial keys, through the ISD (INSTALL [for personalization] then PUT KEY)
    ok(await isd.session.transmit(buildInstall({ kind: 'personalization', applicationAid: SSD })), 'INSTALL [for personalization] of the SSD');
    const initial = keySet(0x30, 0x11, 16);
    ok(await isd.session.transmit(await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x30, firstKeyId: 1 }, [initial.enc, initial.mac, initial.dek], aesWrapper(isd.session))), 'PUT KEY initial SSD keys');
    isd.session.close();

    // 3. the SP takes the SSD over on its own channel: replaces the keys, marks it PERSONALIZED
    const first = await openSd(card, { level: 0x33, sdAid: SSD, keys: initial });
    const own = keySet(0x30, 0x71, 16);
    ok(await first.session.transmit(await buildPutKeyWith({ replaceKvn: 0x30, newKvn: 0x30, firstKeyId: 1 }, [own.enc, own.mac, own.dek], aesWrapper(first.session))), 'PUT KEY takeover');
    first.session.close();
    await assert.rejects(openSd(card, { level: 0x01, sdAid: SSD, keys: initial }), 'the initial keys no longer open the SSD');
    const sp = await openSd(card, { level: 0x33, sdAid: SSD, keys: own });
    ok(await sp.session.transmit(buildSetStatus({ scope: 'application', aid: SSD, state: SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED })), 'SET STATUS PERSONALIZED');
    assert.equal((await registry(sp.session)).find(SSD)?.lifecycle, SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED);

    // 4. load the CAP and install its applet through the SSD
    ok(await sp.session.transmit(buildInstall({ kind: 'load', loadFileAid: PACKAGE, securityDomainAid: SSD, lfdbHash: CAP.lfdbSha256 })), 'INSTALL [for load]');
    ok(await sendLoad(sp.session, CAP.loadFileDataBlock, { blockSize: 96 }), 'LOAD');
    ok(await sp.session.transmit(buildInstall({ kind: 'install', loadFileAid: PACKAGE, moduleAid: APPLET, applicationAid: INSTANCE, privileges: encodePrivileges([]), parameters: encodeInstallParameters({ applicationSpecific: new Uint8Array(0) }), makeSelectable: true })), 'INSTALL [for install and make selectable]');
    let seen = await registry(sp.session);
    assert.ok(seen.hasFile(PACKAGE), 'the load file is listed');
    assert.equal(seen.find(INSTANCE)?.lifecycle, APPLICATION_LIFECYCLE.SELECTABLE);
    assert.equal(toHex(seen.find(INSTANCE)!.domainAid!), toHex(SSD));

    // 5. personalize it: STORE DATA through the SSD reaches the applet
    ok(await sp.session.transmit(buildInstall({ kind: 'personalization', applicationAid: INSTANCE })), 'INSTALL [for personalization]');
    for (const c of buildStoreData(fromHex('0101 03 AABBCC'.replace(/ /g, '')), { format: 'dgi' }, 200)) ok(await sp.session.transmit(c), 'STORE DATA');
    assert.deepEqual(card.state.applications.find((a) => toHex(a.aid) === toHex(INSTANCE))?.data, { records: ['010103AABBCC'] });

    // 6. lock, unlock
    ok(await sp.session.transmit(buildSetStatus({ scope: 'application', aid: INSTANCE, state: 0x80 })), 'lock');
    seen = await registry(sp.session);
    assert.equal(seen.find(INSTANCE)?.lifecycle, APPLICATION_LIFECYCLE.SELECTABLE | 0x80, 'LOCKED');
    ok(await sp.session.transmit(buildSetStatus({ scope: 'application', aid: INSTANCE, state: 0x00 })), 'unlock');
    assert.equal((await registry(sp.session)).find(INSTANCE)?.lifecycle, APPLICATION_LIFECYCLE.SELECTABLE);

    // 7. delete the load file with its instance (P2 b8: related objects), then the SSD from the ISD
    ok(await sp.session.transmit(buildDelete({ kind: 'card-content', aid: PACKAGE, related: true })), 'DELETE load file and instance');
    seen = await registry(sp.session);
    assert.equal(seen.find(INSTANCE), undefined);
    assert.equal(seen.hasFile(PACKAGE), false);
    sp.session.close();
    const isd2 = await openSd(card, { level: 0x03 });
    ok(await isd2.session.transmit(buildDelete({ kind: 'card-content', aid: SSD })), 'DELETE SSD');
    assert.equal((await registry(isd2.session)).find(SSD), undefined);
    assert.equal(toHex(ISD), toHex(card.state.isdAid));
    assert.equal(card.stats.internalErrors, 0);
  });
});
