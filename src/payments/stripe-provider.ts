// The PaymentProvider on the official Stripe SDK. The same code talks to real Stripe
// (STRIPE_API_BASE=stripe) or to the local sandbox (STRIPE_API_BASE=http://host:port):
// the only difference is the SDK's host/port/protocol options.
import Stripe from 'stripe';
import type { Config } from '../infra/config.ts';
import type { Logger } from '../infra/logger.ts';
import type { Metrics } from '../infra/metrics.ts';
import {
  PaymentProviderError, authorizeOutcomeOf, declineCode,
  type AuthorizeOutcome, type AuthorizeRequest, type ListWindow, type Page, type PaymentProvider, type ProviderEvent,
  type ProviderIntentStatus, type ProviderPaymentIntent, type ProviderRefund,
} from './provider.ts';

export interface StripeProviderDeps {
  metrics?: Pick<Metrics, 'providerCalls'>;
  logger?: Logger;
}

export interface StripePaymentProvider extends PaymentProvider {
  /** The configured SDK client (also used for webhook signature checks). */
  readonly stripe: Stripe;
}

/** SDK options for the configured endpoint: undefined = api.stripe.com, else the sandbox's URL. */
export function stripeClientOptions(config: Config['stripe']): Stripe.StripeConfig {
  const base: Stripe.StripeConfig = { maxNetworkRetries: config.maxNetworkRetries, timeout: config.timeoutMs, telemetry: false };
  if (!config.apiBase) return base;
  const url = new URL(config.apiBase);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return { ...base, host: url.hostname, port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 80, protocol };
}

const LIVE_STATUSES: ProviderIntentStatus[] = ['requires_capture', 'succeeded', 'requires_action', 'processing'];
/** findByOrder's fallback scan: authorizations live 7 days; at most this many pages of 100. */
const FIND_BY_ORDER_WINDOW_S = 8 * 86_400;
const FIND_BY_ORDER_MAX_PAGES = 3;

export function toProviderIntent(pi: Stripe.PaymentIntent): ProviderPaymentIntent {
  const charge = typeof pi.latest_charge === 'object' && pi.latest_charge ? pi.latest_charge : undefined;
  const err = pi.last_payment_error;
  return {
    id: pi.id,
    status: pi.status as ProviderIntentStatus,
    amount: pi.amount,
    amountCapturable: pi.amount_capturable,
    amountReceived: pi.amount_received,
    currency: pi.currency.toUpperCase(),
    created: pi.created,
    orderId: pi.metadata?.order_id || undefined,
    cancellationReason: pi.cancellation_reason ?? null,
    lastPaymentError: err ? { code: err.code ?? undefined, declineCode: err.decline_code ?? undefined, message: err.message ?? undefined } : null,
    amountRefunded: charge?.amount_refunded ?? 0,
    clientSecret: pi.client_secret ?? undefined,
    nextAction: pi.next_action ? { type: pi.next_action.type, redirectUrl: pi.next_action.redirect_to_url?.url ?? undefined } : null,
  };
}

export function toProviderRefund(r: Stripe.Refund): ProviderRefund {
  return {
    id: r.id,
    paymentIntentId: typeof r.payment_intent === 'string' ? r.payment_intent : (r.payment_intent?.id ?? ''),
    amount: r.amount,
    currency: r.currency.toUpperCase(),
    status: (r.status ?? 'pending') as ProviderRefund['status'],
    created: r.created,
    orderId: r.metadata?.order_id || undefined,
  };
}

function toProviderEvent(e: Stripe.Event): ProviderEvent {
  const object = e.data.object as unknown as Record<string, unknown>;
  const pi = object.object === 'payment_intent' ? object.id : object.payment_intent;
  return { id: e.id, type: e.type, created: e.created, paymentIntentId: typeof pi === 'string' ? pi : undefined, object };
}


/**
 * Maps an SDK error to a PaymentProviderError: connection errors, 5xx, 409 (a concurrent
 * request with the same key) and 429 are retryable; everything else is final.
 */
