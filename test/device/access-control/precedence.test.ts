/**
 * The rule search (GP SEAC v1.1 §3.2.1 as AOSP AccessRuleCache.findAccessRule orders it): one test
 * per case of research/tsm.md §3.2, then certificates of the chain, APDU filters, merging, NFC
 * inheritance and PKG-REF-DO — each through the enforcer over a scripted ARA-M.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '../../../src/bytes/index.ts';
import { AraEnforcer, type RuleMatch } from '../../../src/device/index.ts';
import { apduAllowed, type DeviceApp } from '../../../src/device/access-control/access-decision.ts';
import { AID1, AID2, ScriptedAra, app, listing, sha1, sha256, type RuleSpec } from './helpers.ts';

const WALLET = app('wallet');
const OTHER = app('other');

/** The search for `who` and `aid` ('default': no AID, the default application). */
async function match(rules: readonly RuleSpec[], who: DeviceApp = WALLET, aid: Uint8Array | 'default' = AID1): Promise<RuleMatch> {
  return new AraEnforcer().match(new ScriptedAra({ listing: listing(rules) }), aid === 'default' ? undefined : aid, who);
}

const NEVER = { apdu: 'never', nfc: false };
const ALWAYS = { apdu: 'always', nfc: true };
function access(m: RuleMatch): { apdu: unknown; nfc: boolean } {
  return { apdu: m.decision.apdu, nfc: m.decision.nfc };
}

describe('precedence (SEAC §3.2.1, tsm.md §3.2)', () => {
  it('A: specific AID + this app’s hash wins over B, C and D', async () => {
    const m = await match([
      { aid: 'all', hash: 'all', apdu: 'never' },
      { aid: AID1, hash: 'all', apdu: 'never' },
      { aid: 'all', hash: sha256(WALLET.leaf), apdu: 'never' },
      { aid: AID1, hash: sha256(WALLET.leaf), apdu: 'always', nfc: true },
    ]);
    assert.equal(m.case, 'A');
    assert.deepEqual(access(m), ALWAYS);
    assert.match(m.decision.reason, /^A:/);
  });

  it('Case A: a specific rule for another app on this AID denies, even with a B rule for every app', async () => {
    const m = await match([
      { aid: AID1, hash: sha256(OTHER.leaf), apdu: 'always' },
      { aid: AID1, hash: 'all', apdu: 'always', nfc: true },
      { aid: 'all', hash: 'all', apdu: 'always' },
    ]);
    assert.equal(m.case, 'case-A');
    assert.deepEqual(access(m), NEVER);
    // the other app is granted by its own rule
    assert.equal((await match([{ aid: AID1, hash: sha256(OTHER.leaf), apdu: 'always' }], OTHER)).case, 'A');
  });

  it('B: specific AID + every app', async () => {
    const m = await match([
      { aid: AID1, hash: 'all', apdu: 'always', nfc: false },
      { aid: 'all', hash: sha256(WALLET.leaf), apdu: 'never' },
      { aid: AID2, hash: sha256(OTHER.leaf), apdu: 'always' },
    ]);
    assert.equal(m.case, 'B');
    assert.deepEqual(access(m), { apdu: 'always', nfc: false });
  });

  it('C: every AID + this app’s hash, when no rule names this AID', async () => {
    const m = await match([
      { aid: 'all', hash: sha1(WALLET.leaf), apdu: 'always' },
      { aid: 'all', hash: 'all', apdu: 'never' },
      { aid: AID2, hash: 'all', apdu: 'never' },
    ]);
    assert.equal(m.case, 'C');
    assert.deepEqual(access(m), ALWAYS);
  });

  it('Case C: an every-AID rule for another app denies, even with a D rule', async () => {
    const m = await match([
      { aid: 'all', hash: sha256(OTHER.leaf), apdu: 'always' },
      { aid: 'all', hash: 'all', apdu: 'always' },
    ]);
    assert.equal(m.case, 'case-C');
    assert.deepEqual(access(m), NEVER);
  });

  it('D: every AID + every app', async () => {
    const m = await match([{ aid: 'all', hash: 'all', apdu: 'always', nfc: true }, { aid: AID2, hash: 'all', apdu: 'never' }]);
    assert.equal(m.case, 'D');
    assert.deepEqual(access(m), ALWAYS);
  });

  it('nothing found: denied (also with no rule at all)', async () => {
    const m = await match([{ aid: AID2, hash: 'all', apdu: 'always' }]);
    assert.equal(m.case, 'none');
    assert.deepEqual(access(m), NEVER);
    const empty = await new AraEnforcer().match(new ScriptedAra({ listing: undefined }), AID1, WALLET);
    assert.equal(empty.case, 'none');
  });

  it('undefined APDU access (no APDU-AR-DO) is denied; its NFC-AR-DO still counts', async () => {
    assert.deepEqual(access(await match([{ aid: AID1, hash: sha256(WALLET.leaf) }])), NEVER);
    assert.deepEqual(access(await match([{ aid: AID1, hash: sha256(WALLET.leaf), nfc: true }])), { apdu: 'never', nfc: true });
  });

  it('undefined NFC access inherits the APDU access (allowed with filters)', async () => {
    assert.equal((await match([{ aid: AID1, hash: 'all', apdu: 'always' }])).decision.nfc, true);
    assert.equal((await match([{ aid: AID1, hash: 'all', apdu: 'never' }])).decision.nfc, false);
    assert.equal((await match([{ aid: AID1, hash: 'all', apdu: ['00B0000000FF0000'] }])).decision.nfc, true);
    assert.equal((await match([{ aid: AID1, hash: 'all', apdu: 'always', nfc: false }])).decision.nfc, false);
  });

  it('the default application (no AID): C0 rules, with Case A on them', async () => {
    const rules: RuleSpec[] = [{ aid: 'default', hash: sha256(WALLET.leaf), apdu: 'always' }, { aid: 'all', hash: 'all', apdu: 'always' }];
    assert.equal((await match(rules, WALLET, 'default')).case, 'A');
    assert.equal((await match(rules, OTHER, 'default')).case, 'case-A');
    // AOSP: the 00…00 AID OMAPI uses for the basic channel is the default application too
    assert.equal((await match(rules, WALLET, new Uint8Array(5))).case, 'A');
    // a C0 rule does not apply to a selected AID
    assert.equal((await match([{ aid: 'default', hash: 'all', apdu: 'always' }], WALLET, AID1)).case, 'none');
  });
});

