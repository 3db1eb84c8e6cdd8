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
