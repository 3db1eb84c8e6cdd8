// The one shared worker runner. `createPoolWorkers` builds the Workers of some pools on a
// given connection (tests run them in-process); `runWorkerProcess` is a process entry:
// config once → Temporal runtime with Prometheus telemetry (before any connection) → pino as
// the Temporal logger → Postgres/Redis/provider → Workers → /metrics + /healthz → SIGTERM drain.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString, type WorkerOptions } from '@temporalio/worker';
import { loadConfig, redactUrl, type Config } from '../src/infra/config.ts';
import { createLogger, type Logger } from '../src/infra/logger.ts';
import { createMetrics, serveMetrics, type Metrics } from '../src/infra/metrics.ts';
import { initOrm } from '../src/orm.ts';
import { createRedis, type Redis } from '../src/infra/redis.ts';
import { connectWorker } from '../src/infra/temporal.ts';
import { startTracing, tracedBundlePath, type Tracing } from '../src/infra/tracing.ts';
import { dataConverterFor } from '../src/infra/payload-codec.ts';
import { Lifecycle, fatal } from '../src/infra/lifecycle.ts';
import type { PaymentProvider } from '../src/payments/provider.ts';
import { createInventoryActivities } from '../activities/inventory.ts';
import { createOrderActivities } from '../activities/orders.ts';
import { createPaymentActivities } from '../activities/payments.ts';
import { createReconciliationActivities } from '../activities/reconciliation.ts';
import type { ActivityDeps } from '../activities/deps.ts';
import { TASK_QUEUES, type PoolName } from '../src/contracts/index.ts';

export const POOLS = Object.keys(TASK_QUEUES) as PoolName[];
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface PoolWorkerDeps extends ActivityDeps {
  config: Readonly<Config>;
  connection: NativeConnection;
  /** Defaults to config.temporal.namespace. */
  namespace?: string;
  /** Pre-bundled workflow code (production and tests); otherwise workflowsPath is bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Tracing interceptors and the workflow span sink (src/infra/tracing.ts); absent = untraced. */
  tracing?: Tracing;
  /** A seam for tests (fault injection) and instrumentation: wraps a pool's activities. */
  wrapActivities?: (pool: PoolName, activities: Record<string, (...args: any[]) => Promise<unknown>>) => Record<string, (...args: any[]) => Promise<unknown>>;
}

export function parsePools(names: readonly string[]): PoolName[] {
  const unknown = names.filter((n) => !POOLS.includes(n as PoolName));
  if (unknown.length) throw new Error(`unknown worker pool(s): ${unknown.join(', ')} (known: ${POOLS.join(', ')})`);
  if (names.length === 0) throw new Error(`no worker pool given (known: ${POOLS.join(', ')})`);
  return [...new Set(names)] as PoolName[];
}

/** Worker options for one pool: its task queue, its activities or workflows, its limits. */
export function workerOptionsFor(pool: PoolName, deps: PoolWorkerDeps): WorkerOptions {
  const { config } = deps;
  const acts = <T extends Record<string, (...args: any[]) => Promise<unknown>>>(a: T) => (deps.wrapActivities ? deps.wrapActivities(pool, a) : a);
  const base = {
    connection: deps.connection,
    namespace: deps.namespace ?? config.temporal.namespace,
    taskQueue: TASK_QUEUES[pool],
    identity: `${pool}@${process.pid}`,
    shutdownGraceTime: config.worker.shutdownGraceMs,
    // Every payload the worker sends is encrypted; plain ones (old histories) still decode.
    dataConverter: dataConverterFor(config.codec),
    ...deploymentOptions(config),
    ...(deps.tracing?.enabled ? { interceptors: deps.tracing.workerInterceptors, sinks: deps.tracing.workerSinks } : {}),
  };
  switch (pool) {
    case 'checkout':
      // Workflow code only: no activities are registered on this queue.
      return {
        ...base,
        ...workflowCode(deps),
        maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
      };
    case 'inventory':
      return { ...base, activities: acts(createInventoryActivities(deps)), maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities };
    case 'orders':
      return { ...base, activities: acts(createOrderActivities(deps)), maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities };
    case 'payments':
      return {
        ...base,
        activities: acts({ ...createPaymentActivities(deps), ...createReconciliationActivities(deps) }),
        maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
        // The provider's rate limit applies to the whole queue, across every replica.
        maxTaskQueueActivitiesPerSecond: config.worker.paymentsMaxPerSecond,
      };
  }
}

