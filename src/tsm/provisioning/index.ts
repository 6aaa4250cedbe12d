/**
 * tsm/provisioning: the deploy, lock, unlock and terminate jobs on SEs (docs/provisioning.md) over
 * the card operations of card/ (SSD creation with key handover, install, personalization, access
 * rule), the registry mirror, and the SP-facing ProvisioningService.
 */
export { CardLinks, CardLink } from './card-access.ts';
export { DEPLOY_KIND, UPDATE_PERSONALIZATION_KIND, deployKind, updatePersonalizationKind } from './deploy-kind.ts';
export { LOCK_KIND, UNLOCK_KIND, TERMINATE_KIND, lockKind, unlockKind, terminateKind } from './lifecycle-kinds.ts';
export {
  ProvisioningService, provisioningKinds, instanceIdFor, type InstanceOperation, type EligibilityCheck,
} from './provisioning-service.ts';
export { encodeCardPayload, decodeCardPayload, type DeployParams, type InstanceJobParams } from './deploy-request.ts';
export { mirrorEntries, refreshMirror, reconcile, type MirrorDifference } from './mirror.ts';
export { jobContext, type ProvisioningDeps } from './deps.ts';
export { flavourFor } from './deploy-context.ts';
export { SE_AUDIT_KIND, seAuditKind } from './audit-kind.ts';
