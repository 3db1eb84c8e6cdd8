// What activity factories receive. Built once per worker process (workers/runner.ts) or
// per test; activities fork their own EntityManager per call.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
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

/** The payment provider of a payments-pool worker; a worker started without one fails the activity for good. */
export function requireProvider(deps: Pick<ActivityDeps, 'provider'>): PaymentProvider {
  if (!deps.provider) throw ApplicationFailure.nonRetryable('payments worker started without a payment provider', 'MisconfiguredWorker');
  return deps.provider;
}

/**
 * Postgres errors that the same data raises again on every attempt: data exceptions (class 22:
 * out of range, bad text representation…) and constraint violations other than a unique one
 * (not null, foreign key, check, exclusion). A unique violation is usually a race an
 * idempotent retry resolves; serialization failures and deadlocks are retryable by nature.
 */
export function isDeterministicDatabaseError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && (code.startsWith('22') || ['23502', '23503', '23514', '23P01'].includes(code));
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
    // Retrying bad data only repeats the error for ever (and every API retry would answer 503).
    if (isDeterministicDatabaseError(err)) throw ApplicationFailure.nonRetryable(`${activity}: ${err.message}`, 'InvalidData', { sqlState: err.code });
    throw err;
  }
}

/**
 * Runs a compensation and counts it by outcome (`label` maps the result; undefined counts
 * nothing), or as 'error' when it throws.
 */
export async function countedCompensation<T>(
  deps: Pick<ActivityDeps, 'metrics'>,
  kind: 'release_stock' | 'restock' | 'void_authorization' | 'refund_payment',
  fn: () => Promise<T>,
  label: (r: T) => string | undefined,
): Promise<T> {
  try {
    const r = await fn();
    const outcome = label(r);
    if (outcome) deps.metrics.compensations.inc({ kind, outcome });
    return r;
  } catch (err) {
    deps.metrics.compensations.inc({ kind, outcome: 'error' });
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
