// Liveness, readiness (Postgres, Redis, Temporal) and Prometheus metrics.
import { Router } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Metrics } from '../../infra/metrics.ts';
import { withTimeout } from '../../infra/redis.ts';

const CHECK_TIMEOUT_MS = 2000;

export function healthRoutes(deps: { orm: MikroORM; redis: Redis; temporal: Client; metrics: Metrics; isStopping?: () => boolean }): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const probe = async (fn: () => Promise<unknown>) => {
      const started = Date.now();
      try {
        await withTimeout(fn(), CHECK_TIMEOUT_MS, 'check');
        return { status: 'ok' as const, latencyMs: Date.now() - started };
      } catch (err) {
        return { status: 'error' as const, latencyMs: Date.now() - started, error: (err as Error).message.slice(0, 200) };
      }
    };
    const [postgres, redis, temporal] = await Promise.all([
      probe(() => deps.orm.em.getConnection().execute('select 1')),
      probe(() => deps.redis.ping()),
      probe(() => deps.temporal.workflowService.getSystemInfo({})),
    ]);
    const stopping = deps.isStopping?.() ?? false;
    const ok = !stopping && [postgres, redis, temporal].every((c) => c.status === 'ok');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : stopping ? 'stopping' : 'unavailable', checks: { postgres, redis, temporal } });
  });

  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });

  return router;
}
