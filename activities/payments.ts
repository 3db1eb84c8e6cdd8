// Payments pool activities: every provider call carries the idempotency key
// `order-<orderId>:<operation>` (derived from the order, never from a run), and every
// interaction lands in the payment_events ledger under that same key, so a retried or
// replayed call can neither charge twice nor double-count.
import { ApplicationFailure } from '@temporalio/common';
import { PaymentProviderError, type PaymentProvider, type ProviderPaymentIntent } from '../src/payments/provider.ts';
import * as payments from '../src/payments/service.ts';
import { notifyOrderChanged } from '../src/orders/service.ts';
import type { PaymentStatus } from '../src/orders/status.ts';
import { timed as timedOnly, withHeartbeat, type ActivityDeps } from './deps.ts';

/** Provider calls can hang: time them and heartbeat meanwhile. */
const timed = <T>(deps: Pick<ActivityDeps, 'metrics'>, name: string, fn: () => Promise<T>) => timedOnly(deps, name, () => withHeartbeat(fn));

export const paymentKey = (orderId: string, operation: string) => `order-${orderId}:${operation}`;

export interface AuthorizePaymentInput {
  orderId: string;
  customerId: string;
  amount: number;
  currency: string;
  paymentMethod: string;
}

export interface AuthorizePaymentResult {
  outcome: 'authorized' | 'requires_action';
  paymentIntentId: string;
  providerStatus: string;
}

/** `details[0]` of the non-retryable `PaymentDeclined` failure. */
export interface DeclineDetails {
  code: string;
  declineCode?: string;
  paymentIntentId?: string;
}

export interface PaymentRef {
  orderId: string;
  /** When unknown (the authorize response was lost), the intent is looked up by order. */
  paymentIntentId?: string;
}

export interface PaymentSnapshot {
  paymentIntentId?: string;
  providerStatus?: string;
  paymentStatus?: PaymentStatus;
  amountReceived?: number;
  amountRefunded?: number;
}

/** Retryable provider errors are rethrown (Temporal retries with backoff); others fail for good with type = code. */
function asFailure(err: unknown): never {
  if (err instanceof PaymentProviderError && !err.retryable) {
    throw ApplicationFailure.nonRetryable(err.message, err.code, { httpStatus: err.httpStatus });
  }
  throw err;
}

const plainIntent = (i: ProviderPaymentIntent): ProviderPaymentIntent => JSON.parse(JSON.stringify(i));

