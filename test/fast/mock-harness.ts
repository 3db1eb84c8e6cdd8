// The fast tier's harness: the real workflow bundle and the production worker options of every
// pool (task queues, retry policies, the payload codec) on the time-skipping test server, with
// each activity replaced by a scripted stand-in. Nothing here touches Postgres, Redis or the
// payment sandbox: the tests pin what the saga asks of its activities (names, order, arguments)
// and what it does with their answers.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createLogger } from '../../src/infra/logger.ts';
import { createMetrics } from '../../src/infra/metrics.ts';
import { POOLS, createPoolWorkers } from '../../workers/runner.ts';
import type { PaymentActivities } from '../../activities/payments.ts';
import type { OrderActivities } from '../../activities/orders.ts';
import type { InventoryActivities } from '../../activities/inventory.ts';
import { testConfig } from '../helpers/env.ts';
import { startTimeSkippingTemporal } from '../helpers/temporal.ts';
import { testWorkflowBundle } from '../helpers/workflow-bundle.ts';

type Fn = (...args: any[]) => Promise<any>;
type CheckoutActivities = OrderActivities & InventoryActivities & PaymentActivities;
export type ActivityName = keyof CheckoutActivities;

/** One scripted activity: gets the call's input and its attempt number (1, 2, … per order). */
export type Script<N extends ActivityName = ActivityName> = (input: Parameters<CheckoutActivities[N]>[0], attempt: number) => Awaited<ReturnType<CheckoutActivities[N]>> | Promise<Awaited<ReturnType<CheckoutActivities[N]>>>;

export interface ActivityCall {
  name: ActivityName;
  /** The pool whose worker ran it (its task queue). */
  pool: string;
  input: any;
}

export interface MockHarness {
  env: TestWorkflowEnvironment;
  /** Every activity call, in order, attempts included. */
  calls: ActivityCall[];
  /** Per-test scripts (reset between tests); unscripted activities answer as on a happy path. */
  scripts: { [N in ActivityName]?: Script<N> };
  /** The calls of one order (tests share the workers). */
  callsOf(orderId: string): ActivityCall[];
  reset(): void;
  close(): Promise<void>;
}

/** The happy-path answer of every activity the checkout calls. */
export const happy: { [N in ActivityName]?: Script<N> } = {
  recordOrder: (input) => {
    throw new Error(`recordOrder(${input.orderId}): script it when the test starts without input.order`);
  },
  transitionOrder: (t) => ({ orderId: t.orderId, from: 'PENDING', status: t.to, changed: true }),
  confirmOrder: ({ orderId }) => ({ orderId, from: 'PENDING', status: 'CONFIRMED', changed: true, committedUnits: 1 }),
  recordCancelRequest: () => ({ recorded: true }),
  flagOrder: () => ({ changed: true }),
  reserveStock: ({ orderId }) => ({ orderId, state: 'HELD', allocations: [], created: true }),
  releaseStock: () => ({ released: 1, state: 'RELEASED' }),
  restockStock: () => ({ restocked: 1 }),
  authorizePayment: ({ orderId }) => ({ outcome: 'authorized', paymentIntentId: `pi_${orderId}`, providerStatus: 'requires_capture' }),
  capturePayment: ({ paymentIntentId }) => ({ paymentIntentId, providerStatus: 'succeeded', paymentStatus: 'CAPTURED' }),
  voidPayment: ({ paymentIntentId }) => (paymentIntentId
    ? { outcome: 'voided', paymentIntentId, providerStatus: 'canceled', paymentStatus: 'VOIDED' }
    : { outcome: 'noop' }),
  refundPayment: ({ paymentIntentId }) => ({ outcome: 'refunded', paymentIntentId, providerStatus: 'succeeded', paymentStatus: 'REFUNDED' }),
  syncPayment: ({ paymentIntentId }) => ({ paymentIntentId, providerStatus: 'requires_action', paymentStatus: 'REQUIRES_ACTION' }),
};

export async function startMockHarness(): Promise<MockHarness> {
  const env = await startTimeSkippingTemporal();
  const config = testConfig({ WORKER_SHUTDOWN_GRACE: '1s' });
  const calls: ActivityCall[] = [];
  const scripts: MockHarness['scripts'] = {};
  const attempts = new Map<string, number>();

  // The real pools decide which activity runs on which queue; only the bodies are replaced.
  const wrap = (pool: string, acts: Record<string, Fn>) =>
    Object.fromEntries(Object.keys(acts).map((name) => [name, async (input: any) => {
      calls.push({ name: name as ActivityName, pool, input });
      const key = `${input?.orderId}:${name}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const script = (scripts[name as ActivityName] ?? happy[name as ActivityName]) as Script | undefined;
      if (!script) throw new Error(`unexpected activity call: ${name}`);
      return script(input, attempt);
    }]));

  const workers: Worker[] = await createPoolWorkers(POOLS, {
    // The activity factories only close over their deps; the stand-ins never reach them.
    orm: {} as MikroORM,
    logger: createLogger(config, 'fast-test'),
    metrics: createMetrics('fast-test'),
    config,
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    workflowBundle: await testWorkflowBundle(),
    wrapActivities: wrap,
  });
  const runs = workers.map((w) => w.run());
  return {
    env, calls, scripts,
    callsOf: (orderId) => calls.filter((c) => c.input?.orderId === orderId),
    reset() {
      calls.length = 0;
      attempts.clear();
      for (const k of Object.keys(scripts)) delete scripts[k as ActivityName];
    },
    async close() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(runs);
      await env.teardown();
    },
  };
}
