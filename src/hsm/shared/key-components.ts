/**
 * Forming a key from custodians' clear components (dual control; research/hsm-emv.md §1.1 "form
 * key from components"), the same rules on every backend: 2 or 3 components, each typed by a
 * different authenticated custodian and checked against the KCV on that custodian's form; the key
 * is their XOR, TDES keys get odd parity (FIPS 46-3: DES ignores the parity bits, so KCVs and
 * cryptograms do not change), weak results are refused.
 */
import { wipe, xor } from '../../bytes/index.ts';
import { withOddParity } from '../../emv/index.ts';
import type { KeyComponentInput } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { KeyAttributes } from '../key-attributes.ts';
import type { Trail } from './audit-trail.ts';
import type { CustodianRegistry } from './custodians.ts';
import { assertNotWeak, checkKcv } from './key-check.ts';
import { isList } from './key-spec.ts';

/**
 * The key the components form, as a fresh array the caller wipes (HOST MEMORY from here until the
 * caller has stored or created it). The caller's component arrays are left as they are.
 */
export async function keyFromComponents(custodians: CustodianRegistry, attributes: KeyAttributes, components: readonly KeyComponentInput[], trail: Trail): Promise<Uint8Array> {
  if (!isList<KeyComponentInput>(components) || components.length < 2 || components.length > 3) {
    throw new HsmError('ERR_HSM_DUAL_CONTROL', 'a key is formed from 2 or 3 components');
  }
  const names = await custodians.authenticateDistinct(components.map((c) => c?.credential), 2);
  trail.detail = `custodians: ${names.join(', ')}`;
  components.forEach((c, i) => {
    const what = `component ${i + 1} (custodian ${names[i]})`;
    if (!(c.component instanceof Uint8Array) || c.component.length !== attributes.length) {
      throw new HsmError('ERR_HSM_PARAM', `${what}: expected ${attributes.length} bytes`);
    }
    checkKcv(attributes.algorithm, c.component, c.kcv, what);
  });
  let raw: Uint8Array = components[0]!.component.slice();
  for (const c of components.slice(1)) {
    const next = xor(raw, c.component);
    wipe(raw);
    raw = next;
  }
  const key = attributes.algorithm === 'T' ? withOddParity(raw) : raw;
  if (key !== raw) wipe(raw);
  try {
    assertNotWeak(attributes.algorithm, key, 'the key formed from the components');
  } catch (e) {
    wipe(key);
    throw e;
  }
  return key;
}
