// What the payment activities need from a payment provider. The Stripe implementation
// (stripe-provider.ts) is the only one; offline it talks to the sandbox over HTTP.

export type ProviderIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

export interface ProviderPaymentIntent {
  id: string;
  status: ProviderIntentStatus;
  amount: number;
  amountCapturable: number;
  amountReceived: number;
  currency: string; // upper-case ISO, e.g. USD
  created: number; // unix seconds
  orderId?: string; // from metadata.order_id
  cancellationReason?: string | null;
  lastPaymentError?: { code?: string; declineCode?: string; message?: string } | null;
  /** Sum of succeeded refunds. */
  amountRefunded: number;
  /** What the customer's browser needs to complete 3-D Secure (Stripe.js), while requires_action. */
  clientSecret?: string;
  /** The provider's next action: a page to send the customer to, when it gives one. */
  nextAction?: { type: string; redirectUrl?: string } | null;
}

export interface ProviderRefund {
  id: string;
  paymentIntentId: string;
  amount: number;
  currency: string;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled';
  created: number;
  orderId?: string;
}

export interface ProviderEvent {
  id: string;
  type: string;
  created: number;
  paymentIntentId?: string;
  object: Record<string, unknown>;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
  /** Pass as `startingAfter` to get the next page. */
  nextCursor?: string;
}

export interface AuthorizeRequest {
  orderId: string;
  customerId: string;
  amount: number;
  currency: string;
  paymentMethod: string;
  /** Derived from the order id, never from a run id: `order-<id>:authorize`. */
  idempotencyKey: string;
}

export type AuthorizeOutcome =
  | { kind: 'authorized'; intent: ProviderPaymentIntent }
  | { kind: 'requires_action'; intent: ProviderPaymentIntent }
  | { kind: 'declined'; code: 'payment_declined' | 'insufficient_funds' | string; declineCode?: string; message: string; intent?: ProviderPaymentIntent };

export interface ListWindow {
  createdGte: number; // unix seconds
  createdLt?: number;
  limit?: number;
  startingAfter?: string;
}

export interface PaymentProvider {
  readonly name: string; // 'stripe'
  authorize(req: AuthorizeRequest): Promise<AuthorizeOutcome>;
  capture(paymentIntentId: string, opts: { amount?: number; idempotencyKey: string }): Promise<ProviderPaymentIntent>;
  /** Cancels an uncaptured authorization (releases the hold). */
  void(paymentIntentId: string, opts: { idempotencyKey: string }): Promise<ProviderPaymentIntent>;
  refund(paymentIntentId: string, opts: { amount?: number; idempotencyKey: string; orderId?: string }): Promise<ProviderRefund>;
  retrieve(paymentIntentId: string): Promise<ProviderPaymentIntent>;
  /** Finds the intent created for an order (metadata.order_id), e.g. after a lost response. */
  findByOrder(orderId: string): Promise<ProviderPaymentIntent | undefined>;
  listPaymentIntents(window: ListWindow): Promise<Page<ProviderPaymentIntent>>;
  listRefunds(window: ListWindow): Promise<Page<ProviderRefund>>;
  listEvents(window: ListWindow): Promise<Page<ProviderEvent>>;
}

/**
 * Failures the provider reports. `retryable` tells the activity layer whether to let
 * Temporal retry (connection errors, 5xx, 429) or fail for good (invalid request,
 * illegal state transition, idempotency mismatch).
 */
export class PaymentProviderError extends Error {
  readonly retryable: boolean;
  readonly code: string;
  readonly httpStatus?: number;
  constructor(message: string, opts: { retryable: boolean; code: string; httpStatus?: number; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.name = 'PaymentProviderError';
    this.retryable = opts.retryable;
    this.code = opts.code;
    this.httpStatus = opts.httpStatus;
  }
}

/** The domain code for a card decline. */
export function declineCode(declineCodeValue: string | undefined | null): 'payment_declined' | 'insufficient_funds' {
  return declineCodeValue === 'insufficient_funds' ? 'insufficient_funds' : 'payment_declined';
}

/**
 * What an existing intent means for the authorize step. Used for a fresh create, a replayed
 * one and an intent found by order (provider truth), so all three decide alike.
 */
export function authorizeOutcomeOf(intent: ProviderPaymentIntent): AuthorizeOutcome {
  switch (intent.status) {
    case 'requires_capture':
    case 'succeeded':
      return { kind: 'authorized', intent };
    case 'requires_action':
      return { kind: 'requires_action', intent };
    case 'processing':
      throw new PaymentProviderError(`authorize: PaymentIntent ${intent.id} is still processing`, { retryable: true, code: 'payment_processing' });
    case 'canceled':
      return { kind: 'declined', code: intent.cancellationReason === 'automatic' ? 'authorization_expired' : 'cancelled', message: `PaymentIntent ${intent.id} was canceled`, intent };
    default: {
      const e = intent.lastPaymentError;
      const code = e?.code === 'payment_intent_authentication_failure' ? 'payment_action_failed' : declineCode(e?.declineCode);
      return { kind: 'declined', code, declineCode: e?.declineCode, message: e?.message ?? 'The payment was declined.', intent };
    }
  }
}
