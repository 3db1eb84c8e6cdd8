import { defineEntity, p } from '@mikro-orm/core';
import { Customer } from '../customers/entities.ts';
import { ORDER_STATUSES } from '../contracts/index.ts';

/** The order read model and record of truth for status. Written only by the orders activities. */
export const Order = defineEntity({
  name: 'Order',
  tableName: 'orders',
  uniques: [
    { name: 'orders_customer_idempotency_unique', properties: ['customerId', 'idempotencyKey'] },
    // The target of order_items' composite foreign key: a line is priced in its order's currency.
    { name: 'orders_id_currency_unique', properties: ['id', 'currency'] },
  ],
  indexes: [
    { name: 'orders_customer_created_idx', columns: [{ name: 'customer_id', sort: 'asc' }, { name: 'created_at', sort: 'desc' }, { name: 'id', sort: 'desc' }] },
    { name: 'orders_created_idx', columns: [{ name: 'created_at', sort: 'desc' }, { name: 'id', sort: 'desc' }] },
    { name: 'orders_status_created_idx', columns: [{ name: 'status', sort: 'asc' }, { name: 'created_at', sort: 'desc' }] },
    { name: 'orders_attention_idx', properties: ['attention'], where: 'attention is not null' },
    { name: 'orders_unstarted_idx', properties: ['createdAt'], where: 'workflow_started_at is null' },
    { name: 'orders_pending_idx', properties: ['createdAt'], where: "status = 'PENDING'" },
  ],
  checks: [
    { name: 'orders_total_amount_check', expression: 'total_amount >= 0' },
    { name: 'orders_total_amount_chargeable', expression: 'total_amount <= 99999999' },
  ],
  properties: {
    id: p.uuid().primary(),
    customerId: p.manyToOne(Customer).mapToPk().joinColumn('customer_id').foreignKeyName('orders_customer_id_fkey'),
    status: p.enum(ORDER_STATUSES),
    currency: p.string().columnType('char(3)'),
    totalAmount: p.integer(),
    paymentMethod: p.text(),
    shippingAddress: p.json<Record<string, unknown>>().nullable(),
    /** Client's Idempotency-Key, unique per customer; the fingerprint is a hash of the request body. */
    idempotencyKey: p.text(),
    requestFingerprint: p.text(),
    failureCode: p.text().nullable(),
    failureMessage: p.text().nullable(),
    /** Set when a human must look (capture gave up, compensation stuck, manual review). */
    attention: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
    settledAt: p.datetime().nullable(),
    /** Null until Temporal acknowledged the order's workflow start (the intake outbox). */
    workflowStartedAt: p.datetime().nullable(),
    version: p.integer().version(),
  },
});

export const OrderItem = defineEntity({
  name: 'OrderItem',
  tableName: 'order_items',
  uniques: [{ name: 'order_items_order_line_unique', properties: ['orderId', 'lineNo'] }],
  checks: [
    { name: 'order_items_quantity_check', expression: 'quantity >= 1 and quantity <= 1000' },
    { name: 'order_items_unit_price_amount_check', expression: 'unit_price_amount >= 0' },
  ],
  properties: {
    id: p.integer().primary().autoincrement(),
    orderId: p.manyToOne(Order).mapToPk().joinColumn('order_id').foreignKeyName('order_items_order_id_fkey').deleteRule('cascade'),
    lineNo: p.integer(),
    sku: p.text(),
    name: p.text(),
    quantity: p.integer(),
    unitPriceAmount: p.integer(),
    currency: p.string().columnType('char(3)'),
  },
});

/** Append-only timeline: one row per status change or audited action. */
export const OrderEvent = defineEntity({
  name: 'OrderEvent',
  tableName: 'order_events',
  uniques: [{ name: 'order_events_dedupe_unique', properties: ['orderId', 'dedupeKey'] }],
  indexes: [{ name: 'order_events_order_idx', properties: ['orderId', 'id'] }],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    orderId: p.manyToOne(Order).mapToPk().joinColumn('order_id').foreignKeyName('order_events_order_id_fkey').deleteRule('cascade'),
    type: p.text(),
    fromStatus: p.text().nullable(),
    status: p.text(),
    reason: p.text().nullable(),
    actor: p.text().nullable(),
    /** Makes replayed activity calls harmless: one event per (order, dedupe key). */
    dedupeKey: p.text().nullable(),
    at: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
  },
});
