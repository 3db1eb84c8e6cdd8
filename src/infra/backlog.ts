// Task-queue backlog as Prometheus gauges: a small poller over DescribeTaskQueue
// (reportStats) for each queue and task type. This is the autoscaling signal for the worker
// pools (docs/runbook.md). Run it in ONE process per deployment (the API) — every process
// would report the same cluster-wide numbers.
import type { Client } from '@temporalio/client';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

// temporal.api.enums.v1: TaskQueueType WORKFLOW=1, ACTIVITY=2; TaskQueueKind NORMAL=1.
const TASK_TYPES = [
  { type: 1, label: 'workflow' },
  { type: 2, label: 'activity' },
] as const;

type Longish = number | { toNumber(): number } | string | null | undefined;
const num = (v: Longish): number => (v == null ? 0 : typeof v === 'object' ? v.toNumber() : Number(v));

export interface BacklogGauge {
  /** Polls once now (also used by tests). */
  poll(): Promise<void>;
  stop(): void;
}

/**
 * Polls every `intervalMs` and sets temporal_task_queue_backlog{task_queue,task_type},
 * temporal_task_queue_backlog_age_seconds and temporal_task_queue_pollers. Failures are logged
 * (at most once per minute) and leave the last values in place; they never throw. Each poll
 * is bounded by min(intervalMs, 10 s).
 */
export function startBacklogGauge(client: Client, metrics: Metrics, queues: readonly string[], intervalMs = 15_000, log?: Logger): BacklogGauge {
  let lastWarn = 0;
  let running: Promise<void> | undefined;
  const pollQueue = async (queue: string, type: 1 | 2, label: string) => {
    const res = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: queue, kind: 1 },
      taskQueueType: type,
      reportStats: true,
    });
    const labels = { task_queue: queue, task_type: label };
    const age = res.stats?.approximateBacklogAge;
    metrics.taskQueueBacklog.set(labels, num(res.stats?.approximateBacklogCount as Longish));
    metrics.taskQueueBacklogAge.set(labels, age ? num(age.seconds as Longish) + (age.nanos ?? 0) / 1e9 : 0);
    metrics.taskQueuePollers.set(labels, res.pollers?.length ?? 0);
  };
  // A poll never outlives its interval: while Temporal is down the client's gRPC retries
  // would otherwise keep one poll pending for a long time.
  const deadlineMs = Math.max(500, Math.min(intervalMs, 10_000));
  const poll = () =>
    (running ??= client
      .withDeadline(Date.now() + deadlineMs, () => Promise.all(queues.flatMap((q) => TASK_TYPES.map((t) => pollQueue(q, t.type, t.label)))))
      .then(() => undefined)
      .catch((err) => {
        if (Date.now() - lastWarn > 60_000) {
          lastWarn = Date.now();
          log?.warn({ err }, 'task-queue backlog poll failed');
        }
      })
      .finally(() => {
        running = undefined;
      }));
  const timer = setInterval(() => void poll(), intervalMs);
  timer.unref();
  void poll();
  return { poll, stop: () => clearInterval(timer) };
}
