// The whole backend in one test process, on real components: a local Temporal dev server,
// the payment sandbox (a real HTTP server the real Stripe SDK talks to), an ORM on the test
// database (reset + demo catalog), Redis, and Workers for every pool on one connection.
//
//   const stack = await startTestStack();
//   const app = createApp({ ...stack });            // API tests build on this
//   stack.setWebhookTarget(`http://127.0.0.1:${apiPort}/v1/webhooks/stripe`);
//   …
//   await stack.stop();
//
// Webhooks: the sandbox posts to a small relay owned by the stack (its URL is known before
// the API listens). Once a target is set it forwards the
// signed request unchanged to the API. Without a target the relay runs the real webhook
// intake (src/payments/webhooks.ts: signature check, ledger row, signal to the workflow).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import { type Client, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { Config } from '../../src/infra/config.ts';
import { createLogger, type Logger } from '../../src/infra/logger.ts';
import { createMetrics, type Metrics } from '../../src/infra/metrics.ts';
import { createRedis, type Redis } from '../../src/infra/redis.ts';
import { seedDemoCatalog } from '../../scripts/lib/demo-catalog.ts';
import { requestFingerprint } from '../../src/orders/ids.ts';
import { startCheckout } from '../../src/orders/checkout-start.ts';
import { acceptOrder, markWorkflowsStarted, recordedOrderInput } from '../../src/orders/intake.ts';
import type { PaymentProvider } from '../../src/payments/provider.ts';
import { createStripeProvider } from '../../src/payments/stripe-provider.ts';
import { createWebhookIntake, type WebhookIntake } from '../../src/payments/webhooks.ts';
import type { checkout } from '../../workflows/checkout.ts';
import { POOLS, createPoolWorkers } from '../../workers/runner.ts';
import { resetDatabase, testOrm } from './db.ts';
import { testConfig } from './env.ts';
import { startTestSandbox, type TestSandbox } from './sandbox.ts';
import { startLocalTemporal } from './temporal.ts';
import { testWorkflowBundle } from './workflow-bundle.ts';
import type { CheckoutInput, PoolName, RecordedOrder } from '../../src/contracts/index.ts';

export interface TestStackOptions {
  /** Pools to run in-process (default: all four); [] = none (e.g. workers run as separate processes). */
  pools?: PoolName[];
  /** Extra environment for testConfig (e.g. { PAYMENTS_MAX_PER_SECOND: '50' }). */
  env?: Record<string, string>;
  /** Truncate the domain tables and load the demo catalog (default true). */
  resetDatabase?: boolean;
  /** Options for the sandbox (faults etc. are set later through its client). */
  sandbox?: Parameters<typeof startTestSandbox>[0];
  /** Forward webhooks here from the start (else: the built-in relay signals workflows). */
  webhookTarget?: string;
  /** Use this running Temporal server (e.g. one a chaos run restarts) instead of starting one. */
  temporalAddress?: string;
}

export interface TestStack {
  env: TestWorkflowEnvironment;
  client: Client;
  config: Readonly<Config>;
  orm: MikroORM;
  redis: Redis;
  sandbox: TestSandbox;
  provider: PaymentProvider;
  metrics: Metrics;
  logger: Logger;
  workers: Worker[];
  /** Where the sandbox posts webhooks (the stack's relay). */
  webhookUrl: string;
  /** Forward webhooks to the API (undefined → relay signals workflows directly). */
  setWebhookTarget(url: string | undefined): void;
  /** Accepts an order and starts its checkout like the API does (intake row, then plain start). */
  startOrder(input: TestOrderInput): Promise<{ handle: WorkflowHandle<typeof checkout>; recorded: RecordedOrder; input: CheckoutInput }>;
  /** Shuts the workers down (draining) and closes everything, in reverse order. */
  stop(): Promise<void>;
}

export type TestOrderInput = Partial<CheckoutInput> & Pick<CheckoutInput, 'lines'>;

let orderSeq = 0;

/** A complete CheckoutInput with test defaults (a fresh customer/key unless given). */
export function checkoutInput(input: TestOrderInput): CheckoutInput {
  orderSeq += 1;
  const customerId = input.customerId ?? `cust-${process.pid}-${orderSeq}`;
  const idempotencyKey = input.idempotencyKey ?? `key-${Date.now()}-${orderSeq}`;
  const paymentMethod = input.paymentMethod ?? 'pm_card_visa';
  return {
    orderId: input.orderId ?? crypto.randomUUID(),
    customerId,
    idempotencyKey,
    paymentMethod,
    requestFingerprint: input.requestFingerprint ?? requestFingerprint({ items: input.lines, paymentMethod }),
    ...input,
  } as CheckoutInput;
}

/** Intake then start, as the API accepts an order: the row first, then the workflow from it. */
export async function startOrderLikeApi(client: Client, orm: MikroORM, input: CheckoutInput): Promise<{ handle: WorkflowHandle<typeof checkout>; recorded: RecordedOrder }> {
  const accepted = await acceptOrder(orm.em.fork(), input);
  const recorded = accepted.kind === 'accepted' ? accepted.order : (await recordedOrderInput(orm.em.fork(), accepted.orderId))!.order;
  await startCheckout(client, { ...input, order: recorded });
  await markWorkflowsStarted(orm.em.fork(), [input.orderId]);
  return { handle: client.workflow.getHandle<typeof checkout>(`order-${input.orderId}`), recorded };
}

