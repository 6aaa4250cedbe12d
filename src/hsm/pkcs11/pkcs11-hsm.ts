/**
 * The PKCS#11 backend (ARCHITECTURE.md §2–3): every key a token object on a PKCS#11 token
 * (SoftHSM2 in development and tests, a real HSM in production), its attributes in a metadata
 * object beside it (metadata.ts). Every public method is one audited operation that checks the
 * key's owner and usage (assertUsable) before any cryptography, as the software backend.
 *
 * What runs in the token and what passes through host memory, operation by operation, is written
 * at the line in the files below; in short: static and master keys never leave the token; derived
 * per-card and per-session keys, TR-31 payloads, component sums and PINs are in host memory for
 * one call (or, for secure-channel session keys, one session) and wiped; so is a card's ICC private
 * key, generated on the host for generateIccKeyPairForCard (emv-personalization.ts says why). The retail MAC (M3) is
 * composed in the token from the key and its single-DES K1 companion object, made when the clear
 * key is in host memory anyway (import) or, for generated and rotated M3 keys, drawn from the
 * token's RNG into host memory for the create calls (retail-mac.ts). Refused with
 * ERR_HSM_UNSUPPORTED where the token lacks the mechanism and the alternative would bring a stored
 * key into host memory: the retail MAC of an M3 key without a companion, SCP02 PUT KEY of a stored
 * key and PUT KEY of an AES-192 key (card-wrap.ts), TR-31 versions A and C (custody.ts), and (with
 * wrapWithTrusted) TR-31 export.
 *
 * Open with `await Pkcs11Hsm.open(options)`; `close()` ends the session.
 */
