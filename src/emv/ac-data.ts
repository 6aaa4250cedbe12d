/**
 * The cryptogram input of a CVN profile: its data elements concatenated in order, each checked
 * against the length the profile gives (EMV Book 2 §8.1.1; the elements are the profile's data).
 */
import { concat } from '../bytes/index.ts';
import { assertEmvBytes } from './assert.ts';
import type { CvnProfile } from './cvn-profiles.ts';
import { EmvError } from './errors.ts';

/**
 * Concatenates `values[id]` for every element of `profile.acData`. Each value must be present and of
 * the element's length (any length for the whole IAD, 9F10).
 * @example assembleAcData(CVN_PROFILES['visa-10'], { '9F02': amount, …, CVR: cvr })
 */
export function assembleAcData(profile: CvnProfile, values: Readonly<Record<string, Uint8Array>>): Uint8Array {
  const elements: unknown = profile?.acData;
  if (!Array.isArray(elements)) throw new EmvError('ERR_EMV_PARAM', 'cryptogram data: expected a CVN profile');
  if (typeof values !== 'object' || values === null) throw new EmvError('ERR_EMV_INPUT', 'cryptogram data: expected an object of element values');
  const parts = profile.acData.map((element) => {
    const value = Object.hasOwn(values, element.id) ? values[element.id] : undefined;
    if (value === undefined) throw new EmvError('ERR_EMV_INPUT', `cryptogram data: element ${element.id} is missing`);
    assertEmvBytes(value, element.length === null ? undefined : [element.length], `cryptogram data element ${element.id}`);
    return value;
  });
  return concat(...parts);
}
