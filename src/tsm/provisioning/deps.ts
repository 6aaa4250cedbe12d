/**
 * What provisioning needs from the rest of the service (docs/provisioning.md): the store, the HSM,
 * the bearers that reach SEs, the registry (MNO side) and the catalog (SP side), the clock. Given
 * as lookups so this folder depends on the records of model.ts, not on how they are stored.
 */
import type { Hsm, OperationContext } from '../../hsm/index.ts';
import type { StoreDb } from '../../store/index.ts';
import type { CardBearer, SecureElementRecord, ServiceRecord } from '../model.ts';

export interface ProvisioningDeps {
  readonly db: StoreDb;
  readonly hsm: Hsm;
  readonly bearer: CardBearer;
  /** The SE `seId` as the MNO registered it, or undefined. */
  secureElement(seId: string): Promise<SecureElementRecord | undefined>;
  /** The service `serviceId` (of any SP: callers check the tenant), or undefined. */
  service(serviceId: string): Promise<ServiceRecord | undefined>;
  /** The HSM key id of `ctx.tenant`'s PAN-index key (the issuer's card lookup). */
  panIndexKey(ctx: OperationContext): Promise<string>;
  readonly now: () => Date;
  /** Told when an instance's state changed (after the store has it): the SP's `instance.state` webhook. */
  readonly onInstanceState?: (sp: string, instanceId: string, state: string) => void;
}

/** The operation context of a job's work for `tenant` (MNO for the ISD, SP for its SSD and keys). */
export function jobContext(tenant: string, jobId: string): OperationContext {
  return { tenant, actor: `job:${jobId}`, requestId: jobId };
}
