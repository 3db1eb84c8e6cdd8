// Time-skipping harness for the checkout workflow: the real activities (Postgres through
// the domain services, the sandbox through the real Stripe SDK) on the time-skipping test
// server, with a fault/gate layer around them so each test can fail or pause a step.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { createLogger } from '../../src/infra/logger.ts';
import { createMetrics, type Metrics } from '../../src/infra/metrics.ts';
import { seedDemoCatalog } from '../../scripts/lib/demo-catalog.ts';
import { createStripeProvider } from '../../src/payments/stripe-provider.ts';
import type { PaymentProvider } from '../../src/payments/provider.ts';
import { createPoolWorkers } from '../../workers/runner.ts';
import { resetDatabase, testOrm } from '../helpers/db.ts';
import { testConfig } from '../helpers/env.ts';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { startTimeSkippingTemporal } from '../helpers/temporal.ts';
import { testWorkflowBundle } from '../helpers/workflow-bundle.ts';

type Fn = (...args: any[]) => Promise<any>;

/** Per-activity test behaviour; reset between tests. */
export interface StepHooks {
  /** Runs before the real activity; throw to fail this attempt. */
  before?: (attempt: number, args: any[]) => Promise<void> | void;
  /** Runs after the real activity succeeded (e.g. wait on a gate). */
  after?: (attempt: number, result: unknown) => Promise<void> | void;
}

export interface Harness {
  env: TestWorkflowEnvironment;
  orm: MikroORM;
  sandbox: TestSandbox;
  provider: PaymentProvider;
  metrics: Metrics;
  /** Every activity call in order: `name` (attempts included). */
  calls: string[];
  hooks: Record<string, StepHooks>;
  reset(): void;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const env = await startTimeSkippingTemporal();
  const sandbox = await startTestSandbox();
  const orm = await testOrm();
  await resetDatabase(orm);
  await seedDemoCatalog(orm.em.fork());
  const config = testConfig({ STRIPE_API_BASE: sandbox.url, WORKER_SHUTDOWN_GRACE: '2s' });
  const logger = createLogger(config, 'workflow-test');
  const metrics = createMetrics('workflow-test');
  const provider = createStripeProvider(sandbox.stripeConfig(), { metrics });
  const calls: string[] = [];
  const hooks: Record<string, StepHooks> = {};
  const attempts = new Map<string, number>();

  const wrap = (_pool: string, acts: Record<string, Fn>) =>
    Object.fromEntries(Object.entries(acts).map(([name, fn]) => [name, async (...args: any[]) => {
      calls.push(name);
      const attempt = (attempts.get(name) ?? 0) + 1;
      attempts.set(name, attempt);
      await hooks[name]?.before?.(attempt, args);
      const result = await fn(...args);
      await hooks[name]?.after?.(attempt, result);
      return result;
    }]));

  const workers: Worker[] = await createPoolWorkers(['checkout', 'inventory', 'payments', 'orders'], {
    orm, logger, metrics, provider, config,
    connection: env.nativeConnection, namespace: env.namespace ?? 'default',
    workflowBundle: await testWorkflowBundle(),
    wrapActivities: wrap,
  });
  const runs = workers.map((w) => w.run());
  return {
    env, orm, sandbox, provider, metrics, calls, hooks,
    reset() {
      calls.length = 0;
      attempts.clear();
      for (const k of Object.keys(hooks)) delete hooks[k];
    },
    async close() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(runs);
      await sandbox.close().catch(() => undefined);
      await orm.close();
      await env.teardown();
    },
  };
}

/** A promise the test opens when it is ready (pauses an activity at a chosen point). */
export function gate(): { wait: () => Promise<void>; open: () => void; reached: Promise<void> } {
  let open!: () => void;
  let reachedResolve!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (reachedResolve = r));
  return {
    wait: () => {
      reachedResolve();
      return opened;
    },
    open,
    reached,
  };
}

/** A retryable infrastructure failure, as a database or network outage would raise. */
export const outage = (what: string) => new Error(`${what}: connection refused (simulated outage)`);
export const nonRetryable = (message: string, type: string) => ApplicationFailure.nonRetryable(message, type);

/** Polls fn until it returns a truthy value (real time, no time skipping involved). */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
