/**
 * Loading the optional PKCS#11 binding (`pkcs11js`, a node-gyp addon) on demand, and one loaded
 * library per module path per process. The package is an optional dependency: `npm ci` succeeds
 * where it cannot build, and only the PKCS#11 backend needs it (like the PC/SC transport,
 * src/cli/transport/pcsc-binding.ts).
 *
 * PKCS#11 state is per process, not per object (PKCS #11 v2.40 §5.4, §5.6): a library is
 * initialized once, and a login holds for every session of the application on that token. So
 * libraries are shared and reference-counted here, and C_Finalize runs when the last user closes.
 */
import { HsmError } from '../errors.ts';
import { CKR, type Pkcs11Api, type Pkcs11Module } from './ck.ts';

/** The npm package that provides PKCS#11 (declared in package.json optionalDependencies). */
export const PKCS11_PACKAGE = 'pkcs11js';

/** What to run when the binding is unavailable. */
export const PKCS11_INSTALL_HINT = `npm install ${PKCS11_PACKAGE}@2.1 (it builds with node-gyp: a C++ compiler, make and Python 3), or npm rebuild ${PKCS11_PACKAGE}`;

/** SoftHSM2's module on Debian and Ubuntu (package softhsm2). */
export const DEFAULT_MODULE_PATH = '/usr/lib/softhsm/libsofthsm2.so';

let loading: Promise<Pkcs11Module> | undefined;

/** Imports the binding once; rejects with ERR_HSM_BACKEND naming what to install. */
export function loadPkcs11Binding(): Promise<Pkcs11Module> {
  loading ??= importBinding();
  loading.catch(() => {
    loading = undefined; // a later call retries after the package is installed
  });
  return loading;
}

async function importBinding(): Promise<Pkcs11Module> {
  const specifier: string = PKCS11_PACKAGE; // not a literal: the type checker must not require the optional package
  let mod: unknown;
  try {
    mod = await import(specifier);
  } catch (e) {
    throw new HsmError('ERR_HSM_BACKEND', `the PKCS#11 backend is not available (${whyUnavailable(e)}). Install it: ${PKCS11_INSTALL_HINT}`, { cause: e });
  }
  const loaded = ((mod as { default?: unknown }).default ?? mod) as Partial<Pkcs11Module>;
  if (typeof loaded.PKCS11 !== 'function' || typeof loaded.CK_PARAMS_AES_CBC !== 'number') {
    throw new HsmError('ERR_HSM_BACKEND', `${PKCS11_PACKAGE} does not export the expected API; reinstall it: ${PKCS11_INSTALL_HINT}`);
  }
  return loaded as Pkcs11Module;
}

function whyUnavailable(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown } | undefined)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' && message.includes(PKCS11_PACKAGE)) return `${PKCS11_PACKAGE} is not installed`;
  if (/bindings file|\.node\b|build\/Release/i.test(message)) return `${PKCS11_PACKAGE} is installed but its native addon was not built`;
  return `${PKCS11_PACKAGE} failed to load: ${message.split('\n')[0] ?? ''}`;
}

/** The CKR_* return value of a binding error, if it carries one. */
export function ckrOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The CKR_* name of a binding error (pkcs11js puts it first in the message), never anything else of it. */
export function ckrNameOf(e: unknown): string {
  const message = e instanceof Error ? e.message : '';
  const name = /^(CKR_[A-Z0-9_]+)/.exec(message)?.[1];
  return name ?? 'an unexpected error';
}

interface LoadedLibrary {
  readonly api: Pkcs11Api;
  readonly module: Pkcs11Module;
  users: number;
}

const libraries = new Map<string, LoadedLibrary>();

/** A loaded, initialized PKCS#11 library shared by every backend on `path` in this process. */
export interface SharedLibrary {
  readonly api: Pkcs11Api;
  readonly module: Pkcs11Module;
  /** Drops this user; the last one finalizes the library. Idempotent per acquisition. */
  release(): void;
}

/** Loads and initializes the library at `path`, or shares the one already loaded. */
export async function acquireLibrary(path: string): Promise<SharedLibrary> {
  const module = await loadPkcs11Binding();
  let lib = libraries.get(path);
  if (lib === undefined) {
    const api = new module.PKCS11();
    try {
      api.load(path);
    } catch (e) {
      throw new HsmError('ERR_HSM_BACKEND', `cannot load the PKCS#11 module ${path} (${ckrNameOf(e) === 'an unexpected error' ? 'not found or not a PKCS#11 library' : ckrNameOf(e)})`, { cause: e });
    }
    try {
      api.C_Initialize();
    } catch (e) {
      // another binding instance in this process initialized it: the library state is shared anyway
      if (ckrOf(e) !== CKR.CRYPTOKI_ALREADY_INITIALIZED) throw new HsmError('ERR_HSM_BACKEND', `C_Initialize failed: ${ckrNameOf(e)}`, { cause: e });
    }
    lib = { api, module, users: 0 };
    libraries.set(path, lib);
  }
  lib.users++;
  const shared = lib;
  let released = false;
  return {
    api: shared.api,
    module: shared.module,
    release(): void {
      if (released) return;
      released = true;
      shared.users--;
      if (shared.users > 0) return;
      libraries.delete(path);
      try {
        shared.api.C_Finalize();
      } catch {
        // finalizing is best effort: the process may be exiting
      }
    },
  };
}
