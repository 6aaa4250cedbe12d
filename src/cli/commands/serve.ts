/**
 * `opentsm serve`: the TSM service (docs/service.md) on a data directory — HTTPS with --cert/--key
 * (or plain HTTP on loopback with --insecure-http, for development), the software HSM of the data
 * directory or a PKCS#11 token, SQLite or PostgreSQL — the whole `TsmService`: the API, the durable
 * job engine, the wallet relay on /v1/relay and webhooks — and, with --scp81-port / --smpp, the OTA
 * bearers (the SCP81 admin server on its own port, the SMS bearer to an SMSC and the SCP81 trigger;
 * UICCs go over SCP81, other SEs over the relay). `opentsm serve client add|list|disable`
 * manages the API clients; a new client's secret is printed once and stored only as a keyed hash.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { AuditSink, Hsm } from '../../hsm/index.ts';
import { Pkcs11Hsm } from '../../hsm/index.ts';
import { appendAuditEvent, closeDatabase, keyRecordStore, listApiClients, migrateToLatest, openDatabase, setApiClientDisabled, type StoreDb } from '../../store/index.ts';
import {
  addApiClient, createLogger, envLayer, fileLayer, readTls, resolveConfig, TsmService, ChainAuditSink, CheckpointDirectory, findAuditKeys, openAuditLog, startCheckpoints,
  checkBearerPolicy, type AuditLog, type BearerPolicy, type ConfigLayer, type ServiceConfig, type TsmApp, type TsmOtaOptions,
} from '../../tsm/index.ts';
import { CHECKPOINTS_ENV, DEFAULT_CHECKPOINT_DIR } from '../audit/session.ts';
import { CliError } from '../errors.ts';
import { processOutput } from '../gp/output.ts';
import { HsmSession, narrowKeyAttributes, storeUrl } from '../hsm/context.ts';
import { addLocationOptions } from '../hsm/location-options.ts';

/** The flags of `opentsm serve` (commander's camel-cased names). */
export interface ServeFlags {
  readonly config?: string;
  readonly dataDir?: string;
  readonly db?: string;
  readonly lmkFile?: string;
  readonly host?: string;
  readonly port?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly clientCa?: string;
  readonly insecureHttp?: boolean;
  readonly bodyLimit?: string;
  readonly logLevel?: string;
  readonly jobConcurrency?: string;
  readonly scp81Host?: string;
  readonly scp81Port?: string;
  readonly scp81PublicHost?: string;
  readonly scp81PublicPort?: string;
  readonly smpp?: string;
  readonly smppSystemId?: string;
  readonly smppSource?: string;
  readonly bearerFor?: string;
}

/** The environment variable the SMSC password is read from (never a flag: flags end up in `ps` and shell history). */
export const SMPP_PASSWORD_ENV = 'OPENTSM_SMPP_PASSWORD';

function portOf(text: string, flag: string, allowZero: boolean): number {
  const n = /^\d{1,5}$/.test(text) ? Number(text) : -1;
  if (n < (allowZero ? 0 : 1) || n > 65535) throw new CliError('ERR_CLI_USAGE', `${flag}: expected a port ${allowZero ? '0' : '1'}..65535`);
  return n;
}

/** `host:port` (IPv6 in brackets: `[::1]:2775`). */
function hostPort(text: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  if (m === null) throw new CliError('ERR_CLI_USAGE', `${flag}: expected host:port (e.g. smsc.example.net:2775)`);
  return { host: m[1] ?? m[2]!, port: portOf(m[3]!, flag, false) };
}

/** `--bearer-for strict-uicc=scp81,strict-ese=relay`. */
function bearerPolicy(text: string): BearerPolicy {
  const entries = text.split(',').map((pair) => {
    const [platform, bearer, extra] = pair.trim().split('=');
    if (platform === undefined || bearer === undefined || extra !== undefined) throw new CliError('ERR_CLI_USAGE', '--bearer-for: expected platform=relay|scp81[,platform=…]');
    return [platform, bearer] as const;
  });
  try {
    return checkBearerPolicy(Object.fromEntries(entries), '--bearer-for');
  } catch (e) {
    throw new CliError('ERR_CLI_USAGE', e instanceof Error ? e.message : String(e));
  }
}

