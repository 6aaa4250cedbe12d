/**
 * What every provisioning step reads first (docs/provisioning.md): the instance, its service and
 * the flavour for the SE's platform, the SE, and the SP's Security Domain on it when made. Read from
 * the store at each step, so a resumed job sees exactly what the store holds.
 */
import { fromHex } from '../../bytes/index.ts';
import { getServiceInstance, getSpSecurityDomain, type StoredServiceInstance, type StoredSpSecurityDomain } from '../../store/index.ts';
import type { OperationContext } from '../../hsm/index.ts';
import { TsmError } from '../errors.ts';
import type { SecureElementRecord, ServiceFlavour, ServiceRecord } from '../model.ts';
import { jobContext, type ProvisioningDeps } from './deps.ts';

export interface InstanceContext {
  readonly instance: StoredServiceInstance;
  readonly service: ServiceRecord;
  readonly flavour: ServiceFlavour;
  readonly se: SecureElementRecord;
  readonly aid: Uint8Array;
  readonly ssdAid: Uint8Array;
  /** The SP's SSD on this SE once taken over. */
  readonly ssd: StoredSpSecurityDomain | undefined;
  /** HSM contexts: the MNO's (ISD keys) and the SP's (SSD, issuer keys). */
  readonly mnoCtx: OperationContext;
  readonly spCtx: OperationContext;
}

/** The flavour of `service` for an SE of `platform`, or undefined. */
export function flavourFor(service: ServiceRecord, platform: string): ServiceFlavour | undefined {
  return service.flavours.find((f) => f.platform === platform);
}

/** Loads the context of instance `instanceId` for job `jobId`; ERR_TSM_STATE when a record is gone. */
export async function loadInstanceContext(deps: ProvisioningDeps, instanceId: string, jobId: string): Promise<InstanceContext> {
  const instance = await getServiceInstance(deps.db, instanceId);
  if (instance === undefined) throw new TsmError('ERR_TSM_STATE', `instance ${instanceId} is not in the store`);
  const service = await deps.service(instance.serviceId);
  if (service === undefined || service.sp !== instance.sp) throw new TsmError('ERR_TSM_STATE', `service ${instance.serviceId} of instance ${instanceId} is gone`);
  const se = await deps.secureElement(instance.seId);
  if (se === undefined) throw new TsmError('ERR_TSM_STATE', `SE ${instance.seId} is no longer registered`);
  const flavour = flavourFor(service, se.platform);
  if (flavour === undefined) throw new TsmError('ERR_TSM_STATE', `service ${service.serviceId} has no flavour for platform ${se.platform}`);
  const ssd = await getSpSecurityDomain(deps.db, se.seId, flavour.ssd.aid.toUpperCase());
  return {
    instance, service, flavour, se, aid: fromHex(instance.aid, 'instance aid'), ssdAid: fromHex(flavour.ssd.aid, 'flavour ssd aid'),
    ssd: ssd !== undefined && ssd.sp === instance.sp ? ssd : undefined,
    mnoCtx: jobContext(se.mno, jobId), spCtx: jobContext(instance.sp, jobId),
  };
}
