/**
 * Checks an AuthorizationRequest as it arrives (from a terminal in process, the CLI or HTTP) and
 * assembles the cryptogram input of the card's CVN profile from it (EMV Book 2 §8.1.1): the
 * terminal's elements, the card's AIP and ATC, and the IAD slices the profile covers.
 */
import { CVN_PROFILES, EmvError, assembleAcData, iadElements, type AuthorizationRequest, type CvnProfileId } from '../../emv/index.ts';
import { TsmError } from '../errors.ts';
import { assertPanPsn } from './pan-index.ts';

/** Most data elements a request may carry (the cryptogram input needs eleven). */
const MAX_ELEMENTS = 32;

/** Throws ERR_TSM_REQUEST unless `request` has the shape of an AuthorizationRequest; values never echoed. */
export function assertAuthorizationRequest(request: unknown): asserts request is AuthorizationRequest {
  if (typeof request !== 'object' || request === null) throw new TsmError('ERR_TSM_REQUEST', 'authorization: expected an object');
  const r = request as Record<string, unknown>;
  assertPanPsn(r['pan'], r['psn']);
  if (!(r['cryptogram'] instanceof Uint8Array) || r['cryptogram'].length !== 8) throw new TsmError('ERR_TSM_REQUEST', 'cryptogram: expected 8 bytes (9F26)');
  if (typeof r['cid'] !== 'number' || !Number.isInteger(r['cid']) || r['cid'] < 0 || r['cid'] > 0xff) throw new TsmError('ERR_TSM_REQUEST', 'cid: expected one byte (9F27)');
  const data = r['data'];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new TsmError('ERR_TSM_REQUEST', 'data: expected an object of tag → bytes');
  const entries = Object.entries(data);
  if (entries.length > MAX_ELEMENTS) throw new TsmError('ERR_TSM_REQUEST', `data: at most ${MAX_ELEMENTS} elements`);
  for (const [tag, value] of entries) {
    if (!/^[0-9A-F]{2,4}$/.test(tag)) throw new TsmError('ERR_TSM_REQUEST', 'data: keys must be upper-case hex tags');
    if (!(value instanceof Uint8Array) || value.length > 64) throw new TsmError('ERR_TSM_REQUEST', `data ${tag}: expected at most 64 bytes`);
  }
}

/** The transaction as the issuer verifies it. */
export interface AssembledTransaction {
  readonly acData: Uint8Array;
  readonly atc: Uint8Array;
  readonly unpredictableNumber: Uint8Array | undefined;
}

/**
 * The cryptogram input of `profile` from the request's data, or undefined when an element is missing
 * or of the wrong length, or the IAD is not the profile's (a decline for data-invalid, not an error).
 */
export function assembleTransaction(profileId: CvnProfileId, request: AuthorizationRequest): AssembledTransaction | undefined {
  const profile = CVN_PROFILES[profileId];
  const iad = request.data['9F10'];
  const atc = request.data['9F36'];
  if (iad === undefined || atc === undefined || atc.length !== 2) return undefined;
  try {
    const acData = assembleAcData(profile, { ...request.data, ...iadElements(profile, iad) });
    return { acData, atc, unpredictableNumber: request.data['9F37'] };
  } catch (e) {
    if (e instanceof EmvError) return undefined;
    throw e;
  }
}
