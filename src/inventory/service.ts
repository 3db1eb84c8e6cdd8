// Where stock is reserved, committed and released. Every function takes an EntityManager
// so callers choose the transaction (confirmOrder commits the reservation inside the same
// transaction that marks the order CONFIRMED).
//
// No oversell under any concurrency: every increment of `reserved` is a guarded update
// (`... where on_hand - reserved >= qty`), which Postgres re-evaluates on the newest row
// version after waiting for a concurrent writer; the check constraint backs it up.
// Deadlock-free: levels are always locked in (sku, warehouse priority, code) order — reserve
// by walking them so, commit/release/restock by locking them so before updating (lockLevels).
import { raw, type EntityManager } from '@mikro-orm/postgresql';
import { InventoryLevel, Reservation, type ReservationState } from './entities.ts';

export interface ReservationLineInput {
  lineNo: number;
  sku: string;
  quantity: number;
}

export interface Allocation {
  lineNo: number;
  sku: string;
  warehouse: string;
  quantity: number;
}

export interface ReservationResult {
  orderId: string;
  /** HELD after a fresh reservation; an earlier outcome when called again (idempotent). */
  state: ReservationState;
  allocations: Allocation[];
  /** false when this call found an existing reservation and changed nothing. */
  created: boolean;
}

export interface Shortage {
  sku: string;
  requested: number;
  available: number;
}

/** The order is no longer PENDING (rejected, cancelled…): a late attempt must not reserve for it. */
export class OrderNotPendingError extends Error {
  readonly status: string | undefined;
  constructor(orderId: string, status: string | undefined) {
    super(`Order ${orderId} is ${status ?? 'missing'}, not PENDING: nothing reserved`);
    this.name = 'OrderNotPendingError';
    this.status = status;
  }
}

/** Not enough stock for at least one line; nothing was reserved. */
export class OutOfStockError extends Error {
  readonly shortages: Shortage[];
  constructor(shortages: Shortage[]) {
    super(`Out of stock: ${shortages.map((s) => `${s.sku} (requested ${s.requested}, available ${s.available})`).join(', ')}`);
    this.name = 'OutOfStockError';
    this.shortages = shortages;
  }
}

type ReservationRow = { id: number; lineNo: number; sku: string; warehouse: string; quantity: number; state: ReservationState };

/** Serializes reserve/commit/release of one order (two retries of the same activity racing). */
async function lockOrder(em: EntityManager, orderId: string): Promise<void> {
  // Hand-written: a transaction-scoped advisory lock (no table row to lock before the first reserve).
  await em.getConnection().execute('select pg_advisory_xact_lock(hashtext(?))', [`reservation:${orderId}`], 'all', em.getTransactionContext());
}

/**
 * The order's reservation rows, locked. Hand-written, like every statement of reserveStock:
 * the reserve is a hot path under contention and its row locks are held until commit, so ORM
 * work between its statements lengthens every lock hold — measured with bench/reservation.ts,
 * reserveStock through em.find/findOne/query builder reserved about half as many orders per
 * second (2 cores).
 */
async function rowsOf(em: EntityManager, orderId: string): Promise<ReservationRow[]> {
  const rows = await em.getConnection().execute<(Omit<ReservationRow, 'lineNo'> & { line_no: number })[]>(
    'select id, line_no, sku, warehouse, quantity, state from reservations where order_id = ? order by sku, line_no, warehouse for update',
    [orderId], 'all', em.getTransactionContext(),
  );
  return rows.map(({ line_no: lineNo, ...r }) => ({ ...r, lineNo }));
}

/**
 * Locks the inventory levels these rows touch in the same order reserveStock takes them
 * (sku, warehouse priority, warehouse code), before any update: commit, release and restock
 * then never wait on a reserve (or each other) in the opposite order — no deadlock.
 */
