// The checkout workflow's contract: its input and output and the plain data that crosses
// the Temporal boundary (update and signal payloads). Pure types and constants only.
import type { FailureCode, OrderStatus, PaymentStatus } from './status.ts';

export interface Money {
  amount: number;
  currency: string;
}

export interface OrderLineInput {
  sku: string;
  quantity: number;
}

export interface CheckoutInput {
  orderId: string;
  customerId: string;
  lines: OrderLineInput[];
  paymentMethod: string;
  shippingAddress?: Record<string, unknown>;
  idempotencyKey: string;
  /** sha256 of the canonical request body; lets the API detect key reuse with another body. */
  requestFingerprint: string;
  requestId?: string;
  /** How long to wait for 3-D Secure before voiding, e.g. '15m' (default '15m'). */
  paymentActionTimeout?: string;
  /** How long capture keeps retrying before the order is flagged for finance, e.g. '24h' (default '24h'). */
  captureRetryWindow?: string;
  /** How long a confirmed order's workflow stays open for ops cancel → refund (default '30d'). */
  aftercareWindow?: string;
  /** How long a stuck compensation waits before its next round (default '1h'; retryCompensationSignal retries at once). */
  compensationRetryInterval?: string;
  /**
   * The order as the API recorded it at intake (priced lines, total). When present the
   * workflow skips its own record step; starts from older API versions omit it.
   */
  order?: RecordedOrder;
}

export const CHECKOUT_DEFAULTS = {
  paymentActionTimeout: '15m',
  captureRetryWindow: '24h',
  aftercareWindow: '30d',
  compensationRetryInterval: '1h',
} as const;

/** Priced order line, as recorded. Prices come from the catalog only. */
export interface PricedLine {
  lineNo: number;
  sku: string;
  name: string;
  quantity: number;
  unitPrice: Money;
}

export interface RecordedOrder {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  currency: string;
  totalAmount: number;
  lines: PricedLine[];
  requestFingerprint: string;
  /** Lines whose sku is unknown or inactive (the order is then REJECTED). */
  unknownSkus: string[];
}

export type CheckoutStep =
  | 'recording'
  | 'reserving'
  | 'authorizing'
  | 'awaiting_payment_action'
  | 'confirming'
  | 'capturing'
  | 'compensating'
  | 'refunding'
  | 'done';

export interface CompensationRecord {
  kind: 'release_stock' | 'void_authorization' | 'refund_payment' | 'restock';
  outcome: 'done' | 'failed' | 'pending';
  attempts: number;
  lastError?: string;
}

/** What the `getState` query returns: the live state of one checkout. */
export interface CheckoutState {
  orderId: string;
  status: OrderStatus;
  paymentStatus: PaymentStatus;
  step: CheckoutStep;
  paymentReference?: string;
  failure?: { code: FailureCode | string; message: string };
  compensations: CompensationRecord[];
  /** Set when a human must act: 'capture_failed', 'compensation_failed', 'manual_review'. */
  attention?: string;
  paymentActionDeadline?: string;
  /** Known once the order is recorded (priced from the catalog). */
  total?: Money;
}

export interface CancelRequest {
  actor: string;
  /** 'customer' may cancel until CONFIRMED; 'ops' at any time (refund once captured). */
  role: 'customer' | 'ops';
  reason?: string;
}

export interface CancelResult {
  accepted: boolean;
  status: OrderStatus;
}

/** Delivered by the webhook intake (and reconciliation) when the provider reports a change. */
export interface PaymentUpdate {
  providerEventId: string;
  type: string; // e.g. payment_intent.amount_capturable_updated, payment_intent.payment_failed
  paymentIntentId: string;
  /** Provider status after the event: requires_capture, succeeded, canceled, requires_payment_method, … */
  providerStatus: string;
  failureCode?: string;
}

export interface OpsAction {
  actor: string;
  reason: string;
}

/** The checkout workflow's signature, for typed starts from the API and tests. */
export type CheckoutWorkflow = (input: CheckoutInput) => Promise<CheckoutState>;

/** `details[0]` of the non-retryable `PaymentDeclined` failure of the authorize activity. */
export interface DeclineDetails {
  code: string;
  declineCode?: string;
  paymentIntentId?: string;
}
