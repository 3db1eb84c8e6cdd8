// The database is the last line of defence: migrations apply and roll back cleanly,
// the seed is idempotent, and stock constraints hold even against raw SQL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MikroORM } from '@mikro-orm/postgresql';
import { initOrm } from '../../src/orm.ts';
import { ensureDatabase } from '../../src/infra/database.ts';
import { seedDemoCatalog, DEMO_PRODUCTS, DEMO_WAREHOUSES } from '../../scripts/lib/demo-catalog.ts';
import { resetDatabase, testOrm } from '../helpers/db.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';

// Next to the test database (its name + _migrations), so two checkouts' suites never share it.
const SCRATCH_URL = (() => {
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `${u.pathname}_migrations`;
  return u.toString();
})();

describe('migrations', () => {
  it('apply to an empty database, roll back completely, and apply again', async () => {
    await ensureDatabase(SCRATCH_URL);
    const orm = await initOrm({ url: SCRATCH_URL, poolMax: 2 });
    const conn = orm.em.getConnection();
    try {
      await conn.execute('drop schema if exists public cascade; create schema public;');
      const tables = async () =>
        (await conn.execute<{ table_name: string }[]>("select table_name from information_schema.tables where table_schema = 'public' and table_name <> 'mikro_orm_migrations' order by 1")).map((r) => r.table_name);

      const applied = await orm.migrator.up();
      expect(applied.map((m) => m.name)).toEqual(['Migration20261123000000_initial', 'Migration20261201000000_intake_outbox', 'Migration20261202000000_money_guards']);
      expect(await tables()).toEqual(expect.arrayContaining(['orders', 'order_items', 'order_events', 'inventory_levels', 'reservations', 'payments', 'payment_events', 'reconciliation_runs', 'reconciliation_findings', 'products', 'warehouses', 'customers']));
      expect(await orm.migrator.getPending()).toEqual([]);

      await orm.migrator.down({ to: 0 });
      expect(await tables()).toEqual([]);

      await orm.migrator.up();
      expect((await tables()).length).toBeGreaterThanOrEqual(14);
    } finally {
      await orm.close();
    }
  });
});

describe('schema constraints and seed', () => {
  let orm: MikroORM;
  beforeAll(async () => {
    orm = await testOrm();
    await resetDatabase(orm);
  });
  afterAll(async () => orm.close());

  it('seeds the demo catalog idempotently: products upserted, stock rows created once', async () => {
    const first = await seedDemoCatalog(orm.em.fork());
    expect(first.products).toBeGreaterThanOrEqual(20);
    expect(first.levelsCreated).toBe(DEMO_PRODUCTS.length * DEMO_WAREHOUSES.length);
    const conn = orm.em.getConnection();
    await conn.execute("update inventory_levels set reserved = 1 where sku = 'AUD-HEADPHONES-01' and warehouse = 'AMS-1'");
    const second = await seedDemoCatalog(orm.em.fork());
    expect(second.levelsCreated).toBe(0);
    const [level] = await conn.execute<{ reserved: number; on_hand: number }[]>("select reserved, on_hand from inventory_levels where sku = 'AUD-HEADPHONES-01' and warehouse = 'AMS-1'");
    expect(level).toEqual({ reserved: 1, on_hand: 40 });
    const [{ n: categories }] = await conn.execute<{ n: string }[]>('select count(distinct category) as n from products');
    const [{ n: brands }] = await conn.execute<{ n: string }[]>('select count(distinct brand) as n from products');
    expect(Number(categories)).toBeGreaterThanOrEqual(4);
    expect(Number(brands)).toBeGreaterThanOrEqual(4);
  });

  it('refuses reserved > on_hand, negative reserved and negative stock at the database level', async () => {
    const conn = orm.em.getConnection();
    const sku = 'BOK-LEDGER-03';
    await expect(conn.execute(`update inventory_levels set reserved = on_hand + 1 where sku = '${sku}'`)).rejects.toThrow(/inventory_levels_stock_check/);
    await expect(conn.execute(`update inventory_levels set reserved = -1 where sku = '${sku}'`)).rejects.toThrow(/inventory_levels_stock_check/);
    await expect(conn.execute(`update inventory_levels set on_hand = -1 where sku = '${sku}'`)).rejects.toThrow(/inventory_levels_stock_check/);
    const rows = await conn.execute<{ on_hand: number; reserved: number }[]>(`select on_hand, reserved from inventory_levels where sku = '${sku}' order by warehouse`);
    expect(rows).toEqual([{ on_hand: 1, reserved: 0 }, { on_hand: 0, reserved: 0 }]);
  });
});