async function lockLevels(em: EntityManager, rows: Pick<ReservationRow, 'sku' | 'warehouse'>[]): Promise<void> {
  if (rows.length === 0) return;
  // Hand-written: the lock order is the point (sku, warehouse priority, code) and only the
  // levels are locked (`for update of l`), matched by (sku, warehouse) pairs.
  await em.getConnection().execute(
    `select l.id from inventory_levels l join warehouses w on w.code = l.warehouse
      where (l.sku, l.warehouse) in (${rows.map(() => '(?, ?)').join(', ')})
      order by l.sku, w.priority, w.code for update of l`,
    rows.flatMap((r) => [r.sku, r.warehouse]), 'all', em.getTransactionContext(),
  );
}

const toAllocations = (rows: ReservationRow[]): Allocation[] =>
  rows.map((r) => ({ lineNo: r.lineNo, sku: r.sku, warehouse: r.warehouse, quantity: r.quantity }));

/** The overall state of an order's reservation rows (they always move together). */
function stateOf(rows: ReservationRow[]): ReservationState {
  if (rows.some((r) => r.state === 'HELD')) return 'HELD';
  if (rows.some((r) => r.state === 'COMMITTED')) return 'COMMITTED';
  return 'RELEASED';
}

/**
 * Reserves every line of an order, all-or-nothing, in ONE transaction, drawing from
 * warehouses by priority and splitting a line across warehouses when needed.
 * Idempotent by order id: if the order already has reservation rows (held, committed or
 * released) they are returned unchanged — a released reservation is never re-reserved.
 */
export async function reserveStock(em: EntityManager, orderId: string, lines: ReservationLineInput[]): Promise<ReservationResult> {
  return em.transactional(async (tx) => {
    // Hand-written statements throughout: a hot path (see rowsOf).
    const conn = tx.getConnection();
    const ctx = tx.getTransactionContext();
    await lockOrder(tx, orderId);
    const existing = await rowsOf(tx, orderId);
    if (existing.length > 0) return { orderId, state: stateOf(existing), allocations: toAllocations(existing), created: false };
    // Only for an order still PENDING, read under the order row's lock: a transition (to
    // REJECTED, CANCELLED…) waits for this transaction or this one sees its result. A late
    // attempt of this step (stalled, then retried and failed) can never hold stock for an
    // order that was settled meanwhile.
    const [order] = await conn.execute<{ status: string }[]>('select status from orders where id = ? for share', [orderId], 'all', ctx);
    if (order && order.status !== 'PENDING') throw new OrderNotPendingError(orderId, order.status);

    const ordered = [...lines].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.lineNo - b.lineNo));
    const allocations: Allocation[] = [];
    const shortages: Shortage[] = [];
    for (const line of ordered) {
      let remaining = line.quantity;
      const levels = await conn.execute<{ id: number; warehouse: string }[]>(
        `select l.id, l.warehouse from inventory_levels l join warehouses w on w.code = l.warehouse
         where l.sku = ? order by w.priority, w.code`,
        [line.sku], 'all', ctx,
      );
      for (const level of levels) {
        // A bounded loop: each failed guarded update means a concurrent order took stock
        // between our read and our write; re-read and take what is left.
        for (let attempt = 0; remaining > 0 && attempt < 5; attempt++) {
          const [row] = await conn.execute<{ available: number }[]>('select on_hand - reserved as available from inventory_levels where id = ?', [level.id], 'all', ctx);
          const take = Math.min(remaining, Number(row?.available ?? 0));
          if (take <= 0) break;
          // The guarded stock update: the guard (on_hand - reserved >= take) sits in the
          // statement, so two orders can never both take the last units.
          const updated = await conn.execute<{ id: number }[]>(
            'update inventory_levels set reserved = reserved + ?, updated_at = now() where id = ? and on_hand - reserved >= ? returning id',
            [take, level.id, take], 'all', ctx,
          );
          if (updated.length === 0) continue;
          allocations.push({ lineNo: line.lineNo, sku: line.sku, warehouse: level.warehouse, quantity: take });
          remaining -= take;
          break;
        }
        if (remaining === 0) break;
      }
      if (remaining > 0) shortages.push({ sku: line.sku, requested: line.quantity, available: line.quantity - remaining });
    }
    // Throwing rolls back every guarded update above: all-or-nothing.
    if (shortages.length > 0) throw new OutOfStockError(shortages);

    // Two lines with the same sku may land in the same warehouse: merge per (line, warehouse).
    for (const a of allocations) {
      await conn.execute(
        `insert into reservations (order_id, line_no, sku, warehouse, quantity, state) values (?, ?, ?, ?, ?, 'HELD')
         on conflict (order_id, line_no, warehouse) do update set quantity = reservations.quantity + excluded.quantity`,
        [orderId, a.lineNo, a.sku, a.warehouse, a.quantity], 'all', ctx,
      );
    }
    return { orderId, state: 'HELD' as const, allocations, created: true };
  });
}