export function createPaymentActivities(deps: ActivityDeps) {
  const provider = (): PaymentProvider => {
    if (!deps.provider) throw ApplicationFailure.nonRetryable('payments worker started without a payment provider', 'MisconfiguredWorker');
    return deps.provider;
  };
  // The payment's status is part of the order resource: a change wakes long-polling readers.
  const notify = { logger: deps.logger, redis: deps.redis, redisConfig: deps.config?.redis };
  const record = async (i: Omit<payments.PaymentInteraction, 'provider'>) => {
    const r = await payments.recordPaymentInteraction(deps.orm.em.fork(), { provider: provider().name, ...i });
    if (r.changed) await notifyOrderChanged(notify, i.orderId, `payment:${r.status}`);
    return r;
  };
  const fromIntent = (intent: ProviderPaymentIntent) => ({
    providerReference: intent.id, amount: intent.amount, currency: intent.currency, providerStatus: intent.status,
    paymentStatus: payments.paymentStatusOf(intent), capturedAmount: intent.amountReceived, refundedAmount: intent.amountRefunded,
  });
  const resolve = async (ref: PaymentRef): Promise<ProviderPaymentIntent | undefined> =>
    ref.paymentIntentId ? provider().retrieve(ref.paymentIntentId) : provider().findByOrder(ref.orderId);

  return {
    /** Creates (or, on retry, returns) the order's manual-capture PaymentIntent. Declines are non-retryable `PaymentDeclined`. */
    async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentResult> {
      return timed(deps, 'authorizePayment', async () => {
        const key = paymentKey(input.orderId, 'authorize');
        await payments.ensurePayment(deps.orm.em.fork(), { orderId: input.orderId, provider: provider().name, amount: input.amount, currency: input.currency });
        const outcome = await provider().authorize({ ...input, idempotencyKey: key }).catch(asFailure);
        if (outcome.kind === 'declined') {
          await record({
            orderId: input.orderId, providerEventId: key, type: 'payment_intent.authorize_declined',
            ...(outcome.intent ? fromIntent(outcome.intent) : { amount: input.amount, currency: input.currency }),
            paymentStatus: 'FAILED', failureCode: outcome.code, payload: { code: outcome.code, declineCode: outcome.declineCode, message: outcome.message },
          });
          const details: DeclineDetails = { code: outcome.code, declineCode: outcome.declineCode, paymentIntentId: outcome.intent?.id };
          throw ApplicationFailure.nonRetryable(outcome.message || 'The card was declined', 'PaymentDeclined', details);
        }
        await record({ orderId: input.orderId, providerEventId: key, type: `payment_intent.authorize_${outcome.kind}`, ...fromIntent(outcome.intent) });
        return { outcome: outcome.kind, paymentIntentId: outcome.intent.id, providerStatus: outcome.intent.status };
      });
    },

    /** Captures the authorized amount. Non-retryable failure (e.g. authorization expired) → type = provider code. */
    async capturePayment(input: { orderId: string; paymentIntentId: string; amount?: number }): Promise<PaymentSnapshot> {
      return timed(deps, 'capturePayment', async () => {
        const key = paymentKey(input.orderId, 'capture');
        const intent = await provider().capture(input.paymentIntentId, { amount: input.amount, idempotencyKey: key }).catch(asFailure);
        await record({ orderId: input.orderId, providerEventId: key, type: 'payment_intent.captured', ...fromIntent(intent) });
        return { paymentIntentId: intent.id, providerStatus: intent.status, paymentStatus: payments.paymentStatusOf(intent), amountReceived: intent.amountReceived, amountRefunded: intent.amountRefunded };
      });
    },

    /**
     * Compensation: cancels the uncaptured authorization. A no-op when no intent exists
     * (the charge never happened) or it is already canceled. Reports 'already_captured'
     * instead of voiding when the money was captured — the caller must refund.
     */
    async voidPayment(ref: PaymentRef): Promise<PaymentSnapshot & { outcome: 'voided' | 'noop' | 'already_captured' }> {
      return timed(deps, 'voidPayment', async () => {
        try {
          const found = await resolve(ref).catch(asFailure);
          if (!found) {
            deps.metrics.compensations.inc({ kind: 'void_authorization', outcome: 'noop' });
            return { outcome: 'noop' as const };
          }
          if (found.status === 'succeeded') {
            await record({ orderId: ref.orderId, providerEventId: paymentKey(ref.orderId, 'sync:succeeded'), type: 'payment_intent.sync', source: 'reconciliation', ...fromIntent(found) });
            return { outcome: 'already_captured' as const, paymentIntentId: found.id, providerStatus: found.status, paymentStatus: 'CAPTURED' as const };
          }
          const key = paymentKey(ref.orderId, 'void');
          const intent = found.status === 'canceled' ? found : await provider().void(found.id, { idempotencyKey: key }).catch(asFailure);
          // A declined intent was already FAILED on our side; the payments row never moves backwards.
          await record({ orderId: ref.orderId, providerEventId: key, type: 'payment_intent.canceled', ...fromIntent(intent) });
          deps.metrics.compensations.inc({ kind: 'void_authorization', outcome: found.status === 'canceled' ? 'noop' : 'done' });
          return { outcome: found.status === 'canceled' ? ('noop' as const) : ('voided' as const), paymentIntentId: intent.id, providerStatus: intent.status, paymentStatus: payments.paymentStatusOf(intent) };
        } catch (err) {
          deps.metrics.compensations.inc({ kind: 'void_authorization', outcome: 'error' });
          throw err;
        }
      });
    },

    /** Compensation after capture (ops cancel): refunds what was captured; voids instead when nothing was captured. */
    async refundPayment(ref: PaymentRef & { amount?: number }): Promise<PaymentSnapshot & { outcome: 'refunded' | 'voided' | 'noop'; refundId?: string }> {
      return timed(deps, 'refundPayment', async () => {
        try {
          const found = await resolve(ref).catch(asFailure);
          if (!found || found.status === 'canceled') {
            deps.metrics.compensations.inc({ kind: 'refund_payment', outcome: 'noop' });
            return { outcome: 'noop' as const, paymentIntentId: found?.id, providerStatus: found?.status };
          }
          if (found.status !== 'succeeded') {
            const key = paymentKey(ref.orderId, 'void');
            const intent = await provider().void(found.id, { idempotencyKey: key }).catch(asFailure);
            await record({ orderId: ref.orderId, providerEventId: key, type: 'payment_intent.canceled', ...fromIntent(intent) });
            deps.metrics.compensations.inc({ kind: 'refund_payment', outcome: 'voided' });
            return { outcome: 'voided' as const, paymentIntentId: intent.id, providerStatus: intent.status, paymentStatus: 'VOIDED' as const };
          }
          const key = paymentKey(ref.orderId, 'refund');
          const amount = ref.amount ?? found.amountReceived - found.amountRefunded;
          const refund = amount > 0 ? await provider().refund(found.id, { amount, idempotencyKey: key, orderId: ref.orderId }).catch(asFailure) : undefined;
          const refunded = refund && refund.status !== 'failed' && refund.status !== 'canceled' ? found.amountRefunded + refund.amount : found.amountRefunded;
          await record({
            orderId: ref.orderId, providerEventId: key, type: 'refund.created', providerReference: found.id, amount: refund?.amount ?? 0,
            currency: found.currency, providerStatus: refund?.status ?? 'succeeded', paymentStatus: 'REFUNDED',
            capturedAmount: found.amountReceived, refundedAmount: refunded, payload: refund ? { refundId: refund.id } : null,
          });
          deps.metrics.compensations.inc({ kind: 'refund_payment', outcome: 'done' });
          return { outcome: 'refunded' as const, refundId: refund?.id, paymentIntentId: found.id, providerStatus: found.status, paymentStatus: 'REFUNDED' as const, amountReceived: found.amountReceived, amountRefunded: refunded };
        } catch (err) {
          deps.metrics.compensations.inc({ kind: 'refund_payment', outcome: 'error' });
          throw err;
        }
      });
    },

    /** The provider's view of one intent (plain data). */
    async retrievePayment(input: { paymentIntentId: string }): Promise<ProviderPaymentIntent> {
      return timed(deps, 'retrievePayment', async () => plainIntent(await provider().retrieve(input.paymentIntentId).catch(asFailure)));
    },

    /**
     * Reads the intent from the provider and moves our payments row forward to match.
     * The workflow calls this after a webhook signal instead of trusting the signal blindly.
     */
    async syncPayment(ref: PaymentRef): Promise<PaymentSnapshot> {
      return timed(deps, 'syncPayment', async () => {
        const intent = await resolve(ref).catch(asFailure);
        if (!intent) return {};
        await record({ orderId: ref.orderId, providerEventId: paymentKey(ref.orderId, `sync:${intent.status}`), type: 'payment_intent.sync', source: 'reconciliation', ...fromIntent(intent) });
        return { paymentIntentId: intent.id, providerStatus: intent.status, paymentStatus: payments.paymentStatusOf(intent), amountReceived: intent.amountReceived, amountRefunded: intent.amountRefunded };
      });
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
