/**
 * One `opentsm hsm` run against the embedded software HSM: its LMK file (mode 0600; `lmk.key` of
 * the data directory, or `--lmk-file`) and its store (`opentsm.db` there, or `--db` sqlite:/postgres:
 * key records as TR-31 blocks under the LMK, custodians, the audit trail). This is where cli/ wires
 * hsm/ to store/ (docs/architecture.md §2): the store's repositories as the HSM's KeyRecordStore,
 * its audit table as the HSM's AuditSink.
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { EXPORTABILITY, KEY_ALGORITHMS, KEY_USAGES, MODES_OF_USE } from '../../crypto/index.ts';
import { SoftwareHsm, generateLmk, isKeyClass, type AuditSink, type Lmk, type KeyAttributes, type KeyHandle, type KeyRecordStore, type OperationContext } from '../../hsm/index.ts';
import { appendAuditEvent, closeDatabase, keyRecordStore, migrateToLatest, openDatabase, parseDatabaseUrl, type StoreDb, type StoredKeyAttributes } from '../../store/index.ts';
import { OpenTsmError } from '../../bytes/index.ts';
import { CliError } from '../errors.ts';
import type { Output } from '../gp/output.ts';
import { Prompter } from '../prompt.ts';
import { recordCliEvent, type CliAuditEvent } from './audit.ts';
import { loadLmks } from './lmk-form.ts';

/** The files of a data directory. */
export const DATA_FILES = { lmk: 'lmk.key', store: 'opentsm.db' } as const;

/**
 * The options every `opentsm hsm` verb understands (commander's camel-cased names). Each location
 * option has one environment variable of the same name: `--data-dir` OPENTSM_DATA_DIR, `--db`
 * OPENTSM_DB (as docs/store.md), `--lmk-file` OPENTSM_LMK_FILE; an option beats its variable.
 */
export interface HsmOptions {
  readonly dataDir?: string | undefined;
  readonly db?: string | undefined;
  readonly lmkFile?: string | undefined;
  readonly tenant?: string | undefined;
  readonly stdinSecrets?: boolean | undefined;
  readonly json?: boolean | undefined;
  /** A second sink for the HSM's events besides the store's trail: the chained audit log (`opentsm serve`). */
  readonly chain?: AuditSink | undefined;
}

/** The environment variables of the location options. */
export const HSM_ENV = { dataDir: 'OPENTSM_DATA_DIR', db: 'OPENTSM_DB', lmkFile: 'OPENTSM_LMK_FILE' } as const;

type Env = Readonly<Record<string, string | undefined>>;

/** Key ids are UUIDs (the software HSM's record ids); anything else is looked up as a label. */
const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The tenant keys belong to when `--tenant` is not given: the TSM operator. */
export const DEFAULT_TENANT = 'operator';

function setting(options: HsmOptions, name: keyof typeof HSM_ENV, env: Env): string | undefined {
  const value = options[name] ?? env[HSM_ENV[name]];
  return value === undefined || value === '' ? undefined : value;
}

/** The data directory: `--data-dir`, else OPENTSM_DATA_DIR; undefined when neither is set. */
export function optionalDataDir(options: HsmOptions, env: Env = process.env): string | undefined {
  const dir = setting(options, 'dataDir', env);
  return dir === undefined ? undefined : resolve(dir);
}

/** The data directory: `--data-dir`, else OPENTSM_DATA_DIR. */
export function dataDirOf(options: HsmOptions, env: Env = process.env): string {
  const dir = optionalDataDir(options, env);
  if (dir === undefined) throw new CliError('ERR_CLI_USAGE', '--data-dir: required (the directory `opentsm hsm init` created), or set OPENTSM_DATA_DIR; or give both --lmk-file and --db');
  return dir;
}

/** The SQLite URL of a data directory's store. */
export function storeUrl(dir: string): string {
  return `sqlite:${join(dir, DATA_FILES.store)}`;
}

/** Where an HSM's two parts live: the LMK file and the store URL (SQLite by default, or postgres://). */
export interface HsmLocation {
  readonly lmkPath: string;
  readonly storeUrl: string;
  /** The store as printed: a SQLite path, or the PostgreSQL URL without its credentials. */
  readonly storeName: string;
  /** The SQLite file, when the store is one. */
  readonly sqlitePath: string | undefined;
  /** The data directory, when one was given. */
  readonly dataDir: string | undefined;
}

/** `user:password@` out of a URL, so a printed store URL never shows a password. */
function withoutCredentials(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//');
}

/**
 * The LMK file (`--lmk-file`, OPENTSM_LMK_FILE, else DATA_DIR/lmk.key) and the store (`--db`,
 * OPENTSM_DB, else sqlite:DATA_DIR/opentsm.db). The data directory is needed only for what is not
 * given explicitly.
 */
