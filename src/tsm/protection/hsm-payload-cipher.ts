/**
 * The job engine's PayloadCipher on the HSM (src/tsm/jobs/payload-cipher.ts; docs/protection.md §4):
 * one transient record key per sealed payload, so a job's personal data can be made unrecoverable on
 * its own — `discard` destroys the key a sealed payload names, which the owner of the job's end
 * (the engine's erase, a terminate) calls while it still holds the sealed bytes. The sealed bytes
 * are the UTF-8 of a v1 sealed field (sealed-field.ts), bound to the tenant as associated data;
 * `digest` is the tenant's keyed digest (never a bare hash of a PAN).
 */
import type { Hsm, OperationContext } from '../../hsm/index.ts';
import type { PayloadCipher } from '../jobs/index.ts';
import { TsmError } from '../errors.ts';
import { RecordProtection } from './record-protection.ts';
import { parseSealed, unopenable } from './sealed-field.ts';

/** Label of the record key of each sealed job payload. */
export const JOB_PAYLOAD_LABEL = 'job payload';

export interface HsmPayloadCipherOptions {
  /** The actor recorded in the HSM's audit events (default `jobs`). */
  readonly actor?: string;
  /** Share a RecordProtection (and its per-tenant key caches) with other users; default a new one on `hsm`. */
  readonly protection?: RecordProtection;
}

const aadOf = (tenant: string): string => `jobs/payload/${tenant}`;

export class HsmPayloadCipher implements PayloadCipher {
  readonly #protection: RecordProtection;
  readonly #actor: string;

  constructor(hsm: Hsm, options: HsmPayloadCipherOptions = {}) {
    this.#protection = options.protection ?? new RecordProtection(hsm);
    this.#actor = options.actor ?? 'jobs';
  }

  #ctx(tenant: string): OperationContext {
    if (typeof tenant !== 'string' || tenant.length === 0) throw new TsmError('ERR_TSM_REQUEST', 'tenant: expected a non-empty string');
    return { tenant, actor: this.#actor };
  }

  /** Seals `data` under a new record key of `tenant`. */
  async seal(data: Uint8Array, tenant: string): Promise<Uint8Array> {
    const ctx = this.#ctx(tenant);
    const key = await this.#protection.createRecordKey(ctx, JOB_PAYLOAD_LABEL);
    return new TextEncoder().encode(await this.#protection.sealField(ctx, key, data, aadOf(tenant)));
  }

  /** Opens a sealed payload of `tenant`; altered, another tenant's or discarded: ERR_TSM_STATE. */
  async open(sealed: Uint8Array, tenant: string): Promise<Uint8Array> {
    const ctx = this.#ctx(tenant);
    const text = sealedText(sealed);
    return this.#protection.openField(ctx, parseSealed(text).keyId, text, aadOf(tenant));
  }

  /** The tenant's keyed digest of `data` (HMAC-SHA-256 under its `record index` key, domain-separated). */
  digest(data: Uint8Array, tenant: string): Promise<Uint8Array> {
    return this.#protection.keyedDigest(this.#ctx(tenant), data);
  }

  /** The id of the record key a sealed payload names. */
  recordKeyOf(sealed: Uint8Array): string {
    return parseSealed(sealedText(sealed)).keyId;
  }

  /** Destroys the record key of a sealed payload: it never opens again. Idempotent. */
  discard(sealed: Uint8Array, tenant: string): Promise<void> {
    return this.#protection.destroyRecordKey(this.#ctx(tenant), this.recordKeyOf(sealed));
  }
}

function sealedText(sealed: Uint8Array): string {
  if (!(sealed instanceof Uint8Array)) throw unopenable();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(sealed);
  } catch (e) {
    throw unopenable(e);
  }
}
