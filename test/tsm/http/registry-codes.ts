/** Every error code of the layers whose errors can reach a route, for the registry's coverage test. */
import { EMV_ERROR_CODES } from '../../../src/emv/index.ts';
import { HSM_ERROR_CODES } from '../../../src/hsm/index.ts';
import { STORE_ERROR_CODES } from '../../../src/store/index.ts';
import { ERROR_REGISTRY, TSM_ERROR_CODES } from '../../../src/tsm/index.ts';

export { ERROR_REGISTRY };
export const HSM_ERROR_CODES_FOR_TEST = [...TSM_ERROR_CODES, ...HSM_ERROR_CODES, ...STORE_ERROR_CODES, ...EMV_ERROR_CODES] as const;
