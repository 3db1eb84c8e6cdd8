// Stock reservation against real Postgres: no oversell under heavy concurrency, splitting
// across warehouses by priority, all-or-nothing orders, and idempotent reserve/commit/release.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { seedDemoCatalog } from '../../../scripts/lib/demo-catalog.ts';
import { OutOfStockError, commitReservation, releaseStock, reserveStock } from '../../../src/inventory/service.ts';
import { resetDatabase, testOrm } from '../../helpers/db.ts';
import { checkInvariants } from '../../helpers/invariants.ts';

let orm: MikroORM;
const sql = <T = any>(q: string, p: unknown[] = []) => orm.em.getConnection().execute<T[]>(q, p);

async function product(sku: string, stock: [number, number]): Promise<void> {
  await sql(`insert into products (sku, name, price_amount, currency, category, brand) values (?, ?, 1000, 'USD', 'books', 'acme')`, [sku, sku]);
  await sql(`insert into inventory_levels (sku, warehouse, on_hand) values (?, 'AMS-1', ?), (?, 'BER-1', ?)`, [sku, stock[0], sku, stock[1]]);
}

async function orders(n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  await sql(`insert into customers (id) values ('inv-test') on conflict do nothing`);
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    await sql(`insert into orders (id, customer_id, status, currency, total_amount, payment_method, idempotency_key, request_fingerprint)
      values ${chunk.map(() => `(?, 'inv-test', 'PENDING', 'USD', 0, 'pm_card_visa', ?, 'fp')`).join(', ')}`, chunk.flatMap((id) => [id, id]));
  }
  return ids;
}

const levels = async (sku: string) => sql<{ warehouse: string; on_hand: number; reserved: number }>('select warehouse, on_hand, reserved from inventory_levels where sku = ? order by warehouse', [sku]);
const noViolations = async () => expect((await checkInvariants({ orm, sandbox: { intents: async () => [] } })).violations.filter((v) => v.startsWith('I1'))).toEqual([]);

beforeAll(async () => {
  orm = await testOrm();
  await resetDatabase(orm);
  await seedDemoCatalog(orm.em.fork());
});
afterAll(async () => orm?.close());

describe('reserveStock under concurrency', () => {
  it('300 concurrent 1-unit reservations against 37 units in two warehouses: exactly 37 succeed, no oversell', async () => {
    const sku = 'TST-RACE-01';
    await product(sku, [20, 17]);
    const ids = await orders(300);
    const results = await Promise.allSettled(ids.map((id) => reserveStock(orm.em.fork(), id, [{ lineNo: 1, sku, quantity: 1 }])));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(37);
    expect(failed.every((f) => f.reason instanceof OutOfStockError)).toBe(true);
    expect(await levels(sku)).toEqual([{ warehouse: 'AMS-1', on_hand: 20, reserved: 20 }, { warehouse: 'BER-1', on_hand: 17, reserved: 17 }]);
    const [{ n }] = await sql<{ n: string }>(`select sum(quantity) as n from reservations where sku = ? and state = 'HELD'`, [sku]);
    expect(Number(n)).toBe(37);
    await noViolations();
  }, 60_000);

  it('multi-line orders racing on shared skus in opposite orders neither deadlock nor oversell', async () => {
    await product('TST-PAIR-A', [5, 5]);
    await product('TST-PAIR-B', [5, 5]);
    const ids = await orders(40);
    const results = await Promise.allSettled(ids.map((id, i) => reserveStock(orm.em.fork(), id, i % 2
      ? [{ lineNo: 1, sku: 'TST-PAIR-A', quantity: 1 }, { lineNo: 2, sku: 'TST-PAIR-B', quantity: 1 }]
      : [{ lineNo: 1, sku: 'TST-PAIR-B', quantity: 1 }, { lineNo: 2, sku: 'TST-PAIR-A', quantity: 1 }])));
    const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    expect(errors.every((e) => e instanceof OutOfStockError)).toBe(true);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    await noViolations();
  }, 60_000);
});