/**
 * The workflow code: a given bundle, the prebuilt one (WORKFLOW_BUNDLE_PATH), or bundled now.
 * Traced workers need the workflow interceptors inside the bundle, so they take the traced
 * variant of a prebuilt bundle (scripts/bundle-workflows.ts writes both).
 */
function workflowCode(deps: PoolWorkerDeps): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (deps.workflowBundle) return { workflowBundle: deps.workflowBundle };
  const path = deps.config.temporal.workflowBundlePath;
  if (!path) return { workflowsPath: WORKFLOWS_PATH };
  if (!deps.tracing?.enabled) return { workflowBundle: { codePath: path } };
  const traced = tracedBundlePath(path);
  if (!existsSync(traced)) throw new Error(`tracing is on, but the traced workflow bundle ${traced} does not exist: build both with \`node scripts/bundle-workflows.ts ${path}\`, or unset WORKFLOW_BUNDLE_PATH to bundle at start`);
  return { workflowBundle: { codePath: traced } };
}

/**
 * Worker Versioning (docs/deploys.md): with TEMPORAL_DEPLOYMENT_NAME + TEMPORAL_BUILD_ID every
 * worker of a release joins one Worker Deployment Version, and work reaches it only once the
 * version is made current (or ramping). The default behaviour is TEMPORAL_VERSIONING_BEHAVIOR
 * (auto_upgrade while the checkout holds its 30-day aftercare); reconciliation is pinned.
 */
export function deploymentOptions(config: Readonly<Config>): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  const d = config.temporal.deployment;
  if (!d) return {};
  return { workerDeploymentOptions: { version: { deploymentName: d.name, buildId: d.buildId }, useWorkerVersioning: true, defaultVersioningBehavior: d.behavior } };
}

/** Creates one Worker per pool on the given connection (not yet running). */
export async function createPoolWorkers(pools: readonly PoolName[], deps: PoolWorkerDeps): Promise<Worker[]> {
  return Promise.all(parsePools(pools).map((pool) => Worker.create(workerOptionsFor(pool, deps))));
}

/** Routes Temporal SDK (and forwarded Core) logs into pino. */
export function temporalLogger(logger: Logger): TemporalLogger {
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => logger[levels[level] ?? 'info']({ ...meta }, message);
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}

export interface RunWorkerProcessOptions {
  /** Builds the payment provider (payments pool only). Defaults to the Stripe provider. */
  createProvider?: (config: Readonly<Config>, metrics: Metrics) => Promise<PaymentProvider>;
}

async function defaultProvider(config: Readonly<Config>, metrics: Metrics): Promise<PaymentProvider> {
  const mod = await import('../src/payments/stripe-provider.ts');
  return mod.createStripeProvider(config.stripe, { metrics });
}

/**
 * Process entry for worker pools: `await runWorkerProcess(['payments'])`. Never returns
 * normally: the process exits after a graceful shutdown (SIGTERM/SIGINT) or a fatal error.
 */
