/**
 * MACs, data encryption and random bytes in the token, with the software backend's fixed
 * parameters and checks (software/general-ops.ts):
 * - 'cmac' (M6): CKM_AES_CMAC (16 bytes) or CKM_DES3_CMAC (8 bytes), C_Sign;
 * - 'iso9797-1-alg1' (M1): ISO 9797-1 MAC algorithm 1 with the key's full TDES, padding method 2
 *   unless the caller names method 1 (MacParameters; shared/mac-mechanism.ts), 3DES-CBC with a zero
 *   IV in the token (C_Encrypt, CKM_DES3_CBC), the last block; the intermediate blocks come back to
 *   the host with it, as CBC ciphertext always does — under the full 3DES key they give nothing
 *   away. SoftHSM2 2.6.1 offers no CKM_DES3_MAC, CKM_DES3_MAC_GENERAL or CKM_DES_MAC (checked with
 *   C_GetMechanismList), so the MAC mechanisms are not used, on any token;
 * - 'hmac-sha256' (M7): CKM_SHA256_HMAC, 32 bytes (SoftHSM2 takes HMAC keys of 32 bytes or more);
 * - 'retail-mac' (M3): ISO 9797-1 padding method 2 (or 1, named), composed in the token from the key's single-DES
 *   K1 companion (the CBC chain, CKM_DES3_CBC) and the key itself (the last block, CKM_DES3_ECB):
 *   retail-mac.ts says how, what the companion is and what passes through host memory. A key
 *   without a companion is refused (ERR_HSM_UNSUPPORTED), never computed with its value on the host;
 * `verifyMac` recomputes in the token and compares on the host in constant time, accepting the same
 * truncations as the software backend.
 */
import { equalCt } from '../../bytes/index.ts';
import { cbcMacDes } from '../../crypto/index.ts';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { DataCipherOptions, MacAlgorithm, MacMechanism } from '../hsm.ts';
import { desMacPadding, resolveMac, type ResolvedMac } from '../shared/mac-mechanism.ts';
import type { Trail } from '../shared/audit-trail.ts';
import { MAX_DATA_BYTES, MIN_MAC_BYTES } from '../software/general-ops.ts';
import { MAC_USAGE } from '../usage-policy.ts';
import { CKM } from './ck.ts';
import type { Pkcs11Core } from './core.ts';
import { blockMechanism } from './held.ts';
import type { TokenKey } from './key-objects.ts';
import { retailMacInToken } from './retail-mac.ts';

function checkData(data: unknown, what: string): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array) || data.length > MAX_DATA_BYTES) throw new HsmError('ERR_HSM_PARAM', `${what}: a Uint8Array of at most ${MAX_DATA_BYTES} bytes`);
}

/** A MAC key loaded and checked; `companion`: the retail MAC's K1 companion object. */
interface MacKey {
  readonly key: TokenKey;
  readonly companion?: Buffer;
}

function macKey(core: Pkcs11Core, id: string, algorithm: MacAlgorithm, verifying: boolean, ctx: OperationContext, trail: Trail): MacKey {
  const key = core.keys.usable(id, verifying ? 'mac-verify' : 'mac-generate', ctx, trail);
  if (key.meta.attributes.usage !== MAC_USAGE[algorithm]) {
    throw new HsmError('ERR_HSM_USAGE', `key ${key.meta.id} (KCV ${key.meta.kcv}, usage ${key.meta.attributes.usage}) is not a ${MAC_USAGE[algorithm]} key, which ${algorithm} needs`);
  }
  if (algorithm !== 'retail-mac') return { key };
  if (key.meta.attributes.length !== 16) throw new HsmError('ERR_HSM_UNSUPPORTED', 'the retail MAC takes a double-length TDES key');
  const companion = core.keys.companion(key);
  if (companion === undefined) {
    throw new HsmError(
      'ERR_HSM_UNSUPPORTED',
      `key ${key.meta.id} (KCV ${key.meta.kcv}) has no retail MAC companion on the token: the token has no ISO 9797-1 MAC algorithm 3 mechanism, the chain needs the key's left half as a single-DES key object, and that object can only be made when the clear key passes through OpenTSM (component or TR-31 import, generation); import the key again that way, or use CMAC (M6)`,
    );
  }
  return { key, companion };
}

