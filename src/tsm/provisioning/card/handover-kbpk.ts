/**
 * The key-block protection key an MNO and an SP share for SSD key handover (TR-31, usage K1),
 * established once by a ceremony in both tenants with the same value: labelled `handover:<sp>` in
 * the MNO tenant and `handover:<mno>` in the SP tenant, each naming the other side.
 */
import type { Hsm, OperationContext } from '../../../hsm/index.ts';
import { TsmError } from '../../errors.ts';

/** The label of the handover KBPK in `ownTenant`'s HSM space, for the partner `otherTenant`. */
export function handoverKbpkLabel(otherTenant: string): string {
  return `handover:${otherTenant}`;
}

/**
 * The id of the one active K1 key labelled `handover:<otherTenant>` of `ctx.tenant` (one `listKeys`
 * call). None, or more than one, is ERR_TSM_CONFIG: the ceremony is missing or ambiguous.
 */
export async function findHandoverKbpk(hsm: Hsm, ctx: OperationContext, otherTenant: string): Promise<string> {
  if (typeof otherTenant !== 'string' || otherTenant.length === 0) throw new TsmError('ERR_TSM_REQUEST', 'handover: the partner tenant is required');
  const label = handoverKbpkLabel(otherTenant);
  const keys = (await hsm.listKeys({ usage: 'K1', label }, ctx)).filter((k) => k.status === 'active');
  if (keys.length !== 1) {
    throw new TsmError('ERR_TSM_CONFIG', `handover KBPK "${label}" of tenant ${ctx.tenant}: ${keys.length === 0 ? 'none' : `${keys.length} active keys`}; one is established by a key ceremony`);
  }
  return keys[0]!.id;
}
