/**
 * The webhook vocabulary (docs/webhooks.md): the event types a Service Provider can subscribe to,
 * the delivery states, and the event body. Bodies carry ids and states only — never a PAN, a
 * subscriber's data or an SE identifier (issue 6, data at rest).
 */

/** The event types, in the order the docs list them. */
export const WEBHOOK_EVENT_TYPES = [
  'job.started', 'job.progress', 'job.succeeded', 'job.failed', 'job.expired', 'job.terminated', 'instance.state',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** pending (an attempt is due or in flight) → delivered (a 2xx) | dead (out of attempts) | cancelled (endpoint deleted). */
export const WEBHOOK_DELIVERY_STATES = ['pending', 'delivered', 'dead', 'cancelled'] as const;
export type WebhookDeliveryState = (typeof WEBHOOK_DELIVERY_STATES)[number];

/** An event's data: a flat object of ids, states and counters (no nesting, so nothing personal hides in it). */
export type WebhookData = Readonly<Record<string, string | number | boolean | null>>;

/** The JSON body POSTed to an endpoint; `id` is the event id a receiver dedupes on. */
export interface WebhookEventBody {
  readonly id: string;
  readonly type: WebhookEventType;
  readonly createdAt: string;
  readonly data: WebhookData;
}

/** Whether `type` is a webhook event type. */
export function isWebhookEventType(type: unknown): type is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly unknown[]).includes(type);
}
