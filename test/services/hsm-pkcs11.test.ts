/**
 * The PKCS#11 backend on a throwaway SoftHSM2 token (research/services.md): the HSM conformance
 * suite unchanged (test/hsm/conformance), with the operations the backend refuses by design
 * declared (PKCS11_UNSUPPORTED: the suite asserts those refusals), then what only a token can
 * show — key objects are CKA_SENSITIVE and the token itself refuses their CKA_VALUE, M3 keys carry
 * their single-DES companion and lose it with the key, the retail MAC composed in the token equals
 * the software backend's and the published vectors, and refusals carry no key material.
 * Needs SoftHSM2 and the pkcs11js binding: `npm run test:services` installs them; under
 * OPENTSM_SERVICES=1 a missing one fails the run with what to install; under a plain `npm test`
 * this file is skipped.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OpenTsmError, fromHex, toHex } from '../../src/bytes/index.ts';
import { retailMac } from '../../src/crypto/index.ts';
import { MemoryAuditSink, Pkcs11Hsm, type OperationContext } from '../../src/hsm/index.ts';
import { CKA, CKK, CKM } from '../../src/hsm/pkcs11/ck.ts';
import { COMPANION_LABEL_PREFIX } from '../../src/hsm/pkcs11/retail-mac.ts';
import { runHsmConformance } from '../hsm/conformance/suite.ts';
import { issuerSuite } from '../tsm/issuer-suite.ts';
import { personalizationSuite } from '../tsm/personalization-suite.ts';
import { paymentE2eSuite } from '../e2e/payment-suite.ts';
import { pinChangeIso4Suite } from '../device/tee/pin-change-iso4-suite.ts';
import { hsmOtaKeysSuite } from '../tsm/ota/hsm-ota-keys-suite.ts';
import { SPECS, approvals, importClear, rejectsWith, type HsmUnderTest, type OptionalOperation } from '../hsm/conformance/fixture.ts';
import { CUSTODIANS, TEST_SCRYPT, softwareHsm } from '../hsm/software-setup.ts';
import { loadVectors } from '../helpers/vectors.ts';
import { createSoftHsmToken, inspectToken, missingPkcs11Prerequisites, type SoftHsmToken, type TokenInspector } from './helpers/softhsm.ts';

const enabled = process.env.OPENTSM_SERVICES === '1';
const skip = enabled ? false : 'needs SoftHSM2 and pkcs11js: run `npm run test:services`';
/** Under OPENTSM_SERVICES=1 a missing prerequisite is a failure that says what to install, never a skip. */
const missing = enabled ? await missingPkcs11Prerequisites() : undefined;

/**
 * What the PKCS#11 backend refuses by design on SoftHSM2 (the reasons are in its source:
 * card-wrap.ts, custody.ts): C_WrapKey has no DES mechanism (SCP02 PUT KEY of a stored key) and
 * wraps only whole AES blocks (PUT KEY of an AES-192 key); TR-31 A and C need KBPK ⊕ constant.
 */
export const PKCS11_UNSUPPORTED: ReadonlySet<OptionalOperation> = new Set<OptionalOperation>(['scp02-put-key', 'aes192-put-key', 'tr31-variant-binding']);

let token: SoftHsmToken | undefined;
let keeper: Pkcs11Hsm | undefined;
let setups = 0;

async function openHsm(audit: MemoryAuditSink): Promise<Pkcs11Hsm> {
  return Pkcs11Hsm.open({ module: token!.module, tokenLabel: token!.label, pin: { value: token!.pin }, audit, scrypt: TEST_SCRYPT });
}

/**
 * A fresh backend instance on the shared token. The token outlives the instance, so every setup
 * works as its own pair of tenants: keys of earlier tests are invisible to it (owner-scoped).
 */
