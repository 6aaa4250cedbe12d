/**
 * Data tables: life cycles and transitions (GPC 2.3.1 Tables 11-3..11-6, Figures 5-1..5-3),
 * privileges (Tables 11-7..11-9), implicit selection (Table 11-15), key types (Table 11-16).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import {
  applicationTransitionAllowed,
  CARD_LIFECYCLE,
  cardTransitionAllowed,
  decodeImplicitSelection,
  decodePrivileges,
  describeLifecycle,
  encodeImplicitSelection,
  encodePrivileges,
  hasPrivilege,
  keyTypeName,
  PRIVILEGE_NAMES,
} from '../../../src/gp/index.ts';
import { gpError } from './helpers.ts';

describe('life cycles (Tables 11-3..11-6)', () => {
  it('names card, application, Security Domain and load file states', () => {
    assert.deepEqual(
      [0x01, 0x07, 0x0f, 0x7f, 0xff].map((v) => describeLifecycle('card', v).name),
      ['OP_READY', 'INITIALIZED', 'SECURED', 'CARD_LOCKED', 'TERMINATED'],
    );
    assert.equal(describeLifecycle('card', 0x03).name, undefined);
    assert.equal(describeLifecycle('load-file', 0x01).name, 'LOADED');
    assert.equal(describeLifecycle('application', 0x03).name, 'INSTALLED');
    assert.equal(describeLifecycle('application', 0x7f).name, 'APPLICATION_SPECIFIC');
    assert.equal(describeLifecycle('application', 0x87).name, 'LOCKED (SELECTABLE)');
    assert.equal(describeLifecycle('application', 0x87).locked, true);
    assert.equal(describeLifecycle('security-domain', 0x0f).name, 'PERSONALIZED');
    assert.equal(describeLifecycle('security-domain', 0x8f).name, 'LOCKED (PERSONALIZED)');
    assert.equal(describeLifecycle('security-domain', 0x1f).name, undefined);
  });
  it('card transitions follow Figure 5-1: forward only, SECURED ⇄ CARD_LOCKED, TERMINATED final', () => {
    const { OP_READY, INITIALIZED, SECURED, CARD_LOCKED, TERMINATED } = CARD_LIFECYCLE;
    const allowed = [
      [OP_READY, INITIALIZED], [OP_READY, TERMINATED], [INITIALIZED, SECURED], [INITIALIZED, TERMINATED],
      [SECURED, CARD_LOCKED], [SECURED, TERMINATED], [CARD_LOCKED, SECURED], [CARD_LOCKED, TERMINATED],
    ];
    for (const from of Object.values(CARD_LIFECYCLE)) {
      for (const to of Object.values(CARD_LIFECYCLE)) {
        assert.equal(cardTransitionAllowed(from, to), allowed.some(([a, b]) => a === from && b === to), `${from} → ${to}`);
      }
    }
  });
  it('applications: INSTALLED → SELECTABLE → own states; lock sets b8 and unlock restores the state', () => {
    assert.ok(applicationTransitionAllowed('application', 0x03, 0x07));
    assert.ok(!applicationTransitionAllowed('application', 0x07, 0x03));
    assert.ok(applicationTransitionAllowed('application', 0x07, 0x0f));
    assert.ok(applicationTransitionAllowed('application', 0x0f, 0x1f));
    assert.ok(!applicationTransitionAllowed('application', 0x07, 0x07), 'never to the current state (§11.10.2.2)');
    assert.ok(applicationTransitionAllowed('application', 0x0f, 0x8f));
    assert.ok(applicationTransitionAllowed('application', 0x8f, 0x0f));
    assert.ok(!applicationTransitionAllowed('application', 0x8f, 0x07), 'unlock returns to the previous state');
    assert.ok(!applicationTransitionAllowed('application', 0x8f, 0x8f));
  });
  it('Security Domains: INSTALLED → SELECTABLE → PERSONALIZED only', () => {
    assert.ok(applicationTransitionAllowed('security-domain', 0x03, 0x07));
    assert.ok(applicationTransitionAllowed('security-domain', 0x07, 0x0f));
    assert.ok(!applicationTransitionAllowed('security-domain', 0x03, 0x0f));
    assert.ok(!applicationTransitionAllowed('security-domain', 0x0f, 0x07));
    assert.ok(applicationTransitionAllowed('security-domain', 0x07, 0x87));
    assert.ok(!applicationTransitionAllowed('security-domain', 0x07, 0x3f));
  });
});

describe('privileges (Tables 11-7..11-9)', () => {
  it('codes each privilege as the tables show', () => {
    const expected: Record<string, string> = {
      SecurityDomain: '800000', DAPVerification: 'C00000', DelegatedManagement: 'A00000', CardLock: '100000',
      CardTerminate: '080000', CardReset: '040000', CVMManagement: '020000', MandatedDAPVerification: 'C10000',
      TrustedPath: '008000', AuthorizedManagement: '004000', TokenManagement: '002000', GlobalDelete: '001000',
      GlobalLock: '000800', GlobalRegistry: '000400', FinalApplication: '000200', GlobalService: '000100',
      ReceiptGeneration: '000080', CipheredLoadFileDataBlock: '000040', ContactlessActivation: '000020', ContactlessSelfActivation: '000010',
    };
    assert.equal(PRIVILEGE_NAMES.length, 20);
    for (const name of PRIVILEGE_NAMES) assert.equal(toHex(encodePrivileges([name])), expected[name], name);
  });
  it('overlapping bits: Mandated DAP is not DAP Verification, both imply Security Domain', () => {
    assert.deepEqual(decodePrivileges(fromHex('C10000')), ['SecurityDomain', 'MandatedDAPVerification']);
    assert.deepEqual(decodePrivileges(fromHex('C00000')), ['SecurityDomain', 'DAPVerification']);
    assert.deepEqual(decodePrivileges(fromHex('E00000')), ['SecurityDomain', 'DAPVerification', 'DelegatedManagement']);
    assert.throws(() => encodePrivileges(['DAPVerification', 'MandatedDAPVerification']), gpError('ERR_GP_PARAM'));
  });
  it('accepts the 1-byte legacy field and ignores byte 3 RFU bits', () => {
    assert.deepEqual(decodePrivileges(fromHex('9E')), ['SecurityDomain', 'CardLock', 'CardTerminate', 'CardReset', 'CVMManagement']);
    assert.deepEqual(decodePrivileges(fromHex('00000F')), []);
    assert.ok(hasPrivilege(fromHex('04'), 'CardReset'));
  });
  it('decode(encode(decode(b))) = decode(b) for any 3 bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 3, maxLength: 3 }), (b) => {
      assert.deepEqual(decodePrivileges(encodePrivileges(decodePrivileges(b))), decodePrivileges(b));
    }));
  });
});

describe('implicit selection CF (Table 11-15) and key types (Table 11-16)', () => {
  it('round-trips and refuses channels above 19', () => {
    fc.assert(fc.property(fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 19 }), (contactless, contact, channel) => {
      assert.deepEqual(decodeImplicitSelection(encodeImplicitSelection({ contactless, contact, channel })), { contactless, contact, channel });
    }));
    assert.equal(encodeImplicitSelection({ contactless: true, contact: true, channel: 3 }), 0xc3);
    assert.deepEqual(decodeImplicitSelection(0x60), { contactless: false, contact: true, channel: 0 }, 'b6 is RFU');
    assert.throws(() => decodeImplicitSelection(0x54), gpError('ERR_GP_PARSE', 0x6a80));
  });
  it('names key types', () => {
    assert.equal(keyTypeName(0x80), 'DES');
    assert.equal(keyTypeName(0x88), 'AES');
    assert.equal(keyTypeName(0xa1), 'RSA_PUBLIC_N');
    assert.equal(keyTypeName(0x81), undefined);
  });
});
