// One ioredis connection per role (commands; a separate one for pub/sub subscriptions).
import { Redis } from 'ioredis';
import type { Config } from './config.ts';

export { Redis };

export function createRedis(redis: Config['redis'], opts: { lazy?: boolean } = {}): Redis {
  return new Redis(redis.url, {
    keyPrefix: redis.keyPrefix,
    lazyConnect: opts.lazy ?? false,
    // Fail fast instead of queueing commands forever when Redis is down: callers
    // treat Redis as an accelerator and fall back to Postgres.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
}

/** Channel on which order changes are published (pub/sub does not apply keyPrefix, so we add it). */
export const orderChannel = (redis: Config['redis'], orderId: string) => `${redis.keyPrefix}order-changed:${orderId}`;

/** Rejects after `ms` so a hung or disconnected Redis cannot hold a caller (Redis is only an accelerator). */
export function withTimeout<T>(p: Promise<T>, ms: number, what = 'redis'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
