/**
 * What the registry tells the rest of the service when an MNO notification changes something
 * (research/tsm.md §5 R5, §6.2: fan out to every SP with an instance on the SE — lock on lost or
 * stolen, unlock on recovery, redeploy after renewal). The lead's provisioning side implements it;
 * without hooks the registry still records every notification.
 *
 * Hooks are awaited after the change is committed. A hook that throws makes the request fail (5xx)
 * with the change kept; the MNO's retry of the same notification calls the hook again (with
 * `from === to` when the status had already moved), so hooks must be idempotent.
 */
import type { SecureElementStatus } from '../model.ts';

/** An SE's status moved (or a repeated notification re-announces it: `from === to`). */
export interface SeStatusChange {
  readonly seId: string;
  readonly mno: string;
  readonly from: SecureElementStatus;
  readonly to: SecureElementStatus;
  /** The GP reason code (SEStatusChangeReasonType / MobileSubscriptionStatusChangeReasonType), when given. */
  readonly reason?: number;
  /** The GP function of the notification (e.g. `HandleSEStatusChangeNotification`). */
  readonly kind: string;
  readonly notificationId: string;
}

/** A subscription moved from one SE to another (SE renewal / SIM swap). */
export interface SeReplacement {
  readonly mno: string;
  readonly oldSeId: string;
  readonly newSeId: string;
  readonly subscriptionIds: readonly string[];
  readonly notificationId: string;
}

/** The handset around an SE changed (HandleSEDeviceChangedNotification). */
export interface DeviceChange {
  readonly mno: string;
  readonly seId: string;
  readonly oldDeviceProfileId?: string;
  readonly newDeviceProfileId?: string;
  readonly notificationId: string;
}

export interface RegistryHooks {
  seStatusChanged(change: SeStatusChange): Promise<void>;
  seReplaced?(replacement: SeReplacement): Promise<void>;
  deviceChanged?(change: DeviceChange): Promise<void>;
}
