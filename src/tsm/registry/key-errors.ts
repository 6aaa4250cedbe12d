/**
 * HSM refusals of what a request carried (a bad key block, a key of the wrong kind) as request
 * errors naming the field, so a bulk answer can say which field of which item was wrong. Outages
 * and every other HSM code pass through unchanged (503, 404…).
 */
import { HsmError } from '../../hsm/index.ts';
import { TsmError } from '../errors.ts';

const AS_FIELD_ERROR: Readonly<Record<string, string>> = {
  ERR_HSM_KEY_BLOCK: 'not a valid key block under the KBPK',
  ERR_HSM_USAGE: 'a key that may not be used for this',
  ERR_HSM_KCV: 'the key check value does not match',
  ERR_HSM_PARAM: 'not valid for this operation',
  ERR_HSM_WEAK_KEY: 'a weak key',
};

/** Runs `op`; an HSM refusal of the request's data becomes ERR_TSM_REQUEST naming `field`. */
export async function forField<T>(field: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (error) {
    const text = error instanceof HsmError ? AS_FIELD_ERROR[error.code] : undefined;
    if (text === undefined) throw error;
    throw new TsmError('ERR_TSM_REQUEST', `${field}: ${text}`, { cause: error });
  }
}
