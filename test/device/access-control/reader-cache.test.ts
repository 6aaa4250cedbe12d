/**
 * Reading the ARA-M (its own logical channel, DF20, FF40 + FF60 paging, the channel always closed)
 * and the refresh-tag cache, over the scripted ARA-M of helpers.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concat, hex, toHex } from '../../../src/bytes/index.ts';
import { AraEnforcer, DeviceError } from '../../../src/device/index.ts';
import { AID1, AID2, ScriptedAra, app, ff40, listing, sha256 } from './helpers.ts';

const WALLET = app('wallet');
const GRANT = [{ aid: AID1, hash: sha256(WALLET.leaf), apdu: 'always' }] as const;

/** Every channel the scripted card opened is closed again. */
function assertClosed(card: ScriptedAra): void {
  assert.equal(card.open.size, 0, 'a logical channel was left open');
  assert.equal(card.count('700000'), card.commands.filter((c) => c[1] === 0x70 && c[2] === 0x80).length);
}

describe('ARA-M reader', () => {
  it('opens a logical channel, selects the ARA-M there, reads DF20 and FF40, and closes the channel', async () => {
    const card = new ScriptedAra({ listing: listing(GRANT) });
    const decision = await new AraEnforcer().decide(card, AID1, WALLET);
    assert.equal(decision.apdu, 'always');
    assert.deepEqual(card.commands.map((c) => toHex(c)), [
      '0070000001',
      '01A4040009A00000015141434C0000',
      '81CADF2000',
      '81CAFF4000',
      '01708001',
    ]);
    assertClosed(card);
  });

  it('pages a long listing with GET DATA [Next] until the announced length is read', async () => {
    const rules = Array.from({ length: 12 }, (_, i) => ({ aid: concat(AID2.subarray(0, 8), Uint8Array.of(0x10 + i)), hash: sha256(WALLET.leaf), apdu: 'always' as const }));
    const full = listing([...rules, ...GRANT]);
    assert.ok(full.length > 3 * 100);
    const card = new ScriptedAra({ listing: full, pageSize: 100 });
    const m = await new AraEnforcer().match(card, AID1, WALLET);
    assert.equal(m.case, 'A');
    assert.equal(card.count('CAFF60'), Math.ceil(full.length / 100) - 1);
    assertClosed(card);
  });

  it('no ARA-M on the SE (SELECT 6A82): ERR_DEVICE_SECURITY, the channel closed', async () => {
    const card = new ScriptedAra({ absent: true });
    await assert.rejects(new AraEnforcer().decide(card, AID1, WALLET), (e: unknown) => e instanceof DeviceError && e.code === 'ERR_DEVICE_SECURITY' && /ARF/.test(e.message));
    assertClosed(card);
  });

  it('no free logical channel: ERR_DEVICE_STATUS with the status word', async () => {
    const card = new ScriptedAra({ listing: listing(GRANT), override: { '700000': () => hex`6A81` } });
    await assert.rejects(new AraEnforcer().decide(card, AID1, WALLET), { code: 'ERR_DEVICE_STATUS', sw: 0x6a81 });
  });

  it('a refused GET DATA: ERR_DEVICE_STATUS, the channel closed', async () => {
    const card = new ScriptedAra({ listing: listing(GRANT), override: { CADF20: () => hex`6985` } });
    await assert.rejects(new AraEnforcer().decide(card, AID1, WALLET), { code: 'ERR_DEVICE_STATUS', sw: 0x6985 });
    assertClosed(card);
  });

  it('the SE failing mid-read: the transport error, and a close is still attempted', async () => {
    const card = new ScriptedAra({ listing: listing(GRANT), override: { CAFF40: () => { throw new DeviceError('ERR_DEVICE_TRANSPORT', 'eSE1: gone'); } } });
    await assert.rejects(new AraEnforcer().decide(card, AID1, WALLET), { code: 'ERR_DEVICE_TRANSPORT' });
    assert.equal(toHex(card.commands.at(-1)!), '01708001');
  });

  it('GET DATA [All] 6A88 is an ARA-M without rules: denied, not an error', async () => {
    const card = new ScriptedAra({ listing: undefined });
    const m = await new AraEnforcer().match(card, AID1, WALLET);
    assert.equal(m.case, 'none');
  });

  it('a listing that never ends is cut after maxPages: ERR_DEVICE_CARD_DATA', async () => {
    const card = new ScriptedAra({ listing: hex`FF4082FFF0`, override: { CAFF60: () => hex`E2009000` } });
    await assert.rejects(new AraEnforcer({ reader: { maxPages: 20 } }).decide(card, AID1, WALLET), { code: 'ERR_DEVICE_CARD_DATA' });
    assert.equal(card.count('CAFF60'), 20);
    assertClosed(card);
  });

  it('an absurd announced length is refused before any GET DATA [Next]', async () => {
    for (const head of ['FF4083FFFFFF', 'FF4084FFFFFFFF', 'FF4080']) {
      const card = new ScriptedAra({ listing: hex`${head}` });
      await assert.rejects(new AraEnforcer().decide(card, AID1, WALLET), { code: 'ERR_DEVICE_CARD_DATA' }, head);
      assert.equal(card.count('CAFF60'), 0);
      assertClosed(card);
    }
  });

  it('an empty [Next] page, bytes beyond the announced length, a bad refresh tag: ERR_DEVICE_CARD_DATA', async () => {
    const cases = [
      new ScriptedAra({ listing: hex`FF400A`, override: { CAFF60: () => hex`9000` } }),
      new ScriptedAra({ listing: concat(listing(GRANT), hex`00`) }),
      new ScriptedAra({ listing: listing(GRANT), override: { CADF20: () => hex`DF2007010203040506079000` } }),
      new ScriptedAra({ listing: listing(GRANT), override: { CADF20: () => hex`DF100801020304050607089000` } }),
      new ScriptedAra({ listing: listing(GRANT), override: { CAFF40: () => hex`90` } }),
    ];
    for (const [i, card] of cases.entries()) {
      await assert.rejects(new AraEnforcer().decide(card, AID1, WALLET), { code: 'ERR_DEVICE_CARD_DATA' }, `case ${i}`);
      assertClosed(card);
    }
  });

  it('maxListingBytes bounds the listing; bad options are refused', async () => {
    const card = new ScriptedAra({ listing: listing(GRANT) });
    await assert.rejects(new AraEnforcer({ reader: { maxListingBytes: 10 } }).decide(card, AID1, WALLET), { code: 'ERR_DEVICE_CARD_DATA' });
    assert.throws(() => new AraEnforcer({ reader: { maxPages: 0 } }), { code: 'ERR_DEVICE_PARAM' });
  });
});

