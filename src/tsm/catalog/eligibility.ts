/**
 * Preliminary eligibility of an SE for a service (GPS_SPE_002 `CheckGlobalEligibility`, v2.1;
 * research/tsm.md §1.3, §1.6, §6.3): the SE is known and active, the service has a flavour for its
 * platform, and its subscription is active. The card-level checks (free memory, an instance already
 * there) are the deploy job's: it calls this first, and the full check always runs at deploy time.
 */
import { liveSubscriptionsOf, type StoreDb } from '../../store/index.ts';
import type { ResolvedSubscription } from '../registry/index.ts';
import type { SecureElementRecord, ServiceFlavour, ServiceRecord } from '../model.ts';

/** Why an SE is not eligible (stable codes, as the SP sees them). */
export const NON_ELIGIBILITY_REASONS = [
  'se-unknown', 'se-locked', 'se-lost', 'se-stolen', 'se-terminated', 'no-flavour-for-platform', 'subscription-unknown', 'subscription-not-active', 'no-subscription',
] as const;
export type NonEligibilityReason = (typeof NON_ELIGIBILITY_REASONS)[number];

export interface Eligibility {
  readonly eligible: boolean;
  readonly reasons: readonly NonEligibilityReason[];
  /** The flavour a deploy would use, when there is one. */
  readonly flavour?: ServiceFlavour;
}

/**
 * Whether `service` may be deployed to `se`: every reason that stands in the way, not only the
 * first. `subscription`, when the SP named the SE by alias, is the one checked; otherwise the SE's
 * live subscriptions must include an active one.
 */
export async function checkEligibility(db: StoreDb, service: ServiceRecord, se: SecureElementRecord, subscription?: ResolvedSubscription): Promise<Eligibility> {
  const reasons: NonEligibilityReason[] = [];
  if (se.status !== 'active') reasons.push(`se-${se.status}`);
  const flavour = service.flavours.find((f) => f.platform === se.platform);
  if (flavour === undefined) reasons.push('no-flavour-for-platform');
  if (subscription !== undefined) {
    if (subscription.status !== 'active') reasons.push('subscription-not-active');
  } else {
    const live = await liveSubscriptionsOf(db, se.seId);
    if (live.length === 0) reasons.push('no-subscription');
    else if (!live.some((s) => s.status === 'active')) reasons.push('subscription-not-active');
  }
  return { eligible: reasons.length === 0, reasons, ...(flavour === undefined ? {} : { flavour }) };
}
