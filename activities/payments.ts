// Payments pool activities. Every money call is provider-truth first: the provider's own
// idempotency key (`order-<orderId>:<operation>`) is kept, but it is not trusted alone —
// Stripe replays a stored 500 for a key and forgets the key after 24 h, so a retry, a
// re-drive or a workflow reset could otherwise create a second intent or report a false
// failure. Before creating, the order's intent is looked up (our row, then the provider by
// order metadata); a 5xx or timeout means "outcome unknown" → read the intent, then decide;
// capture/void/refund read the intent's state before acting. The payment_events ledger is
// keyed by intent (`<pi>:<operation>`) and refund id (`<re>:refund`), so two intents or two
// refunds of one order can never hide one another.
import { ApplicationFailure } from '@temporalio/common';
import { PaymentProviderError, authorizeOutcomeOf, type AuthorizeOutcome, type PaymentProvider, type ProviderPaymentIntent } from '../src/payments/provider.ts';
import * as payments from '../src/payments/service.ts';
import { notifyOrderChanged } from '../src/orders/service.ts';
import { timed as timedOnly, withHeartbeat, type ActivityDeps } from './deps.ts';
import type { PaymentStatus } from '../src/contracts/index.ts';

/** Provider calls can hang: time them and heartbeat meanwhile. */
const timed = <T>(deps: Pick<ActivityDeps, 'metrics'>, name: string, fn: () => Promise<T>) => timedOnly(deps, name, () => withHeartbeat(fn));

export const paymentKey = (orderId: string, operation: string) => `order-${orderId}:${operation}`;
/** Ledger key of one interaction with one provider object (intent or refund). */
export const ledgerKey = (providerObjectId: string, operation: string) => `${providerObjectId}:${operation}`;

/** A 5xx, a timeout or a lost connection: the call may or may not have happened. */
const outcomeUnknown = (err: unknown) => err instanceof PaymentProviderError && err.retryable && err.code !== 'rate_limited';

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

/** Plain data for workflow history: without the client secret (only the order's owner may see it). */
const plainIntent = ({ clientSecret: _secret, ...i }: ProviderPaymentIntent): ProviderPaymentIntent => JSON.parse(JSON.stringify(i));

/** `payment.action` of the order resource: what the customer needs to complete 3-D Secure. */
export interface PaymentAction {
  type: 'authenticate';
  clientSecret: string;
  redirectUrl?: string;
}

