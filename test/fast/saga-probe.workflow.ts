// A test-only workflow around workflows/saga.ts (Saga needs a workflow context: its retries
// wait on workflow timers and conditions). Each undo is one attempt of the `undo` activity;
// the result tells, in workflow time, what ran when and what the hooks saw.
import { ApplicationFailure, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CompensationRecord } from '../../src/contracts/index.ts';
import { Saga, type CompensationKind } from '../../workflows/saga.ts';

export const SAGA_PROBE_QUEUE = 'saga-probe';

export interface SagaProbeInput {
  /** Registered in this order (a kind twice replaces its earlier undo). */
  add: CompensationKind[];
  drop?: CompensationKind[];
  retryEvery: string;
  /** This kind's undo fails inside the workflow itself (not an activity failure). */
  throwIn?: CompensationKind;
}

export interface SagaProbeResult {
  pendingBefore: CompensationKind[];
  has: Partial<Record<CompensationKind, boolean>>;
  /** `run:<kind>@<minutes>`, `stuck:<kind>:<error>`, `recovered` in the order they happened. */
  events: string[];
  records: CompensationRecord[];
  pendingAfter: CompensationKind[];
}

export const nudgeSignal = defineSignal('nudge');
export const recordsQuery = defineQuery<CompensationRecord[]>('records');

const { undo } = proxyActivities<{ undo(kind: CompensationKind): Promise<void> }>({
  taskQueue: SAGA_PROBE_QUEUE,
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 1 },
});

export async function sagaProbe(input: SagaProbeInput): Promise<SagaProbeResult> {
  const records: CompensationRecord[] = [];
  const events: string[] = [];
  let nudges = 0;
  setHandler(nudgeSignal, () => void (nudges += 1));
  setHandler(recordsQuery, () => records);
  const t0 = Date.now();
  const minutes = () => Math.round((Date.now() - t0) / 60_000);

  const saga = new Saga(records);
  for (const kind of input.add) {
    saga.add(kind, async () => {
      events.push(`run:${kind}@${minutes()}`);
      if (kind === input.throwIn) throw ApplicationFailure.nonRetryable(`bug in the ${kind} undo`, 'Bug');
      await undo(kind);
    });
  }
  for (const kind of input.drop ?? []) saga.drop(kind);
  const pendingBefore = saga.pending;
  const has = Object.fromEntries((['release_stock', 'void_authorization', 'refund_payment', 'restock'] as const).map((k) => [k, saga.pending.includes(k)]));

  await saga.compensate({
    retryEvery: input.retryEvery,
    nudges: () => nudges,
    onStuck: async (kind, error) => void events.push(`stuck:${kind}:${error}`),
    onRecovered: async () => void events.push('recovered'),
  });
  return { pendingBefore, has, events, records, pendingAfter: saga.pending };
}
