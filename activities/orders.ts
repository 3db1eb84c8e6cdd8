// Orders pool activities: record, transition, confirm, flag. Plain data in and out.
import { ApplicationFailure } from '@temporalio/common';
import * as orders from '../src/orders/service.ts';
import { timed, type ActivityDeps } from './deps.ts';
import type { CheckoutInput, RecordedOrder } from '../src/contracts/index.ts';

export type { TransitionInput, TransitionResult } from '../src/orders/service.ts';

export interface FlagOrderInput {
  orderId: string;
  /** 'capture_failed' | 'compensation_failed' | 'manual_review'; null clears the flag. */
  attention: string | null;
  reason: string;
  dedupeKey: string;
  actor?: string;
}

export function createOrderActivities(deps: ActivityDeps) {
  const svc: orders.OrderServiceDeps = { logger: deps.logger, metrics: deps.metrics, redis: deps.redis, redisConfig: deps.config?.redis };
  const illegal = (err: unknown): never => {
    if (err instanceof orders.IllegalTransitionError) throw ApplicationFailure.nonRetryable(err.message, 'IllegalTransition', { from: err.from, to: err.to });
    if (err instanceof orders.OrderNotFoundError) throw ApplicationFailure.nonRetryable(err.message, 'OrderNotFound');
    throw err;
  };
  return {
    /** Prices the lines from the catalog and writes the order (idempotent). */
    async recordOrder(input: CheckoutInput): Promise<RecordedOrder> {
      return timed(deps, 'recordOrder', () => orders.recordOrder(deps.orm.em.fork(), input).catch((err: unknown) => {
        if (err instanceof orders.InvalidOrderError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidOrder', { code: err.code });
        throw err;
      }));
    },
    /** Legal transitions only; one order_events row per dedupe key; notifies after commit. */
    async transitionOrder(t: orders.TransitionInput): Promise<orders.TransitionResult> {
      return timed(deps, 'transitionOrder', () => orders.transitionOrder(deps.orm.em.fork(), svc, t).catch(illegal));
    },
    /** Commits the stock reservation and marks the order CONFIRMED in one transaction. */
    async confirmOrder(input: { orderId: string }): Promise<orders.TransitionResult & { committedUnits: number }> {
      return timed(deps, 'confirmOrder', () => orders.confirmOrder(deps.orm.em.fork(), svc, input.orderId).catch(illegal));
    },
    /** A `cancel_requested` timeline row, written before the compensations of a cancel run. */
    async recordCancelRequest(input: { orderId: string; actor?: string; reason?: string }): Promise<{ recorded: boolean }> {
      return timed(deps, 'recordCancelRequest', () => orders.recordCancelRequest(deps.orm.em.fork(), input));
    },
    /** Sets or clears orders.attention (finance / ops must look). */
    async flagOrder(f: FlagOrderInput): Promise<{ changed: boolean }> {
      return timed(deps, 'flagOrder', async () => {
        const r = await orders.flagOrder(deps.orm.em.fork(), svc, f).catch(illegal);
        if (r.changed && f.attention) {
          deps.metrics.ordersFlagged.inc({ attention: f.attention });
          deps.logger.warn({ orderId: f.orderId, attention: f.attention, reason: f.reason }, 'order needs attention');
        }
        return r;
      });
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
