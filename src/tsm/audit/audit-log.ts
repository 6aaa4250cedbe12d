/**
 * The chained audit log's writer (docs/audit.md §3). Each record's MAC is HMAC-SHA-256 under the
 * HSM's audit key over the record's canonical encoding ‖ the previous record's MAC, so a record can
 * be neither changed, removed nor moved without the key. Appends are serialized: in one process by
 * a queue; across processes by the (log id, seq) primary key — an append that loses the race for a
 * seq writes nothing, re-reads the head and tries the next seq, so the chain never forks.
 */
import { randomUUID } from 'node:crypto';
import type { Hsm } from '../../hsm/index.ts';
import { createAuditLog, getAuditChainHead, insertAuditChainRecord, listAuditLogs, type StoreDb } from '../../store/index.ts';
import { recordMacInput, genesisMac } from './encoding.ts';
import { AuditError } from './errors.ts';
import { auditContext, findAuditKeys, setupAuditKeys } from './keys.ts';
import { AUDIT_KINDS, type AuditEntry, type AuditRecord } from './record.ts';
import { redactDetail, redactSubjects, redactText } from './redact.ts';

/** The last record of a log as an appender needs it (seq 0 and the genesis MAC when empty). */
export interface ChainHead {
  readonly seq: number;
  readonly mac: Uint8Array;
}

/** How an `AuditLog` is built (`openAuditLog` fills these in). */
export interface AuditLogOptions {
  readonly db: StoreDb;
  readonly hsm: Hsm;
  readonly logId: string;
  /** The id of the HSM key (M7) that MACs new records. */
  readonly macKey: string;
  /** The clock records are stamped with (tests). */
  readonly now?: () => Date;
  /** How many times an append that lost the race for a seq tries again (default 50). */
  readonly maxAttempts?: number;
}

const TOKEN = /^[\x21-\x7E]{1,128}$/;
const TEXT = /^[^\p{Cc}\p{Cs}]{1,256}$/u;

function check(ok: boolean, what: string): void {
  if (!ok) throw new AuditError('ERR_TSM_AUDIT', `audit entry ${what}`);
}

/** An entry checked and redacted: the fields a record MACs, less seq, time and log id. */
function prepare(entry: AuditEntry): Omit<AuditRecord, 'logId' | 'seq' | 'at' | 'macKey' | 'prevMac' | 'mac'> {
  check(typeof entry === 'object' && entry !== null, ': expected an object');
  check(typeof entry.tenant === 'string' && TEXT.test(entry.tenant), 'tenant: 1–256 characters, no control characters');
  check(typeof entry.actor === 'string' && TEXT.test(entry.actor), 'actor: 1–256 characters, no control characters');
  check((AUDIT_KINDS as readonly unknown[]).includes(entry.kind), `kind: one of ${AUDIT_KINDS.join(', ')}`);
  check(typeof entry.action === 'string' && TOKEN.test(entry.action), 'action: 1–128 printable ASCII characters, no space');
  check(typeof entry.result === 'string' && TOKEN.test(entry.result), 'result: 1–128 printable ASCII characters, no space');
  check(entry.requestId === undefined || (typeof entry.requestId === 'string' && TEXT.test(entry.requestId)), 'requestId: 1–256 characters');
  return {
    tenant: entry.tenant,
    actor: redactText(entry.actor),
    kind: entry.kind,
    action: redactText(entry.action),
    ...(entry.requestId === undefined ? {} : { requestId: redactText(entry.requestId) }),
    subjects: redactSubjects(entry.subjects),
    result: entry.result,
    detail: redactDetail(entry.detail),
  };
}

/** The writer of one chained log. Create it with `openAuditLog`. */
export class AuditLog {
  readonly logId: string;
  readonly macKey: string;
  readonly #db: StoreDb;
  readonly #hsm: Hsm;
  readonly #now: () => Date;
  readonly #maxAttempts: number;
  #queue: Promise<unknown> = Promise.resolve();
  /** The head after this writer's last append; dropped when another writer is found to have moved it. */
  #head: ChainHead | undefined;
  #conflicts = 0;

