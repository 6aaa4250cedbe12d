/**
 * Where configuration layers come from: a JSON file and the OPENTSM_* environment variables
 * (docs/service.md §6). Each returns a ConfigLayer for `resolveConfig`; values are checked there.
 */
import { readFileSync } from 'node:fs';
import { TsmError } from '../errors.ts';
import type { ConfigLayer } from './service-config.ts';

/** The environment variable of each setting. */
export const CONFIG_ENV = {
  OPENTSM_CONFIG: 'the configuration file',
  OPENTSM_LISTEN_HOST: 'listen.host',
  OPENTSM_LISTEN_PORT: 'listen.port',
  OPENTSM_TLS_CERT: 'tls.cert',
  OPENTSM_TLS_KEY: 'tls.key',
  OPENTSM_TLS_CLIENT_CA: 'tls.clientCa (mutual TLS)',
  OPENTSM_INSECURE_HTTP: 'insecureHttp (1 or true)',
  OPENTSM_DATA_DIR: 'dataDir',
  OPENTSM_DB: 'db',
  OPENTSM_HSM_BACKEND: 'hsm.backend',
  OPENTSM_LMK_FILE: 'hsm.lmkFile',
  OPENTSM_PKCS11_MODULE: 'hsm.module',
  OPENTSM_PKCS11_TOKEN: 'hsm.token',
  OPENTSM_PKCS11_PIN_FILE: 'hsm.pinFile',
  OPENTSM_BODY_LIMIT: 'bodyLimit',
  OPENTSM_LOG_LEVEL: 'logLevel',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

function integer(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,9}$/.test(text)) throw new TsmError('ERR_TSM_CONFIG', `${name}: expected an integer`);
  return Number(text);
}

function defined(record: Record<string, unknown>): Record<string, unknown> | undefined {
  const entries = Object.entries(record).filter(([, v]) => v !== undefined && v !== '');
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/** The layer of the OPENTSM_* variables. */
export function envLayer(env: Env = process.env): ConfigLayer {
  const insecure = env['OPENTSM_INSECURE_HTTP'];
  const layer: ConfigLayer = {
    listen: defined({ host: env['OPENTSM_LISTEN_HOST'], port: integer(env['OPENTSM_LISTEN_PORT'], 'OPENTSM_LISTEN_PORT') }),
    tls: defined({ cert: env['OPENTSM_TLS_CERT'], key: env['OPENTSM_TLS_KEY'], clientCa: env['OPENTSM_TLS_CLIENT_CA'] }),
    insecureHttp: insecure === undefined || insecure === '' ? undefined : ['1', 'true', 'yes'].includes(insecure.toLowerCase()),
    dataDir: env['OPENTSM_DATA_DIR'] || undefined,
    db: env['OPENTSM_DB'] || undefined,
    hsm: defined({
      backend: env['OPENTSM_HSM_BACKEND'], lmkFile: env['OPENTSM_LMK_FILE'], module: env['OPENTSM_PKCS11_MODULE'],
      token: env['OPENTSM_PKCS11_TOKEN'], pinFile: env['OPENTSM_PKCS11_PIN_FILE'],
    }),
    bodyLimit: integer(env['OPENTSM_BODY_LIMIT'], 'OPENTSM_BODY_LIMIT'),
    logLevel: env['OPENTSM_LOG_LEVEL'] || undefined,
  };
  return Object.fromEntries(Object.entries(layer).filter(([, v]) => v !== undefined));
}

/** The layer of a JSON configuration file (unknown settings are refused by `resolveConfig`). */
export function fileLayer(path: string): ConfigLayer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new TsmError('ERR_TSM_CONFIG', `config file ${path}: cannot be read`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TsmError('ERR_TSM_CONFIG', `config file ${path}: not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TsmError('ERR_TSM_CONFIG', `config file ${path}: expected a JSON object`);
  return value;
}

/** The PEM key, certificate and client CA of `tls`, read once at start. */
export function readTls(tls: { readonly cert: string; readonly key: string; readonly clientCa?: string }): { readonly cert: Uint8Array; readonly key: Uint8Array; readonly clientCa?: Uint8Array } {
  const read = (path: string, setting: string): Uint8Array => {
    try {
      return new Uint8Array(readFileSync(path));
    } catch (cause) {
      throw new TsmError('ERR_TSM_CONFIG', `${setting} ${path}: cannot be read`, { cause });
    }
  };
  return { cert: read(tls.cert, 'tls.cert'), key: read(tls.key, 'tls.key'), ...(tls.clientCa === undefined ? {} : { clientCa: read(tls.clientCa, 'tls.clientCa') }) };
}