export async function runWorkerProcess(poolNames?: readonly string[], opts: RunWorkerProcessOptions = {}): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = loadConfig();
  } catch (err) {
    fatal(undefined, 'The worker configuration is invalid.', err);
  }
  let pools: PoolName[];
  try {
    pools = parsePools(poolNames ?? config.worker.pools);
  } catch (err) {
    fatal(undefined, 'Bad WORKER_POOLS.', err);
  }
  const logger = createLogger(config, `worker:${pools.join('+')}`);
  const metrics = createMetrics(`worker-${pools.join('-')}`);
  const lifecycle = new Lifecycle(logger);
  let ready = false;

  // Before the pool, the Redis client and the provider exist (it patches their libraries);
  // flushed last at shutdown.
  let tracing: Tracing;
  try {
    tracing = await startTracing(config, `worker-${pools.join('-')}`);
  } catch (err) {
    fatal(logger, `Cannot start tracing (OTEL_TRACES_EXPORTER=${config.tracing.exporter}).`, err);
  }
  lifecycle.onStop('tracing', () => tracing.shutdown());

  // Must come before any connection is made.
  Runtime.install({
    logger: temporalLogger(logger),
    shutdownSignals: [], // our Lifecycle handles SIGTERM/SIGINT and drains in order
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) },
      metrics: { prometheus: { bindAddress: `${config.worker.metricsHost}:${config.worker.temporalMetricsPort}` } },
    },
  });

  let orm: MikroORM;
  try {
    orm = await initOrm(config.database);
    await orm.em.getConnection().execute('select 1');
  } catch (err) {
    fatal(logger, `Cannot reach Postgres at ${redactUrl(config.database.url)}. Is it running (see scripts/setup.sh) and migrated (npm run migrate)?`, err);
  }
  lifecycle.onStop('postgres', () => orm.close());

  let redis: Redis | undefined;
  if (pools.includes('orders') || pools.includes('payments')) {
    redis = createRedis(config.redis);
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error (notifications degrade to polling)'));
    lifecycle.onStop('redis', () => redis!.quit().catch(() => redis!.disconnect()));
  }

  let connection: NativeConnection;
  try {
    connection = await connectWorker(config.temporal);
  } catch (err) {
    fatal(logger, `Cannot reach Temporal at ${config.temporal.address} (namespace ${config.temporal.namespace}). Start it (npm run dev starts a dev server) or set TEMPORAL_ADDRESS.`, err);
  }
  lifecycle.onStop('temporal connection', () => connection.close());

  let provider: PaymentProvider | undefined;
  if (pools.includes('payments')) provider = await (opts.createProvider ?? defaultProvider)(config, metrics);

  let workers: Worker[];
  try {
    workers = await createPoolWorkers(pools, { orm, logger, metrics, redis, provider, config, connection, tracing });
  } catch (err) {
    fatal(logger, `Could not start the ${pools.join(', ')} worker(s).`, err);
  }

  let metricsServer: Server;
  try {
    metricsServer = await serveMetrics(metrics, config.worker.metricsPort, config.worker.metricsHost, () => ready && workers.every((w) => w.getState() === 'RUNNING'));
  } catch (err) {
    fatal(logger, `Cannot serve metrics on port ${config.worker.metricsPort} (in use?). Set METRICS_PORT.`, err);
  }
  lifecycle.onStop('metrics server', () => new Promise((r) => metricsServer.close(() => r(undefined))));

  const running = Promise.all(workers.map((w) => w.run()));
  // Stopping: stop polling, let in-flight tasks finish within shutdownGraceTime, then close.
  lifecycle.onStop('workers', async () => {
    ready = false;
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await running.catch(() => undefined);
  });
  lifecycle.installSignalHandlers();
  ready = true;
  const address = metricsServer.address();
  logger.info({ pools, taskQueues: pools.map((p) => TASK_QUEUES[p]), metricsPort: typeof address === 'object' ? address?.port : address, temporal: config.temporal.address }, 'workers started');
  // Tests spawn workers with METRICS_PORT=0 and read the port from this line.
  if (config.env === 'test' && typeof address === 'object' && address) process.stdout.write(`WORKER_READY ${pools.join(',')} metrics=${address.port}\n`);

  try {
    await running;
  } catch (err) {
    if (!lifecycle.isStopping) fatal(logger, 'A worker stopped unexpectedly.', err);
  }
}