  constructor(options: AuditLogOptions) {
    this.#db = options.db;
    this.#hsm = options.hsm;
    this.logId = options.logId;
    this.macKey = options.macKey;
    this.#now = options.now ?? (() => new Date());
    this.#maxAttempts = options.maxAttempts ?? 50;
  }

  /**
   * Appends an entry (redacted, then MACed) after every append this writer was asked for before
   * it, and resolves to the stored record. Rejects (ERR_TSM_AUDIT) for an entry of the wrong shape.
   * @example await log.append({ tenant: 'bank-a', actor: 'cl_…', kind: 'api-call', action: 'deployServiceInstance', result: '202' })
   */
  append(entry: AuditEntry): Promise<AuditRecord> {
    let prepared: ReturnType<typeof prepare>;
    try {
      prepared = prepare(entry);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new AuditError('ERR_TSM_AUDIT', 'audit entry: invalid'));
    }
    const next = this.#queue.then(() => this.#appendNow(prepared));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** How many appends lost the race for a seq to another writer and tried again (a metric). */
  get conflicts(): number {
    return this.#conflicts;
  }

  /** The log's current head as the database has it (any writer's). */
  async head(): Promise<ChainHead> {
    const last = await getAuditChainHead(this.#db, this.logId);
    return last === undefined ? { seq: 0, mac: genesisMac(this.logId) } : { seq: last.seq, mac: last.mac };
  }

  async #appendNow(prepared: ReturnType<typeof prepare>): Promise<AuditRecord> {
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const head = this.#head ?? (await this.head());
      const fields = { ...prepared, logId: this.logId, seq: head.seq + 1, at: this.#now().toISOString() };
      const mac = await this.#hsm.generateMac(this.macKey, recordMacInput(fields, head.mac), 'hmac-sha256', auditContext());
      const record: AuditRecord = { ...fields, macKey: this.macKey, prevMac: head.mac, mac };
      if (await insertAuditChainRecord(this.#db, record)) {
        this.#head = { seq: record.seq, mac };
        return record;
      }
      this.#conflicts++;
      this.#head = undefined; // another writer took this seq: read its head and chain after it
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 2 * attempt)));
    }
    throw new AuditError('ERR_TSM_AUDIT', `audit log ${this.logId}: an append lost the race for the next seq ${this.#maxAttempts} times`);
  }
}

/**
 * The id of the database's audit log: the oldest one recorded, or (with `create`) a new random one.
 * Undefined when there is none and `create` is false.
 */
export async function resolveLogId(db: StoreDb, options: { readonly create: boolean; readonly now?: () => Date }): Promise<string | undefined> {
  const existing = (await listAuditLogs(db))[0];
  if (existing !== undefined || !options.create) return existing?.logId;
  await createAuditLog(db, { logId: `log_${randomUUID()}`, createdAt: (options.now ?? (() => new Date()))().toISOString() });
  return (await listAuditLogs(db))[0]?.logId; // a racing creator may have won: the oldest is the log
}

/**
 * The audit log of a database, ready to append: with `setup` (default true) it creates the HSM keys
 * and the log on first use (docs/audit.md §4); without, it finds them or fails (ERR_TSM_AUDIT_KEY).
 */
export async function openAuditLog(db: StoreDb, hsm: Hsm, options: { readonly setup?: boolean; readonly now?: () => Date } = {}): Promise<AuditLog> {
  const setup = options.setup ?? true;
  const keys = setup ? await setupAuditKeys(hsm) : await findAuditKeys(hsm);
  const logId = await resolveLogId(db, { create: setup, ...(options.now === undefined ? {} : { now: options.now }) });
  if (logId === undefined) throw new AuditError('ERR_TSM_AUDIT', 'this database has no audit log yet (run opentsm audit checkpoint, or start the service, to create it)');
  return new AuditLog({ db, hsm, logId, macKey: keys.macKey, ...(options.now === undefined ? {} : { now: options.now }) });
}

/**
 * Appends an API call, job step, notification or operator action to the log (the HSM's key
 * operations arrive through `ChainAuditSink`).
 * @example await appendAudit(log, { tenant, actor: 'system', kind: 'job-step', action: 'install', subjects: [jobId, seId], result: 'ok' })
 */
export function appendAudit(log: AuditLog, entry: AuditEntry): Promise<AuditRecord> {
  return log.append(entry);
}