const actionOf = (i: ProviderPaymentIntent): PaymentAction | undefined =>
  i.status === 'requires_action' && i.clientSecret
    ? { type: 'authenticate', clientSecret: i.clientSecret, ...(i.nextAction?.redirectUrl ? { redirectUrl: i.nextAction.redirectUrl } : {}) }
    : undefined;

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
  const resolve = async (ref: PaymentRef): Promise<ProviderPaymentIntent | undefined> => {
    const id = ref.paymentIntentId ?? (await payments.paymentOf(deps.orm.em.fork(), ref.orderId))?.providerReference;
    return id ? provider().retrieve(id) : provider().findByOrder(ref.orderId);
  };
  /** Runs a money call; when its outcome is unknown, reads the intent and lets `settled` decide whether it happened. */
  const provenCall = async (call: () => Promise<ProviderPaymentIntent>, intentId: string, settled: (i: ProviderPaymentIntent) => boolean): Promise<ProviderPaymentIntent> => {
    try {
      return await call();
    } catch (err) {
      if (!outcomeUnknown(err)) throw err;
      const now = await provider().retrieve(intentId);
      if (settled(now)) return now;
      throw err;
    }
  };
  const voidIntent = (orderId: string, intentId: string) =>
    provenCall(() => provider().void(intentId, { idempotencyKey: paymentKey(orderId, `void:${intentId}`) }), intentId, (i) => i.status === 'canceled').catch(asFailure);

  return {
    /** Creates (or, on retry, returns) the order's manual-capture PaymentIntent. Declines are non-retryable `PaymentDeclined`. */
    async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentResult> {
      return timed(deps, 'authorizePayment', async () => {
        const key = paymentKey(input.orderId, 'authorize');
        const firstTime = await payments.ensurePayment(deps.orm.em.fork(), { orderId: input.orderId, provider: provider().name, amount: input.amount, currency: input.currency });
        // Provider truth first: an earlier attempt (or run, before a reset) may have created the
        // intent although its key is forgotten or replays a 500. Only the call that created the
        // payments row can be sure no create was ever sent.
        let outcome: AuthorizeOutcome | undefined;
        const existing = firstTime ? undefined : await resolve({ orderId: input.orderId }).catch(asFailure);
        if (existing) outcome = authorizeOutcomeOf(existing);
        if (!outcome) {
          try {
            outcome = await provider().authorize({ ...input, idempotencyKey: key });
          } catch (err) {
            if (!outcomeUnknown(err)) asFailure(err);
            const found = await provider().findByOrder(input.orderId).catch(asFailure);
            if (!found) throw err;
            outcome = authorizeOutcomeOf(found);
          }
        }
        if (outcome.kind === 'declined') {
          await record({
            orderId: input.orderId, providerEventId: outcome.intent ? ledgerKey(outcome.intent.id, 'authorize') : key, type: 'payment_intent.authorize_declined',
            ...(outcome.intent ? fromIntent(outcome.intent) : { amount: input.amount, currency: input.currency }),
            paymentStatus: 'FAILED', failureCode: outcome.code, payload: { code: outcome.code, declineCode: outcome.declineCode, message: outcome.message },
          });
          const details: DeclineDetails = { code: outcome.code, declineCode: outcome.declineCode, paymentIntentId: outcome.intent?.id };
          throw ApplicationFailure.nonRetryable(outcome.message || 'The card was declined', 'PaymentDeclined', details);
        }
        // The order resource shows the owner this action (payment.action) while the payment waits for it.
        const action = actionOf(outcome.intent);
        await record({ orderId: input.orderId, providerEventId: ledgerKey(outcome.intent.id, 'authorize'), type: `payment_intent.authorize_${outcome.kind}`, ...fromIntent(outcome.intent), payload: action ? { action } : null });
        return { outcome: outcome.kind, paymentIntentId: outcome.intent.id, providerStatus: outcome.intent.status };
      });
    },

    /** Captures the authorized amount. Non-retryable failure (e.g. authorization expired) → type = provider code. */
    async capturePayment(input: { orderId: string; paymentIntentId: string; amount?: number }): Promise<PaymentSnapshot> {
      return timed(deps, 'capturePayment', async () => {
        // Read first: a capture that already happened (an earlier attempt, a re-drive after the
        // key expired) is a success, not a `payment_intent_unexpected_state` failure.
        const before = await provider().retrieve(input.paymentIntentId).catch(asFailure);
        const intent = before.status === 'succeeded'
          ? before
          : await provenCall(
            () => provider().capture(input.paymentIntentId, { amount: input.amount, idempotencyKey: paymentKey(input.orderId, `capture:${input.paymentIntentId}`) }),
            input.paymentIntentId, (i) => i.status === 'succeeded',
          ).catch(asFailure);
        await record({ orderId: input.orderId, providerEventId: ledgerKey(intent.id, 'capture'), type: 'payment_intent.captured', ...fromIntent(intent) });
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
            await record({ orderId: ref.orderId, providerEventId: ledgerKey(found.id, 'sync:succeeded'), type: 'payment_intent.sync', source: 'reconciliation', ...fromIntent(found) });
            return { outcome: 'already_captured' as const, paymentIntentId: found.id, providerStatus: found.status, paymentStatus: 'CAPTURED' as const };
          }
          const intent = found.status === 'canceled' ? found : await voidIntent(ref.orderId, found.id);
          // A declined intent was already FAILED on our side; the payments row never moves backwards.
          await record({ orderId: ref.orderId, providerEventId: ledgerKey(intent.id, 'void'), type: 'payment_intent.canceled', ...fromIntent(intent) });
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
            const intent = await voidIntent(ref.orderId, found.id);
            await record({ orderId: ref.orderId, providerEventId: ledgerKey(intent.id, 'void'), type: 'payment_intent.canceled', ...fromIntent(intent) });
            deps.metrics.compensations.inc({ kind: 'refund_payment', outcome: 'voided' });
            return { outcome: 'voided' as const, paymentIntentId: intent.id, providerStatus: intent.status, paymentStatus: 'VOIDED' as const };
          }
          // One key per refund: what was refunded before this one is part of it, so a retry of
          // this refund replays it, and the next (partial) refund is a new one. A retry after a
          // lost answer reads the intent above first and finds nothing left to refund.
          const amount = Math.min(ref.amount ?? Infinity, found.amountReceived - found.amountRefunded);
          const refund = amount > 0
            ? await provider().refund(found.id, { amount, idempotencyKey: paymentKey(ref.orderId, `refund:${found.id}:${found.amountRefunded}`), orderId: ref.orderId }).catch(asFailure)
            : undefined;
          const refunded = refund && refund.status !== 'failed' && refund.status !== 'canceled' ? found.amountRefunded + refund.amount : found.amountRefunded;
          await record({
            orderId: ref.orderId, providerEventId: refund ? ledgerKey(refund.id, 'refund') : ledgerKey(found.id, `refunded:${found.amountRefunded}`), type: 'refund.created', providerReference: found.id, amount: refund?.amount ?? 0,
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
        await record({ orderId: ref.orderId, providerEventId: ledgerKey(intent.id, `sync:${intent.status}`), type: 'payment_intent.sync', source: 'reconciliation', ...fromIntent(intent) });
        return { paymentIntentId: intent.id, providerStatus: intent.status, paymentStatus: payments.paymentStatusOf(intent), amountReceived: intent.amountReceived, amountRefunded: intent.amountRefunded };
      });
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
