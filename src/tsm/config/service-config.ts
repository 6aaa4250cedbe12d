/**
 * The service's configuration (docs/service.md §6): one JSON shape, filled from defaults, then a
 * JSON file, then OPENTSM_* environment variables, then command-line flags (each beats the one
 * before), and checked as a whole. Plain HTTP only on loopback and only when asked for; PINs and
 * passwords are never configuration values — the PKCS#11 PIN comes from a file of mode 0600.
 */
import { isIP } from 'node:net';
import { LOG_LEVELS, type LogLevel } from '../http/logger.ts';
import { TsmError } from '../errors.ts';

/** The HSM backend: the software HSM's LMK file (default: the data directory's), or a PKCS#11 token. */
export type HsmConfig =
  | { readonly backend: 'software'; readonly lmkFile?: string }
  | { readonly backend: 'pkcs11'; readonly module?: string; readonly token: string; readonly pinFile: string };

export interface ServiceConfig {
  readonly listen: { readonly host: string; readonly port: number };
  /**
   * PEM files of the server certificate (chain) and its private key; both or neither. `clientCa`: a
   * PEM file of the CA certificate(s) that sign client certificates — mutual TLS (docs/service.md §3).
   */
  readonly tls?: { readonly cert: string; readonly key: string; readonly clientCa?: string };
  /** Serve plain HTTP (development only; refused off loopback). */
  readonly insecureHttp: boolean;
  /** The data directory (`opentsm hsm init`): its opentsm.db and lmk.key are the defaults. */
  readonly dataDir?: string;
  /** The store URL: sqlite:FILE or postgres://… (default sqlite:DATA_DIR/opentsm.db). */
  readonly db?: string;
  readonly hsm: HsmConfig;
  /** Largest request body in bytes (1 KiB to 16 MiB). */
  readonly bodyLimit: number;
  readonly logLevel: LogLevel;
}

export const DEFAULT_CONFIG: ServiceConfig = Object.freeze({
  listen: { host: '127.0.0.1', port: 8443 },
  insecureHttp: false,
  hsm: { backend: 'software' as const },
  bodyLimit: 64 * 1024,
  logLevel: 'info',
});

/** A partial configuration, as a file, the environment or flags give it. */
export type ConfigLayer = Partial<Record<keyof ServiceConfig, unknown>>;

const MIN_BODY = 1024;
const MAX_BODY = 16 * 1024 * 1024;
const TOP_KEYS = ['listen', 'tls', 'insecureHttp', 'dataDir', 'db', 'hsm', 'bodyLimit', 'logLevel'] as const;

function fail(setting: string, what: string): never {
  throw new TsmError('ERR_TSM_CONFIG', `${setting}: ${what}`);
}

function str(value: unknown, setting: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096) fail(setting, 'expected a non-empty string');
  return value;
}

/** Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function hsmOf(raw: Record<string, unknown>): HsmConfig {
  const unknown = Object.keys(raw).filter((k) => !['backend', 'lmkFile', 'module', 'token', 'pinFile'].includes(k));
  if (unknown.length > 0) fail(`hsm.${unknown[0]!.slice(0, 32)}`, 'unknown setting');
  if (raw['backend'] === undefined || raw['backend'] === 'software') {
    return { backend: 'software', ...(raw['lmkFile'] === undefined ? {} : { lmkFile: str(raw['lmkFile'], 'hsm.lmkFile') }) };
  }
  if (raw['backend'] !== 'pkcs11') fail('hsm.backend', 'software or pkcs11');
  return {
    backend: 'pkcs11',
    ...(raw['module'] === undefined ? {} : { module: str(raw['module'], 'hsm.module') }),
    token: str(raw['token'], 'hsm.token'),
    pinFile: str(raw['pinFile'], 'hsm.pinFile (the PIN itself is never configuration: a file of mode 0600)'),
  };
}

function tlsOf(raw: Record<string, unknown>): NonNullable<ServiceConfig['tls']> {
  const unknown = Object.keys(raw).filter((k) => !['cert', 'key', 'clientCa'].includes(k));
  if (unknown.length > 0) fail(`tls.${unknown[0]!.slice(0, 32)}`, 'unknown setting');
  const clientCa = raw['clientCa'] === undefined ? undefined : str(raw['clientCa'], 'tls.clientCa');
  return { cert: str(raw['cert'], 'tls.cert'), key: str(raw['key'], 'tls.key'), ...(clientCa === undefined ? {} : { clientCa }) };
}

/** Merges layers (later wins, objects merged one level deep) and checks the result. */
export function resolveConfig(...layers: readonly ConfigLayer[]): ServiceConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG, listen: { ...DEFAULT_CONFIG.listen }, hsm: { ...DEFAULT_CONFIG.hsm } };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (!(TOP_KEYS as readonly string[]).includes(key)) fail(key.slice(0, 32), 'unknown setting');
      if (value === undefined) continue;
      const before = merged[key];
      merged[key] = typeof value === 'object' && value !== null && typeof before === 'object' && before !== null ? { ...before, ...value } : value;
    }
  }
  return checkConfig(merged);
}

function checkConfig(m: Record<string, unknown>): ServiceConfig {
  const listen = m['listen'] as Record<string, unknown>;
  const host = str(listen['host'], 'listen.host');
  const port = listen['port'];
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) fail('listen.port', 'an integer 0..65535');
  const tlsRaw = m['tls'] as Record<string, unknown> | undefined;
  const tls = tlsRaw === undefined ? undefined : tlsOf(tlsRaw);
  const insecureHttp = m['insecureHttp'];
  if (typeof insecureHttp !== 'boolean') fail('insecureHttp', 'true or false');
  if (tls === undefined && !insecureHttp) fail('tls', 'give tls.cert and tls.key (--cert, --key), or --insecure-http for plain HTTP on loopback in development');
  if (tls === undefined && !isLoopback(host)) fail('insecureHttp', `plain HTTP is refused on ${host.slice(0, 64)}: only on a loopback address`);
  if (tls !== undefined && insecureHttp) fail('insecureHttp', 'conflicts with tls: choose one');
  const bodyLimit = m['bodyLimit'];
  if (typeof bodyLimit !== 'number' || !Number.isInteger(bodyLimit) || bodyLimit < MIN_BODY || bodyLimit > MAX_BODY) fail('bodyLimit', `an integer ${MIN_BODY}..${MAX_BODY} (bytes)`);
  if (!(LOG_LEVELS as readonly unknown[]).includes(m['logLevel'])) fail('logLevel', `one of ${LOG_LEVELS.join(', ')}`);
  const dataDir = m['dataDir'] === undefined ? undefined : str(m['dataDir'], 'dataDir');
  const db = m['db'] === undefined ? undefined : str(m['db'], 'db');
  const hsm = hsmOf(m['hsm'] as Record<string, unknown>);
  if (db === undefined && dataDir === undefined) fail('dataDir', 'give a data directory (--data-dir) or a store URL (--db)');
  if (hsm.backend === 'software' && hsm.lmkFile === undefined && dataDir === undefined) fail('hsm.lmkFile', 'give a data directory or the LMK file');
  return Object.freeze({
    listen: { host, port }, ...(tls === undefined ? {} : { tls }), insecureHttp, ...(dataDir === undefined ? {} : { dataDir }), ...(db === undefined ? {} : { db }),
    hsm, bodyLimit, logLevel: m['logLevel'] as LogLevel,
  });
}
