/**
 * What the vpcd bridge reports about its connection to pcscd. Events carry lengths and reasons,
 * never APDU contents: command data can hold keys (PUT KEY) or personalisation data (STORE DATA).
 */

/** Why the bridge dropped a connection or refused a frame. */
export type VpcdFault =
  /** A frame announced length 0 (vsmartcard api.txt has no empty message). */
  | 'empty-frame'
  /** A frame announced more than the configured maximum command length. */
  | 'frame-too-long'
  /** The peer closed the connection in the middle of a frame. */
  | 'truncated-frame'
  /** A frame stayed incomplete for longer than `frameTimeoutMs`. */
  | 'frame-timeout'
  /** A 1-byte payload that is not one of the VPCD_CTRL values (ignored, like vsmartcard's vicc). */
  | 'unknown-control'
  /** The card answered with something that cannot be a response APDU in one frame (answered 6F00 instead). */
  | 'bad-response'
  /** The card's ATR cannot be sent (empty or over 33 bytes); the ATR request is not answered. */
  | 'bad-atr'
  /** The CardPort threw, which its contract forbids (answered 6F00 instead). */
  | 'card-error';

/** One thing that happened on the bridge; frozen values with a `kind` (CONVENTIONS.md §11). */
export type VpcdBridgeEvent =
  | { readonly kind: 'connected'; readonly host: string; readonly port: number }
  | { readonly kind: 'disconnected'; readonly reason: string }
  | { readonly kind: 'retry'; readonly attempt: number; readonly delayMs: number; readonly error: string }
  | { readonly kind: 'protocol-error'; readonly fault: VpcdFault; readonly detail: string }
  | { readonly kind: 'closed' };

/**
 * The default event sink: one line on stderr per connection change and per protocol error. Retries
 * are reported once per outage (attempt 1), so a bridge waiting for pcscd does not flood the log.
 */
export function logVpcdEvent(event: VpcdBridgeEvent): void {
  const line = formatVpcdEvent(event);
  if (line !== undefined) process.stderr.write(`opentsm vpcd: ${line}\n`);
}

/** One log line for `event`, or undefined when the event is not worth a line. */
export function formatVpcdEvent(event: VpcdBridgeEvent): string | undefined {
  switch (event.kind) {
    case 'connected':
      return `connected to pcscd at ${event.host}:${event.port}`;
    case 'disconnected':
      return `disconnected (${event.reason})`;
    case 'retry':
      return event.attempt === 1 ? `pcscd not reachable (${event.error}); retrying` : undefined;
    case 'protocol-error':
      return `protocol error ${event.fault}: ${event.detail}`;
    case 'closed':
      return 'closed';
  }
}
