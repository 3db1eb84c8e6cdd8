// The composition root of persistence: the one place that lists every domain's entities and
// hands them to the ORM factory in src/infra/orm.ts (infra itself imports no domain module).
// Every process (API, workers, scripts, tests) opens its ORM through initOrm here.
import type { MikroORM } from '@mikro-orm/postgresql';
import { Category, Brand, Product } from './catalog/entities.ts';
import { Warehouse, InventoryLevel, Reservation } from './inventory/entities.ts';
import { Customer } from './customers/entities.ts';
import { Order, OrderItem, OrderEvent } from './orders/entities.ts';
import { Payment, PaymentEvent } from './payments/entities.ts';
import { ReconciliationRun, ReconciliationFinding } from './reconciliation/entities.ts';
import { createOrm, type DatabaseOptions } from './infra/orm.ts';

export const entities = [Category, Brand, Product, Warehouse, InventoryLevel, Reservation, Customer, Order, OrderItem, OrderEvent, Payment, PaymentEvent, ReconciliationRun, ReconciliationFinding] as const;

export async function initOrm(database: DatabaseOptions): Promise<MikroORM> {
  return createOrm(database, entities);
}
