// The money calls of one order: authorize, capture, void, refund, sync. Every decision lives
// here (docs/money-calls.md); activities/payments.ts only adapts these to Temporal
// (heartbeats, durations, failure types).
//
// Provider truth first: the provider's own idempotency key (`order-<orderId>:<operation>`) is
// kept, but it is not trusted alone — Stripe replays a stored 500 for a key and forgets the key
// after 24 h, so a retry, a re-drive or a workflow reset could otherwise create a second intent
// or report a false failure. Before creating, the order's intent is looked up (our row, then the
// provider by order metadata); a 5xx or timeout means "outcome unknown" → read the intent, then
// decide; capture/void/refund read the intent's state before acting. The payment_events ledger
// is keyed by intent (`<pi>:<operation>`) and refund id (`<re>:refund`), so two intents or two
// refunds of one order can never hide one another.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { DeclineDetails, PaymentStatus } from '../contracts/index.ts';
import { PaymentProviderError, authorizeOutcomeOf, type AuthorizeOutcome, type PaymentProvider, type ProviderPaymentIntent } from './provider.ts';
import * as payments from './service.ts';

export const paymentKey = (orderId: string, operation: string) => `order-${orderId}:${operation}`;
/** Ledger key of one interaction with one provider object (intent or refund). */
export const ledgerKey = (providerObjectId: string, operation: string) => `${providerObjectId}:${operation}`;

/** A 5xx, a timeout or a lost connection: the call may or may not have happened. */
export const outcomeUnknown = (err: unknown) => err instanceof PaymentProviderError && err.retryable && err.code !== 'rate_limited';

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

export type VoidResult = PaymentSnapshot & { outcome: 'voided' | 'noop' | 'already_captured' };
export type RefundResult = PaymentSnapshot & { outcome: 'refunded' | 'voided' | 'noop'; refundId?: string };

/** The card was declined: final, with what the workflow needs to tell the customer. */
export class PaymentDeclinedError extends Error {
  readonly details: DeclineDetails;
  constructor(message: string, details: DeclineDetails) {
    super(message);
    this.name = 'PaymentDeclinedError';
    this.details = details;
  }
}

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

const snapshotOf = (intent: ProviderPaymentIntent): PaymentSnapshot => ({
  paymentIntentId: intent.id, providerStatus: intent.status, paymentStatus: payments.paymentStatusOf(intent), amountReceived: intent.amountReceived, amountRefunded: intent.amountRefunded,
});

const fromIntent = (intent: ProviderPaymentIntent) => ({
  providerReference: intent.id, amount: intent.amount, currency: intent.currency, providerStatus: intent.status,
  paymentStatus: payments.paymentStatusOf(intent), capturedAmount: intent.amountReceived, refundedAmount: intent.amountRefunded,
});

export interface MoneyCallDeps {
  /** A fresh EntityManager per use (one per call). */
  em: () => EntityManager;
  provider: PaymentProvider;
  /** Told when a recorded interaction changed the payment's status (wakes order readers). */
  onPaymentChanged?: (orderId: string, status: PaymentStatus | undefined) => Promise<void>;
}

