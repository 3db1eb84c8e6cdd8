// Safe deploys (docs/deploys.md), on a real Temporal dev server:
//  - a versioned release (TEMPORAL_DEPLOYMENT_NAME + TEMPORAL_BUILD_ID) serves checkouts once
//    its version is made current, and each order records the version and behaviour it runs on;
//  - the rollout: release 2 starts beside release 1, becomes current, release 1 stops, and an
//    order that waited in aftercare on release 1 finishes on release 2 (auto-upgrade);
//  - what a deploy has to replay: the history of an order waiting in aftercare (events and
//    bytes, payloads encrypted as in production), and of one closed by an ops cancel + refund.
//    The numbers in docs/deploys.md come from this test (MEASURE_HISTORY=1 prints them).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import protos from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import { TASK_QUEUES, cancelOrderUpdate, getStateQuery, reconciliationWorkflowId } from '../../src/contracts/index.ts';
import { POOLS, createPoolWorkers } from '../../workers/runner.ts';
import { testConfig } from '../helpers/env.ts';
import { eventually } from '../helpers/api.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { testWorkflowBundle } from '../helpers/workflow-bundle.ts';

const DEPLOYMENT = 'durable-checkout';
const BUILD_ID = `test-${process.pid}-1`;
const { VersioningBehavior } = protos.temporal.api.enums.v1;
const { EventType } = protos.temporal.api.enums.v1;

let stack: TestStack;
const releases: { workers: Worker[]; runs: Promise<void>[] }[] = [];

/** Starts every pool of one release, joined to the Worker Deployment Version `buildId` (as workers/runner.ts does in production). */
async function startRelease(buildId: string) {
  const config = testConfig({ TEMPORAL_ADDRESS: stack.env.address, WORKER_SHUTDOWN_GRACE: '5s', TEMPORAL_DEPLOYMENT_NAME: DEPLOYMENT, TEMPORAL_BUILD_ID: buildId });
  const workers = await createPoolWorkers(POOLS, {
    orm: stack.orm, logger: stack.logger, metrics: stack.metrics, redis: stack.redis, provider: stack.provider, config,
    connection: stack.env.nativeConnection, namespace: stack.env.namespace ?? 'default', workflowBundle: await testWorkflowBundle(),
  });
  const release = { workers, runs: workers.map((w) => w.run()) };
  releases.push(release);
  return release;
}

async function stopRelease(release: (typeof releases)[number]) {
  for (const w of release.workers) if (w.getState() === 'RUNNING') w.shutdown();
  await Promise.allSettled(release.runs);
}

/** The rollout step `temporal worker deployment set-current-version`, once the version's workers poll. */
async function makeCurrent(buildId: string) {
  await eventually(async () => {
    try {
      await stack.client.workflowService.setWorkerDeploymentCurrentVersion({ namespace: stack.env.namespace ?? 'default', deploymentName: DEPLOYMENT, buildId, identity: 'deploys-test' });
      return true;
    } catch {
      return false; // not registered until its workers have polled
    }
  }, 30_000, 500);
}

beforeAll(async () => {
  stack = await startTestStack({ pools: [] });
  await startRelease(BUILD_ID);
  await makeCurrent(BUILD_ID);
}, 120_000);

afterAll(async () => {
  for (const r of releases) await stopRelease(r);
  await stack?.stop();
});

const versionOf = async (handle: { describe(): Promise<{ raw: protos.temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse }> }) =>
  (await handle.describe()).raw.workflowExecutionInfo!.versioningInfo!;

/** Events and encoded bytes of a workflow's history (what a worker fetches to replay it). */
async function historySize(workflowId: string) {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  return {
    events: events.length,
    bytes: protos.temporal.api.history.v1.History.encode(history).finish().length,
    last: EventType[events.at(-1)!.eventType!],
  };
}

