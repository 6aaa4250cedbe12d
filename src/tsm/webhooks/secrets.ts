/**
 * Webhook signing secrets, never stored (docs/webhooks.md §2): an endpoint's secret is
 * HMAC-SHA-256, under the tenant's `webhook secrets` key (usage M7, in the HSM), of the endpoint
 * id, shown as `whsec_` + base64url. It is derived once to show it at creation and again for each
 * signing; a copied database holds nothing that signs.
 */
import type { Hsm, OperationContext } from '../../hsm/index.ts';
import { TenantMacKeys } from '../http/tenant-keys.ts';

/** Label of a tenant's webhook-secret key (HMAC-SHA-256, usage M7). */
export const WEBHOOK_SECRET_KEY_LABEL = 'webhook secrets';
/** The prefix of a secret, so that it is recognisable in a secret scanner or a config file. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** Derives webhook secrets under each tenant's `webhook secrets` key (found or made once per tenant: TenantMacKeys). */
export class WebhookSecrets {
  readonly #hsm: Hsm;
  readonly #keys: TenantMacKeys;

  constructor(hsm: Hsm) {
    this.#hsm = hsm;
    this.#keys = new TenantMacKeys(hsm, WEBHOOK_SECRET_KEY_LABEL);
  }

  /** The secret of `endpointId` of `ctx.tenant` (creates the tenant's key on first use). */
  async secretOf(endpointId: string, ctx: OperationContext): Promise<string> {
    const key = await this.#keys.keyOf(ctx);
    const mac = await this.#hsm.generateMac(key, new TextEncoder().encode(endpointId), 'hmac-sha256', ctx);
    return WEBHOOK_SECRET_PREFIX + Buffer.from(mac).toString('base64url');
  }
}
