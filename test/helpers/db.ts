// Database helpers for tests: an ORM on the test database and a full reset between scenarios.
import type { MikroORM } from '@mikro-orm/postgresql';
import { initOrm } from '../../src/orm.ts';
import { TEST_DATABASE_URL } from './env.ts';

export async function testOrm(): Promise<MikroORM> {
  return initOrm({ url: TEST_DATABASE_URL, poolMax: 20 });
}

const TABLES = ['reconciliation_findings', 'reconciliation_runs', 'payment_events', 'payments', 'order_events', 'reservations', 'order_items', 'orders', 'customers', 'inventory_levels', 'warehouses', 'products', 'brands', 'categories'];

/** Empties every domain table (keeps the schema and migrations). */
export async function resetDatabase(orm: MikroORM): Promise<void> {
  await orm.em.getConnection().execute(`truncate ${TABLES.join(', ')} restart identity cascade`);
}