/**
 * Turns HELD units into a shipment: on_hand and reserved both drop. Idempotent (no HELD
 * rows → nothing to do). Runs in the caller's transaction when given one.
 */
export async function commitReservation(em: EntityManager, orderId: string): Promise<{ committed: number; state: ReservationState | 'NONE' }> {
  return moveHeld(em, orderId, 'COMMITTED');
}

/** Gives HELD units back (reserved drops). Idempotent and a no-op when nothing is held. */
export async function releaseStock(em: EntityManager, orderId: string): Promise<{ released: number; state: ReservationState | 'NONE' }> {
  const r = await moveHeld(em, orderId, 'RELEASED');
  return { released: r.committed, state: r.state };
}

async function moveHeld(em: EntityManager, orderId: string, to: 'COMMITTED' | 'RELEASED'): Promise<{ committed: number; state: ReservationState | 'NONE' }> {
  return em.transactional(async (tx) => {
    await lockOrder(tx, orderId);
    const rows = await rowsOf(tx, orderId);
    if (rows.length === 0) return { committed: 0, state: 'NONE' as const };
    const held = rows.filter((r) => r.state === 'HELD');
    await lockLevels(tx, held);
    let units = 0;
    for (const r of held) {
      // Relative to the row's current value; the table's stock check guards the bounds.
      await tx.createQueryBuilder(InventoryLevel)
        .update({
          ...(to === 'COMMITTED' ? { onHand: raw('on_hand - ?', [r.quantity]) } : {}),
          reserved: raw('reserved - ?', [r.quantity]),
          updatedAt: raw('now()'),
        })
        .where({ sku: r.sku, warehouse: r.warehouse })
        .execute('run');
      units += r.quantity;
    }
    if (held.length > 0) {
      await tx.createQueryBuilder(Reservation).update({ state: to, updatedAt: raw('now()') }).where({ orderId, state: 'HELD' }).execute('run');
    }
    return { committed: units, state: held.length > 0 ? to : stateOf(rows) };
  });
}

/**
 * Ops cancel of a confirmed, unshipped order: puts its COMMITTED units back on hand (the rows
 * become RELEASED) and writes a `restocked` row in the order's timeline, in one transaction.
 * Idempotent: nothing COMMITTED → nothing to do.
 */
export async function restockCommitted(em: EntityManager, orderId: string, actor = 'system'): Promise<{ restocked: number }> {
  return em.transactional(async (tx) => {
    await lockOrder(tx, orderId);
    const committed = (await rowsOf(tx, orderId)).filter((r) => r.state === 'COMMITTED');
    if (committed.length === 0) return { restocked: 0 };
    await lockLevels(tx, committed);
    let units = 0;
    for (const r of committed) {
      await tx.createQueryBuilder(InventoryLevel)
        .update({ onHand: raw('on_hand + ?', [r.quantity]), updatedAt: raw('now()') })
        .where({ sku: r.sku, warehouse: r.warehouse })
        .execute('run');
      units += r.quantity;
    }
    await tx.createQueryBuilder(Reservation).update({ state: 'RELEASED', updatedAt: raw('now()') }).where({ orderId, state: 'COMMITTED' }).execute('run');
    // Hand-written: insert … select copies the order's current status into the event in one statement.
    await tx.getConnection().execute(
      `insert into order_events (order_id, type, from_status, status, reason, actor, dedupe_key)
       select id, 'restocked', status, status, ?, ?, 'restocked' from orders where id = ? on conflict (order_id, dedupe_key) do nothing`,
      [`${units} unit(s) back on hand`, actor, orderId], 'all', tx.getTransactionContext(),
    );
    return { restocked: units };
  });
}