function computeMac(core: Pkcs11Core, { key, companion }: MacKey, mac: ResolvedMac, data: Uint8Array): Uint8Array {
  switch (mac.algorithm) {
    case 'iso9797-1-alg1':
      return cbcMacDes(core.keys.held(key), data, { padding: desMacPadding(mac), length: 8 }); // the CBC pass runs in the token
    case 'cmac':
      return core.token.sign({ mechanism: key.meta.attributes.algorithm === 'A' ? CKM.AES_CMAC : CKM.DES3_CMAC }, key.object, data, 16);
    case 'hmac-sha256':
      return core.token.sign({ mechanism: CKM.SHA256_HMAC }, key.object, data, 32);
    case 'retail-mac':
      if (companion === undefined) throw new HsmError('ERR_HSM_UNSUPPORTED', 'the retail MAC needs the key\'s K1 companion');
      return retailMacInToken(core.token, key.object, companion, data, desMacPadding(mac));
  }
}

export function generateMac(core: Pkcs11Core, id: string, data: Uint8Array, mechanism: MacMechanism, ctx: OperationContext, trail: Trail): Uint8Array {
  checkData(data, 'MAC data');
  const mac = resolveMac(mechanism);
  const key = macKey(core, id, mac.algorithm, false, ctx, trail);
  return computeMac(core, key, mac, data);
}

export function verifyMac(core: Pkcs11Core, id: string, data: Uint8Array, mac: Uint8Array, mechanism: MacMechanism, ctx: OperationContext, trail: Trail): boolean {
  checkData(data, 'MAC data');
  if (!(mac instanceof Uint8Array)) throw new HsmError('ERR_HSM_PARAM', 'MAC: expected a Uint8Array');
  const resolved = resolveMac(mechanism);
  const key = macKey(core, id, resolved.algorithm, true, ctx, trail);
  const full = computeMac(core, key, resolved, data);
  const usable = mac.length >= MIN_MAC_BYTES[resolved.algorithm] && mac.length <= full.length;
  const ok = equalCt(usable ? full.subarray(0, mac.length) : full, mac) && usable;
  trail.detail = ok ? 'MAC verified' : 'MAC did not verify';
  return ok;
}

/** D0 data encryption or decryption in the token, ECB or CBC with an explicit IV, no padding. */
export function cipherData(core: Pkcs11Core, id: string, data: Uint8Array, options: DataCipherOptions, direction: 'encrypt' | 'decrypt', ctx: OperationContext, trail: Trail): Uint8Array {
  checkData(data, 'data');
  if (options?.mode !== 'ecb' && options?.mode !== 'cbc') throw new HsmError('ERR_HSM_PARAM', "mode: 'ecb' or 'cbc'");
  const key = core.keys.usable(id, direction === 'encrypt' ? 'data-encrypt' : 'data-decrypt', ctx, trail);
  const algorithm = key.meta.attributes.algorithm;
  if (algorithm !== 'T' && algorithm !== 'A') throw new HsmError('ERR_HSM_UNSUPPORTED', `algorithm ${algorithm} data keys are not supported`);
  const block = algorithm === 'A' ? 16 : 8;
  if (data.length === 0 || data.length % block !== 0) throw new HsmError('ERR_HSM_PARAM', `data: a non-empty multiple of ${block} bytes (no implicit padding)`);
  if (options.mode === 'ecb' && options.iv !== undefined) throw new HsmError('ERR_HSM_PARAM', 'ECB takes no IV');
  if (options.mode === 'cbc' && (!(options.iv instanceof Uint8Array) || options.iv.length !== block)) {
    throw new HsmError('ERR_HSM_PARAM', `CBC needs an explicit ${block}-byte IV`);
  }
  const mechanism = blockMechanism(algorithm === 'A' ? 'aes' : 'tdes', options.mode === 'ecb' ? { mode: 'ecb' } : { mode: 'cbc', iv: options.iv! });
  return direction === 'encrypt' ? core.token.encrypt(mechanism, key.object, data) : core.token.decrypt(mechanism, key.object, data);
}

/** `length` random bytes (1 to 65 536) from the token's generator (C_GenerateRandom). */
export function random(core: Pkcs11Core, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > 65536) throw new HsmError('ERR_HSM_PARAM', 'random length: 1 to 65536 bytes');
  return core.token.random(length).slice();
}
