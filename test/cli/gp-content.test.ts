/**
 * Card content through `opentsm gp`: install of the GPPro test CAP (INSTALL [for load], LOAD,
 * INSTALL [for install and make selectable]), lock/unlock, delete with and without related objects,
 * the card life cycle, STORE DATA and raw APDUs — each checked in the card's state file.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { CARD_LIFECYCLE } from '../../src/gp/index.ts';
import { LEGACY_UICC } from '../../src/se/index.ts';
import { loadVectors } from '../helpers/vectors.ts';
import { splitComponents, zipCap } from '../gp/cm/helpers.ts';
import { CardDir, KEY_ARGS, TEST_APPLET_AID, TEST_PACKAGE_AID, gp } from './gp-helpers.ts';

function app(dir: CardDir, aid: string) {
  return dir.state().applications.find((a) => toHex(a.aid) === aid);
}

describe('opentsm gp install / lock / delete', () => {
  const dir = new CardDir();
  const cap = dir.testCap();
  after(() => dir.cleanup());

  it('installs the test CAP: package loaded, applet instance selectable', async () => {
    const r = await gp(['install', cap, '--card', dir.card, ...KEY_ARGS]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Loaded ${TEST_PACKAGE_AID}: 211 bytes in 1 LOAD block\\(s\\) of up to 247$`, 'm'));
    assert.match(r.stdout, new RegExp(`^Installed ${TEST_APPLET_AID} \\(module ${TEST_APPLET_AID}\\), selectable, no privileges$`, 'm'));
    assert.match(r.stderr, new RegExp(`^LOAD ${TEST_PACKAGE_AID}: 1/1 blocks, 214/214 bytes$`, 'm'), 'progress summary on stderr');
    assert.equal(app(dir, TEST_APPLET_AID)?.lifecycle, 0x07);
    assert.ok(dir.state().loadFiles.some((f) => toHex(f.aid) === TEST_PACKAGE_AID));
    const list = await gp(['list', '--card', dir.card, ...KEY_ARGS]);
    assert.match(list.stdout, new RegExp(`^APP +${TEST_APPLET_AID} +SELECTABLE \\(07\\) +no privileges; from ${TEST_PACKAGE_AID}; SD A000000151000000$`, 'm'));
    assert.match(list.stdout, new RegExp(`^PKG +${TEST_PACKAGE_AID} +LOADED \\(01\\) +version 0\\.0; modules ${TEST_APPLET_AID}; SD A000000151000000$`, 'm'));
  });

  it('installs with --create, --default, --params, --to under C-DECRYPTION', async () => {
    await gp(['delete', TEST_PACKAGE_AID, '--force', '--card', dir.card, ...KEY_ARGS]);
    const r = await gp(['install', cap, '--card', dir.card, ...KEY_ARGS, '--sl', 'enc', '--create', 'A00000000101', '--default', '--params', 'CAFE', '--to', 'A000000151000000']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Loaded 0102030405: 211 bytes in 1 LOAD block\(s\) of up to 239$/m, 'C-DECRYPTION padding budgeted');
    assert.match(r.stdout, /^Installed A00000000101 \(module 0102030405060708\), selectable, CardReset$/m);
    const instance = app(dir, 'A00000000101');
    assert.equal(toHex(instance!.installParameters), 'CAFE');
    const list = await gp(['list', '--card', dir.card, ...KEY_ARGS]);
    assert.match(list.stdout, /^APP +A00000000101 +SELECTABLE \(07\) +CardReset; from 0102030405; SD A000000151000000; implicitly selected on channel 0/m);
  });

  it('refuses an applet that is not in the CAP, and a CAP file it cannot read', async () => {
    const r = await gp(['install', cap, '--card', dir.card, ...KEY_ARGS, '--applet', 'A0000000010203']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--applet A0000000010203 is not an applet of this CAP \(its applets: 0102030405060708\) \[ERR_CLI_USAGE\]/);
    const none = await gp(['install', `${dir.dir}/missing.cap`, '--card', dir.card, ...KEY_ARGS]);
    assert.match(none.stderr, /cannot read CAP file .*missing\.cap.*\[ERR_CLI_INPUT\]/);
  });

  it('says what to do when the package is already on the card', async () => {
    const r = await gp(['install', cap, '--card', dir.card, ...KEY_ARGS]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^opentsm: INSTALL \[for load\] 0102030405 failed: 6A80 incorrect parameters in the command data field — the package may already be on the card/m);
  });

  it('locks and unlocks an application (SET STATUS 40)', async () => {
    const lock = await gp(['lock', 'A00000000101', '--card', dir.card, ...KEY_ARGS]);
    assert.equal(lock.code, 0, lock.stderr);
    assert.equal(lock.stdout.trim(), 'Locked A00000000101');
    assert.equal(app(dir, 'A00000000101')?.lifecycle, 0x87);
    const unlock = await gp(['unlock', 'A00000000101', '--card', dir.card, ...KEY_ARGS]);
    assert.equal(unlock.code, 0, unlock.stderr);
    assert.equal(app(dir, 'A00000000101')?.lifecycle, 0x07);
  });

  it('deletes an instance; a package with instances needs --force', async () => {
    const refused = await gp(['delete', TEST_PACKAGE_AID, '--card', dir.card, ...KEY_ARGS]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /DELETE 0102030405 failed: 6985 .*add --force/);
    const one = await gp(['delete', 'A00000000101', '--card', dir.card, ...KEY_ARGS]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(app(dir, 'A00000000101'), undefined);
    const install = await gp(['install', cap, '--card', dir.card, ...KEY_ARGS, '--create', 'A00000000102']);
    assert.equal(install.code, 1, 'package still loaded');
    const all = await gp(['delete', TEST_PACKAGE_AID, '--force', '--card', dir.card, ...KEY_ARGS]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout.trim(), `Deleted ${TEST_PACKAGE_AID} and its related objects`);
    assert.ok(!dir.state().loadFiles.some((f) => toHex(f.aid) === TEST_PACKAGE_AID));
  });

  it('reports a missing object with the status word and advice', async () => {
    const r = await gp(['delete', 'A0000000FFFF', '--card', dir.card, ...KEY_ARGS]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^opentsm: DELETE A0000000FFFF failed: 6A88 referenced data not found — nothing with that AID on the card/m);
  });
});

describe('opentsm gp install of a library package (no Applet component)', () => {
  const dir = new CardDir();
  after(() => dir.cleanup());

  it('loads only, and refuses instance options for it', async () => {
    const components = splitComponents(fromHex(loadVectors<{ vectors: { id: string; code_hex: string }[] }>('gp/misc.json').vectors.find((v) => v.id === 'gppro-cap-lfdb')!.code_hex));
    components.delete('Applet');
    const library = join(dir.dir, 'library.cap');
    writeFileSync(library, zipCap(components));
    const refused = await gp(['install', library, '--card', dir.card, ...KEY_ARGS, '--create', 'A00000000103']);
    assert.match(refused.stderr, /the CAP has no applets to install; --create cannot apply \(it is loaded only\) \[ERR_CLI_USAGE\]/);
    const r = await gp(['install', library, '--card', dir.card, ...KEY_ARGS]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Loaded 0102030405: \d+ bytes in 1 LOAD block\(s\) of up to 247$/m);
    assert.ok(!r.stdout.includes('Installed'));
    assert.ok(dir.state().loadFiles.some((f) => toHex(f.aid) === TEST_PACKAGE_AID));
  });
});

describe('opentsm gp install on an SCP02 legacy UICC', () => {
  const dir = new CardDir(LEGACY_UICC);
  after(() => dir.cleanup());

  it('loads with SCP02 C-MAC + C-DECRYPTION block sizes and installs', async () => {
    const r = await gp(['install', dir.testCap(), '--card', dir.card, ...KEY_ARGS, '--sl', 'enc']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /in 1 LOAD block\(s\) of up to 239$/m);
    assert.equal(app(dir, TEST_APPLET_AID)?.lifecycle, 0x07);
  });
});

describe('opentsm gp card life cycle, store-data, apdu', () => {
  const dir = new CardDir();
  after(() => dir.cleanup());

  it('lock-card and unlock-card (SET STATUS 80)', async () => {
    const lock = await gp(['lock-card', '--card', dir.card, ...KEY_ARGS]);
    assert.equal(lock.code, 0, lock.stderr);
    assert.equal(dir.state().lifecycle, CARD_LIFECYCLE.CARD_LOCKED);
    const unlock = await gp(['unlock-card', '--card', dir.card, ...KEY_ARGS]);
    assert.equal(unlock.code, 0, unlock.stderr);
    assert.equal(dir.state().lifecycle, CARD_LIFECYCLE.SECURED);
  });

  it('set-status refuses TERMINATED without --force and names states', async () => {
    const r = await gp(['set-status', 'card', 'TERMINATED', '--card', dir.card, ...KEY_ARGS]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /TERMINATED cannot be undone.*--force.*\[ERR_CLI_USAGE\]/);
    const bad = await gp(['set-status', 'card', 'SLEEPING', '--card', dir.card, ...KEY_ARGS]);
    assert.match(bad.stderr, /STATE SLEEPING: expected one of INITIALIZED, SECURED, CARD_LOCKED, LOCKED, TERMINATED or a hex byte/);
    const lock = await gp(['set-status', 'card', 'CARD_LOCKED', '--card', dir.card, ...KEY_ARGS]);
    assert.equal(lock.code, 0, lock.stderr);
    assert.equal(dir.state().lifecycle, CARD_LIFECYCLE.CARD_LOCKED);
    const back = await gp(['set-status', 'card', '0F', '--card', dir.card, ...KEY_ARGS]);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(dir.state().lifecycle, CARD_LIFECYCLE.SECURED);
  });

  it('store-data sets the ISD\'s IIN and CIN (BER-TLV)', async () => {
    const r = await gp(['store-data', '42034F5453', '--card', dir.card, ...KEY_ARGS]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'STORE DATA: 5 bytes (BER) in 1 block(s) to Security Domain A000000151000000');
    assert.equal(toHex(dir.state().applications[0]!.sd!.iin!), '4F5453');
    const info = await gp(['info', '--card', dir.card]);
    assert.match(info.stdout, /^IIN: 4F5453$/m);
  });

  it('apdu sends raw commands, plain or inside the secure channel', async () => {
    const plain = await gp(['apdu', '00A4040000', '80CA004200', '80CA00FF00', '--card', dir.card]);
    assert.equal(plain.code, 0, plain.stderr);
    const lines = plain.stdout.trim().split('\n');
    assert.match(lines[0]!, /^6F.* 9000 success$/);
    assert.equal(lines[1], '42034F5453 9000 success');
    assert.equal(lines[2], '6A88 referenced data not found');
    const secure = await gp(['apdu', '--secure', '80F28002024F0000', '--card', dir.card, ...KEY_ARGS]);
    assert.equal(secure.code, 0, secure.stderr);
    assert.match(secure.stdout, /^E3.*4F08A000000151000000.* 9000 success$/m);
    const unsecured = await gp(['apdu', '80F28002024F0000', '--card', dir.card]);
    assert.match(unsecured.stdout, /^6982 security status not satisfied$/m);
    const bad = await gp(['apdu', '80CA', '--card', dir.card]);
    assert.match(bad.stderr, /APDU 1: not a command APDU .*\[ERR_CLI_USAGE\]/);
    const wrapped = await gp(['apdu', '--secure', '80CA004200', '84F28002024F0000', '--card', dir.card, ...KEY_ARGS]);
    assert.match(wrapped.stderr, /APDU 2: with --secure give the plain command \(e\.g\. CLA 80, not 84\)/);
    assert.equal(wrapped.stdout, '', 'nothing sent');
  });
});
