import { defineEntity, p } from '@mikro-orm/core';
import { ORDER_STATUSES } from '../contracts/index.ts';

/** The order read model and record of truth for status. Written only by the orders activities. */
export const Order = defineEntity({
  name: 'Order',
  tableName: 'orders',
  properties: {
    id: p.uuid().primary(),
    customerId: p.string(),
    status: p.enum(ORDER_STATUSES),
    currency: p.string().length(3),
    totalAmount: p.integer(),
    paymentMethod: p.string(),
    shippingAddress: p.json<Record<string, unknown>>().nullable(),
    /** Client's Idempotency-Key, unique per customer; the fingerprint is a hash of the request body. */
    idempotencyKey: p.string(),
    requestFingerprint: p.string(),
    failureCode: p.string().nullable(),
    failureMessage: p.string().nullable(),
    /** Set when a human must look (capture gave up, compensation stuck, manual review). */
    attention: p.string().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    settledAt: p.datetime().nullable(),
    /** Null until Temporal acknowledged the order's workflow start (the intake outbox). */
    workflowStartedAt: p.datetime().nullable(),
    version: p.integer().version(),
  },
});

export const OrderItem = defineEntity({
  name: 'OrderItem',
  tableName: 'order_items',
  properties: {
    id: p.integer().primary().autoincrement(),
    orderId: p.uuid(),
    lineNo: p.integer(),
    sku: p.string(),
    name: p.string(),
    quantity: p.integer(),
    unitPriceAmount: p.integer(),
    currency: p.string().length(3),
  },
});

/** Append-only timeline: one row per status change or audited action. */
export const OrderEvent = defineEntity({
  name: 'OrderEvent',
  tableName: 'order_events',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    orderId: p.uuid(),
    type: p.string(),
    fromStatus: p.string().nullable(),
    status: p.string(),
    reason: p.string().nullable(),
    actor: p.string().nullable(),
    /** Makes replayed activity calls harmless: one event per (order, dedupe key). */
    dedupeKey: p.string().nullable(),
    at: p.datetime().onCreate(() => new Date()),
  },
});
