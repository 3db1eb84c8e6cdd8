// Inventory pool activities: reserve (all lines, all-or-nothing), commit, release.
import { ApplicationFailure } from '@temporalio/common';
import * as inventory from '../src/inventory/service.ts';
import { timed, type ActivityDeps } from './deps.ts';

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
    /** HELD → COMMITTED (the checkout uses orders.confirmOrder, which does this in its own transaction). */
    async commitStock(input: { orderId: string }): Promise<{ committed: number; state: string }> {
      return timed(deps, 'commitStock', () => inventory.commitReservation(deps.orm.em.fork(), input.orderId));
    },
    /** Compensation: HELD → RELEASED; a no-op when nothing is held. */
    async releaseStock(input: { orderId: string }): Promise<{ released: number; state: string }> {
      return timed(deps, 'releaseStock', async () => {
        try {
          const r = await inventory.releaseStock(deps.orm.em.fork(), input.orderId);
          deps.metrics.compensations.inc({ kind: 'release_stock', outcome: r.released > 0 ? 'done' : 'noop' });
          return r;
        } catch (err) {
          deps.metrics.compensations.inc({ kind: 'release_stock', outcome: 'error' });
          throw err;
        }
      });
    },
    /** Compensation of an ops cancel after confirm: COMMITTED units back on hand; a no-op when none are. */
    async restockStock(input: { orderId: string; actor?: string }): Promise<{ restocked: number }> {
      return timed(deps, 'restockStock', async () => {
        try {
          const r = await inventory.restockCommitted(deps.orm.em.fork(), input.orderId, input.actor);
          deps.metrics.compensations.inc({ kind: 'restock', outcome: r.restocked > 0 ? 'done' : 'noop' });
          return r;
        } catch (err) {
          deps.metrics.compensations.inc({ kind: 'restock', outcome: 'error' });
          throw err;
        }
      });
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
