import { defineEntity, p } from '@mikro-orm/core';
import { Product } from '../catalog/entities.ts';
import { Order } from '../orders/entities.ts';

export const Warehouse = defineEntity({
  name: 'Warehouse',
  tableName: 'warehouses',
  properties: {
    code: p.text().primary(),
    name: p.text(),
    /** Lower ranks are drawn from first when an order line is reserved. */
    priority: p.integer().default(100),
  },
});

/** Stock of one product in one warehouse. The database enforces 0 <= reserved <= on_hand. */
export const InventoryLevel = defineEntity({
  name: 'InventoryLevel',
  tableName: 'inventory_levels',
  uniques: [{ name: 'inventory_levels_sku_warehouse_unique', properties: ['sku', 'warehouse'] }],
  checks: [{ name: 'inventory_levels_stock_check', expression: 'reserved >= 0 and reserved <= on_hand' }],
  properties: {
    id: p.integer().primary().autoincrement(),
    sku: p.manyToOne(Product).mapToPk().joinColumn('sku').foreignKeyName('inventory_levels_sku_fkey'),
    warehouse: p.manyToOne(Warehouse).mapToPk().joinColumn('warehouse').foreignKeyName('inventory_levels_warehouse_fkey'),
    onHand: p.integer(),
    reserved: p.integer().default(0),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export const RESERVATION_STATES = ['HELD', 'COMMITTED', 'RELEASED'] as const;
export type ReservationState = (typeof RESERVATION_STATES)[number];

/** Units of one order line held in one warehouse. Unique per (order, line, warehouse). */
export const Reservation = defineEntity({
  name: 'Reservation',
  tableName: 'reservations',
  uniques: [{ name: 'reservations_order_line_warehouse_unique', properties: ['orderId', 'lineNo', 'warehouse'] }],
  indexes: [{ name: 'reservations_sku_state_idx', properties: ['sku', 'state'] }],
  checks: [{ name: 'reservations_quantity_check', expression: 'quantity > 0' }],
  properties: {
    id: p.integer().primary().autoincrement(),
    orderId: p.manyToOne(Order).mapToPk().joinColumn('order_id').foreignKeyName('reservations_order_fk'),
    lineNo: p.integer(),
    sku: p.text(),
    warehouse: p.manyToOne(Warehouse).mapToPk().joinColumn('warehouse').foreignKeyName('reservations_warehouse_fkey'),
    quantity: p.integer(),
    state: p.enum(RESERVATION_STATES),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
