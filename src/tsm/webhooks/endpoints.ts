/**
 * Webhook endpoints of a Service Provider (docs/webhooks.md §1): register a URL for some event
 * types (the secret is answered once), list, delete. URLs are https, or http to a loopback address
 * only (the rule `opentsm serve --insecure-http` follows), without credentials or a fragment.
 * Every call is scoped to the caller's tenant: another tenant's endpoint id is not found.
 */
import { randomBytes } from 'node:crypto';
import type { Hsm, OperationContext } from '../../hsm/index.ts';
import { deleteWebhookEndpoint, getWebhookEndpoint, insertWebhookEndpoint, listWebhookEndpoints, type StoreDb, type StoredWebhookEndpoint } from '../../store/index.ts';
import { isLoopback } from '../config/index.ts';
import { TsmError } from '../errors.ts';
import { WebhookSecrets } from './secrets.ts';
import { isWebhookEventType, WEBHOOK_EVENT_TYPES, type WebhookEventType } from './types.ts';

/** Longest endpoint URL. */
export const MAX_WEBHOOK_URL = 2048;
/** Most endpoints one tenant may register. */
export const MAX_WEBHOOK_ENDPOINTS = 16;
/** Endpoint ids: `whe_` and 24 hex digits. */
export const ENDPOINT_ID_PATTERN = /^whe_[0-9a-f]{24}$/;

/** An endpoint as the API shows it (never the secret). */
export interface WebhookEndpoint {
  readonly endpointId: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly createdAt: string;
}

/**
 * Checks a webhook URL: https, or http to 127.0.0.0/8, ::1 or localhost; no user or password, no
 * fragment. Throws ERR_TSM_REQUEST naming `url`, never quoting it (it may hold a token).
 */
export function assertWebhookUrl(url: unknown): asserts url is string {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_WEBHOOK_URL) throw new TsmError('ERR_TSM_REQUEST', `url: expected 1..${MAX_WEBHOOK_URL} characters`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TsmError('ERR_TSM_REQUEST', 'url: not an absolute URL');
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopback(host))) {
    throw new TsmError('ERR_TSM_REQUEST', 'url: https only (http only to a loopback address)');
  }
  if (parsed.username !== '' || parsed.password !== '') throw new TsmError('ERR_TSM_REQUEST', 'url: credentials in the URL are refused');
  if (parsed.hash !== '' || url.includes('#')) throw new TsmError('ERR_TSM_REQUEST', 'url: a fragment is refused');
}

function assertEvents(events: unknown): asserts events is readonly WebhookEventType[] {
  if (!Array.isArray(events) || events.length === 0 || events.length > WEBHOOK_EVENT_TYPES.length || !events.every(isWebhookEventType)) {
    throw new TsmError('ERR_TSM_REQUEST', `events: a non-empty list of ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  }
  if (new Set(events).size !== events.length) throw new TsmError('ERR_TSM_REQUEST', 'events: a type is listed twice');
}

function view(e: StoredWebhookEndpoint): WebhookEndpoint {
  return { endpointId: e.id, url: e.url, events: e.events.filter(isWebhookEventType), createdAt: e.createdAt };
}

/** The webhook endpoints of the caller's tenant. */
export class WebhookEndpoints {
  readonly #db: StoreDb;
  readonly #secrets: WebhookSecrets;
  readonly #now: () => Date;

  constructor(options: { readonly db: StoreDb; readonly hsm: Hsm; readonly secrets?: WebhookSecrets; readonly now?: () => Date }) {
    this.#db = options.db;
    this.#secrets = options.secrets ?? new WebhookSecrets(options.hsm);
    this.#now = options.now ?? (() => new Date());
  }

  /** Registers `url` for `events`; answers the endpoint and its secret, which is never shown again. */
  async create(request: { readonly url: unknown; readonly events: unknown }, ctx: OperationContext): Promise<WebhookEndpoint & { readonly secret: string }> {
    assertWebhookUrl(request.url);
    assertEvents(request.events);
    if ((await listWebhookEndpoints(this.#db, ctx.tenant)).length >= MAX_WEBHOOK_ENDPOINTS) {
      throw new TsmError('ERR_TSM_STATE', `webhooks: at most ${MAX_WEBHOOK_ENDPOINTS} endpoints per tenant`);
    }
    const record: StoredWebhookEndpoint = {
      id: `whe_${randomBytes(12).toString('hex')}`, tenant: ctx.tenant, url: request.url, events: [...request.events], createdAt: this.#now().toISOString(),
    };
    // Derive first: a failing HSM leaves no endpoint whose secret nobody was shown.
    const secret = await this.#secrets.secretOf(record.id, ctx);
    await insertWebhookEndpoint(this.#db, record);
    return { ...view(record), secret };
  }

  /** Every endpoint of the tenant, in id order. */
  async list(ctx: OperationContext): Promise<readonly WebhookEndpoint[]> {
    return (await listWebhookEndpoints(this.#db, ctx.tenant)).map(view);
  }

  /** The tenant's endpoint `endpointId`; ERR_TSM_NOT_FOUND when it has none of that id. */
  async get(endpointId: string, ctx: OperationContext): Promise<WebhookEndpoint> {
    const found = ENDPOINT_ID_PATTERN.test(endpointId) ? await getWebhookEndpoint(this.#db, ctx.tenant, endpointId) : undefined;
    if (found === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', 'webhook endpoint: not found');
    return view(found);
  }

  /** Deletes the endpoint; its pending deliveries are cancelled. ERR_TSM_NOT_FOUND when the tenant has none of that id. */
  async delete(endpointId: string, ctx: OperationContext): Promise<void> {
    const deleted = ENDPOINT_ID_PATTERN.test(endpointId) && await deleteWebhookEndpoint(this.#db, ctx.tenant, endpointId, this.#now().toISOString());
    if (!deleted) throw new TsmError('ERR_TSM_NOT_FOUND', 'webhook endpoint: not found');
  }
}