export function moneyCalls(deps: MoneyCallDeps) {
  const { provider } = deps;
  const record = async (i: Omit<payments.PaymentInteraction, 'provider'>) => {
    const r = await payments.recordPaymentInteraction(deps.em(), { provider: provider.name, ...i });
    if (r.changed) await deps.onPaymentChanged?.(i.orderId, r.status);
    return r;
  };
  const resolve = async (ref: PaymentRef): Promise<ProviderPaymentIntent | undefined> => {
    const id = ref.paymentIntentId ?? (await payments.paymentOf(deps.em(), ref.orderId))?.providerReference;
    return id ? provider.retrieve(id) : provider.findByOrder(ref.orderId);
  };
  /** Runs a money call; when its outcome is unknown, reads the intent and lets `settled` decide whether it happened. */
  const provenCall = async (call: () => Promise<ProviderPaymentIntent>, intentId: string, settled: (i: ProviderPaymentIntent) => boolean): Promise<ProviderPaymentIntent> => {
    try {
      return await call();
    } catch (err) {
      if (!outcomeUnknown(err)) throw err;
      const now = await provider.retrieve(intentId);
      if (settled(now)) return now;
      throw err;
    }
  };
  const voidIntent = (orderId: string, intentId: string) =>
    provenCall(() => provider.void(intentId, { idempotencyKey: paymentKey(orderId, `void:${intentId}`) }), intentId, (i) => i.status === 'canceled');
  const recordVoid = (orderId: string, intent: ProviderPaymentIntent) =>
    record({ orderId, providerEventId: ledgerKey(intent.id, 'void'), type: 'payment_intent.canceled', ...fromIntent(intent) });

  const calls = {
    /** Creates (or, on retry, returns) the order's manual-capture PaymentIntent. A decline throws PaymentDeclinedError. */
    async authorize(input: AuthorizePaymentInput): Promise<AuthorizePaymentResult> {
      const key = paymentKey(input.orderId, 'authorize');
      const firstTime = await payments.ensurePayment(deps.em(), { orderId: input.orderId, provider: provider.name, amount: input.amount, currency: input.currency });
      // Provider truth first: an earlier attempt (or run, before a reset) may have created the
      // intent although its key is forgotten or replays a 500. Only the call that created the
      // payments row can be sure no create was ever sent.
      let outcome: AuthorizeOutcome | undefined;
      const existing = firstTime ? undefined : await resolve({ orderId: input.orderId });
      if (existing) outcome = authorizeOutcomeOf(existing);
      if (!outcome) {
        try {
          outcome = await provider.authorize({ ...input, idempotencyKey: key });
        } catch (err) {
          if (!outcomeUnknown(err)) throw err;
          const found = await provider.findByOrder(input.orderId);
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
        throw new PaymentDeclinedError(outcome.message || 'The card was declined', { code: outcome.code, declineCode: outcome.declineCode, paymentIntentId: outcome.intent?.id });
      }
      // The order resource shows the owner this action (payment.action) while the payment waits for it.
      const action = actionOf(outcome.intent);
      await record({ orderId: input.orderId, providerEventId: ledgerKey(outcome.intent.id, 'authorize'), type: `payment_intent.authorize_${outcome.kind}`, ...fromIntent(outcome.intent), payload: action ? { action } : null });
      return { outcome: outcome.kind, paymentIntentId: outcome.intent.id, providerStatus: outcome.intent.status };
    },

    /** Captures the authorized amount (or the given part of it); a capture that already happened is a success. */
    async capture(input: { orderId: string; paymentIntentId: string; amount?: number }): Promise<PaymentSnapshot> {
      // Read first: a capture that already happened (an earlier attempt, a re-drive after the
      // key expired) is a success, not a `payment_intent_unexpected_state` failure.
      const before = await provider.retrieve(input.paymentIntentId);
      const intent = before.status === 'succeeded'
        ? before
        : await provenCall(
          () => provider.capture(input.paymentIntentId, { amount: input.amount, idempotencyKey: paymentKey(input.orderId, `capture:${input.paymentIntentId}`) }),
          input.paymentIntentId, (i) => i.status === 'succeeded',
        );
      await record({ orderId: input.orderId, providerEventId: ledgerKey(intent.id, 'capture'), type: 'payment_intent.captured', ...fromIntent(intent) });
      return snapshotOf(intent);
    },

    /**
     * Cancels the uncaptured authorization. A no-op when no intent exists (the charge never
     * happened) or it is already canceled. Reports 'already_captured' instead of voiding when
     * the money was captured — the caller must refund.
     */
    async void(ref: PaymentRef): Promise<VoidResult> {
      const found = await resolve(ref);
      if (!found) return { outcome: 'noop' };
      if (found.status === 'succeeded') {
        await record({ orderId: ref.orderId, providerEventId: ledgerKey(found.id, 'sync:succeeded'), type: 'payment_intent.sync', source: 'reconciliation', ...fromIntent(found) });
        return { outcome: 'already_captured', paymentIntentId: found.id, providerStatus: found.status, paymentStatus: 'CAPTURED' };
      }
      const intent = found.status === 'canceled' ? found : await voidIntent(ref.orderId, found.id);
      // A declined intent was already FAILED on our side; the payments row never moves backwards.
      await recordVoid(ref.orderId, intent);
      return { outcome: found.status === 'canceled' ? 'noop' : 'voided', paymentIntentId: intent.id, providerStatus: intent.status, paymentStatus: payments.paymentStatusOf(intent) };
    },

    /** After capture (ops cancel): refunds what was captured; voids instead when nothing was captured. */
    async refund(ref: PaymentRef & { amount?: number }): Promise<RefundResult> {
      const found = await resolve(ref);
      if (!found || found.status === 'canceled') return { outcome: 'noop', paymentIntentId: found?.id, providerStatus: found?.status };
      if (found.status !== 'succeeded') {
        const intent = await voidIntent(ref.orderId, found.id);
        await recordVoid(ref.orderId, intent);
        return { outcome: 'voided', paymentIntentId: intent.id, providerStatus: intent.status, paymentStatus: 'VOIDED' };
      }
      // One key per refund: what was refunded before this one is part of it, so a retry of
      // this refund replays it, and the next (partial) refund is a new one. A retry after a
      // lost answer reads the intent above first and finds nothing left to refund.
      const amount = Math.min(ref.amount ?? Infinity, found.amountReceived - found.amountRefunded);
      const refund = amount > 0
        ? await provider.refund(found.id, { amount, idempotencyKey: paymentKey(ref.orderId, `refund:${found.id}:${found.amountRefunded}`), orderId: ref.orderId })
        : undefined;
      const refunded = refund && refund.status !== 'failed' && refund.status !== 'canceled' ? found.amountRefunded + refund.amount : found.amountRefunded;
      await record({
        orderId: ref.orderId, providerEventId: refund ? ledgerKey(refund.id, 'refund') : ledgerKey(found.id, `refunded:${found.amountRefunded}`), type: 'refund.created', providerReference: found.id, amount: refund?.amount ?? 0,
        currency: found.currency, providerStatus: refund?.status ?? 'succeeded', paymentStatus: 'REFUNDED',
        capturedAmount: found.amountReceived, refundedAmount: refunded, payload: refund ? { refundId: refund.id } : null,
      });
      return { outcome: 'refunded', refundId: refund?.id, paymentIntentId: found.id, providerStatus: found.status, paymentStatus: 'REFUNDED', amountReceived: found.amountReceived, amountRefunded: refunded };
    },

    /** Settles an order's payment either way: voids it, or refunds it when it was captured after all. */
    async voidOrRefund(ref: PaymentRef): Promise<VoidResult> {
      const v = await calls.void(ref);
      if (v.outcome === 'already_captured') await calls.refund({ orderId: ref.orderId, paymentIntentId: v.paymentIntentId });
      return v;
    },

    /** Reads the intent from the provider and moves our payments row forward to match. */
    async sync(ref: PaymentRef): Promise<PaymentSnapshot> {
      const intent = await resolve(ref);
      if (!intent) return {};
      await record({ orderId: ref.orderId, providerEventId: ledgerKey(intent.id, `sync:${intent.status}`), type: 'payment_intent.sync', source: 'reconciliation', ...fromIntent(intent) });
      return snapshotOf(intent);
    },
  };
  return calls;
}

export type MoneyCalls = ReturnType<typeof moneyCalls>;