/**
 * The OTA options of the flags (docs/service.md "OTA bearers"), or undefined when none is given:
 * --scp81-port starts the SCP81 admin server (loopback unless --scp81-host), --smpp adds the SMS
 * bearer and trigger (system id, source address; the password from OPENTSM_SMPP_PASSWORD).
 */
export function otaOptions(flags: ServeFlags, env: Readonly<Record<string, string | undefined>> = process.env): TsmOtaOptions | undefined {
  const scp81Flags = [flags.scp81Host, flags.scp81Port, flags.scp81PublicHost, flags.scp81PublicPort];
  const smppFlags = [flags.smppSystemId, flags.smppSource];
  if (flags.smpp === undefined && smppFlags.some((f) => f !== undefined)) throw new CliError('ERR_CLI_USAGE', '--smpp-system-id / --smpp-source: give --smpp host:port too');
  if (flags.smpp === undefined && flags.scp81Port === undefined) {
    if (scp81Flags.some((f) => f !== undefined) || flags.bearerFor !== undefined) throw new CliError('ERR_CLI_USAGE', '--scp81-host, --scp81-public-host/-port, --bearer-for: give --scp81-port (or --smpp) too');
    return undefined;
  }
  const scp81 = {
    ...(flags.scp81Host === undefined ? {} : { host: flags.scp81Host }),
    ...(flags.scp81Port === undefined ? {} : { port: portOf(flags.scp81Port, '--scp81-port', true) }),
    ...(flags.scp81PublicHost === undefined ? {} : { publicHost: flags.scp81PublicHost }),
    ...(flags.scp81PublicPort === undefined ? {} : { publicPort: portOf(flags.scp81PublicPort, '--scp81-public-port', false) }),
  };
  let smpp: TsmOtaOptions['smpp'];
  if (flags.smpp !== undefined) {
    const password = env[SMPP_PASSWORD_ENV];
    if (password === undefined) throw new CliError('ERR_CLI_USAGE', `--smpp: set the SMSC password in ${SMPP_PASSWORD_ENV} (never as a flag)`);
    if (flags.smppSystemId === undefined || flags.smppSource === undefined) throw new CliError('ERR_CLI_USAGE', '--smpp: give --smpp-system-id and --smpp-source too');
    smpp = { ...hostPort(flags.smpp, '--smpp'), systemId: flags.smppSystemId, password, sourceAddress: flags.smppSource };
  }
  return { scp81, ...(smpp === undefined ? {} : { smpp }), ...(flags.bearerFor === undefined ? {} : { bearerFor: bearerPolicy(flags.bearerFor) }) };
}

/**
 * The configuration of a run: defaults < file (--config or OPENTSM_CONFIG) < environment < flags.
 * `admin`: for the client commands, which open the backends but never listen (TLS settings ignored).
 */
export function serveConfig(flags: ServeFlags, env: Readonly<Record<string, string | undefined>> = process.env, admin = false): ServiceConfig {
  const file = flags.config ?? (env['OPENTSM_CONFIG'] || undefined);
  const num = (text: string | undefined, flag: string): number | undefined => {
    if (text === undefined) return undefined;
    if (!/^\d{1,9}$/.test(text)) throw new CliError('ERR_CLI_USAGE', `${flag}: expected an integer`);
    return Number(text);
  };
  const listen = { ...(flags.host === undefined ? {} : { host: flags.host }), ...(flags.port === undefined ? {} : { port: num(flags.port, '--port') }) };
  const tlsFlags = Object.entries({ cert: flags.cert, key: flags.key, clientCa: flags.clientCa }).filter(([, v]) => v !== undefined);
  const tls = tlsFlags.length === 0 ? undefined : Object.fromEntries(tlsFlags);
  const flagLayer: ConfigLayer = {
    ...(Object.keys(listen).length === 0 ? {} : { listen }),
    ...(tls === undefined ? {} : { tls }),
    ...(flags.insecureHttp === true ? { insecureHttp: true } : {}),
    ...(flags.dataDir === undefined ? {} : { dataDir: flags.dataDir }),
    ...(flags.db === undefined ? {} : { db: flags.db }),
    ...(flags.lmkFile === undefined ? {} : { hsm: { lmkFile: flags.lmkFile } }),
    ...(flags.bodyLimit === undefined ? {} : { bodyLimit: num(flags.bodyLimit, '--body-limit') }),
    ...(flags.logLevel === undefined ? {} : { logLevel: flags.logLevel }),
  };
  const layers = [...(file === undefined ? [] : [fileLayer(file)]), envLayer(env), flagLayer];
  if (!admin) return resolveConfig(...layers);
  const withoutListening = layers.map(({ tls: _tls, insecureHttp: _insecure, listen: _listen, ...rest }) => rest);
  return resolveConfig(...withoutListening, { insecureHttp: true });
}

