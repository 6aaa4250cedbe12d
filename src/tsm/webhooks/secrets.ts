/**
 * Webhook signing secrets, never stored (docs/webhooks.md §2): an endpoint's secret is
 * HMAC-SHA-256, under the tenant's `webhook secrets` key (usage M7, in the HSM), of the endpoint
 * id, shown as `whsec_` + base64url. It is derived once to show it at creation and again for each
 * signing; a copied database holds nothing that signs.
 */
import type { Hsm, OperationContext } from '../../hsm/index.ts';

/** Label of a tenant's webhook-secret key (HMAC-SHA-256, usage M7). */
export const WEBHOOK_SECRET_KEY_LABEL = 'webhook secrets';
/** The prefix of a secret, so that it is recognisable in a secret scanner or a config file. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** Per-process cache of each tenant's webhook-secret key id; creation is serialised per tenant. */
export class WebhookSecrets {
  readonly #byTenant = new Map<string, Promise<string>>();
  readonly #hsm: Hsm;

  constructor(hsm: Hsm) {
    this.#hsm = hsm;
  }

  /** The secret of `endpointId` of `ctx.tenant` (creates the tenant's key on first use). */
  async secretOf(endpointId: string, ctx: OperationContext): Promise<string> {
    const key = await this.#keyOf(ctx);
    const mac = await this.#hsm.generateMac(key, new TextEncoder().encode(endpointId), 'hmac-sha256', ctx);
    return WEBHOOK_SECRET_PREFIX + Buffer.from(mac).toString('base64url');
  }

  #keyOf(ctx: OperationContext): Promise<string> {
    let pending = this.#byTenant.get(ctx.tenant);
    if (pending === undefined) {
      pending = this.#find(ctx);
      this.#byTenant.set(ctx.tenant, pending);
      pending.catch(() => this.#byTenant.delete(ctx.tenant));
    }
    return pending;
  }

  /** The lowest id among active keys of the label (so every node picks the same one), or a new key. */
  async #find(ctx: OperationContext): Promise<string> {
    const first = await this.#lowest(ctx);
    if (first !== undefined) return first;
    const spec = { usage: 'M7', algorithm: 'H', modeOfUse: 'C', exportability: 'N', length: 32, owner: ctx.tenant, label: WEBHOOK_SECRET_KEY_LABEL } as const;
    const created = (await this.#hsm.generateKey(spec, ctx)).id;
    // Two nodes creating the key at once: both settle on the lowest id.
    return (await this.#lowest(ctx)) ?? created;
  }

  async #lowest(ctx: OperationContext): Promise<string | undefined> {
    const ids = (await this.#hsm.listKeys({ label: WEBHOOK_SECRET_KEY_LABEL }, ctx)).filter((k) => k.status === 'active').map((k) => k.id).sort();
    return ids[0];
  }
}
