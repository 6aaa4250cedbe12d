import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { commandApdu, SW } from '../../src/apdu/index.ts';
import {
  buildGetStatus,
  getStatusAll,
  parseGetStatusResponse,
  type GetStatusQuery,
  type PrivilegeName,
  type RegistryEntry,
  type SecureChannelSession,
} from '../../src/gp/index.ts';
import { parseTlvList } from '../../src/tlv/index.ts';
import { LEGACY_UICC, STRICT_ESE, type CardProfile } from '../../src/se/index.ts';
import { GET_STATUS_PAGE_SIZE } from '../../src/se/gp/handlers/get-status.ts';
import { ISD, application, keySet, keysCard, loadFile, openSd, snapshot, ssd } from './keys-fixtures.ts';

const SSD1 = 'A000000151535301';
const SSD1_KEYS = keySet(0x30, 0x11, 16);
const SUB = 'A000000151535311'; // an SSD associated with SSD1
const hex2 = (n: number) => n.toString(16).padStart(2, '0').toUpperCase();
const ISD_APPS = Array.from({ length: 40 }, (_, i) => `A00000007701${hex2(i)}01`);
const SSD1_APPS = Array.from({ length: 5 }, (_, i) => `A00000008801${hex2(i)}01`);
const SUB_APP = 'A0000000880200';
const ISD_FILES = Array.from({ length: 25 }, (_, i) => `A00000007702${hex2(i)}`);
const SSD1_FILE = 'A000000088FF';

function registryCard(profile: CardProfile = STRICT_ESE, ssd1Privileges?: PrivilegeName[]) {
  const sd1 = fromHex(SSD1);
  return keysCard({
    profile,
    preloaded: [
      ...ISD_FILES.map((f) => loadFile(f, ISD, [`${f}01`, `${f}02`], '0102')),
      loadFile(SSD1_FILE, sd1, [`${SSD1_FILE}01`]),
    ],
    preinstalled: [
      ...ISD_APPS.map((a, i) => application(a, ISD, { loadFile: ISD_FILES[i % ISD_FILES.length], module: `${ISD_FILES[i % ISD_FILES.length]}01`, lifecycle: i % 7 === 0 ? 0x87 : 0x07 })),
      ssd(SSD1, ISD, { keys: [SSD1_KEYS], profile, ...(ssd1Privileges === undefined ? {} : { privileges: ssd1Privileges }) }),
      ...SSD1_APPS.map((a) => application(a, sd1, { loadFile: SSD1_FILE, module: `${SSD1_FILE}01` })),
      ssd(SUB, sd1, { profile }),
      application(SUB_APP, fromHex(SUB), { loadFile: SSD1_FILE }),
    ],
  });
}

function all(session: SecureChannelSession, query: GetStatusQuery): Promise<readonly RegistryEntry[]> {
  return getStatusAll((c) => session.transmit(c), query);
}

const aids = (entries: readonly RegistryEntry[]) => entries.map((e) => toHex(e.aid));

