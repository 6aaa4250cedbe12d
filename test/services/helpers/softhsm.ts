/**
 * A throwaway SoftHSM2 token (research/services.md): its own token directory and softhsm2.conf in
 * a temp dir, initialized with `softhsm2-util --init-token --free`. SOFTHSM2_CONF is set in this
 * process before the library is loaded (SoftHSM2 reads it at C_Initialize), so the tests never
 * touch a system token. Used by the services test and by `npm run bench:hsm`. `inspectToken`
 * opens a raw session beside the backend, for the checks only the token can answer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PKCS11_INSTALL_HINT, PKCS11_PACKAGE, acquireLibrary, ckrNameOf } from '../../../src/hsm/pkcs11/binding.ts';
import { CKA, CKF, CKO, CKU, type Pkcs11Mechanism } from '../../../src/hsm/pkcs11/ck.ts';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  readonly module: string;
  readonly label: string;
  /** The user PIN (test value; production reads it from a 0600 file or a prompt). */
  readonly pin: string;
  readonly dir: string;
  remove(): void;
}

/** Whether SoftHSM2 and its tool are installed. */
export function softHsmAvailable(): boolean {
  return existsSync(SOFTHSM_MODULE) && existsSync('/usr/bin/softhsm2-util');
}

/**
 * What is missing for the PKCS#11 services test, as an install instruction; undefined when SoftHSM2
 * and the pkcs11js binding are both there.
 */
export async function missingPkcs11Prerequisites(): Promise<string | undefined> {
  const missing: string[] = [];
  if (!softHsmAvailable()) missing.push(`SoftHSM2 is not installed (${SOFTHSM_MODULE}, /usr/bin/softhsm2-util): apt-get install softhsm2`);
  const specifier: string = PKCS11_PACKAGE; // not a literal: the type checker must not require the optional package
  try {
    await import(specifier);
  } catch (e) {
    missing.push(`the ${PKCS11_PACKAGE} binding does not load (${e instanceof Error ? e.message.split('\n')[0] : String(e)}): ${PKCS11_INSTALL_HINT}`);
  }
  return missing.length === 0 ? undefined : `${missing.join('; ')}. \`npm run test:services\` installs both.`;
}

/**
 * Creates a token labelled `label` in a new temp dir and points this process at it. Call before
 * the first Pkcs11Hsm.open in the process; one token directory per process.
 */
export function createSoftHsmToken(label: string): SoftHsmToken {
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  const pin = '246810';
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '13579111'], { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'pipe', timeout: 20_000 });
  return { module: SOFTHSM_MODULE, label, pin, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A raw session on the test token, beside the backend (the library and login are shared). */
export interface TokenInspector {
  /** The secret key objects whose CKA_ID is `id` (a key and, for M3 keys, its retail MAC companion). */
  secretObjects(id: string): Buffer[];
  /** The private key object of pair `id`. */
  privateObjects(id: string): Buffer[];
  /** Attribute `type` of `object`; a refusal comes back as its CKR_* name. */
  read(object: Buffer, type: number): { value: Buffer } | { refused: string };
  /** How many objects the session sees (token and session objects, every class). */
  objectCount(): number;
  /** A CK_BBOOL attribute. */
  flag(object: Buffer, type: number): boolean;
  destroy(object: Buffer): void;
  /** The mechanisms the token lists (C_GetMechanismList). */
  mechanisms(): number[];
  /**
   * Whether C_WrapKey with `mechanism` wraps a throwaway extractable key of `keyType` and
   * `keyLength` bytes under a throwaway key of `wrapType`/`wrapLength` (session objects, destroyed
   * after): 'ok' or the CKR_* name of the refusal.
   */
  tryWrap(mechanism: Pkcs11Mechanism, wrap: { type: number; length: number }, key: { type: number; length: number }): string;
  close(): void;
}

/** Opens a raw session on `token` (the backend must be open: its login holds for this session). */
export async function inspectToken(token: SoftHsmToken): Promise<TokenInspector> {
  const lib = await acquireLibrary(token.module);
  const api = lib.api;
  const slot = api.C_GetSlotList(true).find((s) => api.C_GetTokenInfo(s).label.trimEnd() === token.label);
  if (slot === undefined) throw new Error(`no token labelled ${token.label}`);
  const session = api.C_OpenSession(slot, CKF.SERIAL_SESSION | CKF.RW_SESSION);
  try {
    api.C_Login(session, CKU.USER, token.pin);
  } catch (e) {
    if (ckrNameOf(e) !== 'CKR_USER_ALREADY_LOGGED_IN') throw e;
  }
  const find = (template: { type: number; value: number | Buffer }[]): Buffer[] => {
    api.C_FindObjectsInit(session, template);
    try {
      return api.C_FindObjects(session, 16);
    } finally {
      api.C_FindObjectsFinal(session);
    }
  };
  const read = (object: Buffer, type: number): { value: Buffer } | { refused: string } => {
    try {
      const [a] = api.C_GetAttributeValue(session, object, [{ type }]);
      return { value: Buffer.isBuffer(a?.value) ? a.value : Buffer.alloc(0) };
    } catch (e) {
      return { refused: ckrNameOf(e) };
    }
  };
  return {
    secretObjects: (id) => find([{ type: CKA.CLASS, value: CKO.SECRET_KEY }, { type: CKA.ID, value: Buffer.from(id, 'utf8') }]),
    privateObjects: (id) => find([{ type: CKA.CLASS, value: CKO.PRIVATE_KEY }, { type: CKA.ID, value: Buffer.from(id, 'utf8') }]),
    read,
    objectCount() {
      api.C_FindObjectsInit(session, []);
      try {
        let count = 0;
        for (let batch = api.C_FindObjects(session, 64); batch.length > 0; batch = api.C_FindObjects(session, 64)) count += batch.length;
        return count;
      } finally {
        api.C_FindObjectsFinal(session);
      }
    },
    flag(object, type) {
      const r = read(object, type);
      if (!('value' in r)) throw new Error(`attribute 0x${type.toString(16)}: ${r.refused}`);
      return r.value[0] === 1;
    },
    destroy: (object) => api.C_DestroyObject(session, object),
    mechanisms: () => api.C_GetMechanismList(slot),
    tryWrap(mechanism, wrap, key) {
      const object = (type: number, length: number, role: number): Buffer =>
        api.C_CreateObject(session, [
          { type: CKA.CLASS, value: CKO.SECRET_KEY },
          { type: CKA.KEY_TYPE, value: type },
          { type: CKA.TOKEN, value: false },
          { type: CKA.SENSITIVE, value: true },
          { type: CKA.EXTRACTABLE, value: role === CKA.EXTRACTABLE },
          { type: CKA.WRAP, value: role === CKA.WRAP },
          { type: CKA.VALUE, value: Buffer.alloc(length, 0x5c) },
        ]);
      const wrapping = object(wrap.type, wrap.length, CKA.WRAP);
      const wrapped = object(key.type, key.length, CKA.EXTRACTABLE);
      try {
        api.C_WrapKey(session, mechanism, wrapping, wrapped, Buffer.alloc(key.length + 64));
        return 'ok';
      } catch (e) {
        return ckrNameOf(e);
      } finally {
        api.C_DestroyObject(session, wrapping);
        api.C_DestroyObject(session, wrapped);
      }
    },
    close() {
      try {
        api.C_CloseSession(session);
      } finally {
        lib.release();
      }
    },
  };
}
