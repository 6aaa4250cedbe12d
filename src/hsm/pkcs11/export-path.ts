/**
 * The one way an exportable key's value reaches host memory: for a TR-31 export (exportKeyBlock,
 * two custodians). The block's MAC is a CMAC over the clear payload (X9.143 key derivation
 * binding), and no PKCS#11 mechanism MACs a key object's value, so the clear key must be in host
 * memory for the instant the block is built.
 *
 * How: the key is CKA_EXTRACTABLE (exportability E or S only) but CKA_SENSITIVE, so its value
 * cannot be read; it is wrapped (C_WrapKey, CKM_AES_KEY_WRAP, RFC 3394) under a fresh random
 * AES-256 session key created for this call, and unwrapped here. Keys created with
 * CKA_WRAP_WITH_TRUSTED (options.wrapWithTrusted) cannot be wrapped by such a key: their export
 * is refused (ERR_HSM_UNSUPPORTED) rather than weakened. Non-exportable keys are
 * CKA_EXTRACTABLE false: the token refuses to wrap them at all.
 */
import { createDecipheriv } from 'node:crypto';
import { wipe } from '../../bytes/index.ts';
import { randomBytes } from '../../crypto/index.ts';
import { HsmError } from '../errors.ts';
import { CKA, CKK, CKO } from './ck.ts';
import type { Pkcs11Core } from './core.ts';
import type { TokenKey } from './key-objects.ts';
import { buf } from './token.ts';

/** CKM_AES_KEY_WRAP (RFC 3394). */
const CKM_AES_KEY_WRAP = 0x2109;
/** RFC 3394 §2.2.3.1 default initial value. */
const RFC3394_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

/** The clear value of exportable secret key `key`; the caller wipes it right after building the block. */
export function extractForExport(core: Pkcs11Core, key: TokenKey): Uint8Array {
  if (core.wrapWithTrusted) {
    throw new HsmError('ERR_HSM_UNSUPPORTED', `key ${key.meta.id} (KCV ${key.meta.kcv}) is CKA_WRAP_WITH_TRUSTED: only an SO-trusted key may wrap it, and a TR-31 block needs its value on the host; export it with the token's own tools under a trusted KEK`);
  }
  // HOST MEMORY: the ephemeral wrapping key, from here until the `finally` below (wiped); its
  // token copy is a session object destroyed right after the one C_WrapKey.
  const ephemeral = randomBytes(32);
  const object = core.token.create([
    { type: CKA.CLASS, value: CKO.SECRET_KEY },
    { type: CKA.KEY_TYPE, value: CKK.AES },
    { type: CKA.TOKEN, value: false },
    { type: CKA.PRIVATE, value: true },
    { type: CKA.SENSITIVE, value: true },
    { type: CKA.EXTRACTABLE, value: false },
    { type: CKA.WRAP, value: true },
    { type: CKA.VALUE, value: buf(ephemeral) },
  ]);
  let wrapped: Uint8Array | undefined;
  try {
    wrapped = core.token.wrapKey({ mechanism: CKM_AES_KEY_WRAP }, object, key.object, key.meta.attributes.length + 16);
  } catch (e) {
    const ckr = e instanceof HsmError ? /CKR_[A-Z_]+/.exec(e.message)?.[0] : undefined;
    if (ckr === 'CKR_KEY_UNEXTRACTABLE' || ckr === 'CKR_KEY_NOT_WRAPPABLE') {
      throw new HsmError('ERR_HSM_NOT_EXPORTABLE', `key ${key.meta.id} (KCV ${key.meta.kcv}): the token refuses to wrap it (${ckr})`, { cause: e });
    }
    throw e;
  } finally {
    core.token.destroy(object);
  }
  try {
    const decipher = createDecipheriv('id-aes256-wrap', buf(ephemeral), RFC3394_IV);
    const out = Buffer.concat([decipher.update(buf(wrapped)), decipher.final()]);
    const clear = new Uint8Array(out); // HOST MEMORY: the clear key, returned to the caller, who wipes it
    out.fill(0);
    return clear;
  } finally {
    wipe(ephemeral, wrapped);
  }
}
