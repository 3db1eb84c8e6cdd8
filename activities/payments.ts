// Payments pool activities: the money calls of src/payments/money-calls.ts, adapted to
// Temporal. Each heartbeats while the provider is called (a dead worker is noticed within the
// heartbeat timeout), records its duration, and turns final outcomes into failure types the
// workflow branches on: a decline → non-retryable `PaymentDeclined` (details: DeclineDetails),
// a final provider error → non-retryable with the provider's code as type. Everything else
// (5xx after the outcome was checked, rate limits, timeouts) is retried by Temporal.
import { ApplicationFailure } from '@temporalio/common';
import { PaymentProviderError } from '../src/payments/provider.ts';
import { PaymentDeclinedError, moneyCalls, type AuthorizePaymentInput, type MoneyCalls, type AuthorizePaymentResult, type PaymentRef, type PaymentSnapshot, type RefundResult, type VoidResult } from '../src/payments/money-calls.ts';
import { notifyOrderChanged } from '../src/orders/service.ts';
import { countedCompensation, requireProvider, timed, withHeartbeat, type ActivityDeps } from './deps.ts';

/** Final outcomes become non-retryable failures typed for the workflow; the rest is rethrown for Temporal to retry. */
function asFailure(err: unknown): never {
  if (err instanceof PaymentDeclinedError) throw ApplicationFailure.nonRetryable(err.message, 'PaymentDeclined', err.details);
  if (err instanceof PaymentProviderError && !err.retryable) throw ApplicationFailure.nonRetryable(err.message, err.code, { httpStatus: err.httpStatus });
  throw err;
}

export function createPaymentActivities(deps: ActivityDeps) {
  // The payment's status is part of the order resource: a change wakes long-polling readers.
  const notify = { logger: deps.logger, redis: deps.redis, redisConfig: deps.config?.redis };
  // Built on first use (a worker without a provider fails each call, not its start), then kept.
  let built: MoneyCalls | undefined;
  const calls = () => (built ??= moneyCalls({ em: () => deps.orm.em.fork(), provider: requireProvider(deps), onPaymentChanged: (orderId, status) => notifyOrderChanged(notify, orderId, `payment:${status}`) }));
  /** Provider calls can hang: time them and heartbeat meanwhile. */
  const run = <T>(name: string, fn: () => Promise<T>) => timed(deps, name, () => withHeartbeat(() => fn().catch(asFailure)));
  return {
    /** Creates (or, on retry, returns) the order's manual-capture PaymentIntent. Declines are non-retryable `PaymentDeclined`. */
    authorizePayment: (input: AuthorizePaymentInput): Promise<AuthorizePaymentResult> => run('authorizePayment', () => calls().authorize(input)),

    /** Captures the authorized amount. Non-retryable failure (e.g. authorization expired) → type = provider code. */
    capturePayment: (input: { orderId: string; paymentIntentId: string; amount?: number }): Promise<PaymentSnapshot> => run('capturePayment', () => calls().capture(input)),

    /** Compensation: voids the authorization; 'already_captured' tells the caller to refund instead. */
    voidPayment: (ref: PaymentRef): Promise<VoidResult> =>
      run('voidPayment', () => countedCompensation(deps, 'void_authorization', () => calls().void(ref), (r) => (r.outcome === 'voided' ? 'done' : r.outcome === 'noop' ? 'noop' : undefined))),

    /** Compensation after capture (ops cancel): refunds what was captured; voids instead when nothing was captured. */
    refundPayment: (ref: PaymentRef & { amount?: number }): Promise<RefundResult> =>
      run('refundPayment', () => countedCompensation(deps, 'refund_payment', () => calls().refund(ref), (r) => (r.outcome === 'refunded' ? 'done' : r.outcome))),

    /** Reads the intent from the provider and moves our payments row forward; the workflow calls it after a webhook signal instead of trusting the signal. */
    syncPayment: (ref: PaymentRef): Promise<PaymentSnapshot> => run('syncPayment', () => calls().sync(ref)),
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
