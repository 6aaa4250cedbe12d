/**
 * MNO notifications in (GPS_SPE_002 SELifeCycleNotification and MobileSubscriptionLifeCycleNotification;
 * research/tsm.md §1.3–1.5). Each is recorded (se_notifications) together with the change it makes,
 * in one transaction; the hooks run after the commit (hooks.ts).
 *
 * - HandleSEStatusChangeNotification {seId, newStatus, reason?}: SUSPENDED → `stolen` (reason 21
 *   Theft), `lost` (22 Lost, 23 Lost-or-Theft) or `locked` (others, e.g. 11 NFC suspended);
 *   ACTIVATED → `active` (e.g. 121 Recovered, 111 NFC restored); TERMINATED → `terminated`, final.
 * - HandleMobileSubscriptionStatusChangeNotification {subscriptionId, newStatus, reason?}: the
 *   subscription's status (TERMINATED ends it); reasons 21/22/23 also mark its SE stolen/lost and 121
 *   Recovered makes a lost or stolen SE active again.
 * - HandleSERenewalNotification {oldSeId, newSeId} — SE renewal and SIM swap, the number moving to a
 *   new SIM: the old SE's live subscriptions move to the new SE (registered, active, same MNO) and
 *   the old SE becomes `terminated`.
 * - HandleSEMobileSubscriptionChangedNotification {seId, newMsisdn} — same SE, new subscription
 *   (number change or port): the SE's live subscriptions end, a new one starts.
 * - HandleSEDeviceChangedNotification {seId, oldDeviceProfileId?, newDeviceProfileId?} — handset
 *   change: recorded, `deviceChanged` hook.
 */
import { randomUUID } from 'node:crypto';
import {
  getSecureElement, inRegistryTransaction, insertSeNotification, liveSubscriptionsOf, updateSecureElementStatus, updateSubscription, type StoreDb,
} from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import type { TenantMacKeys } from '../http/tenant-keys.ts';
import type { SecureElementStatus } from '../model.ts';
import type { RegistryContext } from './context.ts';
import type { RegistryHooks, SeReplacement, SeStatusChange } from './hooks.ts';
import { insertLiveSubscription, mnoSubscription, msisdnHash, type SubscriptionStatus } from './subscriptions.ts';
import { changeSeMsisdn } from './se-ota.ts';
import { findSecureElement } from './secure-elements.ts';

/** GP SEStatusChangeReasonType / MobileSubscriptionStatusChangeReasonType codes we act on (research/tsm.md §1.4). */
export const GP_REASONS = { nfcSuspended: 11, theft: 21, lost: 22, lostOrTheft: 23, nfcRestored: 111, recovered: 121 } as const;

/** The SE status a SUSPENDED notification leads to, by reason (others: `locked`). */
const SUSPENDED_BY_REASON: Readonly<Record<number, SecureElementStatus>> = { 21: 'stolen', 22: 'lost', 23: 'lost' };

