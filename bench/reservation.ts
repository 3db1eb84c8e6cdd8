// Benchmark: reserving a hot SKU under contention.
//   ours     — src/inventory/service.ts reserveStock: guarded single-statement updates
//              (`where on_hand - reserved >= qty`), one transaction per order.
//   baseline — the common lock-then-check approach: SELECT … FOR UPDATE on every level
//              of the SKU, compute in the application, UPDATE, in one transaction.
// Both run in the same process against the same Postgres, on identical fresh data, with
// the same concurrency; each must end with exactly `stock` units reserved (no oversell).
//
//   node bench/reservation.ts [--orders 600] [--concurrency 32] [--stock 400] [--rounds 3]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { initOrm } from '../src/orm.ts';
import { ensureDatabase } from '../src/infra/database.ts';
import { reserveStock, OutOfStockError } from '../src/inventory/service.ts';
import { markdownTable, progress, round, summarize, writeReport } from './lib/report.ts';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '600' },
    concurrency: { type: 'string', default: '32' },
    stock: { type: 'string', default: '400' },
    rounds: { type: 'string', default: '3' },
    database: { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/checkout_bench' },
  },
});
const ORDERS = Number(values.orders);
const CONCURRENCY = Number(values.concurrency);
const STOCK = Number(values.stock);
const ROUNDS = Number(values.rounds);
const SKU = 'BENCH-HOT-1';

type Strategy = (em: EntityManager, orderId: string) => Promise<boolean>;

const ours: Strategy = async (em, orderId) => {
  try {
    await reserveStock(em, orderId, [{ lineNo: 1, sku: SKU, quantity: 1 }]);
    return true;
  } catch (err) {
    if (err instanceof OutOfStockError) return false;
    throw err;
  }
};

const baselineLockThenCheck: Strategy = async (em, orderId) =>
  em.transactional(async (tx) => {
    const conn = tx.getConnection();
    const ctx = tx.getTransactionContext();
    const levels = await conn.execute<{ id: number; warehouse: string; available: number }[]>(
      `select l.id, l.warehouse, l.on_hand - l.reserved as available from inventory_levels l join warehouses w on w.code = l.warehouse
       where l.sku = ? order by w.priority, w.code for update of l`, [SKU], 'all', ctx);
    const level = levels.find((l) => Number(l.available) >= 1);
    if (!level) return false;
    await conn.execute('update inventory_levels set reserved = reserved + 1 where id = ?', [level.id], 'all', ctx);
    await conn.execute(`insert into reservations (order_id, line_no, sku, warehouse, quantity, state) values (?, 1, ?, ?, 1, 'HELD')`, [orderId, SKU, level.warehouse], 'all', ctx);
    return true;
  });

async function prepare(orm: MikroORM): Promise<string[]> {
  const conn = orm.em.getConnection();
  await conn.execute(`truncate reservations, order_events, order_items, payments, payment_events, orders restart identity cascade`);
  await conn.execute(`insert into warehouses (code, name, priority) values ('BW-1','Bench 1',10),('BW-2','Bench 2',20) on conflict do nothing`);
  await conn.execute(`insert into categories (slug, name) values ('bench','Bench') on conflict do nothing`);
  await conn.execute(`insert into brands (slug, name) values ('bench','Bench') on conflict do nothing`);
  await conn.execute(`insert into customers (id) values ('bench-customer') on conflict do nothing`);
  await conn.execute(`insert into products (sku, name, price_amount, currency, category, brand) values (?, 'Hot item', 1000, 'USD', 'bench', 'bench') on conflict do nothing`, [SKU]);
  await conn.execute(`delete from inventory_levels where sku = ?`, [SKU]);
  const half = Math.floor(STOCK / 2);
  await conn.execute(`insert into inventory_levels (sku, warehouse, on_hand, reserved) values (?, 'BW-1', ?, 0), (?, 'BW-2', ?, 0)`, [SKU, half, SKU, STOCK - half]);
  const ids = Array.from({ length: ORDERS }, () => randomUUID());
  // Reservations reference orders; create the order rows up front (not measured).
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    await conn.execute(
      `insert into orders (id, customer_id, status, currency, total_amount, payment_method, idempotency_key, request_fingerprint)
       select id::uuid, 'bench-customer', 'PENDING', 'USD', 1000, 'pm_card_visa', id, 'bench' from unnest(string_to_array(?, ',')) as id`,
      [chunk.join(',')],
    );
  }
  return ids;
}