describe('reserveStock semantics', () => {
  it('splits a line across warehouses by priority', async () => {
    const sku = 'TST-SPLIT-01';
    await product(sku, [3, 5]);
    const [id] = await orders(1);
    const r = await reserveStock(orm.em.fork(), id, [{ lineNo: 1, sku, quantity: 6 }]);
    expect(r.allocations).toEqual([{ lineNo: 1, sku, warehouse: 'AMS-1', quantity: 3 }, { lineNo: 1, sku, warehouse: 'BER-1', quantity: 3 }]);
    expect(await levels(sku)).toEqual([{ warehouse: 'AMS-1', on_hand: 3, reserved: 3 }, { warehouse: 'BER-1', on_hand: 5, reserved: 3 }]);
  });

  it('is all-or-nothing: one short line reserves nothing for the others', async () => {
    await product('TST-AON-OK', [10, 0]);
    await product('TST-AON-SHORT', [1, 1]);
    const [id] = await orders(1);
    await expect(reserveStock(orm.em.fork(), id, [{ lineNo: 1, sku: 'TST-AON-OK', quantity: 4 }, { lineNo: 2, sku: 'TST-AON-SHORT', quantity: 3 }]))
      .rejects.toMatchObject({ shortages: [{ sku: 'TST-AON-SHORT', requested: 3, available: 2 }] });
    expect((await levels('TST-AON-OK'))[0]).toMatchObject({ reserved: 0 });
    expect(await sql('select 1 from reservations where order_id = ?', [id])).toEqual([]);
  });

  it('reserve, commit and release each run twice give the same result', async () => {
    const sku = 'TST-IDEM-01';
    await product(sku, [4, 4]);
    const [a, b] = await orders(2);
    const first = await reserveStock(orm.em.fork(), a, [{ lineNo: 1, sku, quantity: 2 }]);
    const again = await reserveStock(orm.em.fork(), a, [{ lineNo: 1, sku, quantity: 2 }]);
    expect(again).toEqual({ ...first, created: false });
    expect(await levels(sku)).toEqual([{ warehouse: 'AMS-1', on_hand: 4, reserved: 2 }, { warehouse: 'BER-1', on_hand: 4, reserved: 0 }]);

    expect(await commitReservation(orm.em.fork(), a)).toEqual({ committed: 2, state: 'COMMITTED' });
    expect(await commitReservation(orm.em.fork(), a)).toEqual({ committed: 0, state: 'COMMITTED' });
    expect(await levels(sku)).toEqual([{ warehouse: 'AMS-1', on_hand: 2, reserved: 0 }, { warehouse: 'BER-1', on_hand: 4, reserved: 0 }]);
    // Releasing a committed reservation changes nothing.
    expect(await releaseStock(orm.em.fork(), a)).toEqual({ released: 0, state: 'COMMITTED' });

    await reserveStock(orm.em.fork(), b, [{ lineNo: 1, sku, quantity: 3 }]);
    expect(await releaseStock(orm.em.fork(), b)).toEqual({ released: 3, state: 'RELEASED' });
    expect(await releaseStock(orm.em.fork(), b)).toEqual({ released: 0, state: 'RELEASED' });
    // After a release the order is never re-reserved.
    expect(await reserveStock(orm.em.fork(), b, [{ lineNo: 1, sku, quantity: 3 }])).toMatchObject({ state: 'RELEASED', created: false });
    expect(await levels(sku)).toEqual([{ warehouse: 'AMS-1', on_hand: 2, reserved: 0 }, { warehouse: 'BER-1', on_hand: 4, reserved: 0 }]);
    // Nothing to undo at all: a no-op.
    const [c] = await orders(1);
    expect(await releaseStock(orm.em.fork(), c)).toEqual({ released: 0, state: 'NONE' });
    await noViolations();
  });
});

describe('finding 9: release locks inventory levels in the same order as reserve', () => {
  it('finding 9: with a warehouse whose code sorts before a higher-priority one, release waits for the first level before touching the second', async () => {
    // Priority order BER-1 (20) before AAA-9 (30); code order the other way round.
    await sql(`insert into warehouses (code, name, priority) values ('AAA-9', 'Last-resort store', 30) on conflict (code) do nothing`);
    const sku = 'TST-LOCKS-09';
    await sql(`insert into products (sku, name, price_amount, currency, category, brand) values (?, ?, 1000, 'USD', 'books', 'acme')`, [sku, sku]);
    await sql(`insert into inventory_levels (sku, warehouse, on_hand) values (?, 'AMS-1', 0), (?, 'BER-1', 1), (?, 'AAA-9', 1)`, [sku, sku, sku]);
    const [orderId] = await orders(1);
    const r = await reserveStock(orm.em.fork(), orderId, [{ lineNo: 1, sku, quantity: 2 }]);
    expect(r.allocations.map((a) => a.warehouse)).toEqual(['BER-1', 'AAA-9']);

    // Another transaction (a concurrent reserve) holds BER-1, the first level in reserve's order.
    let done!: () => void;
    const hold = new Promise<void>((resolve) => (done = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const other = orm.em.fork().transactional(async (tx) => {
      await tx.getConnection().execute(`select id from inventory_levels where sku = ? and warehouse = 'BER-1' for update`, [sku], 'all', tx.getTransactionContext());
      locked();
      await hold;
    });
    await isLocked;
    const release = releaseStock(orm.em.fork(), orderId);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The release is waiting for BER-1 and has not locked AAA-9 meanwhile (which a reserve would need next: a deadlock).
    const probe = await sql(`select id from inventory_levels where sku = ? and warehouse = 'AAA-9' for update nowait`, [sku]).then(() => 'free', (err: { code?: string }) => err.code);
    done();
    await other;
    expect(await release).toMatchObject({ released: 2 });
    expect(probe).toBe('free');
    await noViolations();
  });
});