async function pkcs11Setup(): Promise<HsmUnderTest & { readonly hsm: Pkcs11Hsm }> {
  const n = ++setups;
  const ctx: OperationContext = { tenant: `bank-a-${n}`, actor: 'test', requestId: `req-${n}` };
  const otherCtx: OperationContext = { tenant: `bank-b-${n}`, actor: 'test' };
  const audit = new MemoryAuditSink();
  const hsm = await openHsm(audit);
  await hsm.registerCustodian(CUSTODIANS[0]!, undefined, ctx);
  await hsm.registerCustodian(CUSTODIANS[1]!, CUSTODIANS[0], ctx);
  await hsm.registerCustodian(CUSTODIANS[2]!, CUSTODIANS[1], ctx);
  return { hsm, ctx, otherCtx, custodians: CUSTODIANS, auditEvents: () => audit.events, unsupported: PKCS11_UNSUPPORTED, close: () => hsm.close() };
}

/** Runs `fn` with a backend instance and a raw session on the token beside it. */
async function withToken(fn: (t: HsmUnderTest & { readonly hsm: Pkcs11Hsm }, raw: TokenInspector) => Promise<void> | void): Promise<void> {
  const t = await pkcs11Setup();
  const raw = await inspectToken(token!);
  try {
    await fn(t, raw);
  } finally {
    raw.close();
    await t.close();
  }
}

const label = (raw: TokenInspector, o: Buffer): string => {
  const r = raw.read(o, CKA.LABEL);
  return 'value' in r ? r.value.toString('utf8') : '';
};

/**
 * Asserts what every secret key object must be: sensitive, its value refused by the token itself.
 * `generated`: made by C_GenerateKey, so also CKA_ALWAYS_SENSITIVE (and CKA_NEVER_EXTRACTABLE when
 * not extractable); an object made by C_CreateObject is neither, by PKCS #11 v2.40 §4.9, since its
 * value came from outside the token.
 */
function assertSensitive(raw: TokenInspector, object: Buffer, extractable: boolean, generated: boolean): void {
  assert.deepEqual(raw.read(object, CKA.VALUE), { refused: 'CKR_ATTRIBUTE_SENSITIVE' });
  assert.equal(raw.flag(object, CKA.SENSITIVE), true);
  assert.equal(raw.flag(object, CKA.EXTRACTABLE), extractable);
  if (generated) assert.equal(raw.flag(object, CKA.ALWAYS_SENSITIVE), true);
  if (generated && !extractable) assert.equal(raw.flag(object, CKA.NEVER_EXTRACTABLE), true);
}

/** The companion of M3 key `id` (exactly one) and the key object itself. */
function m3Objects(raw: TokenInspector, id: string): { key: Buffer; companion: Buffer } {
  const objects = raw.secretObjects(id);
  assert.equal(objects.length, 2, 'an M3 key and its retail MAC companion');
  const companion = objects.filter((o) => label(raw, o) === `${COMPANION_LABEL_PREFIX}${id}`);
  const key = objects.filter((o) => label(raw, o) !== `${COMPANION_LABEL_PREFIX}${id}`);
  assert.equal(companion.length, 1);
  return { key: key[0]!, companion: companion[0]! };
}

