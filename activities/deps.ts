// What activity factories receive. Built once per worker process (workers/runner.ts) or
// per test; activities fork their own EntityManager per call.
import { Context } from '@temporalio/activity';
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

/**
 * Heartbeats every second while `fn` runs, so a worker that dies mid-call (SIGKILL, OOM) is
 * noticed within the activity's heartbeatTimeout instead of its whole startToCloseTimeout.
 */
export async function withHeartbeat<T>(fn: () => Promise<T>): Promise<T> {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    ctx = undefined; // called outside an activity (unit tests, scripts)
  }
  const timer = ctx ? setInterval(() => ctx.heartbeat(), 1000) : undefined;
  try {
    ctx?.heartbeat();
    return await fn();
  } finally {
    if (timer) clearInterval(timer);
  }
}