export function toProviderError(err: unknown, operation: string): PaymentProviderError {
  if (err instanceof PaymentProviderError) return err;
  const E = Stripe.errors;
  const msg = (e: unknown) => `${operation}: ${e instanceof Error ? e.message : String(e)}`;
  if (err instanceof E.StripeConnectionError) return new PaymentProviderError(msg(err), { retryable: true, code: 'provider_unreachable', cause: err });
  if (err instanceof E.StripeRateLimitError) return new PaymentProviderError(msg(err), { retryable: true, code: 'rate_limited', httpStatus: err.statusCode, cause: err });
  if (err instanceof E.StripeIdempotencyError) return new PaymentProviderError(msg(err), { retryable: false, code: 'idempotency_error', httpStatus: err.statusCode, cause: err });
  if (err instanceof E.StripeCardError) return new PaymentProviderError(msg(err), { retryable: false, code: declineCode(err.decline_code), httpStatus: err.statusCode, cause: err });
  if (err instanceof E.StripeAuthenticationError || err instanceof E.StripePermissionError) {
    return new PaymentProviderError(msg(err), { retryable: false, code: 'provider_authentication_failed', httpStatus: err.statusCode, cause: err });
  }
  if (err instanceof E.StripeError) {
    const status = err.statusCode;
    if (status === undefined || status >= 500 || status === 409) {
      return new PaymentProviderError(msg(err), { retryable: true, code: status === 409 ? 'idempotency_conflict' : 'provider_error', httpStatus: status, cause: err });
    }
    return new PaymentProviderError(msg(err), { retryable: false, code: err.code ?? 'invalid_request', httpStatus: status, cause: err });
  }
  // Not from the SDK (a bug or an abort): retrying is safe, every mutation carries its key.
  return new PaymentProviderError(msg(err), { retryable: true, code: 'provider_error', cause: err });
}