describe('app identity: every certificate of the chain, SHA-1 and SHA-256', () => {
  for (const [name, hash] of [
    ['leaf SHA-1', sha1(WALLET.leaf)],
    ['leaf SHA-256', sha256(WALLET.leaf)],
    ['intermediate SHA-1', sha1(WALLET.intermediate)],
    ['intermediate SHA-256', sha256(WALLET.intermediate)],
  ] as const) {
    it(`a rule naming the ${name} matches (case A)`, async () => {
      const m = await match([{ aid: AID1, hash, apdu: 'always' }]);
      assert.equal(m.case, 'A');
    });
  }

  it('an app with no certificate or no package name is refused (ERR_DEVICE_SECURITY)', async () => {
    await assert.rejects(match([], { packageName: 'x', certificates: [] }), { code: 'ERR_DEVICE_SECURITY' });
    await assert.rejects(match([], { packageName: '', certificates: [hex`01`] }), { code: 'ERR_DEVICE_SECURITY' });
  });

  it('a bad AID length is an illegal argument', async () => {
    await assert.rejects(match([], WALLET, hex`A000`), { code: 'ERR_DEVICE_ILLEGAL_ARGUMENT' });
  });
});

describe('APDU filters and merging (AOSP putWithMerge)', () => {
  const SELECT_FILTER = '00A4040000FFFF00'; // any 00 A4 04 xx
  const READ_FILTER = '00B0000000FF0000'; // 00 B0 any P1 P2

  it('a filter lets through exactly the matching commands, on any channel', async () => {
    const { decision } = await match([{ aid: AID1, hash: sha256(WALLET.leaf), apdu: [READ_FILTER] }]);
    assert.ok(typeof decision.apdu === 'object');
    assert.equal(apduAllowed(decision.apdu, hex`00B0010210`), true);
    assert.equal(apduAllowed(decision.apdu, hex`02B0010210`), true);
    assert.equal(apduAllowed(decision.apdu, hex`00D6000001AA`), false);
  });

  it('two rules with one REF-DO: the filters are unioned', async () => {
    const { decision } = await match([
      { aid: AID1, hash: 'all', apdu: [READ_FILTER] },
      { aid: AID1, hash: 'all', apdu: [SELECT_FILTER] },
    ]);
    assert.ok(typeof decision.apdu === 'object');
    assert.equal(decision.apdu.filters.length, 2);
    assert.equal(apduAllowed(decision.apdu, hex`00A4040C02AABB`), true);
    assert.equal(apduAllowed(decision.apdu, hex`00B0000010`), true);
    assert.equal(apduAllowed(decision.apdu, hex`00D6000001AA`), false);
  });

  it('never wins a merge; filters restrict an always; an absent APDU-AR-DO denies', async () => {
    assert.equal((await match([{ aid: AID1, hash: 'all', apdu: 'always' }, { aid: AID1, hash: 'all', apdu: 'never' }])).decision.apdu, 'never');
    assert.equal((await match([{ aid: AID1, hash: 'all', apdu: [READ_FILTER] }, { aid: AID1, hash: 'all', apdu: 'never' }])).decision.apdu, 'never');
    const restricted = (await match([{ aid: AID1, hash: 'all', apdu: 'always' }, { aid: AID1, hash: 'all', apdu: [READ_FILTER] }])).decision;
    assert.deepEqual(typeof restricted.apdu === 'object' ? restricted.apdu.filters.length : restricted.apdu, 1);
    assert.equal((await match([{ aid: AID1, hash: 'all', apdu: 'always' }, { aid: AID1, hash: 'all', nfc: true }])).decision.apdu, 'never');
  });

  it('NFC merge: never > always > absent', async () => {
    assert.equal((await match([{ aid: AID1, hash: 'all', apdu: 'always', nfc: true }, { aid: AID1, hash: 'all', apdu: 'always', nfc: false }])).decision.nfc, false);
    assert.equal((await match([{ aid: AID1, hash: 'all', apdu: 'never' }, { aid: AID1, hash: 'all', apdu: 'never', nfc: true }])).decision.nfc, true);
  });
});

