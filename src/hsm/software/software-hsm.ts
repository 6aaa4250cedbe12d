/**
 * The software HSM (ARCHITECTURE.md §2–3; research/hsm-emv.md §1.1): the payShield key model in
 * process. It holds only the LMK; every key is a KeyRecord whose secret is a TR-31 version D block
 * under the LMK in a KeyRecordStore. Every public method is one audited operation (shared/audit-trail.ts)
 * that checks the key's owner and usage (usage-policy.ts) before any cryptography.
 *
 * Beyond the Hsm interface: custodian registration, LMK change (`rewrapAll`) and `close()`.
 */
import { inspect } from 'node:util';
import type { AuditSink } from '../audit.ts';
import type { CustodianCredential, KeyComponentInput, OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type {
  ArpcInput, ArqcRequest, ArqcResult, AsymmetricKeySpec, CardKeyExport, CardPinRequest, DataCipherOptions,
  EmvCertificate, EmvCertificateRequest, EncryptedPinBlock, IccKeyPairForCard, IccKeyPairRequest, Hsm, MacMechanism, SignatureScheme,
} from '../hsm.ts';
import type { KeyHandle, KeyImportMeta, KeySpec } from '../key-attributes.ts';
import type { KeyRecordStore } from '../key-record-store.ts';
import type { DiversificationMethod, Scp02HostKeys, Scp03HostKeys, WrappedKey } from '../../gp/index.ts';
import * as asym from './asymmetric-ops.ts';
import { audited, type Trail } from '../shared/audit-trail.ts';
import type { KcvTrace, SoftwareCore } from './core.ts';
import * as create from './custody-create.ts';
import * as manage from './custody-manage.ts';
import { CustodianRegistry } from '../shared/custodians.ts';
import * as perso from './emv-personalization.ts';
import * as emv from './emv-ops.ts';
import * as general from './general-ops.ts';
import * as gp from './gp-ops.ts';
import { KeyCache, type KeyCacheOptions } from './key-cache.ts';
import { KeyVault } from './key-vault.ts';
import type { Lmk } from './lmk.ts';
import { LmkRing } from './lmk-ring.ts';
import { REWRAP_BATCH, rewrapRecords } from './lmk-rotation.ts';
import { MemoryKeyRecordStore } from '../shared/memory-key-record-store.ts';
import { DEFAULT_SCRYPT, type ScryptParams } from '../shared/passphrase-hash.ts';
import { translatePinBlock } from './pin-ops.ts';
import { HsmScp02Keys, HsmScp03Keys, keySetLength, loadKeySet, type KeySetIds } from './scp-host-keys.ts';

export interface SoftwareHsmOptions {
  /** The current LMK (generateLmk, loadLmkFile, assembleLmk). The HSM owns it and destroys it on close(). */
  readonly lmk: Lmk;
  /** LMKs still needed to unwrap during an LMK change (lmk-rotation.ts). */
  readonly previousLmks?: readonly Lmk[];
  /** Where records live; default a new MemoryKeyRecordStore (embedded use, tests). */
  readonly store?: KeyRecordStore;
  /** Receives one event per operation. */
  readonly audit: AuditSink;
  /** The unwrapped-key cache (key-cache.ts), or false for none. Default: 60 s, 1024 keys. */
  readonly keyCache?: KeyCacheOptions | false;
  /** scrypt cost of custodian passphrases, and the floor stored hashes must meet (default N = 2^15). */
  readonly scrypt?: ScryptParams;
  /** Receives the KCVs of intermediate derived keys (core.ts). */
  readonly traceKcv?: KcvTrace;
}

export class SoftwareHsm implements Hsm {
  readonly backend = 'software' as const;
  readonly store: KeyRecordStore;
  readonly #core: SoftwareCore;
  readonly #audit: AuditSink;
  #closed = false;

  constructor(options: SoftwareHsmOptions) {
    if (typeof options !== 'object' || options === null || typeof options.audit?.record !== 'function') {
      throw new HsmError('ERR_HSM_PARAM', 'SoftwareHsm needs { lmk, audit } (and usually a store)');
    }
    this.store = options.store ?? new MemoryKeyRecordStore();
    const ring = new LmkRing(options.lmk, options.previousLmks);
    const cache = options.keyCache === false ? undefined : new KeyCache(options.keyCache);
    this.#core = { vault: new KeyVault(this.store, ring, cache), custodians: new CustodianRegistry(this.store, options.scrypt ?? DEFAULT_SCRYPT), trace: options.traceKcv };
    this.#audit = options.audit;
  }

  /** KCV of the current LMK. */
  get lmkKcv(): string {
    return this.#core.vault.ring.currentKcv;
  }

  /** How many unwrapped keys the key cache holds right now (key-cache.ts), for operators and tests. */
  get cachedKeyCount(): number {
    return this.#core.vault.cache?.size ?? 0;
  }

  #run<T>(operation: string, ctx: OperationContext, body: (core: SoftwareCore, trail: Trail) => Promise<T> | T): Promise<T> {
    return audited(this.#audit, operation, ctx, (trail) => {
      if (this.#closed) throw new HsmError('ERR_HSM_STATE', 'the HSM is closed');
      return body(this.#core, trail);
    });
  }

  // — custodians and the LMK —

  /** Registers a custodian; needs an existing custodian's approval except for the first (shared/custodians.ts). */
  registerCustodian(custodian: CustodianCredential, approval: CustodianCredential | undefined, ctx: OperationContext): Promise<void> {
    return this.#run('registerCustodian', ctx, async (core, trail) => {
      const approver = await core.custodians.register(custodian, approval);
      trail.detail = `custodian ${custodian.custodian} registered${approver === undefined ? ' (bootstrap)' : ` with the approval of ${approver}`}`;
    });
  }

  /** Changes the LMK while serving (lmk-rotation.ts); two custodians approve. Returns the records re-wrapped. */
  rewrapAll(newLmk: Lmk, approvals: readonly CustodianCredential[], ctx: OperationContext, options: { batchSize?: number } = {}): Promise<number> {
    return this.#run('rewrapAll', ctx, async (core, trail) => {
      await core.custodians.authenticateDistinct(approvals, 2);
      return rewrapRecords(core.vault, newLmk, Math.max(1, options.batchSize ?? REWRAP_BATCH), trail);
    });
  }

  /** Wipes the key cache and destroys the LMKs; every later call is refused (ERR_HSM_STATE). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#core.vault.cache?.clear();
    this.#core.vault.ring.destroy();
  }

  // — custody —

  generateKey(spec: KeySpec, ctx: OperationContext): Promise<KeyHandle> {
    return this.#run('generateKey', ctx, (core, trail) => create.generateKey(core, spec, ctx, trail));
  }

  importComponents(spec: KeySpec, components: readonly KeyComponentInput[], ctx: OperationContext): Promise<KeyHandle> {
    return this.#run('importComponents', ctx, (core, trail) => create.importComponents(core, spec, components, ctx, trail));
  }

  importKeyBlock(kbpk: string, block: string, meta: KeyImportMeta, ctx: OperationContext): Promise<KeyHandle> {
    return this.#run('importKeyBlock', ctx, (core, trail) => create.importKeyBlock(core, kbpk, block, meta, ctx, trail));
  }

  generateKeyForExport(spec: KeySpec, kbpk: string, ctx: OperationContext): Promise<{ readonly key: KeyHandle; readonly block: string }> {
    return this.#run('generateKeyForExport', ctx, (core, trail) => create.generateKeyForExport(core, spec, kbpk, ctx, trail));
  }

  exportKeyBlock(kbpk: string, key: string, approvals: readonly CustodianCredential[], ctx: OperationContext): Promise<string> {
    return this.#run('exportKeyBlock', ctx, (core, trail) => manage.exportKeyBlock(core, kbpk, key, approvals, ctx, trail));
  }

  getKey(id: string, ctx: OperationContext): Promise<KeyHandle> {
    return this.#run('getKey', ctx, (core, trail) => manage.getKey(core, id, ctx, trail));
  }

  listKeys(filter: { readonly usage?: string; readonly label?: string }, ctx: OperationContext): Promise<readonly KeyHandle[]> {
    return this.#run('listKeys', ctx, (core, trail) => manage.listKeys(core, filter, ctx, trail));
  }

  rotateKey(id: string, ctx: OperationContext): Promise<KeyHandle> {
    return this.#run('rotateKey', ctx, (core, trail) => manage.rotateKey(core, id, ctx, trail));
  }

  destroyKey(id: string, approvals: readonly CustodianCredential[], ctx: OperationContext): Promise<void> {
    return this.#run('destroyKey', ctx, (core, trail) => manage.destroyKey(core, id, approvals, ctx, trail));
  }

  revealProtocolKey(id: string, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run('revealProtocolKey', ctx, (core, trail) => manage.revealProtocolKey(core, id, ctx, trail));
  }

  // — derivation and GlobalPlatform —

  diversifyGpKeys(
    masters: { readonly enc: string; readonly mac: string; readonly dek: string },
    kdd: Uint8Array,
    method: DiversificationMethod,
    target: { readonly owner: string; readonly label?: string },
    ctx: OperationContext,
  ): Promise<{ readonly enc: KeyHandle; readonly mac: KeyHandle; readonly dek: KeyHandle }> {
    return this.#run('diversifyGpKeys', ctx, (core, trail) => gp.diversifyGpKeys(core, masters, kdd, method, target, ctx, trail));
  }

  scp03HostKeys(set: KeySetIds, keyVersion: number, ctx: OperationContext): Promise<Scp03HostKeys> {
    return this.#run('scp03HostKeys', ctx, async (core, trail) => {
      checkKvn(keyVersion);
      const loaded = await loadKeySet(core, set, ctx, trail);
      const length = keySetLength(loaded, 'A', [16, 24, 32]) as 16 | 24 | 32;
      const kcvs = [loaded.enc, loaded.mac, loaded.dek].map((k) => k.record.kcv);
      return new HsmScp03Keys(core, set, keyVersion, length, kcvs, ctx, (operation, body) => this.#run(operation, ctx, (_core, t) => body(t)));
    });
  }

  scp02HostKeys(set: KeySetIds, keyVersion: number, ctx: OperationContext): Promise<Scp02HostKeys> {
    return this.#run('scp02HostKeys', ctx, async (core, trail) => {
      checkKvn(keyVersion);
      const loaded = await loadKeySet(core, set, ctx, trail);
      keySetLength(loaded, 'T', [16]);
      const kcvs = [loaded.enc, loaded.mac, loaded.dek].map((k) => k.record.kcv);
      return new HsmScp02Keys(core, set, keyVersion, kcvs, ctx, (operation, body) => this.#run(operation, ctx, (_core, t) => body(t)));
    });
  }

  wrapKeyForCard(key: string, dek: string, options: { readonly scp: 2 | 3; readonly sequenceCounter?: number }, ctx: OperationContext): Promise<WrappedKey> {
    return this.#run('wrapKeyForCard', ctx, (core, trail) => gp.wrapKeyForCard(core, key, dek, options, ctx, trail));
  }

  exportDerivedKeyForCard(request: CardKeyExport, ctx: OperationContext): Promise<WrappedKey> {
    return this.#run('exportDerivedKeyForCard', ctx, (core, trail) => gp.exportDerivedKeyForCard(core, request, ctx, trail));
  }

  // — EMV issuer —

  verifyArqc(request: ArqcRequest, arpc: ArpcInput | undefined, ctx: OperationContext): Promise<ArqcResult> {
    return this.#run('verifyArqc', ctx, (core, trail) => emv.verifyArqc(core, request, arpc, ctx, trail));
  }

  issuerScriptMac(request: emv.ScriptTransaction & { readonly imkSmi: string; readonly macInput: Uint8Array }, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run('issuerScriptMac', ctx, (core, trail) => emv.issuerScriptMac(core, request, ctx, trail));
  }

  issuerScriptEncrypt(request: emv.ScriptTransaction & { readonly imkSmc: string; readonly plaintext: Uint8Array }, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run('issuerScriptEncrypt', ctx, (core, trail) => emv.issuerScriptEncrypt(core, request, ctx, trail));
  }

  translatePinBlock(from: EncryptedPinBlock, to: Omit<EncryptedPinBlock, 'block'>, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run('translatePinBlock', ctx, (core, trail) => translatePinBlock(core, from, to, ctx, trail));
  }

  pinChangeScriptData(
    request: emv.ScriptTransaction & { readonly pin: EncryptedPinBlock; readonly imkSmc: string; readonly imkAc: string },
    ctx: OperationContext,
  ): Promise<Uint8Array> {
    return this.#run('pinChangeScriptData', ctx, (core, trail) => emv.pinChangeScriptData(core, request, ctx, trail));
  }

  // — EMV personalization (emv-personalization.ts) —

  issueEmvCertificate(signer: string, request: EmvCertificateRequest, ctx: OperationContext): Promise<EmvCertificate> {
    return this.#run('issueEmvCertificate', ctx, (core, trail) => perso.issueEmvCertificate(core, signer, request, ctx, trail));
  }

  generateIccKeyPairForCard(request: IccKeyPairRequest, ctx: OperationContext): Promise<IccKeyPairForCard> {
    return this.#run('generateIccKeyPairForCard', ctx, (core, trail) => perso.generateIccKeyPairForCard(core, request, ctx, trail));
  }

  pinBlockForCard(request: CardPinRequest, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run('pinBlockForCard', ctx, (core, trail) => perso.pinBlockForCard(core, request, ctx, trail));
  }

  // — general —

  generateMac(key: string, data: Uint8Array, algorithm: MacMechanism, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run('generateMac', ctx, (core, trail) => general.generateMac(core, key, data, algorithm, ctx, trail));
  }

  verifyMac(key: string, data: Uint8Array, mac: Uint8Array, algorithm: MacMechanism, ctx: OperationContext): Promise<boolean> {
    return this.#run('verifyMac', ctx, (core, trail) => general.verifyMac(core, key, data, mac, algorithm, ctx, trail));
  }

  encryptData(key: string, data: Uint8Array, options: DataCipherOptions, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run('encryptData', ctx, (core, trail) => general.cipherData(core, key, data, options, 'encrypt', ctx, trail));
  }

  decryptData(key: string, data: Uint8Array, options: DataCipherOptions, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run('decryptData', ctx, (core, trail) => general.cipherData(core, key, data, options, 'decrypt', ctx, trail));
  }

  random(length: number, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run('random', ctx, () => general.random(length));
  }

  // — asymmetric —

  generateKeyPair(spec: AsymmetricKeySpec, ctx: OperationContext): Promise<KeyHandle> {
    return this.#run('generateKeyPair', ctx, (core, trail) => asym.generateKeyPair(core, spec, ctx, trail));
  }

  sign(key: string, data: Uint8Array, scheme: SignatureScheme, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run('sign', ctx, (core, trail) => asym.sign(core, key, data, scheme, ctx, trail));
  }

  verify(key: string, data: Uint8Array, signature: Uint8Array, scheme: SignatureScheme, ctx: OperationContext): Promise<boolean> {
    return this.#run('verify', ctx, (core, trail) => asym.verify(core, key, data, signature, scheme, ctx, trail));
  }

  exportPublicKey(key: string, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run('exportPublicKey', ctx, (core, trail) => asym.exportPublicKey(core, key, ctx, trail));
  }


  toString(): string {
    return `SoftwareHsm(LMK KCV ${this.lmkKcv}${this.#closed ? ', closed' : ''})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function checkKvn(keyVersion: number): void {
  if (!Number.isInteger(keyVersion) || keyVersion < 0 || keyVersion > 0xff) throw new HsmError('ERR_HSM_PARAM', 'key version number: 0..FF');
}