/** An order (default 30-day aftercare) confirmed, captured and idle: no activity in flight. */
async function orderInAftercare() {
  const { handle, input } = await stack.startOrder({ lines: [{ sku: 'AUD-HEADPHONES-01', quantity: 1 }] });
  await eventually(async () => {
    const s = await handle.query(getStateQuery).catch(() => undefined);
    if (s?.status !== 'CONFIRMED' || s.paymentStatus !== 'CAPTURED') return false;
    const d = await handle.describe();
    return (d.raw.pendingActivities ?? []).length === 0 && d.status.name === 'RUNNING';
  }, 30_000);
  // The last workflow task after the capture has completed: the aftercare timer is running.
  await eventually(async () => (await historySize(handle.workflowId)).last === 'EVENT_TYPE_TIMER_STARTED', 10_000);
  return { handle, input };
}

describe('safe deploys', () => {
  it('a versioned release serves checkouts once current, and each order records its version', async () => {
    const { handle } = await orderInAftercare();
    const info = await versionOf(handle);
    expect(info.deploymentVersion).toMatchObject({ deploymentName: DEPLOYMENT, buildId: BUILD_ID });
    // Checkouts follow TEMPORAL_VERSIONING_BEHAVIOR (default auto_upgrade while aftercare lives in the workflow).
    expect(info.behavior).toBe(VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE);
  }, 60_000);

  it('reconciliation runs (minutes long) are pinned to the release that started them', async () => {
    const runId = randomUUID();
    const handle = await stack.client.workflow.start('reconciliation', {
      workflowId: reconciliationWorkflowId(runId), taskQueue: TASK_QUEUES.checkout,
      args: [{ runId, trigger: 'manual', lookbackMs: 60_000, graceMs: 1000 }],
    });
    await handle.result();
    const info = await versionOf(handle);
    expect(info.behavior).toBe(VersioningBehavior.VERSIONING_BEHAVIOR_PINNED);
    expect(info.deploymentVersion).toMatchObject({ deploymentName: DEPLOYMENT, buildId: BUILD_ID });
  }, 60_000);

  it('measures the history an aftercare order carries (happy, then after an ops cancel with refund)', async () => {
    const { handle } = await orderInAftercare();
    const waiting = await historySize(handle.workflowId);
    await handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: 'ops-deploys', role: 'ops', reason: 'history size' }] });
    await handle.result();
    const refunded = await historySize(handle.workflowId);
    if (process.env.MEASURE_HISTORY) process.stdout.write(`aftercare history: waiting ${JSON.stringify(waiting)}, after ops cancel + refund ${JSON.stringify(refunded)}\n`);
    // Far below Temporal's limits (50 K events / 50 MB; warnings from 10 K / 10 MB): replaying
    // one on a deploy costs milliseconds. Bounds with room, so a change that makes the
    // history grow (a loop, a big payload) fails here first.
    expect(waiting.events).toBeLessThan(80);
    expect(waiting.bytes).toBeLessThan(64 * 1024);
    expect(refunded.events).toBeLessThan(120);
    expect(refunded.bytes).toBeLessThan(96 * 1024);
    expect(refunded.events).toBeGreaterThan(waiting.events);
  }, 60_000);

  it('rolls out: release 2 beside release 1, made current, release 1 stopped; an aftercare order from release 1 finishes on release 2', async () => {
    const { handle } = await orderInAftercare();
    expect((await versionOf(handle)).deploymentVersion?.buildId).toBe(BUILD_ID);
    const next = `test-${process.pid}-2`;
    const old = releases[0]!;
    await startRelease(next);
    await makeCurrent(next);
    // Drain: auto-upgrade orders follow the current version, so release 1 can stop now.
    await stopRelease(old);
    await handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: 'ops-deploys', role: 'ops', reason: 'after the rollout' }] });
    const final = (await handle.result()) as { status: string; paymentStatus: string };
    expect(`${final.status}/${final.paymentStatus}`).toBe('CANCELLED/REFUNDED');
    expect((await versionOf(handle)).deploymentVersion?.buildId).toBe(next);
    // New orders start on release 2.
    const fresh = await orderInAftercare();
    expect((await versionOf(fresh.handle)).deploymentVersion?.buildId).toBe(next);
  }, 90_000);
});
