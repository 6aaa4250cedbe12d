/**
 * One logged-in read/write session on the token, with typed, synchronous calls. The edge of the
 * backend: bytes cross here as Buffers (views, not copies, so the caller's wipe reaches them), and
 * every binding error becomes an HsmError naming the PKCS#11 function and its CKR_* code — never
 * data, never a key (CONVENTIONS.md §3, §8).
 *
 * Every call is synchronous (pkcs11js's plain C_* functions), so a multi-call sequence such as
 * C_EncryptInit + C_Encrypt or C_FindObjectsInit … C_FindObjectsFinal cannot interleave with
 * another operation on the one session: JavaScript runs it to the end.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { HsmError } from '../errors.ts';
import { acquireLibrary, ckrNameOf, ckrOf, type SharedLibrary } from './binding.ts';
import { CKF, CKR, CKU, type Pkcs11Api, type Pkcs11Attribute, type Pkcs11Mechanism, type Pkcs11Module } from './ck.ts';

/** A Uint8Array as a Buffer over the same memory (no copy). */
export function buf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A Buffer as a Uint8Array over the same memory (no copy). */
function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The PKCS#11 failure `what` as an HsmError: function and CKR_* name only. */
export function backendError(what: string, e: unknown): HsmError {
  return new HsmError('ERR_HSM_BACKEND', `PKCS#11 ${what} failed: ${ckrNameOf(e)}`, { cause: e });
}

/** Logins in this process per token (login state is per application, PKCS #11 v2.40 §5.6). */
const logins = new Map<string, { digest: Buffer; sessions: number }>();

function pinDigest(pin: string): Buffer {
  return createHash('sha256').update(pin, 'utf8').digest();
}

/** A logged-in session on one token. */
export class Token {
  readonly label: string;
  readonly serial: string;
  readonly model: string;
  readonly #lib: SharedLibrary;
  readonly #api: Pkcs11Api;
  readonly #session: Buffer;
  readonly #loginKey: string;
  #closed = false;

  private constructor(lib: SharedLibrary, session: Buffer, info: { label: string; serial: string; model: string }, loginKey: string) {
    this.#lib = lib;
    this.#api = lib.api;
    this.#session = session;
    this.label = info.label;
    this.serial = info.serial;
    this.model = info.model;
    this.#loginKey = loginKey;
  }

  /** Opens a session on the token labelled `tokenLabel` of module `path` and logs the user in. */
  static async open(path: string, tokenLabel: string, pin: string): Promise<Token> {
    const lib = await acquireLibrary(path);
    try {
      const { slot, info } = findSlot(lib.api, tokenLabel);
      let session: Buffer;
      try {
        session = lib.api.C_OpenSession(slot, CKF.SERIAL_SESSION | CKF.RW_SESSION);
      } catch (e) {
        throw backendError('C_OpenSession', e);
      }
      const loginKey = `${path}\0${info.serial}`;
      try {
        login(lib.api, session, pin, loginKey);
      } catch (e) {
        try {
          lib.api.C_CloseSession(session);
        } catch {
          // the login failure is the error to report
        }
        throw e;
      }
      return new Token(lib, session, info, loginKey);
    } catch (e) {
      lib.release();
      throw e;
    }
  }

  /** The binding's parameter-structure tags (CK_PARAMS_*). */
  get module(): Pkcs11Module {
    return this.#lib.module;
  }