describe('GET STATUS, tag format (GPC 2.3.1 §11.4, Tables 11-36 / 11-37)', () => {
  it('P1 80: the ISD with the card life cycle, its privileges and itself as associated SD', async () => {
    const card = registryCard();
    const { session } = await openSd(card, { level: 0x01 });
    const r = await session.transmit(buildGetStatus({ scope: 'isd', aid: fromHex('A0') }));
    assert.equal(r.sw, SW.OK);
    const [isd] = parseGetStatusResponse(r.data, { scope: 'isd' });
    assert.deepEqual([toHex(isd!.aid), isd!.lifecycle, toHex(isd!.privileges!), toHex(isd!.domainAid!), toHex(isd!.loadFileAid!)], [
      toHex(ISD), 0x0f, toHex(card.state.applications[0]!.privileges), toHex(ISD), 'A0000001515350',
    ]);
  });

  for (const level of [0x01, 0x33]) {
    it(`P1 40 pages every application and SSD but the ISD, 6310 then "get next" (SL ${level.toString(16)})`, async () => {
      const card = registryCard();
      const { session, transport } = await openSd(card, { level });
      const start = transport.log.length;
      const entries = await all(session, { scope: 'applications' });
      const expected = card.state.applications.slice(1);
      assert.deepEqual(aids(entries), expected.map((a) => toHex(a.aid)));
      assert.deepEqual(entries.map((e) => [e.lifecycle, toHex(e.privileges!), toHex(e.loadFileAid!), toHex(e.domainAid!)]), expected.map((a) => [a.lifecycle, toHex(a.privileges), toHex(a.loadFileAid), toHex(a.sdAid)]));
      const pages = transport.log.slice(start);
      assert.ok(pages.length >= 3, `${pages.length} pages`);
      assert.deepEqual(pages.map((p) => toHex(p.response.subarray(-2))), [...Array.from({ length: pages.length - 1 }, () => '6310'), '9000']);
      assert.ok(pages.every((p) => p.response.length <= 258), 'each page fits a short response with its secure messaging');
    });
  }

  it('P1 20 lists load files with version and SD; P1 10 adds the modules', async () => {
    const card = registryCard();
    const { session } = await openSd(card, { level: 0x03 });
    const files = await all(session, { scope: 'loadFiles' });
    assert.deepEqual(aids(files), card.state.loadFiles.map((f) => toHex(f.aid)));
    assert.deepEqual([files[1]!.lifecycle, toHex(files[1]!.version!), toHex(files[1]!.domainAid!), files[1]!.modules.length], [0x01, '0102', toHex(ISD), 0]);
    const withModules = await all(session, { scope: 'loadFilesAndModules' });
    assert.deepEqual(withModules[1]!.modules.map(toHex), [`${ISD_FILES[0]}01`, `${ISD_FILES[0]}02`]);
    assert.deepEqual(withModules.at(-1)!.modules.map(toHex), [`${SSD1_FILE}01`]);
  });

  it('search criteria: an AID prefix; nothing found is 6A88; P1 80 ignores the criteria', async () => {
    const card = registryCard();
    const { session } = await openSd(card, { level: 0x01 });
    assert.deepEqual(aids(await all(session, { scope: 'applications', aid: fromHex('A000000088') })), [...SSD1_APPS, SUB_APP]);
    assert.deepEqual(aids(await all(session, { scope: 'applications', aid: fromHex(ISD_APPS[3]!) })), [ISD_APPS[3]]);
    assert.equal((await session.transmit(buildGetStatus({ scope: 'applications', aid: fromHex('A000000099') }))).sw, SW.REFERENCED_DATA_NOT_FOUND);
    assert.equal((await session.transmit(buildGetStatus({ scope: 'isd', aid: fromHex('A000000099') }))).sw, SW.OK);
  });

  it('tag list 5C: each E3 holds the listed objects only', async () => {
    const card = registryCard();
    const { session } = await openSd(card, { level: 0x01 });
    const only4f = await session.transmit(buildGetStatus({ scope: 'applications', aid: fromHex(SSD1), tagList: [0x4f] }));
    assert.deepEqual(parseTlvList(only4f.data).map((e3) => e3.children!.map((c) => c.tag)), [[0x4f]]);
    const some = await all(session, { scope: 'applications', aid: fromHex('A000000088'), tagList: [0x4f, 0x9f70, 0xcc] });
    assert.ok(some.every((e) => e.privileges === undefined && e.loadFileAid === undefined && e.domainAid !== undefined));
  });

  it('a Security Domain without Global Registry sees its own hierarchy only, and not P1 80 (6A86)', async () => {
    const card = registryCard();
    const { session } = await openSd(card, { level: 0x01, sdAid: fromHex(SSD1), keys: SSD1_KEYS });
    assert.deepEqual(aids(await all(session, { scope: 'applications' })), [SSD1, ...SSD1_APPS, SUB, SUB_APP]);
    assert.deepEqual(aids(await all(session, { scope: 'loadFiles' })), [SSD1_FILE]);
    assert.equal((await session.transmit(buildGetStatus({ scope: 'applications', aid: fromHex(ISD_APPS[0]!) }))).sw, SW.REFERENCED_DATA_NOT_FOUND);
    assert.equal((await session.transmit(buildGetStatus({ scope: 'isd' }))).sw, SW.INCORRECT_P1P2);
  });

  it('with Global Registry an SSD sees the whole registry, ISD included', async () => {
    const card = registryCard(STRICT_ESE, ['SecurityDomain', 'GlobalRegistry']);
    const { session } = await openSd(card, { level: 0x01, sdAid: fromHex(SSD1), keys: SSD1_KEYS });
    assert.equal((await all(session, { scope: 'applications' })).length, card.state.applications.length - 1);
    assert.equal((await all(session, { scope: 'loadFiles' })).length, card.state.loadFiles.length);
    assert.equal((await session.transmit(buildGetStatus({ scope: 'isd' }))).sw, SW.OK);
  });
});