/** The HSM and store a configuration names, and how to close both. */
export interface ServiceBackends {
  readonly hsm: Hsm;
  readonly db: StoreDb;
  close(): Promise<void>;
}

/** Opens the configured HSM and store (migrated); the HSM's events also go to `chain` when given. */
export async function openBackends(config: ServiceConfig, chain?: AuditSink): Promise<ServiceBackends> {
  if (config.hsm.backend === 'software') {
    const session = await HsmSession.open({ dataDir: config.dataDir, db: config.db, lmkFile: config.hsm.lmkFile, tenant: 'operator', chain }, processOutput());
    return { hsm: session.hsm, db: session.db, close: () => session.close() };
  }
  const db = await openDatabase(config.db ?? storeUrl(config.dataDir!));
  try {
    await migrateToLatest(db);
    const hsm = await Pkcs11Hsm.open({
      ...(config.hsm.module === undefined ? {} : { module: config.hsm.module }),
      tokenLabel: config.hsm.token, pin: { file: config.hsm.pinFile },
      audit: {
        record: async (event) => {
          await appendAuditEvent(db, event);
          await chain?.record(event);
        },
      },
      store: keyRecordStore(db, narrowKeyAttributes),
    });
    return { hsm, db, close: async () => { hsm.close(); await closeDatabase(db); } };
  } catch (e) {
    await closeDatabase(db);
    throw e;
  }
}

/** A running service: its URL, and `close()` that stops taking requests, drains and closes the backends. */
export interface RunningService {
  readonly url: string;
  readonly app: TsmApp;
  readonly service: TsmService;
  close(): Promise<void>;
}

/** What a run may set beyond the configuration. */
export interface StartOptions {
  /** Jobs the engine drives at once (default: TsmService's, 16). */
  readonly jobConcurrency?: number;
  /** The OTA bearers (`otaOptions` of the flags). */
  readonly ota?: TsmOtaOptions;
}

/** The audit checkpoints' directory: DATA_DIR/audit-checkpoints (as `opentsm audit`), or OPENTSM_AUDIT_CHECKPOINTS. */
function checkpointDir(config: ServiceConfig): string | undefined {
  const given = process.env[CHECKPOINTS_ENV];
  if (given !== undefined && given !== '') return given;
  return config.dataDir === undefined ? undefined : join(config.dataDir, DEFAULT_CHECKPOINT_DIR);
}

/**
 * The chained audit log of a running service (docs/audit.md): the HSM's events through `sink`, the
 * service's API calls, job steps and notifications through TsmService, a signed checkpoint every
 * minute (and at stop) outside the database when there is a directory for them.
 */
async function startAudit(backends: ServiceBackends, sink: ChainAuditSink, dir: string | undefined, logger: Logger): Promise<{ log: AuditLog; stop(): Promise<void> }> {
  const log = await openAuditLog(backends.db, backends.hsm, { setup: true });
  await sink.bind(log);
  if (dir === undefined) {
    logger.warn('audit: no data directory, so no checkpoint directory: set OPENTSM_AUDIT_CHECKPOINTS to have the chain\'s head signed outside the database');
    return { log, stop: () => Promise.resolve() };
  }
  const { signingKey } = await findAuditKeys(backends.hsm);
  const schedule = startCheckpoints(log, backends.hsm, signingKey, new CheckpointDirectory(dir), {
    intervalMs: 60_000, onError: (e) => logger.error({ err: e instanceof Error ? e.message : 'error' }, 'audit checkpoint failed'),
  });
  return {
    log,
    stop: async () => {
      await schedule.stop();
      await schedule.now().catch((e: unknown) => logger.error({ err: e instanceof Error ? e.message : 'error' }, 'final audit checkpoint failed'));
    },
  };
}

