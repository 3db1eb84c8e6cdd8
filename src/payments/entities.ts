import { defineEntity, p } from '@mikro-orm/core';
import { PAYMENT_STATUSES } from '../contracts/index.ts';

/** Our view of one order's payment at the provider (one row per order). */
export const Payment = defineEntity({
  name: 'Payment',
  tableName: 'payments',
  properties: {
    id: p.uuid().primary(),
    orderId: p.uuid().unique(),
    provider: p.string(),
    providerReference: p.string().nullable(),
    amount: p.integer(),
    currency: p.string().length(3),
    status: p.enum(PAYMENT_STATUSES),
    capturedAmount: p.integer().default(0),
    refundedAmount: p.integer().default(0),
    failureCode: p.string().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    version: p.integer().version(),
  },
});

/** Append-only ledger of every provider interaction and webhook. provider_event_id is unique. */
export const PaymentEvent = defineEntity({
  name: 'PaymentEvent',
  tableName: 'payment_events',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    orderId: p.uuid().nullable(),
    provider: p.string(),
    /** Stripe event id (evt_…) for webhooks/backfills, or our own `<orderId>:<operation>` key for calls. */
    providerEventId: p.string(),
    type: p.string(),
    source: p.enum(['api_call', 'webhook', 'reconciliation'] as const),
    providerReference: p.string().nullable(),
    amount: p.integer().nullable(),
    currency: p.string().nullable(),
    status: p.string().nullable(),
    payload: p.json<Record<string, unknown>>().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    processedAt: p.datetime().nullable(),
  },
});
