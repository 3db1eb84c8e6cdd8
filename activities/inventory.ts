// Inventory pool activities: reserve (all lines, all-or-nothing), release, restock. Committing
// the stock happens in orders.confirmOrder, in the same transaction as CONFIRMED.
import { ApplicationFailure } from '@temporalio/common';
import * as inventory from '../src/inventory/service.ts';
import { countedCompensation, timed, type ActivityDeps } from './deps.ts';

export type { ReservationResult, Allocation } from '../src/inventory/service.ts';

export interface ReserveStockInput {
  orderId: string;
  lines: inventory.ReservationLineInput[];
}

export function createInventoryActivities(deps: ActivityDeps) {
  return {
    /** Out of stock → non-retryable `OutOfStock` with the shortages; idempotent by order id. */
    async reserveStock(input: ReserveStockInput): Promise<inventory.ReservationResult> {
      return timed(deps, 'reserveStock', async () => {
        try {
          return await inventory.reserveStock(deps.orm.em.fork(), input.orderId, input.lines);
        } catch (err) {
          if (err instanceof inventory.OrderNotPendingError) throw ApplicationFailure.nonRetryable(err.message, 'OrderNotPending', { status: err.status });
          if (err instanceof inventory.OutOfStockError) {
            deps.metrics.reservationConflicts.inc();
            throw ApplicationFailure.nonRetryable(err.message, 'OutOfStock', { shortages: err.shortages });
          }
          throw err;
        }
      });
    },
    /** Compensation: HELD → RELEASED; a no-op when nothing is held. */
    async releaseStock(input: { orderId: string }): Promise<{ released: number; state: string }> {
      return timed(deps, 'releaseStock', () =>
        countedCompensation(deps, 'release_stock', () => inventory.releaseStock(deps.orm.em.fork(), input.orderId), (r) => (r.released > 0 ? 'done' : 'noop')));
    },
    /** Compensation of an ops cancel after confirm: COMMITTED units back on hand; a no-op when none are. */
    async restockStock(input: { orderId: string; actor?: string }): Promise<{ restocked: number }> {
      return timed(deps, 'restockStock', () =>
        countedCompensation(deps, 'restock', () => inventory.restockCommitted(deps.orm.em.fork(), input.orderId, input.actor), (r) => (r.restocked > 0 ? 'done' : 'noop')));
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
