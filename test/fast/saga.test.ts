// Unit tests of Saga (workflows/saga.ts) inside a small probe workflow on the time-skipping
// server: the undo order, add/drop/pending, the bounded-round-then-timer retry, the
// nudge, the onStuck/onRecovered hooks and the records ops see.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { CompensationKind } from '../../workflows/saga.ts';
import { startTimeSkippingTemporal, testDataConverter } from '../helpers/temporal.ts';
import { testWorkflowBundle } from '../helpers/workflow-bundle.ts';
import { eventually } from '../workflow/harness.ts';
import { SAGA_PROBE_QUEUE, nudgeSignal, recordsQuery, type SagaProbeInput, type sagaProbe } from './saga-probe.workflow.ts';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
/** undo(kind) fails while this says so (attempt = the kind's call count in this test). */
let failing: (kind: CompensationKind, attempt: number) => boolean = () => false;
const attempts = new Map<string, number>();

beforeAll(async () => {
  env = await startTimeSkippingTemporal();
  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: SAGA_PROBE_QUEUE,
    dataConverter: testDataConverter(),
    workflowBundle: await testWorkflowBundle({ entry: fileURLToPath(new URL('./saga-probe.workflow.ts', import.meta.url)), name: 'test-saga-probe-bundle' }),
    activities: {
      async undo(kind: CompensationKind) {
        const attempt = (attempts.get(kind) ?? 0) + 1;
        attempts.set(kind, attempt);
        if (failing(kind, attempt)) throw ApplicationFailure.retryable(`${kind} failed (attempt ${attempt})`, 'Outage');
      },
    },
  });
  running = worker.run();
}, 60_000);
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

let seq = 0;
function start(input: SagaProbeInput, fails: typeof failing = () => false) {
  failing = fails;
  attempts.clear();
  seq += 1;
  return env.client.workflow.start<typeof sagaProbe>('sagaProbe', { workflowId: `saga-probe-${process.pid}-${seq}`, taskQueue: SAGA_PROBE_QUEUE, args: [input] });
}
const run = async (input: SagaProbeInput, fails?: typeof failing) => (await start(input, fails)).result();

describe('Saga', () => {
  it('runs the registered undos newest first, once each, and empties the stack', async () => {
    const r = await run({ add: ['release_stock', 'void_authorization', 'restock'], retryEvery: '1h' });
    expect(r.pendingBefore).toEqual(['release_stock', 'void_authorization', 'restock']);
    expect(r.events).toEqual(['run:restock@0', 'run:void_authorization@0', 'run:release_stock@0']);
    expect(r.records).toEqual([
      { kind: 'restock', outcome: 'done', attempts: 1 },
      { kind: 'void_authorization', outcome: 'done', attempts: 1 },
      { kind: 'release_stock', outcome: 'done', attempts: 1 },
    ]);
    expect(r.pendingAfter).toEqual([]);
  });

  it('add replaces a kind\'s undo (it moves to the top), drop removes one, pending tells', async () => {
    const r = await run({ add: ['release_stock', 'void_authorization', 'release_stock', 'refund_payment'], drop: ['refund_payment'], retryEvery: '1h' });
    expect(r.pendingBefore).toEqual(['void_authorization', 'release_stock']);
    expect(r.has).toEqual({ release_stock: true, void_authorization: true, refund_payment: false, restock: false });
    expect(r.events).toEqual(['run:release_stock@0', 'run:void_authorization@0']);
  });

  it('with nothing registered, compensating does nothing', async () => {
    const r = await run({ add: [], retryEvery: '1h' });
    expect(r).toMatchObject({ events: [], records: [], pendingAfter: [] });
  });

  it('a failing undo: flagged once (onStuck), retried every retryEvery until it succeeds, then onRecovered — never skipped', async () => {
    const r = await run(
      { add: ['release_stock', 'void_authorization'], retryEvery: '1h' },
      (kind, attempt) => (kind === 'void_authorization' ? attempt <= 2 : attempt <= 1),
    );
    expect(r.events).toEqual([
      'run:void_authorization@0', 'stuck:void_authorization:void_authorization failed (attempt 1)',
      'run:void_authorization@60', 'run:void_authorization@120',
      'run:release_stock@120', 'run:release_stock@180',
      'recovered',
    ]);
    expect(r.records).toEqual([
      { kind: 'void_authorization', outcome: 'done', attempts: 3 },
      { kind: 'release_stock', outcome: 'done', attempts: 2 },
    ]);
    expect(r.pendingAfter).toEqual([]);
  });

  it('a nudge (retryCompensation) starts the next round at once; the record shows the failure meanwhile', async () => {
    let down = true;
    const handle = await start({ add: ['release_stock'], retryEvery: '1d' }, () => down);
    const stuck = await eventually(async () => {
      const records = await handle.query(recordsQuery);
      return records[0]?.outcome === 'failed' && records;
    });
    expect(stuck).toEqual([{ kind: 'release_stock', outcome: 'failed', attempts: 1, lastError: 'release_stock failed (attempt 1)' }]);
    down = false;
    await handle.signal(nudgeSignal);
    // Time stands still outside result(): only the nudge can have started the second round.
    await eventually(async () => (await handle.query(recordsQuery))[0]?.outcome === 'done');
    const r = await handle.result();
    expect(r.events).toEqual(['run:release_stock@0', 'stuck:release_stock:release_stock failed (attempt 1)', 'run:release_stock@0', 'recovered']);
    expect(r.records).toEqual([{ kind: 'release_stock', outcome: 'done', attempts: 2 }]);
  });

  it('an error that is not an activity failure is not retried or swallowed: it fails the run', async () => {
    const err = await run({ add: ['release_stock', 'void_authorization'], throwIn: 'void_authorization', retryEvery: '1h' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toMatchObject({ message: 'bug in the void_authorization undo' });
    expect(attempts.size).toBe(0);
  });
});