describe('refresh-tag cache', () => {
  it('re-reads FF40 only when DF20 changed', async () => {
    const card = new ScriptedAra({ listing: listing(GRANT) });
    const enforcer = new AraEnforcer();
    for (let i = 0; i < 3; i++) assert.equal((await enforcer.decide(card, AID1, WALLET)).apdu, 'always');
    assert.equal(card.count('CADF20'), 3);
    assert.equal(card.count('CAFF40'), 1);
    card.update(listing([{ aid: AID1, hash: sha256(WALLET.leaf), apdu: 'never' }]));
    assert.equal((await enforcer.decide(card, AID1, WALLET)).apdu, 'never');
    assert.equal((await enforcer.decide(card, AID2, WALLET)).apdu, 'never');
    assert.equal(card.count('CADF20'), 5);
    assert.equal(card.count('CAFF40'), 2);
    assertClosed(card);
  });

  it('the cache is per terminal, and reset() forgets it', async () => {
    const a = new ScriptedAra({ listing: listing(GRANT) });
    const b = new ScriptedAra({ listing: listing([]) });
    const enforcer = new AraEnforcer();
    assert.equal((await enforcer.decide(a, AID1, WALLET)).apdu, 'always');
    assert.equal((await enforcer.decide(b, AID1, WALLET)).apdu, 'never');
    enforcer.reset(a);
    await enforcer.decide(a, AID1, WALLET);
    assert.equal(a.count('CAFF40'), 2);
    assert.equal(b.count('CAFF40'), 1);
  });

  it('a listing that fails to parse is not cached: the next decide reads it again', async () => {
    const card = new ScriptedAra({ listing: ff40(hex`E2 03 E1 01 00`) });
    const enforcer = new AraEnforcer();
    await assert.rejects(enforcer.decide(card, AID1, WALLET), { code: 'ERR_DEVICE_CARD_DATA' });
    card.options.listing = listing(GRANT); // same refresh tag: a cache would have hidden the fix
    assert.equal((await enforcer.decide(card, AID1, WALLET)).apdu, 'always');
    assert.equal(card.count('CAFF40'), 2);
  });

  it('rules changed mid-listing (6984 on [Next]): read once more', async () => {
    let first = true;
    const full = listing([...Array.from({ length: 8 }, () => GRANT[0]), { aid: AID2, hash: 'all', apdu: 'always' }]);
    const card = new ScriptedAra({ listing: full, pageSize: 64 });
    card.options.override = {
      CAFF60: () => {
        if (first) {
          first = false;
          card.update(full);
          return hex`6984`;
        }
        delete card.options.override?.CAFF60;
        return card.answer(hex`81CAFF6000`);
      },
    };
    assert.equal((await new AraEnforcer().decide(card, AID2, WALLET)).apdu, 'always');
    assert.equal(card.count('CAFF40'), 2);
    assertClosed(card);
  });

  it('concurrent decisions on one terminal use one ARA channel at a time', async () => {
    const card = new ScriptedAra({ listing: listing(GRANT) });
    let open = 0;
    let most = 0;
    const transmit = card.transmit.bind(card);
    card.transmit = async (command) => {
      const response = await transmit(command);
      if (toHex(command) === '0070000001') most = Math.max(most, ++open);
      if (command[1] === 0x70 && command[2] === 0x80) open--;
      await new Promise((r) => setImmediate(r));
      return response;
    };
    const enforcer = new AraEnforcer();
    const decisions = await Promise.all(Array.from({ length: 5 }, () => enforcer.decide(card, AID1, WALLET)));
    assert.ok(decisions.every((d) => d.apdu === 'always'));
    assert.equal(most, 1);
    assert.equal(card.count('CAFF40'), 1);
  });
});

describe('NFC events (AOSP isNfcEventAllowed)', () => {
  it('one flag per app, each judged alone', async () => {
    const other = app('other');
    const card = new ScriptedAra({ listing: listing([{ aid: AID1, hash: sha256(WALLET.leaf), apdu: 'always', nfc: true }, { aid: 'all', hash: 'all', apdu: 'always' }]) });
    const enforcer = new AraEnforcer();
    assert.deepEqual(await enforcer.nfcEventAllowed(card, AID1, [WALLET, other, { packageName: 'broken', certificates: [] }]), [true, false, false]);
    assert.deepEqual(await enforcer.nfcEventAllowed(card, AID2, [WALLET, other]), [true, true]);
  });

  it('no ARA-M: no app gets NFC events', async () => {
    assert.deepEqual(await new AraEnforcer().nfcEventAllowed(new ScriptedAra({ absent: true }), AID1, [WALLET]), [false]);
  });
});
