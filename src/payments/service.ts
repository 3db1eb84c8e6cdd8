// Our record of payments: one `payments` row per order (status kept in sync with the
// provider, moving forward only) and the `payment_events` ledger (one row per provider
// interaction; provider_event_id is unique, so replayed calls are harmless).
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ProviderPaymentIntent, ProviderIntentStatus } from './provider.ts';
import { Payment } from './entities.ts';
import { canTransitionPayment, type PaymentStatus } from '../contracts/index.ts';

export interface PaymentInteraction {
  orderId: string;
  provider: string;
  /** Our idempotency key for API calls (`order-<id>:<operation>`), or the provider's event id. */
  providerEventId: string;
  type: string;
  source?: 'api_call' | 'webhook' | 'reconciliation';
  providerReference?: string | null;
  amount?: number | null;
  currency?: string | null;
  /** Provider-side status after the interaction (e.g. requires_capture). */
  providerStatus?: string | null;
  payload?: Record<string, unknown> | null;
  /** Our payment status to move to (ignored when it would move backwards). */
  paymentStatus?: PaymentStatus;
  capturedAmount?: number;
  refundedAmount?: number;
  failureCode?: string | null;
}

export interface PaymentRecord {
  orderId: string;
  provider: string;
  providerReference: string | null;
  amount: number;
  currency: string;
  status: PaymentStatus;
  capturedAmount: number;
  refundedAmount: number;
}

/** Maps a provider intent status to ours (what the money is doing right now). */
export function paymentStatusOf(intent: Pick<ProviderPaymentIntent, 'status' | 'amountRefunded' | 'amountReceived'>): PaymentStatus {
  const s: ProviderIntentStatus = intent.status;
  switch (s) {
    case 'requires_capture': return 'AUTHORIZED';
    case 'succeeded': return intent.amountRefunded > 0 && intent.amountRefunded >= intent.amountReceived ? 'REFUNDED' : 'CAPTURED';
    case 'canceled': return 'VOIDED';
    case 'requires_action': return 'REQUIRES_ACTION';
    case 'requires_payment_method': return 'FAILED';
    default: return 'PENDING';
  }
}

/** Creates the order's payments row if it does not exist yet (PENDING); true when this call created it. */
export async function ensurePayment(em: EntityManager, p: { orderId: string; provider: string; amount: number; currency: string }): Promise<boolean> {
  const res = await em.createQueryBuilder(Payment)
    .insert({ id: randomUUID(), orderId: p.orderId, provider: p.provider, amount: p.amount, currency: p.currency.toUpperCase(), status: 'PENDING' })
    .onConflict('orderId').ignore()
    .execute('run');
  return res.affectedRows > 0;
}

/**
 * Appends one ledger row (a duplicate provider_event_id is ignored) and moves the payments
 * row forward, in one transaction. Returns false when the ledger row already existed.
 */
export async function recordPaymentInteraction(em: EntityManager, i: PaymentInteraction): Promise<{ recorded: boolean; status: PaymentStatus | undefined; changed: boolean }> {
  return em.transactional(async (tx) => {
    // Hand-written, a hot path (every provider call and webhook lands here): measured with a
    // 16-way micro-bench, this transaction through the query builder and findOne(lockMode)
    // recorded about a third as many interactions per second (2 cores).
    const conn = tx.getConnection();
    const ctx = tx.getTransactionContext();
    // Idempotent through the (provider, provider_event_id) unique key: a replay inserts nothing.
    const inserted = await conn.execute<{ id: number }[]>(
      `insert into payment_events (order_id, provider, provider_event_id, type, source, provider_reference, amount, currency, status, payload, processed_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) on conflict (provider, provider_event_id) do nothing returning id`,
      [i.orderId, i.provider, i.providerEventId, i.type, i.source ?? 'api_call', i.providerReference ?? null, i.amount ?? null,
        i.currency ? i.currency.toUpperCase() : null, i.providerStatus ?? null, i.payload ? JSON.stringify(i.payload) : null],
      'all', ctx,
    );
    const recorded = inserted.length > 0;
    const [row] = await conn.execute<{ status: PaymentStatus }[]>('select status from payments where order_id = ? for update', [i.orderId], 'all', ctx);
    if (!row) return { recorded, status: undefined, changed: false };
    const next = i.paymentStatus && i.paymentStatus !== row.status && canTransitionPayment(row.status, i.paymentStatus) ? i.paymentStatus : row.status;
    // Forward only: every amount only grows and the reference is set once.
    await conn.execute(
      `update payments set status = ?, provider_reference = coalesce(provider_reference, ?),
         captured_amount = greatest(captured_amount, ?), refunded_amount = greatest(refunded_amount, ?),
         failure_code = coalesce(?, failure_code), updated_at = now(), version = version + 1 where order_id = ?`,
      [next, i.providerReference ?? null, i.capturedAmount ?? 0, i.refundedAmount ?? 0, i.failureCode ?? null, i.orderId], 'all', ctx,
    );
    return { recorded, status: next, changed: next !== row.status };
  });
}

export async function paymentOf(em: EntityManager, orderId: string): Promise<PaymentRecord | undefined> {
  const r = await em.findOne(Payment, { orderId }, {
    fields: ['orderId', 'provider', 'providerReference', 'amount', 'currency', 'status', 'capturedAmount', 'refundedAmount'], disableIdentityMap: true,
  });
  return r ? {
    orderId: r.orderId, provider: r.provider, providerReference: r.providerReference ?? null, amount: r.amount, currency: r.currency.trim(),
    status: r.status, capturedAmount: r.capturedAmount, refundedAmount: r.refundedAmount,
  } : undefined;
}
