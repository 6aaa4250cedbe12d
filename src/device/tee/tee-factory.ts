/**
 * TEE manufacture (the factory line, before the phone ships): the TEE gets an id and generates its
 * own key-block protection key (KBPK, AES-128), kept in its secure storage. The KBPK leaves only as
 * a TR-31 key block (ANSI X9.143 version D, usage K1, mode B) under the key-injection KEK the
 * factory shares with the issuer's HSM from a key ceremony (ANSI X9.24-1 key injection): the
 * issuer imports that block to wrap keys for this TEE. Runs in the platform's process on the TEE's
 * storage directory before the TEE boots (startTee), as a factory writes a device before it ships.
 */
import { randomUUID } from 'node:crypto';
import { toHex, wipe } from '../../bytes/index.ts';
import { kcv, randomBytes, wrapKeyBlock } from '../../crypto/index.ts';
import { DeviceError } from '../errors.ts';
import { TEEC_RESULT } from './teec.ts';
import { TEE_ID_PATTERN, TeeStorage } from './tee-storage.ts';

export interface ManufactureOptions {
  /** The TEE's storage directory (created). */
  readonly storageDir: string;
  /** The key-injection KEK (AES-128/192/256) the issuer's HSM also holds (usage K1). */
  readonly kifKek: Uint8Array;
  /** Default: `tee-<uuid>`. */
  readonly teeId?: string;
}

export interface ManufacturedTee {
  readonly teeId: string;
  /** The KBPK as a TR-31 block under the KIF KEK, for `POST /v1/issuer/tee-enrollments`. */
  readonly kbpkBlock: string;
  /** The KBPK's KCV (AES-CMAC, X9.24-1), hex. */
  readonly kbpkKcv: string;
}

/**
 * Manufactures a TEE in `storageDir`: refuses a directory that already holds a TEE (BAD_STATE).
 * @example const { teeId, kbpkBlock } = manufactureTee({ storageDir, kifKek })
 */
export function manufactureTee(options: ManufactureOptions): ManufacturedTee {
  const storage = new TeeStorage(options.storageDir);
  if (storage.read('identity') !== undefined) throw new DeviceError('ERR_DEVICE_TEE', 'TEE manufacture: this storage already holds a TEE', { teecResult: TEEC_RESULT.ERROR_BAD_STATE });
  const teeId = options.teeId ?? `tee-${randomUUID()}`;
  if (!TEE_ID_PATTERN.test(teeId)) throw new DeviceError('ERR_DEVICE_PARAM', 'TEE id: letters, digits, ., _ or -, 1 to 64 characters');
  const kbpk = randomBytes(16);
  try {
    // X9.143 §6.3: K1 = key block protection key, A = AES, B = wrap and unwrap, N = not exportable again
    const kbpkBlock = wrapKeyBlock(options.kifKek, kbpk, { header: { version: 'D', usage: 'K1', algorithm: 'A', modeOfUse: 'B', exportability: 'N' } });
    storage.write('identity', { teeId, kbpk: toHex(kbpk) });
    return { teeId, kbpkBlock, kbpkKcv: toHex(kcv(kbpk, 'aes-cmac')) };
  } finally {
    wipe(kbpk);
  }
}
