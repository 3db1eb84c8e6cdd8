// Liveness, readiness (Postgres, Redis, Temporal) and Prometheus metrics. Readiness says
// which dependency failed, never its error text (logged instead: it can carry hosts, users
// or SQL). /metrics carries business counters: a bearer token when one is configured,
// otherwise loopback clients only.
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Logger } from '../../infra/logger.ts';
import type { Metrics } from '../../infra/metrics.ts';
import { withTimeout } from '../../infra/redis.ts';
import { RouteBindings } from '../routing.ts';
import type { RouteName } from './table.ts';
import { pingDatabase } from '../../infra/orm.ts';

const CHECK_TIMEOUT_MS = 2000;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * Whether this request may read /metrics. Without a token: a loopback peer that did not come
 * through a proxy (a reverse proxy on the same host is loopback too, and forwards strangers).
 */
export function metricsAllowed(req: Request, token: string | undefined): boolean {
  if (!token) return LOOPBACK.test(req.socket.remoteAddress ?? '') && !req.get('x-forwarded-for') && !req.get('forwarded');
  const given = Buffer.from(req.get('authorization') ?? '');
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

export function healthRoutes(deps: { orm: MikroORM; redis: Redis; temporal: Client; metrics: Metrics; isStopping?: () => boolean; metricsToken?: string; logger?: Logger; document?: unknown }): RouteBindings<RouteName> {
  const routes = new RouteBindings<RouteName>();

  routes.on('healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  routes.on('readyz', async (_req, res) => {
    const probe = async (name: string, fn: () => Promise<unknown>) => {
      const started = Date.now();
      try {
        await withTimeout(fn(), CHECK_TIMEOUT_MS, 'check');
        return { status: 'ok' as const, latencyMs: Date.now() - started };
      } catch (err) {
        const timedOut = (err as Error).message === `check timed out after ${CHECK_TIMEOUT_MS} ms`;
        deps.logger?.warn({ dependency: name, err: (err as Error).message }, 'readiness check failed');
        return { status: 'error' as const, latencyMs: Date.now() - started, error: timedOut ? 'timeout' : 'unavailable' };
      }
    };
    const [postgres, redis, temporal] = await Promise.all([
      probe('postgres', () => pingDatabase(deps.orm)),
      probe('redis', () => deps.redis.ping()),
      probe('temporal', () => deps.temporal.workflowService.getSystemInfo({})),
    ]);
    const stopping = deps.isStopping?.() ?? false;
    const ok = !stopping && [postgres, redis, temporal].every((c) => c.status === 'ok');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : stopping ? 'stopping' : 'unavailable', checks: { postgres, redis, temporal } });
  });

  routes.on('metrics', async (req, res) => {
    if (!metricsAllowed(req, deps.metricsToken)) {
      res.status(403).type('text/plain').send(deps.metricsToken ? 'metrics need Authorization: Bearer <METRICS_TOKEN>\n' : 'metrics are served to loopback clients only (set METRICS_TOKEN to allow others)\n');
      return;
    }
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });

  routes.on('openapi', (_req, res) => {
    res.json(deps.document);
  });

  return routes;
}
