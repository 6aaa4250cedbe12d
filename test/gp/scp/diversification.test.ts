/**
 * Key diversification (EMV, VISA2, KDF3 as GlobalPlatformPro names them) against the KCVs published
 * in GlobalPlatformPro's TestPlaintextKeys, and GPPro's SCP03 KDF check.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { CryptoError, kcv } from '../../../src/crypto/index.ts';
import {
  GpError,
  SCP03_DERIVATION,
  diversifyKey,
  diversifyKdf3,
  plainScp03Keys,
  scp03SessionKey,
  type DiversificationMethod,
  type KeyType,
} from '../../../src/gp/index.ts';
import { loadVectors } from '../../helpers/vectors.ts';

interface DivVector {
  id: string;
  kind: string;
  method?: string;
  master_key?: string;
  kdd?: string;
  outputs?: Record<KeyType, { expected_kcv: string; derived_key_computed_independently: string }>;
  expected_derived_key?: string;
  static_keys?: string;
  context?: string;
  expected_kcv?: Record<string, string>;
}
const file = loadVectors<{ source: string; vectors: DivVector[] }>('gp/gppro-keys.json');

describe(`diversification: GlobalPlatformPro KCVs (${file.source.split(' ')[0]})`, () => {
  for (const v of file.vectors.filter((x) => x.kind === 'key_diversification' && x.outputs !== undefined)) {
    it(v.id, () => {
      const method = v.method as DiversificationMethod;
      const kcvMethod = method === 'kdf3' ? 'aes-ones' : 'tdes-zeros';
      for (const type of ['ENC', 'MAC', 'DEK'] as const) {
        const key = diversifyKey(method, fromHex(v.master_key!), fromHex(v.kdd!), type);
        assert.equal(toHex(kcv(key, kcvMethod)), v.outputs![type].expected_kcv, `${type} KCV (published)`);
        // the full key is the vector author's independent computation, a secondary check
        assert.equal(toHex(key), v.outputs![type].derived_key_computed_independently, `${type} key`);
      }
    });
  }

  it('gppro-kdf3-external: published derived ENC key', () => {
    const v = file.vectors.find((x) => x.id === 'gppro-kdf3-external')!;
    assert.equal(toHex(diversifyKdf3(fromHex(v.master_key!), fromHex(v.kdd!), 'ENC')), v.expected_derived_key);
  });

  it('gppro-scp03-session-ctx-kdd: SCP03 KDF session-key KCVs (10-byte KDD as context, as GPPro tests it)', () => {
    const v = file.vectors.find((x) => x.id === 'gppro-scp03-session-ctx-kdd')!;
    const key = fromHex(v.static_keys!);
    const ctx = fromHex(v.context!);
    const k = (c: number): string => toHex(kcv(scp03SessionKey(key, c, ctx), 'aes-ones'));
    assert.equal(k(SCP03_DERIVATION.S_ENC), v.expected_kcv!['S-ENC(04)']);
    assert.equal(k(SCP03_DERIVATION.S_MAC), v.expected_kcv!['S-MAC(06)']);
    assert.equal(k(SCP03_DERIVATION.S_RMAC), v.expected_kcv!['S-RMAC(07)']);
    assert.equal(toHex(kcv(key, 'aes-ones')), v.expected_kcv!['DEK(static)']);
  });

  it('plainScp03Keys with KDF3 diversification encrypts with the diversified DEK', async () => {
    const v = file.vectors.find((x) => x.id === 'gppro-div-kdf3-128')!;
    const master = fromHex(v.master_key!);
    const keys = plainScp03Keys({ keyVersion: 0x30, enc: master, mac: master, dek: master, diversification: 'kdf3' });
    const enc = await keys.encryptSensitive(new Uint8Array(16).fill(1), { kdd: fromHex(v.kdd!), keyVersion: 0x30 });
    // AES(DEK, 01×16) is by definition the DEK's full KCV block (Amd D §7.2.2): its first 3 bytes are the published KCV
    assert.equal(toHex(enc.subarray(0, 3)), v.outputs!.DEK.expected_kcv);
  });
});

describe('diversification: bad input is a typed error', () => {
  const kdd = new Uint8Array(10);
  it('refuses wrong master-key and KDD lengths and unknown names', () => {
    const isGp = (code: string) => (e: unknown) => e instanceof GpError && e.code === code;
    assert.throws(() => diversifyKey('emv', new Uint8Array(24), kdd, 'ENC'), isGp('ERR_GP_KEY'));
    assert.throws(() => diversifyKey('visa2', new Uint8Array(8), kdd, 'MAC'), isGp('ERR_GP_KEY'));
    assert.throws(() => diversifyKey('kdf3', new Uint8Array(15), kdd, 'DEK'), isGp('ERR_GP_KEY'));
    assert.throws(() => diversifyKey('kdf3', new Uint8Array(16), new Uint8Array(9), 'DEK'), isGp('ERR_GP_PARAM'));
    assert.throws(() => diversifyKey('nope' as DiversificationMethod, new Uint8Array(16), kdd, 'ENC'), isGp('ERR_GP_PARAM'));
    assert.throws(() => diversifyKey('emv', new Uint8Array(16), kdd, 'PIN' as KeyType), isGp('ERR_GP_PARAM'));
    assert.throws(() => diversifyKey('emv', 'key' as unknown as Uint8Array, kdd, 'ENC'), isGp('ERR_GP_KEY'));
  });

  it('never a TypeError for garbage', () => {
    for (const bad of [null, undefined, 42, {}, [1, 2]]) {
      assert.throws(() => diversifyKey('kdf3', bad as never, kdd, 'ENC'), (e: unknown) => e instanceof GpError || e instanceof CryptoError);
    }
  });
});
