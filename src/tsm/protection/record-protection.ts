/**
 * Field-level encryption of personal data at rest (ARCHITECTURE.md §2: PANs and personalization data
 * only encrypted at field level; docs/protection.md). Each protected record has its own `transient`
 * AES-256 data key (D0, mode B) in the HSM; destroying it — by the tenant alone, no custodians
 * (docs/hsm.md §11) — makes every field sealed under it unrecoverable, wherever copies of the
 * ciphertext went (backups, replicas).
 *
 * The HSM offers ECB and CBC only (DataCipherOptions: no AEAD), so a field is sealed
 * encrypt-then-MAC: AES-256-CBC under the record key with a fresh IV from the HSM, then
 * HMAC-SHA-256 under the tenant's `record seal` key (M7) over the version, the key id, the caller's
 * associated data, the IV and the ciphertext (sealed-field.ts). The tag is checked (in the HSM, in
 * constant time) before anything is decrypted. Lookups use `keyedIndex`: HMAC-SHA-256 under the
 * tenant's `record index` key, never a bare hash.
 */
import { toHex } from '../../bytes/index.ts';
import { HsmError, type Hsm, type OperationContext } from '../../hsm/index.ts';
import { TsmError } from '../errors.ts';
import { TenantMacKeys } from '../http/tenant-keys.ts';
import { aadBytes, encodeSealed, isKeyId, IV_BYTES, macInput, MAX_FIELD_BYTES, pad, parseSealed, unopenable, unpad } from './sealed-field.ts';

/** Label of each tenant's keyed-index key (HMAC-SHA-256, M7). */
export const RECORD_INDEX_LABEL = 'record index';
/** Label of each tenant's field-tag key (HMAC-SHA-256, M7). */
export const RECORD_SEAL_LABEL = 'record seal';
/** The longest value `keyedIndex` takes, in UTF-8 bytes. */
export const MAX_INDEX_VALUE_BYTES = 4096;

const PRINTABLE_LABEL = /^[\x21-\x7E](?:[\x20-\x7E]{0,62}[\x21-\x7E])?$/;
const INDEX_DOMAIN = 'opentsm/record-index/v1\0';

/**
 * Seals and opens a record's fields under its own HSM key, and computes keyed indexes.
 * @example
 * const fields = new RecordProtection(hsm);
 * const key = await fields.createRecordKey(ctx, 'instance 42');
 * const sealed = await fields.sealField(ctx, key, pan, 'instance/42/pan');
 * const pan2 = await fields.openField(ctx, key, sealed, 'instance/42/pan');
 * await fields.destroyRecordKey(ctx, key); // now `sealed` never opens again
 */
export class RecordProtection {
  readonly #hsm: Hsm;
  readonly #sealKeys: TenantMacKeys;
  readonly #indexKeys: TenantMacKeys;

  constructor(hsm: Hsm) {
    if (typeof hsm?.encryptData !== 'function') throw new TsmError('ERR_TSM_CONFIG', 'RecordProtection needs an Hsm');
    this.#hsm = hsm;
    this.#sealKeys = new TenantMacKeys(hsm, RECORD_SEAL_LABEL);
    this.#indexKeys = new TenantMacKeys(hsm, RECORD_INDEX_LABEL);
  }

