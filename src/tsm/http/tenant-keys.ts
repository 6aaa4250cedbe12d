/**
 * The HSM keys a request names, resolved in the caller's tenant: a key id (UUID) or a label that
 * names exactly one active key, checked for the usage the field needs. Another tenant's key answers
 * as a missing one. Also the tenant's PAN-index key (the same label `opentsm issuer` uses, so the
 * CLI and the server share cards on one data directory).
 */
import type { Hsm, KeyHandle, OperationContext } from '../../hsm/index.ts';
import { TsmError } from '../errors.ts';

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Label of a tenant's PAN-index key (HMAC-SHA-256, usage M7), as src/cli/issuer/issuer-session.ts. */
export const PAN_INDEX_LABEL = 'PAN index';

/** The key `ref` (id or label) of `ctx.tenant` for field `field`, of usage `usage` when given. */
export async function resolveKey(hsm: Hsm, ref: string, field: string, usage: string | undefined, ctx: OperationContext): Promise<KeyHandle> {
  let key: KeyHandle;
  if (KEY_ID.test(ref)) {
    key = await hsm.getKey(ref.toLowerCase(), ctx);
  } else {
    const byLabel = (await hsm.listKeys({ label: ref }, ctx)).filter((k) => k.status === 'active');
    if (byLabel.length === 0) throw new TsmError('ERR_TSM_NOT_FOUND', `${field}: no key with this id or label`);
    if (byLabel.length > 1) throw new TsmError('ERR_TSM_REQUEST', `${field}: the label names ${byLabel.length} keys; give the key id`);
    key = byLabel[0]!;
  }
  if (usage !== undefined && key.attributes.usage !== usage) throw new TsmError('ERR_TSM_REQUEST', `${field}: expected a key of usage ${usage}`);
  return key;
}

/**
 * Per-process cache of each tenant's keyed-hash key (HMAC-SHA-256, usage M7) of one label — the
 * PAN index, the MSISDN index…; creation is serialised per tenant.
 */
export class TenantMacKeys {
  readonly #byTenant = new Map<string, Promise<string>>();
  readonly #hsm: Hsm;
  readonly #label: string;

  constructor(hsm: Hsm, label: string) {
    this.#hsm = hsm;
    this.#label = label;
  }

  /** The tenant's key of this label: the lowest id among active keys of the label, or a new one. */
  keyOf(ctx: OperationContext): Promise<string> {
    let pending = this.#byTenant.get(ctx.tenant);
    if (pending === undefined) {
      pending = this.#find(ctx);
      this.#byTenant.set(ctx.tenant, pending);
      pending.catch(() => this.#byTenant.delete(ctx.tenant));
    }
    return pending;
  }

  /** The lowest id among active keys of the label (so every process picks the same one), or a new key. */
  async #find(ctx: OperationContext): Promise<string> {
    const first = await this.#lowest(ctx);
    if (first !== undefined) return first;
    const spec = { usage: 'M7', algorithm: 'H', modeOfUse: 'C', exportability: 'N', length: 32, owner: ctx.tenant, label: this.#label } as const;
    const created = (await this.#hsm.generateKey(spec, ctx)).id;
    // Two processes creating the key at once: both settle on the lowest id.
    return (await this.#lowest(ctx)) ?? created;
  }

  async #lowest(ctx: OperationContext): Promise<string | undefined> {
    return (await this.#hsm.listKeys({ label: this.#label }, ctx)).filter((k) => k.status === 'active').map((k) => k.id).sort()[0];
  }
}

/** Each tenant's PAN-index key (label `PAN index`, shared with `opentsm issuer`). */
export class PanIndexKeys extends TenantMacKeys {
  constructor(hsm: Hsm) {
    super(hsm, PAN_INDEX_LABEL);
  }
}