export function createStripeProvider(config: Config['stripe'], deps: StripeProviderDeps = {}): StripePaymentProvider {
  const stripe = new Stripe(config.secretKey, stripeClientOptions(config));
  const { metrics, logger } = deps;

  /** Runs one SDK call, records its duration/outcome, maps errors. */
  async function call<T>(operation: string, fn: () => Promise<T>, outcomeOf: (v: T) => string = () => 'ok'): Promise<T> {
    const started = performance.now();
    let outcome = 'error';
    try {
      const value = await fn();
      outcome = outcomeOf(value);
      return value;
    } catch (err) {
      const mapped = toProviderError(err, operation);
      outcome = mapped.retryable ? 'retryable_error' : 'error';
      logger?.debug({ operation, code: mapped.code, retryable: mapped.retryable }, 'payment provider call failed');
      throw mapped;
    } finally {
      metrics?.providerCalls.observe({ operation, outcome }, (performance.now() - started) / 1000);
    }
  }

  const expandCharge = { expand: ['latest_charge'] };

  async function retrieve(paymentIntentId: string): Promise<ProviderPaymentIntent> {
    return toProviderIntent(await call('retrieve', () => stripe.paymentIntents.retrieve(paymentIntentId, expandCharge)));
  }

  return {
    name: 'stripe',
    stripe,

    async authorize(req: AuthorizeRequest): Promise<AuthorizeOutcome> {
      const started = performance.now();
      let outcome = 'error';
      try {
        const pi = await stripe.paymentIntents.create(
          {
            amount: req.amount,
            currency: req.currency.toLowerCase(),
            capture_method: 'manual',
            payment_method: req.paymentMethod,
            confirm: true,
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            metadata: { order_id: req.orderId, customer_id: req.customerId },
            expand: ['latest_charge'],
          },
          { idempotencyKey: req.idempotencyKey },
        );
        // A replay returns the response as it was first sent; the intent may have moved on since
        // (3-D Secure completed, voided, expired), so read its current state.
        const replayed = pi.lastResponse?.headers?.['idempotent-replayed'] === 'true';
        const result = authorizeOutcomeOf(replayed ? toProviderIntent(await stripe.paymentIntents.retrieve(pi.id, expandCharge)) : toProviderIntent(pi));
        outcome = result.kind;
        return result;
      } catch (err) {
        if (err instanceof Stripe.errors.StripeCardError) {
          outcome = 'declined';
          const raw = err.raw as { payment_intent?: Stripe.PaymentIntent };
          return {
            kind: 'declined',
            code: declineCode(err.decline_code),
            declineCode: err.decline_code ?? undefined,
            message: err.message,
            intent: raw.payment_intent ? toProviderIntent(raw.payment_intent) : undefined,
          };
        }
        const mapped = toProviderError(err, 'authorize');
        outcome = mapped.retryable ? 'retryable_error' : 'error';
        throw mapped;
      } finally {
        metrics?.providerCalls.observe({ operation: 'authorize', outcome }, (performance.now() - started) / 1000);
      }
    },

    async capture(paymentIntentId, opts) {
      const params: Stripe.PaymentIntentCaptureParams = { ...expandCharge };
      if (opts.amount !== undefined) params.amount_to_capture = opts.amount;
      return toProviderIntent(await call('capture', () => stripe.paymentIntents.capture(paymentIntentId, params, { idempotencyKey: opts.idempotencyKey })));
    },

    async void(paymentIntentId, opts) {
      return toProviderIntent(await call('void', () => stripe.paymentIntents.cancel(paymentIntentId, { ...expandCharge }, { idempotencyKey: opts.idempotencyKey })));
    },

    async refund(paymentIntentId, opts) {
      const params: Stripe.RefundCreateParams = { payment_intent: paymentIntentId };
      if (opts.amount !== undefined) params.amount = opts.amount;
      if (opts.orderId) params.metadata = { order_id: opts.orderId };
      return toProviderRefund(await call('refund', () => stripe.refunds.create(params, { idempotencyKey: opts.idempotencyKey })));
    },

    retrieve,

    async findByOrder(orderId) {
      if (!/^[A-Za-z0-9_-]+$/.test(orderId)) throw new PaymentProviderError(`findByOrder: invalid order id ${orderId}`, { retryable: false, code: 'invalid_request' });
      const result = await call('find_by_order', () => stripe.paymentIntents.search({ query: `metadata['order_id']:'${orderId}'`, limit: 20, expand: ['data.latest_charge'] }));
      let intents = result.data.map(toProviderIntent);
      if (!intents.length) {
        // Stripe's search index trails writes by up to a minute, and "not found" decides
        // whether a compensation is a no-op — so confirm it against the (consistent) list of
        // recent intents, bounded to the authorization lifetime and a few pages.
        let startingAfter: string | undefined;
        for (let page = 0; page < FIND_BY_ORDER_MAX_PAGES && !intents.length; page++) {
          const list = await call('find_by_order_scan', () => stripe.paymentIntents.list({ created: { gte: Math.floor(Date.now() / 1000) - FIND_BY_ORDER_WINDOW_S }, limit: 100, ...(startingAfter ? { starting_after: startingAfter } : {}), expand: ['data.latest_charge'] }));
          intents = list.data.filter((pi) => pi.metadata?.order_id === orderId).map(toProviderIntent);
          if (!list.has_more || !list.data.length) break;
          startingAfter = list.data[list.data.length - 1].id;
        }
      }
      return intents.find((i) => LIVE_STATUSES.includes(i.status)) ?? intents[0];
    },

    async listPaymentIntents(window) {
      const page = await call('list_payment_intents', () => stripe.paymentIntents.list({ ...listParams(window), expand: ['data.latest_charge'] }));
      return toPage(page, toProviderIntent);
    },

    async listRefunds(window) {
      return toPage(await call('list_refunds', () => stripe.refunds.list(listParams(window))), toProviderRefund);
    },

    async listEvents(window) {
      return toPage(await call('list_events', () => stripe.events.list(listParams(window))), toProviderEvent);
    },
  };
}

function listParams(w: ListWindow) {
  const created: Stripe.RangeQueryParam = { gte: w.createdGte };
  if (w.createdLt !== undefined) created.lt = w.createdLt;
  const params: { created: Stripe.RangeQueryParam; limit: number; starting_after?: string } = { created, limit: Math.min(Math.max(w.limit ?? 100, 1), 100) };
  if (w.startingAfter) params.starting_after = w.startingAfter;
  return params;
}

function toPage<S extends { id: string }, T>(list: Stripe.ApiList<S>, map: (s: S) => T): Page<T> {
  const last = list.data.at(-1);
  return { data: list.data.map(map), hasMore: list.has_more, nextCursor: list.has_more && last ? last.id : undefined };
}
