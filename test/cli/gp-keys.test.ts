/**
 * Keys in `opentsm gp`: PUT KEY of a new key set and authentication with it afterwards; per-card
 * diversification (KDF3 on SCP03, EMV and VISA2 on SCP02) from master keys; and the stop on a card
 * cryptogram that does not verify, with GlobalPlatformPro's warning and no retry.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { kcv } from '../../src/crypto/index.ts';
import { diversifyKey, type DiversificationMethod } from '../../src/gp/index.ts';
import { FileCardStore, LEGACY_UICC, STRICT_ESE, type CardProfile } from '../../src/se/index.ts';
import { ISD_KEYS, testCardState } from '../se/helpers.ts';
import { CardDir, KEY_ARGS, KEY_ENV, gp } from './gp-helpers.ts';

const NEW = {
  enc: '0F0E0D0C0B0A09080706050403020100',
  mac: '1F1E1D1C1B1A19181716151413121110',
  dek: '2F2E2D2C2B2A29282726252423222120',
};
const NEW_ARGS = ['--key-enc', NEW.enc, '--key-mac', NEW.mac, '--key-dek', NEW.dek];
const aesKcv = (k: string) => toHex(kcv(fromHex(k), 'aes-ones'));
const desKcv = (k: string) => toHex(kcv(fromHex(k), 'tdes-zeros'));

describe('opentsm gp put-key', () => {
  const dir = new CardDir();
  after(() => dir.cleanup());

  it('replaces the ISD key set over SCP03, verifies and prints only the KCVs', async () => {
    const r = await gp(['put-key', '--card', dir.card, '--new-kvn', '0x31', '--replace', '0x30', ...NEW_ARGS], KEY_ENV);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `PUT KEY: KVN 31 replaced KVN 30 (AES-128); ENC KCV ${aesKcv(NEW.enc)}, MAC KCV ${aesKcv(NEW.mac)}, DEK KCV ${aesKcv(NEW.dek)}; the card confirmed the KCVs`);
    const sets = dir.state().applications[0]!.sd!.keySets;
    assert.deepEqual(sets.map((s) => s.kvn), [0x31]);
    assert.equal(toHex(sets[0]!.keys.find((k) => k.id === 1)!.value), NEW.enc);
    for (const secret of [...Object.values(NEW), ...KEY_ARGS.filter((a) => !a.startsWith('--'))]) {
      assert.ok(!(r.stdout + r.stderr).includes(secret), 'no key value in the output');
    }
  });

  it('authenticates with the new keys afterwards; the old ones no longer open a channel', async () => {
    const ok = await gp(['list', '--card', dir.card, '--kvn', '0x31', ...NEW_ARGS]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^ISD +A000000151000000 /m);
    const old = await gp(['list', '--card', dir.card, ...KEY_ARGS, '--kvn', '0x30']);
    assert.equal(old.code, 1);
    assert.match(old.stderr, /INITIALIZE UPDATE failed: 6A88 .* — the card has no key set with that version: check --kvn/);
    const info = await gp(['info', '--card', dir.card]);
    assert.match(info.stdout, /^ {2}31 +01 +AES \(88\) 128-bit$/m);
  });

  it('adds a key set next to the existing one (P1 00)', async () => {
    const r = await gp(['put-key', '--card', dir.card, '--kvn', '0x31', '--new-kvn', '0x32', ...NEW_ARGS], {
      GP_KEY_ENC: NEW.enc,
      GP_KEY_MAC: NEW.mac,
      GP_KEY_DEK: NEW.dek,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^PUT KEY: KVN 32 added /m);
    assert.deepEqual(dir.state().applications[0]!.sd!.keySets.map((s) => s.kvn).sort(), [0x31, 0x32]);
  });

  it('puts 3DES keys on an SCP02 card, and refuses AES-192', async () => {
    const scp02 = new CardDir(LEGACY_UICC);
    try {
      const r = await gp(['put-key', '--card', scp02.card, '--new-kvn', '0x21', ...NEW_ARGS], KEY_ENV);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`KVN 21 added \\(3DES-128\\); ENC KCV ${desKcv(NEW.enc)}, MAC KCV ${desKcv(NEW.mac)}, DEK KCV ${desKcv(NEW.dek)}`));
      const again = await gp(['list', '--card', scp02.card, '--kvn', '0x21', ...NEW_ARGS]);
      assert.equal(again.code, 0, again.stderr);
    } finally {
      scp02.cleanup();
    }
    const k24 = '000102030405060708090A0B0C0D0E0F1011121314151617';
    const r = await gp(['put-key', '--card', dir.card, '--kvn', '0x31', '--new-kvn', '0x33', '--key-enc', k24, '--key-mac', k24, '--key-dek', k24], { GP_KEY_ENC: NEW.enc, GP_KEY_MAC: NEW.mac, GP_KEY_DEK: NEW.dek });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /AES-192 keys are not supported here/);
  });

  it('needs --new-kvn and the three new keys', async () => {
    const noKvn = await gp(['put-key', '--card', dir.card, ...NEW_ARGS], KEY_ENV);
    assert.match(noKvn.stderr, /put-key needs --new-kvn N \(1\.\.127\).*\[ERR_CLI_USAGE\]/);
    const noKeys = await gp(['put-key', '--card', dir.card, '--new-kvn', '5', '--key-enc', NEW.enc], KEY_ENV);
    assert.match(noKeys.stderr, /put-key needs the three new keys: --key-mac, --key-dek missing/);
    const badKvn = await gp(['put-key', '--card', dir.card, '--new-kvn', '0x80', ...NEW_ARGS], KEY_ENV);
    assert.match(badKvn.stderr, /--new-kvn: expected a number in 1\.\.127/);
  });
});

/** A card whose ISD keys are `method`-diversified from one master key with the card's KDD. */
function diversifiedCard(profile: CardProfile, method: DiversificationMethod, master: Uint8Array): CardDir {
  const dir = new CardDir(profile);
  const kdd = dir.state().applications[0]!.sd!.kdd;
  const keys = { kvn: ISD_KEYS.kvn, enc: diversifyKey(method, master, kdd, 'ENC'), mac: diversifyKey(method, master, kdd, 'MAC'), dek: diversifyKey(method, master, kdd, 'DEK') };
  new FileCardStore(dir.card).save(testCardState(profile, keys));
  return dir;
}

