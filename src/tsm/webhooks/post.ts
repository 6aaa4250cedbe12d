/**
 * One webhook POST: the signed JSON body to the endpoint with node's fetch (undici). Redirects are
 * never followed (a 3xx is a failed attempt: the receiver must give its final URL), the whole
 * exchange is bounded by a timeout, and at most a few bytes of the answer are read before it is
 * dropped — the receiver's body is neither stored nor logged.
 */
import { EVENT_ID_HEADER, SIGNATURE_HEADER } from './signature.ts';

/** How an attempt went: a 2xx (ok), or the status and/or an error class to record. */
export type PostOutcome =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly status: number | null; readonly error: string };

/** The User-Agent of webhook requests. */
export const WEBHOOK_USER_AGENT = 'OpenTSM-Webhooks/1';

async function drain(response: Response, limit: number): Promise<void> {
  const body = response.body;
  if (body === null) return;
  const reader = body.getReader();
  let read = 0;
  try {
    while (read <= limit) {
      const chunk = await reader.read();
      if (chunk.done) return;
      read += (chunk.value as Uint8Array).byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function failureOf(error: unknown, timedOut: boolean): string {
  if (timedOut) return 'timeout';
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof cause === 'string' ? `network ${cause.slice(0, 32)}` : 'network';
}

/** POSTs `body` to `url` with the event-id and signature headers. Never throws. */
export async function postWebhook(
  fetchFn: typeof globalThis.fetch, url: string, eventId: string, signature: string, body: string, timeoutMs: number, maxResponseBytes: number,
): Promise<PostOutcome> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const response = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': WEBHOOK_USER_AGENT, [EVENT_ID_HEADER]: eventId, [SIGNATURE_HEADER]: signature },
      body,
      redirect: 'manual',
      signal: controller.signal,
    });
    // The status decides; the body is drained only so the connection can be reused.
    await drain(response, maxResponseBytes).catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    const redirect = response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400);
    return { ok: false, status: response.status === 0 ? null : response.status, error: redirect ? 'redirect not followed' : `http ${response.status}` };
  } catch (error) {
    return { ok: false, status: null, error: failureOf(error, timedOut) };
  } finally {
    clearTimeout(timer);
  }
}