import { inspect } from 'node:util';
import type { DiversificationMethod, Scp02HostKeys, Scp03HostKeys, WrappedKey } from '../../gp/index.ts';
import type { AuditSink } from '../audit.ts';
import type { CustodianCredential, KeyComponentInput, OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type {
  ArpcInput, ArqcRequest, ArqcResult, AsymmetricKeySpec, CardKeyExport, CardPinRequest, DataCipherOptions,
  EmvCertificate, EmvCertificateRequest, EncryptedPinBlock, IccKeyPairForCard, IccKeyPairRequest, Hsm, MacMechanism, SignatureScheme,
} from '../hsm.ts';
import type { KeyHandle, KeyImportMeta, KeySpec } from '../key-attributes.ts';
import { audited, type Trail } from '../shared/audit-trail.ts';
import { CustodianRegistry } from '../shared/custodians.ts';
import { MemoryKeyRecordStore } from '../shared/memory-key-record-store.ts';
import { DEFAULT_SCRYPT } from '../shared/passphrase-hash.ts';
import * as asym from './asymmetric.ts';
import { DEFAULT_MODULE_PATH } from './binding.ts';
import type { Pkcs11Core } from './core.ts';
import * as custody from './custody.ts';
import * as emv from './emv-ops.ts';
import * as perso from './emv-personalization.ts';
import * as general from './general-ops.ts';
import * as gp from './gp-ops.ts';
import { TokenKeys } from './key-objects.ts';
import { handleOf } from './metadata.ts';
import { checkOptions, readPin, type Pkcs11HsmOptions } from './options.ts';
import { translatePinBlock } from './pin-ops.ts';
import { loadKeySet, TokenScp02Keys, TokenScp03Keys, type KeySetIds } from './scp-host-keys.ts';
import { Token } from './token.ts';

export class Pkcs11Hsm implements Hsm {
  readonly backend = 'pkcs11' as const;
  readonly #core: Pkcs11Core;
  readonly #audit: AuditSink;
  #closed = false;

  private constructor(core: Pkcs11Core, audit: AuditSink) {
    this.#core = core;
    this.#audit = audit;
  }

  /**
   * Loads the PKCS#11 module (the optional pkcs11js binding), finds the token by label, reads the
   * PIN from its source and logs in. ERR_HSM_BACKEND when the binding, module or token is missing
   * or the PIN is refused.
   */
  static async open(options: Pkcs11HsmOptions): Promise<Pkcs11Hsm> {
    checkOptions(options);
    const pin = await readPin(options.pin);
    const token = await Token.open(options.module ?? DEFAULT_MODULE_PATH, options.tokenLabel, pin);
    const wrapWithTrusted = options.wrapWithTrusted === true;
    const core: Pkcs11Core = {
      token,
      keys: new TokenKeys(token, { wrapWithTrusted }),
      custodians: new CustodianRegistry(options.store ?? new MemoryKeyRecordStore(), options.scrypt ?? DEFAULT_SCRYPT),
      trace: options.traceKcv,
      wrapWithTrusted,
    };
    return new Pkcs11Hsm(core, options.audit);
  }

  /** The token: label, serial number, model. */
  get token(): { readonly label: string; readonly serial: string; readonly model: string } {
    const t = this.#core.token;
    return { label: t.label, serial: t.serial, model: t.model };
  }

  #run<T>(operation: string, ctx: OperationContext, body: (core: Pkcs11Core, trail: Trail) => Promise<T> | T): Promise<T> {
    return audited(this.#audit, operation, ctx, (trail) => {
      if (this.#closed) throw new HsmError('ERR_HSM_STATE', 'the HSM is closed');
      return body(this.#core, trail);
    });
  }

  /** Registers a custodian; needs an existing custodian's approval except for the first (shared/custodians.ts). */
  registerCustodian(custodian: CustodianCredential, approval: CustodianCredential | undefined, ctx: OperationContext): Promise<void> {
    return this.#run('registerCustodian', ctx, async (core, trail) => {
      const approver = await core.custodians.register(custodian, approval);
      trail.detail = `custodian ${custodian.custodian} registered${approver === undefined ? ' (bootstrap)' : ` with the approval of ${approver}`}`;
    });
  }

  /** Closes the token session; every later call is refused (ERR_HSM_STATE). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#core.token.close();
  }

  // — custody —

  generateKey(spec: KeySpec, ctx: OperationContext): Promise<KeyHandle> {
    return this.#run('generateKey', ctx, (core, trail) => custody.generateKey(core, spec, ctx, trail));
  }

  importComponents(spec: KeySpec, components: readonly KeyComponentInput[], ctx: OperationContext): Promise<KeyHandle> {
    return this.#run('importComponents', ctx, (core, trail) => custody.importComponents(core, spec, components, ctx, trail));
  }

  importKeyBlock(kbpk: string, block: string, meta: KeyImportMeta, ctx: OperationContext): Promise<KeyHandle> {
    return this.#run('importKeyBlock', ctx, (core, trail) => custody.importKeyBlock(core, kbpk, block, meta, ctx, trail));
  }

  generateKeyForExport(spec: KeySpec, kbpk: string, ctx: OperationContext): Promise<{ readonly key: KeyHandle; readonly block: string }> {
    return this.#run('generateKeyForExport', ctx, (core, trail) => custody.generateKeyForExport(core, spec, kbpk, ctx, trail));
  }

  exportKeyBlock(kbpk: string, key: string, approvals: readonly CustodianCredential[], ctx: OperationContext): Promise<string> {
    return this.#run('exportKeyBlock', ctx, (core, trail) => custody.exportKeyBlock(core, kbpk, key, approvals, ctx, trail));
  }

  getKey(id: string, ctx: OperationContext): Promise<KeyHandle> {
    return this.#run('getKey', ctx, (core, trail) => core.keys.load(id, ctx, trail).handle);
  }

  listKeys(filter: { readonly usage?: string; readonly label?: string }, ctx: OperationContext): Promise<readonly KeyHandle[]> {
    return this.#run('listKeys', ctx, (core, trail) => {
      const found = core.keys.list(ctx.tenant, { usage: filter?.usage, label: filter?.label });
      for (const m of found) trail.key(m.id, m.kcv);
      return found.map(handleOf);
    });
  }

  rotateKey(id: string, ctx: OperationContext): Promise<KeyHandle> {
    return this.#run('rotateKey', ctx, (core, trail) => custody.rotateKey(core, id, ctx, trail));
  }

  destroyKey(id: string, approvals: readonly CustodianCredential[], ctx: OperationContext): Promise<void> {
    return this.#run('destroyKey', ctx, (core, trail) => custody.destroyKey(core, id, approvals, ctx, trail));
  }

  revealProtocolKey(id: string, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run('revealProtocolKey', ctx, (core, trail) => custody.revealProtocolKey(core, id, ctx, trail));
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
    return this.#run('scp03HostKeys', ctx, (core, trail) => {
      checkKvn(keyVersion);
      const loaded = loadKeySet(core, set, ctx, trail);
      return new TokenScp03Keys(core, set, keyVersion, loaded, ctx, (operation, body) => this.#run(operation, ctx, (_core, t) => body(t)));
    });
  }

  scp02HostKeys(set: KeySetIds, keyVersion: number, ctx: OperationContext): Promise<Scp02HostKeys> {
    return this.#run('scp02HostKeys', ctx, (core, trail) => {
      checkKvn(keyVersion);
      const loaded = loadKeySet(core, set, ctx, trail);
      return new TokenScp02Keys(core, set, keyVersion, loaded, ctx, (operation, body) => this.#run(operation, ctx, (_core, t) => body(t)));
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

  // — EMV personalization (emv-personalization.ts: the ICC private key is generated on the host) —

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
    return this.#run('random', ctx, (core) => general.random(core, length));
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
    const t = this.#core.token;
    return `Pkcs11Hsm(token "${t.label}", ${t.model} ${t.serial}${this.#closed ? ', closed' : ''})`;
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
