import { defineEntity, p } from '@mikro-orm/core';
import { Order } from '../orders/entities.ts';
import { PAYMENT_STATUSES } from '../contracts/index.ts';

/** Our view of one order's payment at the provider (one row per order). */
export const Payment = defineEntity({
  name: 'Payment',
  tableName: 'payments',
  uniques: [
    { name: 'payments_order_id_key', properties: ['orderId'] },
    { name: 'payments_provider_reference_idx', properties: ['provider', 'providerReference'], where: 'provider_reference is not null' },
  ],
  indexes: [{ name: 'payments_status_idx', properties: ['status', 'updatedAt'] }],
  checks: [
    { name: 'payments_amount_check', expression: 'amount >= 0' },
    { name: 'payments_captured_amount_check', expression: 'captured_amount >= 0' },
    { name: 'payments_check', expression: 'refunded_amount >= 0 and refunded_amount <= captured_amount' },
  ],
  properties: {
    id: p.uuid().primary(),
    orderId: p.manyToOne(Order).mapToPk().joinColumn('order_id').foreignKeyName('payments_order_id_fkey'),
    provider: p.text(),
    providerReference: p.text().nullable(),
    amount: p.integer(),
    currency: p.string().columnType('char(3)'),
    status: p.enum(PAYMENT_STATUSES),
    capturedAmount: p.integer().default(0),
    refundedAmount: p.integer().default(0),
    failureCode: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
    version: p.integer().version(),
  },
});

/** Append-only ledger of every provider interaction and webhook. provider_event_id is unique. */
export const PaymentEvent = defineEntity({
  name: 'PaymentEvent',
  tableName: 'payment_events',
  uniques: [{ name: 'payment_events_provider_event_unique', properties: ['provider', 'providerEventId'] }],
  indexes: [
    { name: 'payment_events_order_idx', properties: ['orderId', 'id'] },
    { name: 'payment_events_reference_idx', properties: ['providerReference'] },
    { name: 'payment_events_created_idx', properties: ['createdAt', 'id'] },
  ],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    orderId: p.uuid().nullable(),
    provider: p.text(),
    /** Stripe event id (evt_…) for webhooks/backfills, or our own `<orderId>:<operation>` key for calls. */
    providerEventId: p.text(),
    type: p.text(),
    source: p.enum(['api_call', 'webhook', 'reconciliation'] as const),
    providerReference: p.text().nullable(),
    amount: p.integer().nullable(),
    currency: p.string().columnType('char(3)').nullable(),
    status: p.text().nullable(),
    payload: p.json<Record<string, unknown>>().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    processedAt: p.datetime().nullable(),
  },
});
