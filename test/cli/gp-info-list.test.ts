/**
 * `opentsm gp info` (no keys: every section from GET DATA) and `opentsm gp list` (GET STATUS in the
 * tag format, and the legacy fallback on a card that answers 6A86), on virtual cards in state files.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/bytes/index.ts';
import { FileCardStore, LEGACY_UICC } from '../../src/se/index.ts';
import { ISD_KEYS } from '../se/helpers.ts';
import { CardDir, KEY_ARGS, KEY_ENV, gp } from './gp-helpers.ts';

const ISD = 'A000000151000000';

describe('opentsm gp info', () => {
  const strict = new CardDir();
  const legacy = new CardDir(LEGACY_UICC);
  after(() => {
    strict.cleanup();
    legacy.cleanup();
  });

  it('prints ATR, the ISD, CPLC with dates, card data, IIN/CIN and key information without any key', async () => {
    const r = await gp(['info', '--card', strict.card]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ATR: 3B8B80014F70656E54534D2D6553452A$/m);
    assert.match(r.stdout, new RegExp(`^Security Domain: ${ISD} \\(max command data 255\\)$`, 'm'));
    assert.match(r.stdout, /^ {2}IC serial number +01020304$/m);
    // CPLC dates are YDDD: 6352 is day 352 of a year ending in 6
    assert.match(r.stdout, /^ {2}OS release date +6352 +\d{3}6-12-1[78]$/m);
    assert.match(r.stdout, /^ {2}GP version: +2\.3\.1$/m);
    assert.match(r.stdout, /^ {2}Secure channel: +SCP03 i=70: S8, pseudo-random challenge, R-MAC, R-ENCRYPTION$/m);
    assert.match(r.stdout, /^IIN: 42$/m);
    assert.match(r.stdout, /^CIN: 45$/m);
    for (const id of ['01', '02', '03']) assert.match(r.stdout, new RegExp(`^ {2}30 +${id} +AES \\(88\\) 128-bit$`, 'm'));
    assert.match(r.stdout, /^Sequence counter: 000000 \(0\)$/m);
  });

  it('reports what a card does not answer, section by section (legacy UICC: no CPLC, SCP02)', async () => {
    const r = await gp(['info', '--card', legacy.card]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^CPLC: not available \(6A88 referenced data not found\)$/m);
    assert.match(r.stdout, /^ {2}Secure channel: +SCP02 i=55: pseudo-random challenge, ICV encryption$/m);
    assert.match(r.stdout, /^ {2}30 +01 +DES \(80\) 128-bit$/m);
    assert.match(r.stdout, /^Sequence counter: 0000 \(0\)$/m);
  });
});

describe('opentsm gp list', () => {
  const strict = new CardDir();
  const legacy = new CardDir(LEGACY_UICC);
  after(() => {
    strict.cleanup();
    legacy.cleanup();
  });

  it('lists the ISD with its privileges and the Security Domain package with its module', async () => {
    const r = await gp(['list', '--card', strict.card, ...KEY_ARGS]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^KIND +AID +LIFE CYCLE +PRIVILEGES \/ CONTENT$/);
    assert.match(r.stdout, new RegExp(`^ISD +${ISD} +SECURED \\(0F\\) +SecurityDomain, CardLock, CardTerminate, CardReset, CVMManagement, TrustedPath, AuthorizedManagement`, 'm'));
    assert.match(r.stdout, /^PKG +A0000001515350 +LOADED \(01\) +modules A000000151535041; SD A000000151000000$/m);
    assert.equal(r.stderr, '');
  });

  it('takes the keys from GP_KEY_ENC/MAC/DEK and --kvn, --scp, --sl as GPPro does', async () => {
    const r = await gp(['list', '--card', strict.card, '--kvn', '0x30', '--scp', '03', '--sl', 'enc,rmac'], KEY_ENV);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ISD /m);
    const full = await gp(['list', '--card', strict.card, '--sl', 'renc', '--kvn', String(ISD_KEYS.kvn)], KEY_ENV);
    assert.equal(full.code, 0, full.stderr);
  });

  it('falls back to the legacy GET STATUS format when the card answers 6A86 (SCP02 card)', async () => {
    const r = await gp(['list', '--card', legacy.card, ...KEY_ARGS, '-d']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^ISD +${ISD} +SECURED \\(0F\\) +SecurityDomain, CardLock`, 'm'));
    assert.match(r.stdout, /^PKG +A0000001515350 +LOADED \(01\) +modules A000000151535041$/m);
    assert.match(r.stderr, /84F28002 .* 6A86/s, 'tag format asked first');
    assert.match(r.stderr, /^>> 84F28000 /m, 'then the legacy format');
    assert.match(r.stderr, /legacy \(GP 2\.1\.1\) format/);
    assert.match(r.stderr, /# secure channel: SCP02 i=55 \(from card data\), KVN 30, C-MAC \(01\)/);
  });

  it('refuses R-MAC on SCP02 before touching the keys', async () => {
    const r = await gp(['list', '--card', legacy.card, ...KEY_ARGS, '--sl', 'rmac']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--sl rmac: this card runs SCP02.*\[ERR_CLI_USAGE\]/);
    assert.equal(legacy.state().applications[0]!.sd!.authFailures, 0);
  });

  it('follows 6310 with GET STATUS [get next] through a long registry', async () => {
    const many = new CardDir();
    try {
      const base = many.state();
      const isd = base.applications[0]!;
      const apps = Array.from({ length: 12 }, (_, n) => ({
        ...isd,
        aid: Uint8Array.of(0xa0, 0x00, 0x00, 0x00, 0x77, 0x00, n),
        lifecycle: 0x07,
        privileges: new Uint8Array(3),
        sd: undefined,
      }));
      new FileCardStore(many.card).save({ ...base, applications: [...base.applications, ...apps] });
      const r = await gp(['list', '--card', many.card, ...KEY_ARGS, '-d']);
      assert.equal(r.code, 0, r.stderr);
      for (let n = 0; n < 12; n++) assert.match(r.stdout, new RegExp(`^APP +A0000000770${n.toString(16).toUpperCase().padStart(3, '0')} +SELECTABLE \\(07\\) +no privileges`, 'm'));
      assert.match(r.stderr, /^<< E3.* 6310 \(more data available/m, 'the card paged');
      assert.match(r.stderr, /^>> 84F24003 /m, 'and was asked for the next page');
    } finally {
      many.cleanup();
    }
  });

  it('names the ISD it found by SELECT, and --sdaid selects explicitly', async () => {
    const r = await gp(['list', '--card', strict.card, ...KEY_ARGS, '--sdaid', ISD]);
    assert.equal(r.code, 0, r.stderr);
    const missing = await gp(['list', '--card', strict.card, ...KEY_ARGS, '--sdaid', 'A0000000991122']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /SELECT A0000000991122 failed: 6A82 .*check the AID.*\[ERR_GP_STATUS\]/);
    assert.ok(!missing.stderr.includes(toHex(ISD_KEYS.enc)));
  });
});
