/**
 * A job's outcome in GPS_SPE_002 terms (research/tsm.md §1.4, ExecutionStatusType): what the
 * HTTP layer and webhooks report. `Status` is EXECUTED_SUCCESS, FAILED or EXPIRED; the
 * StatusCodeData names the step (as Subject), the code (as Reason) and the status word.
 */
import type { JobView } from './types.ts';

/** GPS_SPE_002 ExecutionStatusType.Status values a job can end with (EXECUTED_WITHWARNING is not used). */
export const EXECUTION_STATUSES = ['EXECUTED_SUCCESS', 'FAILED', 'EXPIRED'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** An ended job's ExecutionStatus; StatusCodeData only for FAILED. */
export interface JobExecutionStatus {
  readonly status: ExecutionStatus;
  readonly statusCodeData?: { readonly subject: string; readonly reason: string; readonly sw?: number; readonly message?: string };
}

/**
 * The GP execution status of a job, or undefined while it has not ended (queued, running,
 * waiting). A terminated job is FAILED with reason TERMINATED (GP has no separate status for it).
 * @example executionStatusOf(view) // { status: 'FAILED', statusCodeData: { subject: 'install', reason: 'SCRIPT', sw: 0x6a84 } }
 */
export function executionStatusOf(view: JobView): JobExecutionStatus | undefined {
  switch (view.state) {
    case 'queued':
    case 'running':
    case 'waiting':
      return undefined;
    case 'succeeded':
      return { status: 'EXECUTED_SUCCESS' };
    case 'expired':
      return { status: 'EXPIRED' };
    case 'terminated':
      return { status: 'FAILED', statusCodeData: { subject: view.step.name ?? view.kind, reason: 'TERMINATED' } };
    case 'failed': {
      const e = view.error;
      if (e === null) return { status: 'FAILED', statusCodeData: { subject: view.kind, reason: 'FAILED' } };
      return { status: 'FAILED', statusCodeData: { subject: e.step, reason: e.code, ...(e.sw === undefined ? {} : { sw: e.sw }), message: e.message } };
    }
  }
}
