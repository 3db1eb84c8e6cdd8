// One MikroORM instance per process. Activities fork an EntityManager per call;
// the API forks one per request. Migrations run from scripts/migrate.ts and at dev boot.
import { MikroORM, defineConfig, type EntityManager } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { Category, Brand, Product } from '../catalog/entities.ts';
import { Warehouse, InventoryLevel, Reservation } from '../inventory/entities.ts';
import { Customer } from '../customers/entities.ts';
import { Order, OrderItem, OrderEvent } from '../orders/entities.ts';
import { Payment, PaymentEvent } from '../payments/entities.ts';
import { ReconciliationRun, ReconciliationFinding } from '../reconciliation/entities.ts';
import { migrationsList } from '../migrations/index.ts';
import type { Config } from './config.ts';

export type { EntityManager };
export const entities = [Category, Brand, Product, Warehouse, InventoryLevel, Reservation, Customer, Order, OrderItem, OrderEvent, Payment, PaymentEvent, ReconciliationRun, ReconciliationFinding];

/** Default wait for a free pool connection: below the activities' 30 s start-to-close timeout. */
export const DEFAULT_ACQUIRE_TIMEOUT_MS = 10_000;

type DatabaseOptions = Pick<Config['database'], 'url' | 'poolMax'> & { acquireTimeoutMs?: number };

export function ormConfig(database: DatabaseOptions) {
  return defineConfig({
    clientUrl: database.url,
    entities,
    extensions: [Migrator],
    pool: { min: 0, max: database.poolMax },
    // pg waits for a free connection for ever by default: an attempt stalled behind a full pool
    // would outlive its activity timeout and act late (a "zombie" reserve). Fail it instead.
    driverOptions: { connectionTimeoutMillis: database.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS },
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false, silent: true },
    // Entities are plain schemas (no decorators), so no reflection is needed.
    discovery: { warnWhenNoEntities: true },
    debug: false,
  });
}

export async function initOrm(database: DatabaseOptions): Promise<MikroORM> {
  return MikroORM.init(ormConfig(database));
}

export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}
