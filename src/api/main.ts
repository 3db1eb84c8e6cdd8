// API process entry: load config once, connect Postgres, Redis and Temporal (each failure
// is a one-paragraph fatal message naming the cause and the fix), listen on PORT, and shut
// down gracefully: stop accepting, let in-flight requests finish, close connections.
import type { Server } from 'node:http';
import { loadConfig, redactUrl as redact, type Config } from '../infra/config.ts';
import { Lifecycle, fatal } from '../infra/lifecycle.ts';
import { createLogger, type Logger } from '../infra/logger.ts';
import { createMetrics } from '../infra/metrics.ts';
import { startBacklogGauge } from '../infra/backlog.ts';
import { ensureReconciliationSchedule } from '../reconciliation/schedule.ts';
import { initOrm } from '../orm.ts';
import { pingDatabase } from '../infra/orm.ts';
import { createRedis, withTimeout } from '../infra/redis.ts';
import { connectClient } from '../infra/temporal.ts';
import { startTracing } from '../infra/tracing.ts';
import { createApp, type IntakeHandle } from './app.ts';
import { TASK_QUEUES } from '../contracts/index.ts';

async function main(): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = loadConfig();
  } catch (err) {
    fatal(undefined, 'The API configuration is invalid.', err);
  }
  const log: Logger = createLogger(config, 'api');
  const lifecycle = new Lifecycle(log);
  lifecycle.installSignalHandlers();
  // Before the pool, the Redis clients and the app exist (it patches their libraries); its
  // exporter is flushed last, after everything that still makes spans has stopped.
  const tracing = await startTracing(config, 'api').catch((err) => fatal(log, `Cannot start tracing (OTEL_TRACES_EXPORTER=${config.tracing.exporter}).`, err));
  lifecycle.onStop('tracing', () => tracing.shutdown());

  const orm = await initOrm(config.database).catch((err) =>
    fatal(log, `Cannot reach Postgres at ${redact(config.database.url)}. Start it (see scripts/setup.sh) or fix DATABASE_URL.`, err),
  );
  try {
    await pingDatabase(orm);
  } catch (err) {
    fatal(log, `Cannot query Postgres at ${redact(config.database.url)}. Start it, create the database and run \`npm run migrate\`, or fix DATABASE_URL.`, err);
  }
  lifecycle.onStop('postgres', () => orm.close());

  const redis = createRedis(config.redis, { lazy: true });
  const redisSub = createRedis(config.redis, { lazy: true });
  // Redis is an accelerator: while it is down, say so now and then (ioredis reconnects by itself).
  let lastRedisWarn = 0;
  const onRedisError = (err: Error) => {
    if (Date.now() - lastRedisWarn < 30_000) return;
    lastRedisWarn = Date.now();
    log.warn({ err: err.message }, 'redis error (rate limits fail open, caches and wake-ups fall back to Postgres)');
  };
  redis.on('error', onRedisError);
  redisSub.on('error', onRedisError);
  try {
    await withTimeout(Promise.all([redis.connect(), redisSub.connect()]), 5000, 'redis connect');
  } catch (err) {
    fatal(log, `Cannot reach Redis at ${redact(config.redis.url)}. Start it (redis-server --daemonize yes) or fix REDIS_URL.`, err);
  }
  lifecycle.onStop('redis', async () => {
    await Promise.allSettled([redis.quit(), redisSub.quit()]);
  });

  const temporal = await connectClient(config.temporal, config.codec, tracing.clientInterceptors).catch((err) =>
    fatal(log, `Cannot reach Temporal at ${config.temporal.address} (namespace ${config.temporal.namespace}). Start it (npm run dev starts a dev server) or fix TEMPORAL_ADDRESS.`, err),
  );
  lifecycle.onStop('temporal', () => temporal.connection.close());
  // The reconciliation Schedule is created or updated (idempotently) by every API start, so a
  // changed RECONCILIATION_INTERVAL takes effect on deploy. A failure is logged, not fatal:
  // checkouts must not wait for finance's schedule.
  await ensureReconciliationSchedule(temporal, config).then(
    (outcome) => log.info({ outcome, interval: config.reconciliation.interval, enabled: config.reconciliation.scheduleEnabled }, 'reconciliation schedule ensured'),
    (err) => log.error({ err }, 'could not create/update the reconciliation schedule; finance can still start runs on demand'),
  );

  const metrics = createMetrics('api');
  // Task-queue backlog gauges (the pools' autoscaling signal), polled from this one process.
  const backlog = startBacklogGauge(temporal, metrics, Object.values(TASK_QUEUES), 15_000, log);
  lifecycle.onStop('backlog gauge', () => backlog.stop());
  const app = createApp({ config, orm, redis, redisSub, temporal, logger: log, metrics, isStopping: () => lifecycle.isStopping });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.http.port, config.http.host);
    s.once('listening', () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') fatal(log, `Port ${config.http.port} on ${config.http.host} is already in use. Stop the other process or set PORT to a free port.`, err);
      fatal(log, `Cannot listen on ${config.http.host}:${config.http.port}.`, err);
    });
  });
  // Long-polls may hold a request up to 30 s; keep-alive sockets must not outlive shutdown.
  server.keepAliveTimeout = 5000;
  // Stops run in reverse order: the HTTP server closes first, then the intake relay finishes
  // the workflow starts still in flight, then the connections close.
  lifecycle.onStop('intake relay', () => (app.locals.intake as IntakeHandle).stop());
  lifecycle.onStop('http', () => closeServer(server));
  log.info({ port: config.http.port, host: config.http.host }, `API listening on http://${config.http.host}:${config.http.port} (docs at /docs)`);
}

/** Stop accepting, let in-flight requests finish (bounded), then drop idle keep-alive sockets. */
function closeServer(server: Server, graceMs = 35_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

main().catch((err) => fatal(undefined, 'The API failed to start.', err));