describe('opentsm gp --kdf', () => {
  const master = fromHex('404142434445464748494A4B4C4D4E4F');
  const cases: [CardProfile, DiversificationMethod][] = [[STRICT_ESE, 'kdf3'], [LEGACY_UICC, 'emv'], [LEGACY_UICC, 'visa2']];
  for (const [profile, method] of cases) {
    it(`opens the channel with ${method}-diversified keys from the master key (${profile.id})`, async () => {
      const dir = diversifiedCard(profile, method, master);
      try {
        const r = await gp(['list', '--card', dir.card, '--key', toHex(master), '--kdf', method]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^ISD /m);
      } finally {
        dir.cleanup();
      }
    });
  }

  it('refuses a method of the other protocol before INITIALIZE UPDATE counts anything', async () => {
    const dir = new CardDir();
    try {
      const r = await gp(['list', '--card', dir.card, '--key', toHex(master), '--kdf', 'emv']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /--kdf emv diversifies SCP02 keys; this card runs SCP03 \(use kdf3, or no --kdf for static keys\) \[ERR_CLI_USAGE\]/);
      assert.equal(dir.state().applications[0]!.sd!.keySets[0]!.counter, 0);
    } finally {
      dir.cleanup();
    }
  });
});

describe('a card cryptogram that does not verify', () => {
  for (const profile of [STRICT_ESE, LEGACY_UICC]) {
    it(`stops with the warning and sends no EXTERNAL AUTHENTICATE (${profile.id})`, async () => {
      const dir = new CardDir(profile);
      try {
        const wrong = '000102030405060708090A0B0C0D0E0F';
        const r = await gp(['list', '--card', dir.card, '--key', wrong, '-d']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /WARNING: the card cryptogram does not verify with the keys given:/);
        const keyKcv = profile.scp.protocol === 3 ? aesKcv(wrong) : desKcv(wrong);
        assert.match(r.stderr, new RegExp(`KVN 00, .*ENC KCV ${keyKcv}, MAC KCV ${keyKcv}, DEK KCV ${keyKcv}\\), diversification none\\.`));
        assert.match(r.stderr, /wrong for this card/);
        assert.match(r.stderr, /DO NOT RETRY with the same keys: cards count failed\n {2}authentications and block the key set/);
        assert.match(r.stderr, /does not match: wrong keys, key version or diversification.*\[ERR_GP_CARD_CRYPTOGRAM\]/);
        assert.ok(!r.stderr.includes(wrong), 'the key itself is not printed');
        assert.ok(!/^>> 8[0-4]82/m.test(r.stderr), 'no EXTERNAL AUTHENTICATE in the trace');
        assert.equal((r.stderr.match(/^>> 80500000/gm) ?? []).length, 1, 'one INITIALIZE UPDATE, no retry');
        assert.equal(dir.state().applications[0]!.sd!.authFailures, 0);
      } finally {
        dir.cleanup();
      }
    });
  }
});