export async function startTestStack(opts: TestStackOptions = {}): Promise<TestStack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    // The relay first: the sandbox needs its URL at start.
    let target = opts.webhookTarget;
    // eslint-disable-next-line prefer-const -- read by the relay; set once Temporal and Postgres are up
    let intake: WebhookIntake | undefined;
    const relay: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        void relayWebhook(body, req.headers, target, intake).then(
          (status) => { res.statusCode = status; res.end(); },
          () => { res.statusCode = 503; res.end(); },
        );
      });
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => relay.close(() => r(undefined))));
    const webhookUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/v1/webhooks/stripe`;

    const env = opts.temporalAddress ? await TestWorkflowEnvironment.createFromExistingServer({ address: opts.temporalAddress }) : await startLocalTemporal();
    cleanups.push(() => env.teardown());

    const sandbox = await startTestSandbox({ webhookUrl, ...opts.sandbox });
    cleanups.push(() => sandbox.close());

    const config = testConfig({
      TEMPORAL_ADDRESS: env.address,
      STRIPE_API_BASE: sandbox.url,
      STRIPE_WEBHOOK_SECRET: sandbox.stripeConfig().webhookSecret,
      STRIPE_MAX_NETWORK_RETRIES: '0',
      SANDBOX_PORT: String(sandbox.port),
      SANDBOX_WEBHOOK_URL: webhookUrl,
      WORKER_SHUTDOWN_GRACE: '5s',
      ...opts.env,
    });
    const logger = createLogger(config, 'test-stack');
    const metrics = createMetrics('test-stack');

    const orm = await testOrm();
    cleanups.push(() => orm.close());
    if (opts.resetDatabase ?? true) {
      await resetDatabase(orm);
      await seedDemoCatalog(orm.em.fork());
    }

    const redis = createRedis(config.redis);
    redis.on('error', () => undefined);
    cleanups.push(() => redis.quit().catch(() => redis.disconnect()));

    const provider = createStripeProvider(sandbox.stripeConfig(), { metrics, logger });
    intake = createWebhookIntake({ orm, temporal: env.client, webhookSecret: config.stripe.webhookSecret, logger, metrics });

    const pools = opts.pools ?? POOLS;
    const workers = pools.length
      ? await createPoolWorkers(pools, {
        orm, logger, metrics, redis, provider, config,
        connection: env.nativeConnection, namespace: env.namespace ?? 'default',
        workflowBundle: await testWorkflowBundle(),
      })
      : [];
    const runs = workers.map((w) => w.run());
    cleanups.push(async () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(runs);
    });

    return {
      env, client: env.client, config, orm, redis, sandbox, provider, metrics, logger, workers, webhookUrl,
      setWebhookTarget: (url) => { target = url; },
      startOrder: async (input) => {
        const full = checkoutInput(input);
        return { ...(await startOrderLikeApi(env.client, orm, full)), input: full };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Forwards a webhook to the API, or (no target) hands it to the real webhook intake. */
async function relayWebhook(body: Buffer, headers: Record<string, string | string[] | undefined>, target: string | undefined, intake: WebhookIntake | undefined): Promise<number> {
  const signature = headers['stripe-signature'] === undefined ? undefined : String(headers['stripe-signature']);
  if (target) {
    const res = await fetch(target, {
      method: 'POST',
      body,
      headers: { 'content-type': String(headers['content-type'] ?? 'application/json'), ...(signature ? { 'stripe-signature': signature } : {}) },
    });
    return res.status;
  }
  if (!intake) return 503; // not ready yet: the sandbox retries
  const outcome = await intake.handle(body, signature);
  return outcome.kind === 'invalid_signature' || outcome.kind === 'invalid_event' ? 400 : outcome.kind === 'temporal_unavailable' ? 503 : 200;
}

export interface WorkerProcess {
  pool: string;
  pid: number;
  metricsPort: number;
  /** stdout+stderr so far (for failure messages). */
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Spawns `node workers/<pool>.ts` as a separate process against the stack's Temporal server,
 * test database, Redis and sandbox (ephemeral metrics ports); resolves once it is polling.
 */
export async function spawnWorker(stack: Pick<TestStack, 'env' | 'config' | 'sandbox'>, pool: PoolName | 'all', env: Record<string, string> = {}): Promise<WorkerProcess> {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const entry = fileURLToPath(new URL(`../../workers/${pool}.ts`, import.meta.url));
  const bundle = await testWorkflowBundle();
  const child = spawn(process.execPath, [entry], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS: '',
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_WORKER_LOG_LEVEL ?? 'warn',
      DATABASE_URL: stack.config.database.url,
      DATABASE_POOL_MAX: '5',
      REDIS_URL: stack.config.redis.url,
      REDIS_KEY_PREFIX: stack.config.redis.keyPrefix,
      TEMPORAL_ADDRESS: stack.env.address,
      TEMPORAL_NAMESPACE: stack.env.namespace ?? 'default',
      WORKFLOW_BUNDLE_PATH: bundle.codePath,
      STRIPE_API_BASE: stack.sandbox.url,
      STRIPE_WEBHOOK_SECRET: stack.config.stripe.webhookSecret,
      STRIPE_MAX_NETWORK_RETRIES: '0',
      METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
      WORKER_SHUTDOWN_GRACE: '3s',
      ...(pool === 'all' ? {} : { WORKER_POOLS: pool }),
      ...env,
    },
  });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ready = new Promise<number>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /WORKER_READY \S+ metrics=(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    void exited.then((code) => reject(new Error(`worker ${pool} exited (${code}) before it was ready:\n${out.slice(-3000)}`)));
    setTimeout(() => reject(new Error(`worker ${pool} not ready after 30 s:\n${out.slice(-3000)}`)), 30_000).unref();
  });
  const metricsPort = await ready.catch(async (err) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    pool, pid: child.pid!, metricsPort,
    output: () => out,
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