describe('GET STATUS paging and the legacy format', () => {
  it('"get next" without a "get first", after the last page, or for another P1: 6985 (§11.4.2.2)', async () => {
    const card = registryCard();
    const { session } = await openSd(card, { level: 0x01 });
    const before = snapshot(card);
    assert.equal((await session.transmit(buildGetStatus({ scope: 'applications', next: true }))).sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    assert.equal((await session.transmit(buildGetStatus({ scope: 'applications' }))).sw, SW.MORE_DATA_AVAILABLE);
    assert.equal((await session.transmit(buildGetStatus({ scope: 'loadFiles', next: true }))).sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    assert.equal((await session.transmit(buildGetStatus({ scope: 'applications', next: true }))).sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'the mismatch dropped the rest');
    await all(session, { scope: 'loadFiles' });
    assert.equal((await session.transmit(buildGetStatus({ scope: 'loadFiles', next: true }))).sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    assert.equal((await session.transmit(commandApdu({ cla: 0x80, ins: 0xf2, p1: 0x80, p2: 0x03, data: fromHex('4F00'), ne: 256 }))).sw, SW.INCORRECT_P1P2, 'never "next" for the ISD');
    assert.equal(snapshot(card), before);
  });

  it('the pages hold whole entries of at most the page size', async () => {
    const card = registryCard();
    const { session } = await openSd(card, { level: 0x01 });
    let r = await session.transmit(buildGetStatus({ scope: 'applications' }));
    let total = 0;
    for (;;) {
      assert.ok(r.data.length <= GET_STATUS_PAGE_SIZE && r.data.length > GET_STATUS_PAGE_SIZE / 2);
      total += parseGetStatusResponse(r.data, { scope: 'applications' }).length;
      if (r.sw === SW.OK) break;
      r = await session.transmit(buildGetStatus({ scope: 'applications', next: true }));
    }
    assert.equal(total, card.state.applications.length - 1);
  });

  for (const [name, profile] of [['strict', STRICT_ESE], ['legacy-only SCP02', LEGACY_UICC]] as const) {
    it(`the legacy format (P2 b2 = 0) pages too, privileges as one byte (${name})`, async () => {
      const card = registryCard(profile);
      const { session } = await openSd(card, { level: 0x03 });
      const apps = await all(session, { scope: 'applications', format: 'legacy' });
      assert.deepEqual(aids(apps), card.state.applications.slice(1).map((a) => toHex(a.aid)));
      assert.deepEqual(apps.map((e) => [e.lifecycle, toHex(e.privileges!)]), card.state.applications.slice(1).map((a) => [a.lifecycle, toHex(a.privileges.subarray(0, 1))]));
      const isd = await all(session, { scope: 'isd', format: 'legacy' });
      assert.deepEqual([toHex(isd[0]!.aid), isd[0]!.lifecycle], [toHex(ISD), 0x0f]);
      const modules = await all(session, { scope: 'loadFilesAndModules', format: 'legacy' });
      assert.deepEqual(modules[1]!.modules.map(toHex), [`${ISD_FILES[0]}01`, `${ISD_FILES[0]}02`]);
    });
  }

  it('a legacy-only card refuses the tag format with 6A86', async () => {
    const card = registryCard(LEGACY_UICC);
    const { session } = await openSd(card, { level: 0x01 });
    assert.equal((await session.transmit(buildGetStatus({ scope: 'applications' }))).sw, SW.INCORRECT_P1P2);
    assert.equal((await session.transmit(buildGetStatus({ scope: 'isd' }))).sw, SW.INCORRECT_P1P2);
  });
});
