// Fixed-window rate limits in Redis (INCR + EXPIRE per window). Redis is an accelerator:
// when it is slow or down the limiter fails open (logged + counted), never a 5xx.
import type { Request, RequestHandler } from 'express';
import { Counter } from 'prom-client';
import type { Redis } from 'ioredis';
import { AppError } from '../../infra/errors.ts';
import { withTimeout } from '../../infra/redis.ts';
import type { Logger } from '../../infra/logger.ts';
import type { Metrics } from '../../infra/metrics.ts';
import { principalOf } from './auth.ts';

export function failOpenCounter(metrics: Metrics): Counter<'scope'> {
  const name = 'rate_limit_fail_open_total';
  return (metrics.registry.getSingleMetric(name) as Counter<'scope'> | undefined) ??
    new Counter({ name, help: 'Requests let through because the rate limiter (Redis) was unavailable', labelNames: ['scope'], registers: [metrics.registry] });
}

export interface RateLimitOptions {
  scope: 'ip' | 'customer';
  limit: number;
  windowSeconds?: number;
  key: (req: Request, res: Parameters<RequestHandler>[1]) => string;
}

export function rateLimit(deps: { redis: Redis; metrics: Metrics; logger: Logger }, opts: RateLimitOptions): RequestHandler {
  const windowSeconds = opts.windowSeconds ?? 60;
  const failOpen = failOpenCounter(deps.metrics);
  return async (req, res, next) => {
    const now = Date.now();
    const window = Math.floor(now / 1000 / windowSeconds);
    const key = `rl:${opts.scope}:${opts.key(req, res)}:${window}`;
    let count: number;
    try {
      const result = await withTimeout(deps.redis.multi().incr(key).expire(key, windowSeconds + 1).exec(), 250);
      const first = result?.[0];
      if (!first || first[0]) throw first?.[0] ?? new Error('empty MULTI result');
      count = Number(first[1]);
    } catch (err) {
      failOpen.inc({ scope: opts.scope });
      deps.logger.warn({ err: (err as Error).message, scope: opts.scope }, 'rate limiter unavailable; failing open');
      return next();
    }
    const resetIn = Math.max(1, Math.ceil(((window + 1) * windowSeconds * 1000 - now) / 1000));
    res.setHeader('RateLimit-Limit', String(opts.limit));
    res.setHeader('RateLimit-Remaining', String(Math.max(0, opts.limit - count)));
    res.setHeader('RateLimit-Reset', String(resetIn));
    if (count > opts.limit) {
      deps.metrics.rateLimited.inc({ scope: opts.scope });
      throw new AppError(429, 'rate_limited', `Too many requests; retry in ${resetIn} s.`, { headers: { 'Retry-After': String(resetIn) } });
    }
    next();
  };
}

export const byIp = (req: Request) => req.ip ?? 'unknown';
export const byCustomer = (_req: Request, res: Parameters<RequestHandler>[1]) => principalOf(res).sub;