/** Starts the service of `config` (API, job engine, relay, webhooks, audit chain) and resolves once it listens. */
export async function startService(config: ServiceConfig, options: StartOptions = {}): Promise<RunningService> {
  const sink = new ChainAuditSink();
  const backends = await openBackends(config, sink);
  const logger = createLogger(config.logLevel);
  let service: TsmService | undefined;
  let audit: { log: AuditLog; stop(): Promise<void> } | undefined;
  try {
    audit = await startAudit(backends, sink, checkpointDir(config), logger);
    const https = config.tls === undefined ? undefined : readTls(config.tls);
    service = await TsmService.create({
      db: backends.db, hsm: backends.hsm, config, logger, audit: audit.log,
      ...(https === undefined ? {} : { https }),
      ...(options.jobConcurrency === undefined ? {} : { jobs: { concurrency: options.jobConcurrency } }),
      ...(options.ota === undefined ? {} : { ota: options.ota }),
    });
    const address = await service.listen({ host: config.listen.host, port: config.listen.port });
    const url = new URL(address);
    if (https !== undefined) url.protocol = 'https:';
    const running = service;
    const auditing = audit;
    return {
      url: url.toString().replace(/\/$/, ''), app: running.app, service: running,
      close: async () => {
        await running.close();
        await auditing.stop();
        await backends.close();
      },
    };
  } catch (e) {
    await service?.close().catch(() => undefined);
    await audit?.stop().catch(() => undefined);
    await backends.close();
    throw e;
  }
}

/** `--job-concurrency`: 1 to 256. */
export function jobConcurrency(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = /^\d{1,3}$/.test(text) ? Number(text) : 0;
  if (n < 1 || n > 256) throw new CliError('ERR_CLI_USAGE', '--job-concurrency: expected an integer from 1 to 256');
  return n;
}

async function serve(flags: ServeFlags): Promise<void> {
  const concurrency = jobConcurrency(flags.jobConcurrency);
  const ota = otaOptions(flags);
  const service = await startService(serveConfig(flags), { ...(concurrency === undefined ? {} : { jobConcurrency: concurrency }), ...(ota === undefined ? {} : { ota }) });
  process.stderr.write(`opentsm serve: listening on ${service.url} (OpenAPI at ${service.url}/openapi.json); Ctrl-C to stop\n`);
  const bearers = service.service.ota;
  if (bearers !== undefined) {
    const a = bearers.scp81.address;
    const smsc = ota?.smpp === undefined ? 'no SMSC: agents are not triggered' : `SMSC ${ota.smpp.host}:${ota.smpp.port} bound as ${ota.smpp.systemId}`;
    process.stderr.write(`opentsm serve: SCP81 admin server (TLS-PSK) on ${a.host}:${a.port}${a.adminUri}; ${smsc}\n`);
  }
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  await service.close();
}

/** Runs `fn` on the backends of the flags' configuration, without TLS or listening checks. */
async function withBackends<T>(flags: ServeFlags, fn: (b: ServiceBackends) => Promise<T>): Promise<T> {
  const backends = await openBackends(serveConfig(flags, process.env, true));
  try {
    return await fn(backends);
  } finally {
    await backends.close();
  }
}

function print(json: boolean | undefined, value: Record<string, unknown>, lines: readonly string[]): void {
  const out = processOutput();
  if (json === true) out.out(JSON.stringify(value));
  else for (const line of lines) out.out(line);
}