export const NOTIFICATION_KINDS = [
  'HandleSEStatusChangeNotification',
  'HandleMobileSubscriptionStatusChangeNotification',
  'HandleSERenewalNotification',
  'HandleSEMobileSubscriptionChangedNotification',
  'HandleSEDeviceChangedNotification',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export type MnoNotification =
  | { readonly kind: 'HandleSEStatusChangeNotification'; readonly seId: string; readonly newStatus: 'SUSPENDED' | 'ACTIVATED' | 'TERMINATED'; readonly reason?: number }
  | { readonly kind: 'HandleMobileSubscriptionStatusChangeNotification'; readonly subscriptionId: string; readonly newStatus: 'SUSPENDED' | 'ACTIVATED' | 'RESTRICTED' | 'TERMINATED'; readonly reason?: number }
  | { readonly kind: 'HandleSERenewalNotification'; readonly oldSeId: string; readonly newSeId: string }
  | { readonly kind: 'HandleSEMobileSubscriptionChangedNotification'; readonly seId: string; readonly newMsisdn: string }
  | { readonly kind: 'HandleSEDeviceChangedNotification'; readonly seId: string; readonly oldDeviceProfileId?: string; readonly newDeviceProfileId?: string };

/** What the MNO gets back (202): the notification's id and the SE it affected, with its status now. */
export interface NotificationOutcome {
  readonly notificationId: string;
  readonly seId: string;
  readonly seStatus: SecureElementStatus;
  /** The new subscription (HandleSEMobileSubscriptionChangedNotification). */
  readonly subscription?: { readonly subscriptionId: string; readonly alias: string };
}

/** The SE status an SE status notification asks for. */
function targetOfSeStatus(newStatus: 'SUSPENDED' | 'ACTIVATED' | 'TERMINATED', reason: number | undefined): SecureElementStatus {
  if (newStatus === 'TERMINATED') return 'terminated';
  if (newStatus === 'ACTIVATED') return 'active';
  return (reason === undefined ? undefined : SUSPENDED_BY_REASON[reason]) ?? 'locked';
}

/** The SE status a subscription notification implies, or undefined when the SE is not affected. */
function targetOfSubscription(reason: number | undefined, current: SecureElementStatus): SecureElementStatus | undefined {
  if (reason !== undefined && SUSPENDED_BY_REASON[reason] !== undefined) return SUSPENDED_BY_REASON[reason];
  if (reason === GP_REASONS.recovered && (current === 'lost' || current === 'stolen')) return 'active';
  return undefined;
}

const SUBSCRIPTION_STATUS: Readonly<Record<string, SubscriptionStatus>> = { SUSPENDED: 'suspended', ACTIVATED: 'active', RESTRICTED: 'restricted', TERMINATED: 'ended' };

interface Work {
  seId: string;
  seStatus: SecureElementStatus;
  changes: SeStatusChange[];
  replacement?: SeReplacement;
  subscription?: { subscriptionId: string; alias: string };
}

/** What a handler gets besides the notification: values computed before the transaction (HSM calls). */
interface Prepared {
  readonly id: string;
  readonly msisdnHash?: string;
}

async function seOf(db: StoreDb, rc: RegistryContext, seId: string, field: string): Promise<SecureElementStatus> {
  const row = await getSecureElement(db, seId, rc.ctx.tenant);
  if (row === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', `${field}: no such secure element`);
  return row.status as SecureElementStatus;
}

/** Moves the SE to `to` (terminated is final); records the change for the hook. */
async function moveSe(db: StoreDb, rc: RegistryContext, w: Work, seId: string, from: SecureElementStatus, to: SecureElementStatus, base: Omit<SeStatusChange, 'seId' | 'from' | 'to' | 'mno'>): Promise<void> {
  if (from === 'terminated' && to !== 'terminated') throw new TsmError('ERR_TSM_STATE', 'seId: the secure element is terminated');
  if (from !== to && !(await updateSecureElementStatus(db, seId, from, to, rc.now().toISOString()))) {
    throw new TsmError('ERR_TSM_CONFLICT', 'seId: the status changed concurrently; send the notification again');
  }
  w.changes.push({ seId, mno: rc.ctx.tenant, from, to, ...base });
  if (seId === w.seId) w.seStatus = to;
}

type Handler<K extends NotificationKind> = (db: StoreDb, rc: RegistryContext, n: Extract<MnoNotification, { kind: K }>, p: Prepared) => Promise<Work>;

const HANDLERS: { readonly [K in NotificationKind]: Handler<K> } = {
  HandleSEStatusChangeNotification: async (db, rc, n, { id }) => {
    const from = await seOf(db, rc, n.seId, 'seId');
    const w: Work = { seId: n.seId, seStatus: from, changes: [] };
    await moveSe(db, rc, w, n.seId, from, targetOfSeStatus(n.newStatus, n.reason), { kind: n.kind, notificationId: id, ...(n.reason === undefined ? {} : { reason: n.reason }) });
    return w;
  },
  HandleMobileSubscriptionStatusChangeNotification: async (db, rc, n, { id }) => {
    const sub = await mnoSubscription({ ...rc, db }, n.subscriptionId);
    if (sub.ended_at !== null) throw new TsmError('ERR_TSM_STATE', 'subscriptionId: the subscription has ended');
    const status = SUBSCRIPTION_STATUS[n.newStatus]!;
    await updateSubscription(db, sub.id, { status, ended: status === 'ended', at: rc.now().toISOString() });
    const from = await seOf(db, rc, sub.se_id, 'subscriptionId');
    const w: Work = { seId: sub.se_id, seStatus: from, changes: [] };
    const to = targetOfSubscription(n.reason, from);
    if (to !== undefined) await moveSe(db, rc, w, sub.se_id, from, to, { kind: n.kind, notificationId: id, ...(n.reason === undefined ? {} : { reason: n.reason }) });
    return w;
  },
  HandleSERenewalNotification: async (db, rc, n, { id }) => {
    if (n.oldSeId === n.newSeId) throw new TsmError('ERR_TSM_REQUEST', 'newSeId: the same as oldSeId');
    const from = await seOf(db, rc, n.oldSeId, 'oldSeId');
    const target = await seOf(db, rc, n.newSeId, 'newSeId');
    if (target !== 'active') throw new TsmError('ERR_TSM_STATE', 'newSeId: the secure element is not active');
    const at = rc.now().toISOString();
    const moved = await liveSubscriptionsOf(db, n.oldSeId);
    for (const s of moved) await updateSubscription(db, s.id, { status: s.status, seId: n.newSeId, at });
    const w: Work = { seId: n.oldSeId, seStatus: from, changes: [], replacement: { mno: rc.ctx.tenant, oldSeId: n.oldSeId, newSeId: n.newSeId, subscriptionIds: moved.map((s) => s.id), notificationId: id } };
    await moveSe(db, rc, w, n.oldSeId, from, 'terminated', { kind: n.kind, notificationId: id });
    return w;
  },
  HandleSEMobileSubscriptionChangedNotification: async (db, rc, n, p) => {
    const status = await seOf(db, rc, n.seId, 'seId');
    const at = rc.now().toISOString();
    for (const s of await liveSubscriptionsOf(db, n.seId)) await updateSubscription(db, s.id, { status: 'ended', ended: true, at });
    const subscription = await insertLiveSubscription({ ...rc, db }, p.msisdnHash!, n.seId);
    return { seId: n.seId, seStatus: status, changes: [], subscription };
  },
  HandleSEDeviceChangedNotification: async (db, rc, n) => {
    const status = await seOf(db, rc, n.seId, 'seId');
    return { seId: n.seId, seStatus: status, changes: [] };
  },
};

/** The notification's fields worth keeping beside the row (never an MSISDN). */
function detailOf(n: MnoNotification): string {
  const detail: Record<string, unknown> = { ...n };
  delete detail['kind'];
  delete detail['newMsisdn'];
  return JSON.stringify(detail);
}

/** Records `n`, applies it and runs the hooks; ERR_TSM_NOT_FOUND for another MNO's SE or subscription. */
export async function handleNotification(rc: RegistryContext, keys: TenantMacKeys, n: MnoNotification, hooks?: RegistryHooks): Promise<NotificationOutcome> {
  const id = `ntf_${randomUUID()}`;
  const handler = HANDLERS[n.kind] as Handler<NotificationKind>;
  const prepared: Prepared = n.kind === 'HandleSEMobileSubscriptionChangedNotification' ? { id, msisdnHash: await msisdnHash(rc, keys, n.newMsisdn) } : { id };
  const w = await inRegistryTransaction(rc.db, async (trx) => {
    const work = await handler(trx, { ...rc, db: trx }, n, prepared);
    const change = work.changes[0];
    await insertSeNotification(trx, {
      id, mno: rc.ctx.tenant, kind: n.kind, se_id: work.seId, reason: 'reason' in n && n.reason !== undefined ? n.reason : null,
      from_status: change?.from ?? null, to_status: change?.to ?? null, detail: detailOf(n), received_at: rc.now().toISOString(),
    });
    return work;
  });
  // the new number is where the SE's OTA trigger SMS go now (sealed again; the old one's key destroyed)
  if (n.kind === 'HandleSEMobileSubscriptionChangedNotification' && (await findSecureElement(rc.db, n.seId))?.ota?.msisdn !== undefined) {
    await changeSeMsisdn(rc, n.seId, n.newMsisdn);
  }
  if (hooks !== undefined) {
    for (const change of w.changes) await hooks.seStatusChanged(change);
    if (w.replacement !== undefined && hooks.seReplaced !== undefined) await hooks.seReplaced(w.replacement);
    if (n.kind === 'HandleSEDeviceChangedNotification' && hooks.deviceChanged !== undefined) {
      await hooks.deviceChanged({
        mno: rc.ctx.tenant, seId: n.seId, notificationId: id,
        ...(n.oldDeviceProfileId === undefined ? {} : { oldDeviceProfileId: n.oldDeviceProfileId }),
        ...(n.newDeviceProfileId === undefined ? {} : { newDeviceProfileId: n.newDeviceProfileId }),
      });
    }
  }
  return { notificationId: id, seId: w.seId, seStatus: w.seStatus, ...(w.subscription === undefined ? {} : { subscription: w.subscription }) };
}
