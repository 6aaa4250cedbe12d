/**
 * One `opentsm hsm` run against the embedded software HSM of a data directory: `lmk.key` (the LMK
 * file, mode 0600) and `opentsm.db` (the SQLite store: key records as TR-31 blocks under the LMK,
 * custodians, the audit trail). This is where cli/ wires hsm/ to store/ (docs/architecture.md §2):
 * the store's repositories as the HSM's KeyRecordStore, its audit table as the HSM's AuditSink.
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { EXPORTABILITY, KEY_ALGORITHMS, KEY_USAGES, MODES_OF_USE } from '../../crypto/index.ts';
import { SoftwareHsm, loadLmkFile, type AuditSink, type KeyAttributes, type KeyHandle, type KeyRecordStore, type OperationContext } from '../../hsm/index.ts';
import { appendAuditEvent, closeDatabase, keyRecordStore, migrateToLatest, openDatabase, type StoreDb, type StoredKeyAttributes } from '../../store/index.ts';
import { CliError } from '../errors.ts';
import type { Output } from '../gp/output.ts';
import { Prompter } from '../prompt.ts';

/** The files of a data directory. */
export const DATA_FILES = { lmk: 'lmk.key', store: 'opentsm.db' } as const;

/** The options every `opentsm hsm` verb understands (commander's camel-cased names). */
export interface HsmOptions {
  readonly dataDir?: string | undefined;
  readonly tenant?: string | undefined;
  readonly stdinSecrets?: boolean | undefined;
  readonly json?: boolean | undefined;
}

/** Key ids are UUIDs (the software HSM's record ids); anything else is looked up as a label. */
const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The tenant keys belong to when `--tenant` is not given: the TSM operator. */
export const DEFAULT_TENANT = 'operator';

/** The data directory: `--data-dir`, else OPENTSM_DATA_DIR. */
export function dataDirOf(options: HsmOptions, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const dir = options.dataDir ?? env.OPENTSM_DATA_DIR;
  if (dir === undefined || dir === '') throw new CliError('ERR_CLI_USAGE', '--data-dir: required (the directory `opentsm hsm init` created), or set OPENTSM_DATA_DIR');
  return resolve(dir);
}

/** The SQLite URL of a data directory's store. */
export function storeUrl(dir: string): string {
  return `sqlite:${join(dir, DATA_FILES.store)}`;
}

function isCode<T extends object>(table: T, value: string): value is keyof T & string {
  return Object.hasOwn(table, value);
}

/** What the store reads back, checked against the X9.143 tables (the store keeps plain strings). */
export function narrowKeyAttributes(a: StoredKeyAttributes, id: string): KeyAttributes {
  const { usage, algorithm, modeOfUse, exportability } = a;
  if (!isCode(KEY_USAGES, usage) || !isCode(KEY_ALGORITHMS, algorithm) || !isCode(MODES_OF_USE, modeOfUse) || !isCode(EXPORTABILITY, exportability)) {
    throw new CliError('ERR_CLI_INPUT', `key record ${id}: a stored attribute code is not an X9.143 code`);
  }
  if (a.class !== 'hsm' && a.class !== 'protocol-memory') throw new CliError('ERR_CLI_INPUT', `key record ${id}: unknown key class`);
  return { ...a, usage, algorithm, modeOfUse, exportability, class: a.class };
}

function actor(): string {
  try {
    return `opentsm-cli:${userInfo().username}`;
  } catch {
    return 'opentsm-cli';
  }
}

/** The HSM of one run, its operation context and where to write. */
export class HsmSession {
  readonly hsm: SoftwareHsm;
  readonly ctx: OperationContext;
  readonly out: Output;
  readonly options: HsmOptions;
  readonly #db: StoreDb;
  #prompter: Prompter | undefined;

  private constructor(hsm: SoftwareHsm, db: StoreDb, options: HsmOptions, out: Output) {
    this.hsm = hsm;
    this.#db = db;
    this.options = options;
    this.out = out;
    this.ctx = { tenant: options.tenant ?? DEFAULT_TENANT, actor: actor() };
  }

  /** Loads the LMK and opens the store of the data directory. */
  static async open(options: HsmOptions, out: Output): Promise<HsmSession> {
    const dir = dataDirOf(options);
    const lmkPath = join(dir, DATA_FILES.lmk);
    if (!existsSync(lmkPath)) throw new CliError('ERR_CLI_INPUT', `--data-dir ${dir}: no ${DATA_FILES.lmk} (create the HSM with \`opentsm hsm init --data-dir ${dir}\`)`);
    const lmk = loadLmkFile(lmkPath);
    let db: StoreDb | undefined;
    try {
      db = await openDatabase(storeUrl(dir));
      await migrateToLatest(db);
      const store: KeyRecordStore = keyRecordStore(db, narrowKeyAttributes);
      const openDb = db;
      const audit: AuditSink = { record: async (event) => void (await appendAuditEvent(openDb, event)) };
      return new HsmSession(new SoftwareHsm({ lmk, store, audit }), db, options, out);
    } catch (e) {
      lmk.destroy();
      if (db !== undefined) await closeDatabase(db);
      throw e;
    }
  }

  /** The prompter for passphrases and components: a terminal, or stdin with --stdin-secrets. */
  prompter(): Prompter {
    this.#prompter ??= openPrompter(this.options);
    return this.#prompter;
  }

  /**
   * A key by id (a UUID), or by its label when exactly one active key of this tenant has it
   * (`--kbpk KEK-1`). Unknown ids are the HSM's own ERR_HSM_KEY_NOT_FOUND.
   */
  async key(ref: string): Promise<KeyHandle> {
    if (KEY_ID.test(ref)) return this.hsm.getKey(ref.toLowerCase(), this.ctx);
    const byLabel = (await this.hsm.listKeys({ label: ref }, this.ctx)).filter((k) => k.status === 'active');
    if (byLabel.length === 0) throw new CliError('ERR_CLI_USAGE', `${ref}: no active key has this id or label (opentsm hsm list)`);
    if (byLabel.length > 1) throw new CliError('ERR_CLI_USAGE', `${ref}: ${byLabel.length} active keys have this label; name the key by its id (opentsm hsm list)`);
    return byLabel[0]!;
  }

  /** Closes the HSM (destroying the LMK in memory), the store and the prompter. */
  async close(): Promise<void> {
    this.#prompter?.close();
    this.hsm.close();
    await closeDatabase(this.#db);
  }
}

/** A prompter that refuses a non-terminal unless `--stdin-secrets` was given. */
export function openPrompter(options: HsmOptions): Prompter {
  return Prompter.open({
    allowNonTty: options.stdinSecrets === true,
    nonTtyAdvice: 'give --stdin-secrets to read them from stdin instead, one per line (scripted ceremonies)',
  });
}

/** Runs `fn` with an open session and always closes it. */
export async function withHsm<T>(options: HsmOptions, out: Output, fn: (session: HsmSession) => Promise<T>): Promise<T> {
  const session = await HsmSession.open(options, out);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