async function run(orm: MikroORM, name: string, strategy: Strategy, round_: number) {
  const ids = await prepare(orm);
  const latencies: number[] = [];
  let ok = 0;
  let refused = 0;
  let next = 0;
  const started = performance.now();
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    while (next < ids.length) {
      const id = ids[next++];
      const t0 = performance.now();
      if (await strategy(orm.em.fork(), id)) ok++;
      else refused++;
      latencies.push(performance.now() - t0);
      if ((ok + refused) % 50 === 0 || ok + refused === ids.length) progress(`${name} round ${round_}`, ok + refused, ids.length);
    }
  });
  await Promise.all(workers);
  const seconds = (performance.now() - started) / 1000;
  const [level] = await orm.em.getConnection().execute<{ reserved: string; on_hand: string; bad: string }[]>(
    `select sum(reserved) as reserved, sum(on_hand) as on_hand, count(*) filter (where reserved > on_hand or reserved < 0) as bad from inventory_levels where sku = ?`, [SKU]);
  const correct = ok === Math.min(STOCK, ORDERS) && Number(level.reserved) === ok && Number(level.bad) === 0;
  if (!correct) throw new Error(`${name}: invariant broken: ok=${ok} reserved=${level.reserved} stock=${STOCK}`);
  return { name, round: round_, seconds: round(seconds, 3), throughput: round(ORDERS / seconds, 1), reserved: ok, refused, latencyMs: summarize(latencies) };
}

const databaseUrl = values.database!;
await ensureDatabase(databaseUrl);
const orm = await initOrm({ url: databaseUrl, poolMax: CONCURRENCY + 2 });
try {
  await orm.migrator.up();
  console.error(`reservation benchmark: ${ORDERS} orders of 1 unit, stock ${STOCK} over 2 warehouses, concurrency ${CONCURRENCY}, ${ROUNDS} rounds each (alternating)`);
  const results: Awaited<ReturnType<typeof run>>[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    // Alternate so neither strategy always runs on a warmer cache.
    const order = r % 2 ? [['baseline (SELECT … FOR UPDATE)', baselineLockThenCheck], ['ours (guarded update)', ours]] as const : [['ours (guarded update)', ours], ['baseline (SELECT … FOR UPDATE)', baselineLockThenCheck]] as const;
    for (const [name, strategy] of order) results.push(await run(orm, name, strategy, r));
  }
  const byName = (n: string) => results.filter((x) => x.name.startsWith(n));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const oursT = median(byName('ours').map((x) => x.throughput));
  const baseT = median(byName('baseline').map((x) => x.throughput));
  const oursP95 = median(byName('ours').map((x) => x.latencyMs.p95));
  const baseP95 = median(byName('baseline').map((x) => x.latencyMs.p95));
  const summary = { orders: ORDERS, stock: STOCK, concurrency: CONCURRENCY, rounds: ROUNDS, medianThroughput: { ours: oursT, baseline: baseT, ratio: round(oursT / baseT, 2) }, medianP95Ms: { ours: oursP95, baseline: baseP95, ratio: round(oursP95 / baseP95, 2) } };
  const table = markdownTable(['strategy', 'round', 'orders/s', 'reserved', 'refused', 'p50 ms', 'p95 ms', 'p99 ms'],
    results.map((x) => [x.name, x.round, x.throughput, x.reserved, x.refused, x.latencyMs.p50, x.latencyMs.p95, x.latencyMs.p99]));
  const md = `${ORDERS} single-unit orders race for ${STOCK} units of one SKU split over two warehouses, ${CONCURRENCY} at a time, on the same Postgres in the same run. Every round ends with exactly ${Math.min(STOCK, ORDERS)} units reserved and no level over-reserved (checked).\n\n${table}\n\n**Median throughput: ours ${oursT} orders/s vs baseline ${baseT} orders/s (×${summary.medianThroughput.ratio}). Median p95: ours ${oursP95} ms vs baseline ${baseP95} ms (×${summary.medianP95Ms.ratio}).**\n\nNote: "ours" also takes a per-order advisory lock and reads existing reservations (idempotency), which the baseline skips.`;
  const files = writeReport('reservation', {
    title: 'Stock reservation under contention',
    markdown: md,
    json: { summary, results },
    chart: { title: 'Hot-SKU reservations: median throughput', unit: 'orders/s', bars: [{ label: 'ours (guarded update)', value: oursT }, { label: 'baseline (SELECT … FOR UPDATE)', value: baseT }] },
  });
  console.log(md);
  console.log(`\nreport: ${files.join(', ')}`);
} finally {
  await orm.close();
}
