/**
 * The HSM's audit sink on the chain (src/hsm/audit.ts `AuditSink`): every HSM AuditEvent becomes a
 * `key-operation` record, so key operations are in the chain with everything else. The HSM awaits
 * the sink, so a key operation whose record cannot be written fails.
 *
 * Some events are not chained: the chain's own MACs (generateMac/verifyMac under the log's MAC key —
 * chaining them would recurse, and each record is itself the evidence of its MAC), and the
 * verifier's read-only look-ups (actor `audit-verify`: getKey, listKeys, verify, verifyMac), so
 * that verifying a log does not grow it. And events the
 * HSM emits before the log exists (finding or creating the audit keys at setup) wait in a bounded
 * queue and are appended, in order, when `bind` is called.
 */
import type { AuditEvent, AuditSink } from '../../hsm/index.ts';
import type { AuditLog } from './audit-log.ts';
import { AuditError } from './errors.ts';
import type { AuditEntry } from './record.ts';

/** Most events held before `bind`. */
const MAX_PENDING = 1000;
const OWN_OPERATIONS: ReadonlySet<string> = new Set(['generateMac', 'verifyMac']);
/** The verifier's read-only look-ups (verify.ts runs as actor `audit-verify`). */
const VERIFIER_OPERATIONS: ReadonlySet<string> = new Set(['getKey', 'listKeys', 'verify', 'verifyMac']);
export const VERIFIER_ACTOR = 'audit-verify';

/** The chain entry of an HSM event: action = the HSM method, subjects = the key ids, detail = KCVs, code, detail. */
export function entryOfHsmEvent(event: AuditEvent): AuditEntry {
  return {
    tenant: event.tenant,
    actor: event.actor,
    kind: 'key-operation',
    action: event.operation,
    subjects: event.keys.map((k) => k.id),
    result: event.result,
    requestId: event.requestId,
    detail: {
      keys: event.keys.map((k) => ({ id: k.id, kcv: k.kcv })),
      eventAt: event.at,
      ...(event.code === undefined ? {} : { code: event.code }),
      ...(event.detail === undefined ? {} : { note: event.detail }),
    },
  };
}

/** An `AuditSink` that appends to a chained log (give it to the HSM, then `bind` the log). */
export class ChainAuditSink implements AuditSink {
  #log: AuditLog | undefined;
  readonly #pending: AuditEvent[] = [];

  /** Starts chaining: appends the events held so far, then every later one. */
  async bind(log: AuditLog): Promise<void> {
    while (this.#pending.length > 0) {
      const event = this.#pending.shift()!;
      if (!this.#isOwnMac(event, log)) await log.append(entryOfHsmEvent(event));
    }
    this.#log = log;
  }

  record(event: AuditEvent): Promise<void> | void {
    const log = this.#log;
    if (log === undefined) {
      if (this.#pending.length >= MAX_PENDING) throw new AuditError('ERR_TSM_AUDIT', `more than ${MAX_PENDING} HSM events before the audit log was bound`);
      this.#pending.push(event);
      return;
    }
    if (this.#isOwnMac(event, log)) return;
    return log.append(entryOfHsmEvent(event)).then(() => undefined);
  }

  #isOwnMac(event: AuditEvent, log: AuditLog): boolean {
    if (event.actor === VERIFIER_ACTOR && VERIFIER_OPERATIONS.has(event.operation)) return true;
    return OWN_OPERATIONS.has(event.operation) && event.keys.length === 1 && event.keys[0]?.id === log.macKey;
  }
}
