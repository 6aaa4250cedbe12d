/**
 * tsm/webhooks: signed webhooks to Service Providers (docs/webhooks.md). Endpoints registered per
 * tenant with a secret derived in the HSM and never stored; events persisted, then POSTed with a
 * Stripe-style `OpenTSM-Signature`, retried with backoff until delivered or dead; a verifier for
 * receivers.
 *
 * @example
 * const dispatcher = new WebhookDispatcher({ db, hsm });
 * const engine = new JobEngine({ db, kinds, onEvent: jobEventHook(dispatcher) });
 * // receiver side:
 * verifyWebhookSignature(secret, headers['opentsm-signature'], rawBody, { toleranceSeconds: 300 });
 */
export { WEBHOOK_EVENT_TYPES, WEBHOOK_DELIVERY_STATES, isWebhookEventType, type WebhookEventType, type WebhookDeliveryState, type WebhookData, type WebhookEventBody } from './types.ts';
export { signatureHeader, verifyWebhookSignature, SIGNATURE_HEADER, EVENT_ID_HEADER, DEFAULT_TOLERANCE_SECONDS, type VerifyWebhookOptions } from './signature.ts';
export { WebhookSecrets, WEBHOOK_SECRET_KEY_LABEL, WEBHOOK_SECRET_PREFIX } from './secrets.ts';
export { WebhookEndpoints, assertWebhookUrl, ENDPOINT_ID_PATTERN, MAX_WEBHOOK_ENDPOINTS, MAX_WEBHOOK_URL, type WebhookEndpoint } from './endpoints.ts';
export { WebhookDispatcher, assertWebhookData, retryDelayMs, type WebhookDispatcherOptions, type WebhookTimers } from './dispatcher.ts';
export { WEBHOOK_USER_AGENT, type PostOutcome } from './post.ts';
export { webhookOfJobEvent, jobEventHook } from './job-events.ts';
