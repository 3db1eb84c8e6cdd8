// Rate limits: a sliding-window counter on rate-limiter-flexible. The library keeps the
// counters (atomic increment + expiry in Redis, shared by every API replica), times Redis out
// after 250 ms and then hands over to an in-memory insurance limiter of the same shape (per
// replica, counted in rate_limit_insurance_total): a Redis outage neither opens the gate nor
// turns into 5xx.
//
// Why sliding: with one fixed window a client can spend the whole limit at the end of a
// window and again at the start of the next (2x in a moment). Here each clock-aligned window
// has its own counter and the decision weighs the previous window by how much of it still
// overlaps the last `windowSeconds`: estimate = previous x (1 - elapsed/window) + current.
// A full burst is still allowed after a quiet minute, but a burst right after a full window
// is refused; every attempt counts, refused ones included.
import type { Request, RequestHandler } from 'express';
import { Counter } from 'prom-client';
import type { Redis } from 'ioredis';
import { RLWrapperTimeouts, RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../../infra/errors.ts';
import type { Logger } from '../../infra/logger.ts';
import type { Metrics } from '../../infra/metrics.ts';
import { principalOf } from './auth.ts';

const REDIS_TIMEOUT_MS = 250;
/** Counters never reject by themselves: the sliding estimate decides. */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

export function insuranceCounter(metrics: Metrics): Counter<'scope'> {
  const name = 'rate_limit_insurance_total';
  return (metrics.registry.getSingleMetric(name) as Counter<'scope'> | undefined) ??
    new Counter({ name, help: 'Rate-limit decisions taken by the in-memory insurance limiter because Redis was unavailable', labelNames: ['scope'], registers: [metrics.registry] });
}

export interface RateLimitOptions {
  scope: 'ip' | 'customer';
  limit: number;
  windowSeconds?: number;
  key: (req: Request, res: Parameters<RequestHandler>[1]) => string;
}

/** The in-memory fallback; reports each counted request it had to take over. */
class InsuranceLimiter extends RateLimiterMemory {
  onUse: () => void = () => undefined;
  override penalty(key: string | number, points?: number, options?: { [key: string]: unknown }) {
    this.onUse();
    return super.penalty(key, points, options);
  }
}

export interface SlidingDecision {
  allowed: boolean;
  /** Requests still allowed now (RateLimit-Remaining). */
  remaining: number;
  /** Seconds until the request would be allowed (Retry-After), ≥ 1. */
  retryAfter: number;
  /** Seconds until the current window ends (RateLimit-Reset), ≥ 1. */
  reset: number;
}

/**
 * The sliding-window decision for `current` requests (this one included) in the window that
 * started `elapsedMs` ago and `previous` in the window before. Pure, for tests.
 */
export function slidingDecision(limit: number, windowMs: number, elapsedMs: number, previous: number, current: number): SlidingDecision {
  const weight = 1 - elapsedMs / windowMs;
  const estimate = previous * weight + current;
  const reset = Math.max(1, Math.ceil((windowMs - elapsedMs) / 1000));
  // When would one more request (current + 1) fit?
  let waitMs: number;
  if (current + 1 <= limit && previous > 0) {
    // Still in this window, once enough of the previous one has slid out.
    waitMs = windowMs * (1 - (limit - current - 1) / previous) - elapsedMs;
  } else {
    // In the next window, once enough of this one has slid out.
    waitMs = windowMs - elapsedMs + windowMs * Math.max(0, 1 - (limit - 1) / current);
  }
  return { allowed: estimate <= limit, remaining: Math.max(0, Math.floor(limit - estimate)), retryAfter: Math.max(1, Math.ceil(waitMs / 1000)), reset };
}

export function rateLimit(deps: { redis: Redis; metrics: Metrics; logger: Logger }, opts: RateLimitOptions): RequestHandler {
  const windowMs = (opts.windowSeconds ?? 60) * 1000;
  const insuranceUsed = insuranceCounter(deps.metrics);
  let warnedAt = 0;
  const insurance = new InsuranceLimiter({ keyPrefix: `rl:${opts.scope}`, points: UNBOUNDED, duration: (2 * windowMs) / 1000 });
  insurance.onUse = () => {
    insuranceUsed.inc({ scope: opts.scope });
    // One warning a minute shows the outage without flooding the log.
    if (Date.now() - warnedAt > 60_000) {
      warnedAt = Date.now();
      deps.logger.warn({ scope: opts.scope }, 'rate limiter: Redis unavailable, the in-memory insurance limiter decides');
    }
  };
  // Each window's counter lives two windows, so it can still be read as "previous".
  // rejectIfRedisNotReady: a disconnected client goes to the insurance at once instead of queueing.
  const store = new RateLimiterRedis({ storeClient: deps.redis, keyPrefix: `rl:${opts.scope}`, points: UNBOUNDED, duration: (2 * windowMs) / 1000, rejectIfRedisNotReady: true });
  const counters: RateLimiterAbstract = new RLWrapperTimeouts({ limiter: store, timeoutMs: REDIS_TIMEOUT_MS, insuranceLimiter: insurance, keyPrefix: `rl:${opts.scope}` });

  return async (req, res, next) => {
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const key = opts.key(req, res);
    let previous: RateLimiterRes | null;
    let current: RateLimiterRes;
    try {
      [current, previous] = await Promise.all([counters.penalty(`${key}:${window}`, 1), counters.get(`${key}:${window - 1}`)]);
    } catch (err) {
      // Both Redis and the insurance failed: nothing can count, let the request through.
      deps.logger.error({ err: (err as Error)?.message, scope: opts.scope }, 'rate limiter failed');
      return next();
    }
    const d = slidingDecision(opts.limit, windowMs, now - window * windowMs, previous?.consumedPoints ?? 0, current.consumedPoints);
    res.setHeader('RateLimit-Limit', String(opts.limit));
    res.setHeader('RateLimit-Remaining', String(d.remaining));
    res.setHeader('RateLimit-Reset', String(d.reset));
    if (!d.allowed) {
      deps.metrics.rateLimited.inc({ scope: opts.scope });
      throw new AppError(429, 'rate_limited', `Too many requests; retry in ${d.retryAfter} s.`, { headers: { 'Retry-After': String(d.retryAfter) } });
    }
    next();
  };
}

export const byIp = (req: Request) => req.ip ?? 'unknown';
export const byCustomer = (_req: Request, res: Parameters<RequestHandler>[1]) => principalOf(res).sub;
