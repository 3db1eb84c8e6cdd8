// What activity factories receive. Built once per worker process (workers/runner.ts) or
// per test; activities fork their own EntityManager per call.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import type { Config } from '../src/infra/config.ts';
import type { Logger } from '../src/infra/logger.ts';
import type { Metrics } from '../src/infra/metrics.ts';
import type { PaymentProvider } from '../src/payments/provider.ts';

export interface ActivityDeps {
  orm: MikroORM;
  logger: Logger;
  metrics: Metrics;
  redis?: Redis;
  provider?: PaymentProvider;
  config?: Readonly<Config>;
}

/** Runs one activity body, recording its duration and outcome (bounded labels). */
export async function timed<T>(deps: Pick<ActivityDeps, 'metrics'>, activity: string, fn: () => Promise<T>): Promise<T> {
  const end = deps.metrics.activityDuration.startTimer({ activity });
  try {
    const r = await fn();
    end({ outcome: 'ok' });
    return r;
  } catch (err) {
    end({ outcome: 'error' });
    throw err;
  }
}
