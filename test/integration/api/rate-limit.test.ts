// The rate-limit middleware on rate-limiter-flexible: counters shared in Redis, the same 429
// contract as before, an in-memory insurance limiter when Redis is down, and a sliding window
// so no 2x burst across a window edge. The middleware is called directly (no sockets) so the
// clock can be moved for the window-edge cases.
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../../../src/infra/errors.ts';
import { createLogger } from '../../../src/infra/logger.ts';
import { createMetrics } from '../../../src/infra/metrics.ts';
import { createRedis, type Redis } from '../../../src/infra/redis.ts';
import { rateLimit, slidingDecision } from '../../../src/api/middleware/rate-limit.ts';
import { testConfig } from '../../helpers/env.ts';

const config = testConfig();
const logger = createLogger(config, 'rate-limit-test');
let redis: Redis;
let deadRedis: Redis;

beforeAll(async () => {
  redis = createRedis({ ...config.redis, keyPrefix: `test:rl-${process.pid}-${Date.now()}:` });
  await redis.ping();
  // Never connects: the client is not "ready", as when Redis is down.
  deadRedis = createRedis({ url: 'redis://127.0.0.1:1/0', keyPrefix: 'x:' }, { lazy: true });
  deadRedis.on('error', () => undefined);
});
afterAll(async () => {
  await redis.quit();
  deadRedis.disconnect();
});
afterEach(() => {
  jest.restoreAllMocks();
});

type Outcome = { status: 200 | 429; headers: Record<string, string>; error?: AppError };

async function call(handler: RequestHandler, key: string): Promise<Outcome> {
  const headers: Record<string, string> = {};
  const res = { setHeader: (k: string, v: string) => void (headers[k] = v), locals: {} } as unknown as Response;
  const req = { ip: key } as Request;
  try {
    let passed = false;
    await handler(req, res, () => void (passed = true));
    if (!passed) throw new Error('middleware neither passed nor rejected');
    return { status: 200, headers };
  } catch (err) {
    if (err instanceof AppError && err.status === 429) return { status: 429, headers, error: err };
    throw err;
  }
}

const limiter = (r: Redis, metrics = createMetrics('rl-test'), limit = 60) =>
  rateLimit({ redis: r, metrics, logger }, { scope: 'ip', limit, windowSeconds: 60, key: (req) => req.ip! });

/** Moves Date.now() (the insurance limiter's and the middleware's clock). */
function clockAt(iso: string) {
  const clock = { now: Date.parse(iso) };
  jest.spyOn(Date, 'now').mockImplementation(() => clock.now);
  return clock;
}

describe('rate limiting', () => {
  it('answers 429 rate_limited with Retry-After past the limit, counted across replicas in Redis', async () => {
    const replicaA = limiter(redis, undefined, 10);
    const replicaB = limiter(redis, undefined, 10);
    const key = `client-${Date.now()}`;
    for (let i = 0; i < 10; i++) expect((await call(i % 2 ? replicaA : replicaB, key)).status).toBe(200);
    const denied = await call(replicaA, key);
    expect(denied.status).toBe(429);
    expect(denied.error!.code).toBe('rate_limited');
    const retryAfter = Number(denied.error!.headers!['Retry-After']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(120);
    expect(denied.headers['RateLimit-Limit']).toBe('10');
    expect(denied.headers['RateLimit-Remaining']).toBe('0');
    // Another client is not affected.
    expect((await call(replicaB, `${key}-other`)).status).toBe(200);
  });

  it('Redis down: the in-memory insurance limiter still limits (counted), never a 5xx', async () => {
    const metrics = createMetrics('rl-test-dead');
    const handler = limiter(deadRedis, metrics, 10);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await call(handler, `client-dead-${Date.now()}`.slice(0, 16))).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect(await metrics.registry.getSingleMetricAsString('rate_limit_insurance_total')).toMatch(/scope="ip"[^}]*\} 12$/m);
  });

  it('no 2x burst across a window edge: the whole limit at the end of a minute leaves nothing for the start of the next', async () => {
    const clock = clockAt('2026-11-29T12:00:00Z');
    const handler = limiter(deadRedis);
    const accepted: number[] = [];
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) if ((await call(handler, 'edge')).status === 200) accepted.push(clock.now);
    };
    clock.now += 59_500;
    await send(60); // the full limit, half a second before the window ends
    expect(accepted).toHaveLength(60);
    clock.now += 1_000;
    await send(1); // half a second into the next window: a fixed window would take 60 more
    expect(accepted.filter((t) => t === clock.now)).toHaveLength(0);
    // The limit comes back as the burst slides out of the last minute, not all at once.
    clock.now += 30_000;
    const before = accepted.length;
    await send(60);
    const regained = accepted.length - before;
    expect(regained).toBeGreaterThan(0);
    expect(regained).toBeLessThan(60);
  });

  it('a burst of the whole limit after a quiet period is allowed, and a client just under the contract rate is never limited', async () => {
    const clock = clockAt('2026-11-29T13:00:07Z');
    const handler = limiter(deadRedis);
    for (let i = 0; i < 60; i++) expect((await call(handler, 'burst')).status).toBe(200);
    expect((await call(handler, 'burst')).status).toBe(429);
    // (The estimate counts the request exactly one window old, so "just under" 60 a minute.)
    for (let s = 0; s < 180; s++, clock.now += 1050) expect((await call(handler, 'steady')).status).toBe(200);
  });

  it('Retry-After points at the moment one more request fits', () => {
    const minute = 60_000;
    // 60 in the previous window, 10 s into this one, this request the first: 60 × 5/6 + 1 = 51 ≤ 60.
    expect(slidingDecision(60, minute, 10_000, 60, 1).allowed).toBe(true);
    // Just after a full previous window: refused; one more fits once 2/60 of the window has slid out.
    const d = slidingDecision(60, minute, 500, 60, 1);
    expect(d.allowed).toBe(false);
    expect(d.retryAfter).toBe(2);
    expect(slidingDecision(60, minute, 2000, 60, 2).allowed).toBe(true);
    // This window already full: wait for the next window.
    expect(slidingDecision(60, minute, 30_000, 0, 61).retryAfter).toBe(Math.ceil((30_000 + minute * (1 - 59 / 61)) / 1000));
  });
});
