// The Temporal Schedule that starts a reconciliation run every config.reconciliation.interval
// (overlap SKIP: a slow run is never stacked with the next). Created or updated idempotently
// at startup by the payments worker (workers/runner.ts when the payments pool runs).
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Config } from '../infra/config.ts';
import { RECONCILIATION_SCHEDULE_ID, TASK_QUEUES, WORKFLOW_TYPES, type ReconciliationInput } from '../contracts/index.ts';

export const SCHEDULED_WORKFLOW_ID = 'reconciliation-scheduled';

function scheduleOptions(config: Pick<Config, 'reconciliation'>) {
  const input: ReconciliationInput = { runId: '', trigger: 'schedule', lookbackMs: config.reconciliation.lookbackMs, capturedPolicy: config.reconciliation.capturedPolicy };
  return {
    spec: { intervals: [{ every: config.reconciliation.interval as `${number}m` }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: WORKFLOW_TYPES.reconciliation,
      // Temporal appends the scheduled time: reconciliation-scheduled-<timestamp>.
      workflowId: SCHEDULED_WORKFLOW_ID,
      taskQueue: TASK_QUEUES.checkout,
      args: [input],
      workflowExecutionTimeout: '1h',
      staticSummary: 'Scheduled payment reconciliation',
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m', pauseOnFailure: false },
    state: { paused: !config.reconciliation.scheduleEnabled, note: config.reconciliation.scheduleEnabled ? 'managed by the payments worker' : 'RECONCILIATION_SCHEDULE_ENABLED=false' },
  };
}

/**
 * Creates the reconciliation schedule, or updates it to the current config when it already
 * exists (interval, lookback, policy, enabled). Safe to call from every replica at startup.
 * Returns what it did.
 */
export async function ensureReconciliationSchedule(client: Client, config: Pick<Config, 'reconciliation'>): Promise<'created' | 'updated'> {
  const opts = scheduleOptions(config);
  try {
    await client.schedule.create({ scheduleId: RECONCILIATION_SCHEDULE_ID, ...opts });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).update((prev) => ({
    ...prev,
    spec: opts.spec,
    action: opts.action,
    policies: opts.policies,
    state: { ...prev.state, paused: opts.state.paused, note: opts.state.note },
  }));
  return 'updated';
}
