/**
 * Job engine events as webhooks (docs/webhooks.md §5; docs/jobs.md): started → job.started;
 * step-started, step-done and waiting → job.progress; ended → job.<end state>. The data is the job's
 * id, kind, attempt, state and step — never its SE id, parameters, payload or result.
 */
import type { JobEvent } from '../jobs/index.ts';
import type { WebhookDispatcher } from './dispatcher.ts';
import type { WebhookData, WebhookEventType } from './types.ts';

const ENDED: Readonly<Record<string, WebhookEventType>> = {
  succeeded: 'job.succeeded', failed: 'job.failed', expired: 'job.expired', terminated: 'job.terminated',
};

/** The webhook of a job event, or undefined for an event no webhook reports. */
export function webhookOfJobEvent(event: JobEvent): { readonly tenant: string; readonly type: WebhookEventType; readonly data: WebhookData } | undefined {
  const base = { jobId: event.job.id, kind: event.job.kind, attempt: event.job.attempt, at: event.at };
  const step = event.step ?? null;
  switch (event.type) {
    case 'started':
      return { tenant: event.job.tenant, type: 'job.started', data: { ...base, state: 'running', step } };
    case 'step-started':
    case 'step-done':
    case 'waiting':
      return { tenant: event.job.tenant, type: 'job.progress', data: { ...base, state: event.type === 'waiting' ? 'waiting' : 'running', step, progress: event.type } };
    case 'ended': {
      const type = event.state === undefined ? undefined : ENDED[event.state];
      return type === undefined ? undefined : { tenant: event.job.tenant, type, data: { ...base, state: event.state ?? null } };
    }
    default:
      return undefined;
  }
}

/**
 * A `JobEngineOptions.onEvent` hook that enqueues each event's webhook; a failure to persist one
 * goes to `onError` (the engine's own change is already committed and is not undone).
 * @example new JobEngine({ db, kinds, onEvent: jobEventHook(dispatcher, (e) => log.error(e)) })
 */
export function jobEventHook(dispatcher: WebhookDispatcher, onError: (error: unknown) => void = () => undefined): (event: JobEvent) => void {
  return (event) => {
    const hook = webhookOfJobEvent(event);
    if (hook !== undefined) dispatcher.enqueue(hook.tenant, hook.type, hook.data).catch(onError);
  };
}
