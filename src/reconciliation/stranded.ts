// Orders the checkout workflow left behind: a workflow terminated (or reset, or cancelled
// before it could compensate) cannot settle its order, so money and stock would stay held
// for ever. Reconciliation lists the candidates from our own records; the reconciliation
// workflow then asks each order's workflow first (a signal) and repairs only the orders
// whose workflow is gone.
import { raw, type EntityManager } from '@mikro-orm/postgresql';
import { Order } from '../orders/entities.ts';
import type { OrderStatus } from '../contracts/index.ts';

export interface StrandedCandidate {
  orderId: string;
  status: OrderStatus;
  /** 'unsettled' = PENDING / AWAITING_PAYMENT_ACTION; 'held_stock' = a settled order still holding units. */
  reason: 'unsettled' | 'held_stock';
}

/** How many candidates one run looks at (the rest wait for the next run). */
export const MAX_STRANDED_PER_RUN = 200;

/**
 * Unsettled orders whose workflow was started (the intake relay owns the unstarted ones) and
 * that have not moved for `graceMs`, and settled orders that still have HELD reservations.
 */
export async function findStrandedCandidates(em: EntityManager, graceMs: number, limit = MAX_STRANDED_PER_RUN): Promise<StrandedCandidate[]> {
  // Hand-written: a union of two separately limited selects, one with a correlated exists and
  // interval arithmetic on the database clock.
  const rows = await em.getConnection().execute<{ id: string; status: OrderStatus; reason: StrandedCandidate['reason'] }[]>(
    `(select o.id, o.status, 'unsettled' as reason from orders o
       where o.status in ('PENDING', 'AWAITING_PAYMENT_ACTION') and o.workflow_started_at is not null
         and o.updated_at < now() - (? * interval '1 millisecond')
       order by o.updated_at limit ?)
     union
     (select o.id, o.status, 'held_stock' as reason from orders o
       where o.status in ('CONFIRMED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED')
         and exists (select 1 from reservations r where r.order_id = o.id and r.state = 'HELD' and r.updated_at < now() - (? * interval '1 millisecond'))
       limit ?)`,
    [graceMs, limit, graceMs, limit]);
  return rows.slice(0, limit).map((r) => ({ orderId: r.id, status: r.status, reason: r.reason }));
}

/** The candidate as it is now (re-checked right before a repair), or undefined when it no longer applies. */
export async function strandedNow(em: EntityManager, orderId: string): Promise<StrandedCandidate | undefined> {
  // One statement, so the status and the held stock are read from the same snapshot.
  const o: { status: OrderStatus; held: boolean } | undefined = await em.createQueryBuilder(Order, 'o')
    .select(['status', raw(`exists (select 1 from reservations r where r.order_id = o.id and r.state = 'HELD') as held`)])
    .where({ id: orderId })
    .execute('get');
  if (!o) return undefined;
  if (o.status === 'PENDING' || o.status === 'AWAITING_PAYMENT_ACTION') return { orderId, status: o.status, reason: 'unsettled' };
  return o.held ? { orderId, status: o.status, reason: 'held_stock' } : undefined;
}