describe('PKCS#11 backend on SoftHSM2', { skip, timeout: 600_000 }, () => {
  it('SoftHSM2 and the pkcs11js binding are installed', () => {
    assert.equal(missing, undefined, `the PKCS#11 services test cannot run: ${missing}`);
  });
  if (missing !== undefined) return;

  before(async () => {
    token = createSoftHsmToken('opentsm-services');
    keeper = await openHsm(new MemoryAuditSink()); // keeps the library loaded between tests
  });

  after(() => {
    keeper?.close();
    token?.remove();
  });

  runHsmConformance('pkcs11', pkcs11Setup);
  issuerSuite('PKCS#11 (SoftHSM2)', pkcs11Setup);
  personalizationSuite('PKCS#11 (SoftHSM2)', pkcs11Setup);
  paymentE2eSuite('PKCS#11 (SoftHSM2)', pkcs11Setup);
  pinChangeIso4Suite('PKCS#11 (SoftHSM2)', pkcs11Setup);
  hsmOtaKeysSuite('PKCS#11 (SoftHSM2)', pkcs11Setup);

  describe('what only the token shows', () => {
    it('every key object is sensitive: the token refuses CKA_VALUE of secret keys (M3 companions included) and private keys', () =>
      withToken(async (t, raw) => {
        const data = await t.hsm.generateKey({ ...SPECS.dataA, length: 16, owner: t.ctx.tenant }, t.ctx);
        const kbpk = await t.hsm.generateKey({ ...SPECS.kbpkA, length: 32, owner: t.ctx.tenant }, t.ctx);
        const hmac = await t.hsm.generateKey({ usage: 'M7', algorithm: 'H', modeOfUse: 'C', exportability: 'N', length: 32, owner: t.ctx.tenant }, t.ctx);
        const m3 = await importClear(t, { ...SPECS.macRetail, exportability: 'N' }, fromHex('0123456789ABCDEFFEDCBA9876543210'));
        const pair = await t.hsm.generateKeyPair({ algorithm: 'E', size: 256, usage: 'S0', owner: t.ctx.tenant }, t.ctx);
        assertSensitive(raw, raw.secretObjects(data.id)[0]!, true, true); // exportability E: wrappable, never readable
        assertSensitive(raw, raw.secretObjects(kbpk.id)[0]!, false, true);
        assertSensitive(raw, raw.secretObjects(hmac.id)[0]!, false, true);
        const { key, companion } = m3Objects(raw, m3.id);
        assertSensitive(raw, key, false, false);
        assertSensitive(raw, companion, false, false);
        assert.deepEqual([CKA.ENCRYPT, CKA.DECRYPT, CKA.SIGN, CKA.VERIFY, CKA.WRAP, CKA.UNWRAP, CKA.DERIVE].map((a) => raw.flag(companion, a)), [true, false, false, false, false, false, false]);
        assert.equal(raw.flag(companion, CKA.MODIFIABLE), false);
        const [privateKey] = raw.privateObjects(pair.id);
        assert.deepEqual(raw.read(privateKey!, CKA.VALUE), { refused: 'CKR_ATTRIBUTE_SENSITIVE' });
        assert.equal(raw.flag(privateKey!, CKA.EXTRACTABLE), false);
      }));

    it('M3 keys: generated, imported and rotated ones carry a companion; destroy removes it, a retired version keeps its own to verify', () =>
      withToken(async (t, raw) => {
        const generated = await t.hsm.generateKey({ ...SPECS.macRetail, length: 16, owner: t.ctx.tenant }, t.ctx);
        m3Objects(raw, generated.id);
        const data = new Uint8Array(20).fill(0x5a);
        const mac = await t.hsm.generateMac(generated.id, data, 'retail-mac', t.ctx);
        const next = await t.hsm.rotateKey(generated.id, t.ctx);
        m3Objects(raw, next.id);
        m3Objects(raw, generated.id);
        assert.equal(await t.hsm.verifyMac(generated.id, data, mac, 'retail-mac', t.ctx), true);
        await t.hsm.destroyKey(generated.id, approvals(t), t.ctx);
        assert.deepEqual(raw.secretObjects(generated.id), []);
        m3Objects(raw, next.id);
        // a CMAC key (M6) has no companion
        const m6 = await t.hsm.generateKey({ usage: 'M6', algorithm: 'T', modeOfUse: 'C', exportability: 'N', length: 16, owner: t.ctx.tenant }, t.ctx);
        assert.equal(raw.secretObjects(m6.id).length, 1);
      }));

    it('an ICC key pair for a card and a card PIN leave no object on the token (the ICC key is made on the host for one call, the SCP02 session DEK is destroyed)', () =>
      withToken(async (t, raw) => {
        const issuer = await t.hsm.generateKeyPair({ algorithm: 'R', size: 2048, usage: 'S1', owner: t.ctx.tenant }, t.ctx);
        const dek = await importClear(t, { ...SPECS.gpDek, algorithm: 'T' }, fromHex('404142434445464748494A4B4C4D4E4F'));
        const zpk = await importClear(t, SPECS.pinT, fromHex('C1D0F8FB4958670DBA40AB1F3752EF0D'));
        const before = raw.objectCount();
        const card = { dek: dek.id, scp: 2 as const, sequenceCounter: 7 };
        await t.hsm.generateIccKeyPairForCard({ ...card, issuer: issuer.id, pan: '4761739001010119', expiry: '1229', serialNumber: fromHex('000001'), staticData: new Uint8Array(0) }, t.ctx);
        await t.hsm.pinBlockForCard({ ...card, pin: { key: zpk.id, format: 1, block: new Uint8Array(8) } }, t.ctx).catch(() => undefined);
        assert.equal(raw.objectCount(), before);
      }));

    it('an M3 key without its companion is refused for the retail MAC, saying why, never computed on the host', () =>
      withToken(async (t, raw) => {
        const clear = fromHex('0123456789ABCDEFFEDCBA9876543210');
        const m3 = await importClear(t, SPECS.macRetail, clear);
        raw.destroy(m3Objects(raw, m3.id).companion);
        const e = await rejectsWith(t.hsm.generateMac(m3.id, new Uint8Array(16), 'retail-mac', t.ctx), 'ERR_HSM_UNSUPPORTED');
        assert.match(e.message, /no retail MAC companion/);
        assert.ok(!e.message.includes(toHex(clear)) && !e.message.toLowerCase().includes(toHex(clear).toLowerCase()));
        await rejectsWith(t.hsm.verifyMac(m3.id, new Uint8Array(16), new Uint8Array(8), 'retail-mac', t.ctx), 'ERR_HSM_UNSUPPORTED');
        await t.hsm.destroyKey(m3.id, approvals(t), t.ctx); // a key without companion is still destroyed cleanly
        assert.deepEqual(raw.secretObjects(m3.id), []);
      }));

    it('the retail MAC composed in the token equals the software backend, crypto/ and the published ISO 9797-1 vectors, for every length 0–40', () =>
      withToken(async (t) => {
        const software = await softwareHsm();
        try {
          const keys = [fromHex('0123456789ABCDEFFEDCBA9876543210'), fromHex('AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB')];
          for (const clear of keys) {
            const onToken = await importClear(t, SPECS.macRetail, clear);
            const inSoftware = await importClear(software, SPECS.macRetail, clear);
            for (let n = 0; n <= 40; n++) {
              const data = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
              const mac = await t.hsm.generateMac(onToken.id, data, 'retail-mac', t.ctx);
              assert.equal(toHex(mac), toHex(await software.hsm.generateMac(inSoftware.id, data, 'retail-mac', software.ctx)), `length ${n}`);
              assert.equal(toHex(mac), toHex(retailMac(clear, data, { padding: 2, length: 8 })));
            }
          }
          // published: pyemv 1.5.0 mac_iso9797_3, padding method 2 (test/vectors/crypto/retail-mac-9797-3.json)
          const published = loadVectors<{ name: string; inputs: { key1?: string; key2?: string; data: string; padding: number }; expected: string }[]>('crypto/retail-mac-9797-3.json').filter(
            (v) => v.inputs.padding === 2 && v.inputs.key1?.length === 16 && v.inputs.key2?.length === 16,
          );
          assert.ok(published.length > 0);
          for (const v of published) {
            const h = await importClear(t, SPECS.macRetail, fromHex(v.inputs.key1! + v.inputs.key2!));
            assert.equal(toHex(await t.hsm.generateMac(h.id, fromHex(v.inputs.data), 'retail-mac', t.ctx)), v.expected, v.name);
          }
        } finally {
          await software.close();
        }
      }));

    it('the token still lacks what the refusals by design rest on (if this fails, lift the refusal)', () =>
      withToken((_t, raw) => {
        // PKCS #11 v2.40 key derivation by data manipulation: none would let K1 or KBPK ⊕ constant be made in the token
        const listed = new Set(raw.mechanisms());
        const manipulation = { CONCATENATE_BASE_AND_KEY: 0x360, CONCATENATE_BASE_AND_DATA: 0x362, CONCATENATE_DATA_AND_BASE: 0x363, XOR_BASE_AND_DATA: 0x364, EXTRACT_KEY_FROM_KEY: 0x365 };
        assert.deepEqual(Object.entries(manipulation).filter(([, m]) => listed.has(m)).map(([name]) => name), []);
        // what the composition uses is there
        for (const m of [CKM.DES3_CBC, CKM.DES3_ECB, CKM.DES3_CBC_ENCRYPT_DATA, CKM.AES_CBC]) assert.ok(listed.has(m), `mechanism 0x${m.toString(16)}`);
        const des2 = { type: CKK.DES2, length: 16 };
        const iv8 = Buffer.alloc(8);
        // SCP02 PUT KEY: C_WrapKey with any DES mechanism (the mechanism info advertises CKF_WRAP; C_WrapKey refuses)
        for (const mechanism of [{ mechanism: CKM.DES3_ECB }, { mechanism: CKM.DES3_CBC, parameter: iv8 }, { mechanism: 0x136 /* CKM_DES3_CBC_PAD */, parameter: iv8 }]) {
          assert.equal(raw.tryWrap(mechanism, des2, des2), 'CKR_MECHANISM_INVALID', `C_WrapKey 0x${mechanism.mechanism.toString(16)}`);
        }
        // AES-192 PUT KEY: no padded CBC wrap, and CKM_AES_CBC takes whole blocks only
        const aes256 = { type: CKK.AES, length: 32 };
        assert.equal(raw.tryWrap({ mechanism: 0x1085 /* CKM_AES_CBC_PAD */, parameter: Buffer.alloc(16) }, aes256, { type: CKK.AES, length: 24 }), 'CKR_MECHANISM_INVALID');
        assert.notEqual(raw.tryWrap({ mechanism: CKM.AES_CBC, parameter: Buffer.alloc(16) }, aes256, { type: CKK.AES, length: 24 }), 'ok');
        assert.equal(raw.tryWrap({ mechanism: CKM.AES_CBC, parameter: Buffer.alloc(16) }, aes256, { type: CKK.AES, length: 32 }), 'ok');
      }));

    it('refusals by design are typed and carry no key material', () =>
      withToken(async (t) => {
        const messages: string[] = [];
        const note = async (p: Promise<unknown>): Promise<void> => {
          const e = await rejectsWith(p, 'ERR_HSM_UNSUPPORTED');
          messages.push(`${e.message} ${e.cause instanceof OpenTsmError ? e.cause.message : String(e.cause)}`);
        };
        const secrets: Uint8Array[] = [];
        const known = async (spec: Parameters<typeof importClear>[1], clear: Uint8Array) => {
          secrets.push(clear);
          return importClear(t, spec, clear);
        };
        const dekT = await known({ ...SPECS.gpDek, algorithm: 'T' }, fromHex('404142434445464748494A4B4C4D4E4F'));
        const keyT = await known({ ...SPECS.gpEnc, algorithm: 'T' }, fromHex('505152535455565758595A5B5C5D5E5F'));
        await note(t.hsm.wrapKeyForCard(keyT.id, dekT.id, { scp: 2, sequenceCounter: 1 }, t.ctx));
        const dekA = await known({ ...SPECS.gpDek, algorithm: 'A' }, Uint8Array.from({ length: 32 }, (_, i) => 0xc0 + i));
        const key192 = await known({ ...SPECS.gpEnc, algorithm: 'A' }, Uint8Array.from({ length: 24 }, (_, i) => 0x60 + i));
        await note(t.hsm.wrapKeyForCard(key192.id, dekA.id, { scp: 3 }, t.ctx));
        const versionA = loadVectors<{ unwrap: { inputs: { kbpk: string; key_block: string }; expected: { key: string } }[] }>('hsm/tr31-published.json').unwrap.find((v) => v.inputs.key_block.startsWith('A'))!;
        const kbpk = await known(SPECS.kbpkT, fromHex(versionA.inputs.kbpk));
        secrets.push(fromHex(versionA.expected.key));
        await note(t.hsm.importKeyBlock(kbpk.id, versionA.inputs.key_block, { owner: t.ctx.tenant }, t.ctx));
        const text = messages.join('\n') + JSON.stringify(t.auditEvents());
        for (const s of secrets) {
          for (const hex of [toHex(s), toHex(s).toLowerCase(), toHex(s.subarray(0, 8)), toHex(s.subarray(0, 8)).toLowerCase()]) assert.ok(!text.includes(hex), 'key material in a refusal');
        }
      }));
  });
});
