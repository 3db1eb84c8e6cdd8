import { defineEntity, p } from '@mikro-orm/core';

export const Warehouse = defineEntity({
  name: 'Warehouse',
  tableName: 'warehouses',
  properties: {
    code: p.string().primary(),
    name: p.string(),
    /** Lower ranks are drawn from first when an order line is reserved. */
    priority: p.integer().default(100),
  },
});

/** Stock of one product in one warehouse. The database enforces 0 <= reserved <= on_hand. */
export const InventoryLevel = defineEntity({
  name: 'InventoryLevel',
  tableName: 'inventory_levels',
  properties: {
    id: p.integer().primary().autoincrement(),
    sku: p.string(),
    warehouse: p.string(),
    onHand: p.integer(),
    reserved: p.integer().default(0),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export const RESERVATION_STATES = ['HELD', 'COMMITTED', 'RELEASED'] as const;
export type ReservationState = (typeof RESERVATION_STATES)[number];

/** Units of one order line held in one warehouse. Unique per (order, line, warehouse). */
export const Reservation = defineEntity({
  name: 'Reservation',
  tableName: 'reservations',
  properties: {
    id: p.integer().primary().autoincrement(),
    orderId: p.uuid(),
    lineNo: p.integer(),
    sku: p.string(),
    warehouse: p.string(),
    quantity: p.integer(),
    state: p.enum(RESERVATION_STATES),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