export function locationOf(options: HsmOptions, env: Env = process.env): HsmLocation {
  const lmkFile = setting(options, 'lmkFile', env);
  const db = setting(options, 'db', env);
  const dataDir = lmkFile !== undefined && db !== undefined ? optionalDataDir(options, env) : dataDirOf(options, env);
  const url = db ?? storeUrl(dataDir!);
  const parsed = blameStore(() => parseDatabaseUrl(url));
  const sqlitePath = parsed.dialect === 'sqlite' && parsed.path !== ':memory:' ? resolve(parsed.path) : undefined;
  return {
    lmkPath: lmkFile === undefined ? join(dataDir!, DATA_FILES.lmk) : resolve(lmkFile),
    storeUrl: url,
    storeName: sqlitePath ?? (parsed.dialect === 'postgres' ? withoutCredentials(parsed.url) : ':memory:'),
    sqlitePath,
    dataDir,
  };
}

/** A store URL error names the option (the store's message never repeats the URL). */
function blameStore<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OpenTsmError) throw new CliError('ERR_CLI_USAGE', `--db (or OPENTSM_DB): ${e.message}`, { cause: e });
    throw e;
  }
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
  if (!isKeyClass(a.class)) throw new CliError('ERR_CLI_INPUT', `key record ${id}: unknown key class`);
  return { ...a, usage, algorithm, modeOfUse, exportability, class: a.class };
}

/** `--tenant`, checked here so a mistake is a usage error naming the option (default: the operator). */
export function tenantOf(options: HsmOptions): string {
  const tenant = options.tenant ?? DEFAULT_TENANT;
  if (!/^[\x21-\x7E][\x20-\x7E]{0,63}$/.test(tenant)) throw new CliError('ERR_CLI_USAGE', '--tenant: 1 to 64 printable ASCII characters, e.g. operator or sp-acme');
  return tenant;
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
    this.ctx = cliContext(options);
  }

  /** The store of the data directory (tsm/ services that share the HSM's database use it). */
  get db(): StoreDb {
    return this.#db;
  }

  /** Loads the LMK file and opens the store (locationOf). */
  static async open(options: HsmOptions, out: Output): Promise<HsmSession> {
    const where = locationOf(options);
    if (!existsSync(where.lmkPath)) {
      const init = where.dataDir === undefined ? '`opentsm hsm init --lmk-file … --db …`' : `\`opentsm hsm init --data-dir ${where.dataDir}\``;
      throw new CliError('ERR_CLI_INPUT', `no LMK file ${where.lmkPath} (create the HSM with ${init})`);
    }
    const lmks = loadLmks(where.lmkPath, (line) => out.err(line));
    try {
      return await HsmSession.#withLmk(lmks, where, options, out);
    } catch (e) {
      for (const lmk of lmks) lmk.destroy();
      throw e;
    }
  }

  /**
   * A session on the store alone, for custodian registration before the LMK exists (`hsm init
   * --from-components` registers the custodians who then enter the LMK components). Registration
   * touches no key: the HSM runs on a throwaway random LMK, destroyed on close, that wraps nothing.
   */
  static async storeOnly(options: HsmOptions, out: Output): Promise<HsmSession> {
    const lmk = generateLmk();
    try {
      return await HsmSession.#withLmk([lmk], locationOf(options), options, out);
    } catch (e) {
      lmk.destroy();
      throw e;
    }
  }

  /** `lmks`: the current LMK first, then those that still unwrap (an LMK change in progress). */
  static async #withLmk(lmks: readonly Lmk[], where: HsmLocation, options: HsmOptions, out: Output): Promise<HsmSession> {
    const db = await openStore(where);
    try {
      const store: KeyRecordStore = keyRecordStore(db, narrowKeyAttributes);
      const chain = options.chain;
      const audit: AuditSink = {
        record: async (event) => {
          await appendAuditEvent(db, event);
          await chain?.record(event);
        },
      };
      return new HsmSession(new SoftwareHsm({ lmk: lmks[0]!, previousLmks: lmks.slice(1), store, audit }), db, options, out);
    } catch (e) {
      await closeDatabase(db);
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

  /** Records an event the CLI itself is answerable for (the LMK's creation) in the store's audit trail. */
  recordEvent(event: CliAuditEvent): Promise<void> {
    return recordCliEvent(this.#db, this.ctx, event);
  }

  /** Closes the HSM (destroying the LMK in memory), the store and the prompter. */
  async close(): Promise<void> {
    this.#prompter?.close();
    this.hsm.close();
    await closeDatabase(this.#db);
  }
}

/** The operation context of a CLI run: `--tenant` (default operator) and the OS user. */
export function cliContext(options: HsmOptions): OperationContext {
  return { tenant: tenantOf(options), actor: actor() };
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

/** Opens and migrates the store of `where`; a store URL error names the option. */
export async function openStore(where: HsmLocation): Promise<StoreDb> {
  const db = await openDatabase(where.storeUrl);
  try {
    await migrateToLatest(db);
    return db;
  } catch (e) {
    await closeDatabase(db);
    throw e;
  }
}