  #call<T>(what: string, fn: (api: Pkcs11Api, session: Buffer) => T): T {
    if (this.#closed) throw new HsmError('ERR_HSM_STATE', 'the PKCS#11 session is closed');
    try {
      return fn(this.#api, this.#session);
    } catch (e) {
      if (e instanceof HsmError) throw e;
      throw backendError(what, e);
    }
  }

  /** Every object matching `template`. */
  find(template: Pkcs11Attribute[]): Buffer[] {
    return this.#call('C_FindObjects', (api, s) => {
      api.C_FindObjectsInit(s, template);
      try {
        const found: Buffer[] = [];
        for (;;) {
          const batch = api.C_FindObjects(s, 64);
          found.push(...batch);
          if (batch.length < 64) return found;
        }
      } finally {
        api.C_FindObjectsFinal(s);
      }
    });
  }

  create(template: Pkcs11Attribute[]): Buffer {
    return this.#call('C_CreateObject', (api, s) => api.C_CreateObject(s, template));
  }

  destroy(object: Buffer): void {
    this.#call('C_DestroyObject', (api, s) => api.C_DestroyObject(s, object));
  }

  /** The values of `types` on `object` (raises for a sensitive or absent attribute). */
  attributes(object: Buffer, types: readonly number[]): Map<number, Buffer> {
    return this.#call('C_GetAttributeValue', (api, s) => {
      const got = api.C_GetAttributeValue(s, object, types.map((type) => ({ type })));
      return new Map(got.map((a) => [a.type, Buffer.isBuffer(a.value) ? a.value : Buffer.alloc(0)]));
    });
  }

  generateKey(mechanism: Pkcs11Mechanism, template: Pkcs11Attribute[]): Buffer {
    return this.#call('C_GenerateKey', (api, s) => api.C_GenerateKey(s, mechanism, template));
  }

  generateKeyPair(mechanism: Pkcs11Mechanism, publicTemplate: Pkcs11Attribute[], privateTemplate: Pkcs11Attribute[]): { publicKey: Buffer; privateKey: Buffer } {
    return this.#call('C_GenerateKeyPair', (api, s) => api.C_GenerateKeyPair(s, mechanism, publicTemplate, privateTemplate));
  }

  /**
   * Runs a single-part operation after its Init. If the call fails the token may keep the
   * operation active (SoftHSM2 does for CKR_ARGUMENTS_BAD), which would refuse every later Init
   * with CKR_OPERATION_ACTIVE: a second call on a dummy block ends it either way.
   */
  static #finish<T>(run: (input: Buffer) => T, input: Buffer): T {
    try {
      return run(input);
    } catch (e) {
      try {
        run(Buffer.alloc(16));
      } catch {
        // the operation is over now, whatever the dummy call said
      }
      throw e;
    }
  }

  /** Encrypts non-empty `data` (output at most `data.length + 32` bytes: the block modes here do not expand). */
  encrypt(mechanism: Pkcs11Mechanism, key: Buffer, data: Uint8Array): Uint8Array {
    nonEmpty(data, 'C_Encrypt');
    return this.#call('C_Encrypt', (api, s) => {
      api.C_EncryptInit(s, mechanism, key);
      return view(Token.#finish((input) => api.C_Encrypt(s, input, Buffer.alloc(input.length + 32)), buf(data)));
    });
  }

  decrypt(mechanism: Pkcs11Mechanism, key: Buffer, data: Uint8Array): Uint8Array {
    nonEmpty(data, 'C_Decrypt');
    return this.#call('C_Decrypt', (api, s) => {
      api.C_DecryptInit(s, mechanism, key);
      return view(Token.#finish((input) => api.C_Decrypt(s, input, Buffer.alloc(input.length + 32)), buf(data)));
    });
  }

  /** A MAC or signature of `data`, at most `maxLength` bytes (an empty message goes through C_SignFinal). */
  sign(mechanism: Pkcs11Mechanism, key: Buffer, data: Uint8Array, maxLength: number): Uint8Array {
    return this.#call('C_Sign', (api, s) => {
      api.C_SignInit(s, mechanism, key);
      if (data.length === 0) return view(api.C_SignFinal(s, Buffer.alloc(maxLength)));
      return view(Token.#finish((input) => api.C_Sign(s, input, Buffer.alloc(maxLength)), buf(data)));
    });
  }

  /** Whether `signature` verifies; a malformed or wrong signature is `false`, other failures raise. */
  verify(mechanism: Pkcs11Mechanism, key: Buffer, data: Uint8Array, signature: Uint8Array): boolean {
    return this.#call('C_Verify', (api, s) => {
      api.C_VerifyInit(s, mechanism, key);
      try {
        return api.C_Verify(s, buf(data), buf(signature));
      } catch (e) {
        const ckr = ckrOf(e);
        // CKR_SIGNATURE_INVALID (0xC0), CKR_SIGNATURE_LEN_RANGE (0xC1): not a valid signature
        if (ckr === 0xc0 || ckr === 0xc1) return false;
        throw e;
      }
    });
  }

  /** `key` wrapped under `wrappingKey` (at most `maxLength` bytes). */
  wrapKey(mechanism: Pkcs11Mechanism, wrappingKey: Buffer, key: Buffer, maxLength: number): Uint8Array {
    return this.#call('C_WrapKey', (api, s) => view(api.C_WrapKey(s, mechanism, wrappingKey, key, Buffer.alloc(maxLength))));
  }

  deriveKey(mechanism: Pkcs11Mechanism, baseKey: Buffer, template: Pkcs11Attribute[]): Buffer {
    return this.#call('C_DeriveKey', (api, s) => api.C_DeriveKey(s, mechanism, baseKey, template));
  }

  random(length: number): Uint8Array {
    return this.#call('C_GenerateRandom', (api, s) => view(api.C_GenerateRandom(s, Buffer.alloc(length))));
  }

  /** Closes the session (the last session on the token logs the user out) and releases the library. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#api.C_CloseSession(this.#session);
    } catch {
      // the library may already be finalized
    }
    const entry = logins.get(this.#loginKey);
    if (entry !== undefined && --entry.sessions <= 0) logins.delete(this.#loginKey);
    this.#lib.release();
  }
}

function nonEmpty(data: Uint8Array, what: string): void {
  if (!(data instanceof Uint8Array) || data.length === 0) throw new HsmError('ERR_HSM_PARAM', `${what}: no data (the token refuses an empty input)`);
}

function findSlot(api: Pkcs11Api, tokenLabel: string): { slot: Buffer; info: { label: string; serial: string; model: string } } {
  let slots: Buffer[];
  try {
    slots = api.C_GetSlotList(true);
  } catch (e) {
    throw backendError('C_GetSlotList', e);
  }
  const matches = slots.flatMap((slot) => {
    try {
      const info = api.C_GetTokenInfo(slot);
      const label = info.label.trimEnd();
      return label === tokenLabel ? [{ slot, info: { label, serial: info.serialNumber.trimEnd(), model: info.model.trimEnd() } }] : [];
    } catch {
      return []; // a slot whose token went away meanwhile
    }
  });
  if (matches.length === 0) throw new HsmError('ERR_HSM_BACKEND', `no PKCS#11 token labelled "${tokenLabel}" (${slots.length} token(s) present)`);
  if (matches.length > 1) throw new HsmError('ERR_HSM_BACKEND', `${matches.length} PKCS#11 tokens are labelled "${tokenLabel}": labels must be unique`);
  return matches[0]!;
}

/**
 * C_Login as the user. If this process is already logged in to the token (another backend on the
 * same token), the login is shared — but only for the same PIN: a backend opened with another PIN
 * is refused, although the token itself would let its session in.
 */
function login(api: Pkcs11Api, session: Buffer, pin: string, loginKey: string): void {
  const digest = pinDigest(pin);
  try {
    api.C_Login(session, CKU.USER, pin);
    logins.set(loginKey, { digest, sessions: 1 });
    return;
  } catch (e) {
    const ckr = ckrOf(e);
    if (ckr === CKR.PIN_INCORRECT) throw new HsmError('ERR_HSM_BACKEND', 'PKCS#11 C_Login refused the PIN (CKR_PIN_INCORRECT)');
    if (ckr === CKR.PIN_LOCKED) throw new HsmError('ERR_HSM_BACKEND', 'PKCS#11 C_Login: the user PIN is locked (CKR_PIN_LOCKED)');
    if (ckr !== CKR.USER_ALREADY_LOGGED_IN) throw backendError('C_Login', e);
  }
  const entry = logins.get(loginKey);
  if (entry !== undefined && !timingSafeEqual(entry.digest, digest)) {
    throw new HsmError('ERR_HSM_BACKEND', 'the token is already logged in in this process with another PIN');
  }
  if (entry === undefined) logins.set(loginKey, { digest, sessions: 1 });
  else entry.sessions++;
}