describe('PKG-REF-DO (SEAC v1.1)', () => {
  const HASH = sha256(WALLET.leaf);
  const SAME_SIGNER = { packageName: 'com.example.sibling', certificates: WALLET.certificates };

  it('a rule naming a package matches only that package', async () => {
    const rules: RuleSpec[] = [{ aid: AID1, hash: HASH, pkg: WALLET.packageName, apdu: 'always' }];
    assert.equal((await match(rules, WALLET)).case, 'A');
    // same certificate, other package: the rule is a specific rule for another app
    const sibling = await match(rules, SAME_SIGNER);
    assert.equal(sibling.case, 'case-A');
    assert.equal(sibling.decision.apdu, 'never');
  });

  it('hash + package is tried before the hash-only rule', async () => {
    const rules: RuleSpec[] = [
      { aid: AID1, hash: HASH, apdu: 'never' },
      { aid: AID1, hash: HASH, pkg: WALLET.packageName, apdu: 'always' },
    ];
    assert.equal((await match(rules, WALLET)).decision.apdu, 'always');
    assert.equal((await match(rules, SAME_SIGNER)).decision.apdu, 'never');
  });

  it('carrier-privilege rules (no AID-REF-DO, or AID FFFFFFFFFFFF) are not OMAPI rules', async () => {
    const m = await match([
      { aid: 'none', hash: HASH, pkg: WALLET.packageName, apdu: 'always' },
      { aid: hex`FFFFFFFFFFFF`, hash: sha256(OTHER.leaf), apdu: 'always' },
      { aid: 'all', hash: 'all', apdu: 'always' },
    ]);
    assert.equal(m.case, 'D');
  });
});