  /** A new record key (transient AES-256 D0/B, exportability N) of `ctx.tenant`; returns its id. */
  async createRecordKey(ctx: OperationContext, label: string): Promise<string> {
    if (typeof label !== 'string' || !PRINTABLE_LABEL.test(label)) throw new TsmError('ERR_TSM_REQUEST', 'label: 1 to 64 printable ASCII characters');
    const spec = { usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'N', length: 32, owner: ctx.tenant, label, class: 'transient' } as const;
    return (await this.#hsm.generateKey(spec, ctx)).id;
  }

  /**
   * Destroys a record key: every field sealed under it becomes unrecoverable. Idempotent (a key
   * already destroyed is done). Refuses a key that is not a record key (ERR_TSM_REQUEST) and
   * another tenant's or an unknown one (ERR_TSM_NOT_FOUND).
   */
  async destroyRecordKey(ctx: OperationContext, keyId: string): Promise<void> {
    if (!isKeyId(keyId)) throw new TsmError('ERR_TSM_REQUEST', 'keyId: expected an HSM key id');
    try {
      const key = await this.#hsm.getKey(keyId, ctx);
      if (key.attributes.class !== 'transient' || key.attributes.usage !== 'D0') throw new TsmError('ERR_TSM_REQUEST', 'keyId: not a record key');
      await this.#hsm.destroyKey(keyId, [], ctx);
    } catch (e) {
      if (e instanceof HsmError && e.code === 'ERR_HSM_STATE') return; // destroyed already
      if (e instanceof HsmError && (e.code === 'ERR_HSM_KEY_NOT_FOUND' || e.code === 'ERR_HSM_TENANT')) throw new TsmError('ERR_TSM_NOT_FOUND', 'no such record key', { cause: e });
      throw e;
    }
  }

  /** Seals `plaintext` under record key `recordKey`, bound to `aad` (e.g. "instance/42/pan"). */
  async sealField(ctx: OperationContext, recordKey: string, plaintext: Uint8Array, aad: string): Promise<string> {
    if (!isKeyId(recordKey)) throw new TsmError('ERR_TSM_REQUEST', 'recordKey: expected an HSM key id');
    if (!(plaintext instanceof Uint8Array) || plaintext.length > MAX_FIELD_BYTES) throw new TsmError('ERR_TSM_REQUEST', `plaintext: a Uint8Array of at most ${MAX_FIELD_BYTES} bytes`);
    const ad = aadBytes(aad);
    const iv = await this.#hsm.random(IV_BYTES, ctx);
    let ciphertext: Uint8Array;
    const padded = pad(plaintext);
    try {
      ciphertext = await this.#hsm.encryptData(recordKey, padded, { mode: 'cbc', iv }, ctx);
    } catch (e) {
      if (e instanceof HsmError && e.code === 'ERR_HSM_STATE') throw new TsmError('ERR_TSM_STATE', 'the record key was destroyed: nothing more can be sealed under it', { cause: e });
      if (e instanceof HsmError && (e.code === 'ERR_HSM_KEY_NOT_FOUND' || e.code === 'ERR_HSM_TENANT')) throw new TsmError('ERR_TSM_NOT_FOUND', 'no such record key', { cause: e });
      if (e instanceof HsmError && e.code === 'ERR_HSM_USAGE') throw new TsmError('ERR_TSM_REQUEST', 'recordKey: not a record key', { cause: e });
      throw e;
    } finally {
      padded.fill(0);
    }
    const tag = await this.#hsm.generateMac(await this.#sealKeys.keyOf(ctx), macInput(recordKey, ad, iv, ciphertext), 'hmac-sha256', ctx);
    return encodeSealed({ keyId: recordKey, iv, ciphertext, tag });
  }

  /**
   * Opens what `sealField` returned for the same record key and `aad`. Altered, another record's,
   * another key's or another tenant's: ERR_TSM_STATE with one fixed message; sealed under a key
   * since destroyed: ERR_TSM_STATE, "unrecoverable".
   */
  async openField(ctx: OperationContext, recordKey: string, sealed: string, aad: string): Promise<Uint8Array> {
    const ad = aadBytes(aad);
    const parts = parseSealed(sealed);
    if (parts.keyId !== recordKey) throw unopenable();
    const input = macInput(parts.keyId, ad, parts.iv, parts.ciphertext);
    if (!(await this.#hsm.verifyMac(await this.#sealKeys.keyOf(ctx), input, parts.tag, 'hmac-sha256', ctx))) throw unopenable();
    let padded: Uint8Array;
    try {
      padded = await this.#hsm.decryptData(parts.keyId, parts.ciphertext, { mode: 'cbc', iv: parts.iv }, ctx);
    } catch (e) {
      if (e instanceof HsmError && e.code === 'ERR_HSM_STATE') throw new TsmError('ERR_TSM_STATE', 'the record key was destroyed: the field is unrecoverable', { cause: e });
      if (e instanceof HsmError && (e.code === 'ERR_HSM_KEY_NOT_FOUND' || e.code === 'ERR_HSM_TENANT' || e.code === 'ERR_HSM_USAGE')) throw unopenable(e);
      throw e;
    }
    try {
      return unpad(padded);
    } finally {
      padded.fill(0);
    }
  }

  /**
   * A keyed index of `value` (a PAN, an MSISDN…) for lookups without storing it: hex HMAC-SHA-256
   * under the tenant's `record index` key (M7, exportability N) of a domain tag ‖ UTF-8 `value`.
   * Equal values give equal indexes within one tenant; nothing else is learnt.
   */
  async keyedIndex(ctx: OperationContext, value: string): Promise<string> {
    if (typeof value !== 'string' || value.length === 0) throw new TsmError('ERR_TSM_REQUEST', 'value: expected a non-empty string');
    const bytes = new TextEncoder().encode(INDEX_DOMAIN + value);
    if (bytes.length > MAX_INDEX_VALUE_BYTES + INDEX_DOMAIN.length) throw new TsmError('ERR_TSM_REQUEST', `value: at most ${MAX_INDEX_VALUE_BYTES} bytes`);
    return toHex(await this.#hsm.generateMac(await this.#indexKeys.keyOf(ctx), bytes, 'hmac-sha256', ctx));
  }

  /** A keyed digest of bytes under the same key, domain-separated from `keyedIndex` (for PayloadCipher.digest). */
  async keyedDigest(ctx: OperationContext, data: Uint8Array): Promise<Uint8Array> {
    if (!(data instanceof Uint8Array) || data.length > MAX_FIELD_BYTES) throw new TsmError('ERR_TSM_REQUEST', `data: a Uint8Array of at most ${MAX_FIELD_BYTES} bytes`);
    const domain = new TextEncoder().encode('opentsm/record-digest/v1\0');
    const input = new Uint8Array(domain.length + data.length);
    input.set(domain);
    input.set(data, domain.length);
    return this.#hsm.generateMac(await this.#indexKeys.keyOf(ctx), input, 'hmac-sha256', ctx);
  }
}