export function registerServe(program: Command): void {
  const serveCmd = addLocationOptions(program.command('serve').description('run the TSM service: HTTPS JSON API under /v1 (docs/service.md)')
    .option('--config <file>', 'a JSON configuration file (or env OPENTSM_CONFIG)'))
    .option('--host <address>', 'listen address (default 127.0.0.1)')
    .option('--port <n>', 'listen port (default 8443; 0 picks a free one)')
    .option('--cert <file>', 'TLS certificate chain, PEM')
    .option('--key <file>', 'TLS private key, PEM')
    .option('--client-ca <file>', 'mutual TLS: CA certificate(s), PEM, that sign client certificates; a client without one is refused in the handshake')
    .option('--insecure-http', 'plain HTTP, only on a loopback address: development only')
    .option('--body-limit <bytes>', 'largest request body (default 65536)')
    .option('--log-level <level>', 'fatal, error, warn, info (default), debug, trace, silent')
    .option('--job-concurrency <n>', 'provisioning jobs driven at once (default 16)')
    .option('--scp81-port <n>', 'OTA: start the SCP81 admin server (GPC Amd B, TLS-PSK) on this port (0 picks a free one)')
    .option('--scp81-host <address>', 'OTA: its listen address (default 127.0.0.1)')
    .option('--scp81-public-host <host>', 'OTA: the host the trigger SMS tells cards to connect to (default: the listen address)')
    .option('--scp81-public-port <n>', 'OTA: the port the trigger SMS names (default: the listen port)')
    .option('--smpp <host:port>', `OTA: the operator's SMSC (SMPP 3.4): triggers wake the cards' agents by SMS; password from ${SMPP_PASSWORD_ENV}`)
    .option('--smpp-system-id <id>', 'OTA: the ESME system_id to bind as')
    .option('--smpp-source <address>', 'OTA: the originating address of the trigger SMS')
    .option('--bearer-for <list>', 'OTA: platform=relay|scp81,... (default strict-uicc=scp81,legacy-uicc=scp81; other platforms use the relay)')
    .option('--json', 'client commands: print JSON')
    .addHelpText('after', [
      '\nExamples:',
      '  opentsm serve --data-dir /srv/opentsm --cert tls/cert.pem --key tls/key.pem --host 0.0.0.0',
      '  opentsm serve --data-dir ./data --insecure-http --port 8080',
      `  ${SMPP_PASSWORD_ENV}=… opentsm serve --data-dir ./data --insecure-http --scp81-port 8444 --smpp 127.0.0.1:2775 --smpp-system-id tsm --smpp-source 12345`,
      '  opentsm serve client add --data-dir ./data --tenant bank-a --role issuer',
      '\nOTA (docs/service.md "OTA bearers"): a UICC registered with an SCP81 PSK goes over SCP81 — the trigger SMS through the SMSC,',
      'the card\'s agent back over TLS-PSK; every other SE over the wallet relay. The SMSC password is read from',
      `${SMPP_PASSWORD_ENV}, never from a flag, and is never logged.`,
    ].join('\n'))
    .action((_o: unknown, cmd: Command) => serve(cmd.opts<ServeFlags>()));
  const client = serveCmd.command('client').description('API clients of the service');
  client.command('add').description('add a client; prints its id and secret ONCE (only a keyed hash is stored)')
    .requiredOption('--tenant <name>', 'the tenant it acts for (e.g. bank-a)')
    .requiredOption('--role <role>', 'sp, mno, admin or issuer')
    .action(async (o: { tenant: string; role: string }, cmd: Command) => {
      const flags = cmd.optsWithGlobals<ServeFlags & { json?: boolean }>();
      const added = await withBackends(flags, (b) => addApiClient(b.db, b.hsm, o));
      print(flags.json, { clientId: added.clientId, tenant: o.tenant, role: o.role, token: added.token },
        [`client ${added.clientId} (tenant ${o.tenant}, role ${o.role})`, `Authorization: Bearer ${added.token}`, 'the secret is shown only now: store it in your secret manager']);
    });
  client.command('list').description('every client: id, tenant, role, created, disabled (never a secret)')
    .action(async (_o: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<ServeFlags & { json?: boolean }>();
      const clients = await withBackends(flags, (b) => listApiClients(b.db));
      const rows = clients.map((c) => ({ clientId: c.id, tenant: c.tenant, role: c.role, createdAt: c.createdAt, disabled: c.disabled }));
      print(flags.json, { clients: rows }, rows.map((r) => `${r.clientId}  ${r.tenant}  ${r.role}  ${r.createdAt}${r.disabled ? '  disabled' : ''}`));
    });
  client.command('disable <clientId>').description('disable a client: its requests get 401 from now on')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<ServeFlags & { json?: boolean }>();
      if (!(await withBackends(flags, (b) => setApiClientDisabled(b.db, id, true)))) throw new CliError('ERR_CLI_USAGE', 'no client with this id (opentsm serve client list)');
      print(flags.json, { clientId: id, disabled: true }, [`client ${id} disabled`]);
    });
}
