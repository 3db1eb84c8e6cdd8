// The order and payment state machines (docs/design.md §4, invariant I5). Pure: shared by the
// API, the activities and the workflow (which may import only pure modules).

export const ORDER_STATUSES = ['PENDING', 'AWAITING_PAYMENT_ACTION', 'CONFIRMED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const PAYMENT_STATUSES = ['PENDING', 'REQUIRES_ACTION', 'AUTHORIZED', 'CAPTURED', 'VOIDED', 'REFUNDED', 'FAILED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const FAILURE_CODES = ['out_of_stock', 'payment_declined', 'insufficient_funds', 'payment_action_timeout', 'payment_action_failed', 'cancelled', 'authorization_expired'] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

const ORDER_TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['AWAITING_PAYMENT_ACTION', 'CONFIRMED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED'],
  AWAITING_PAYMENT_ACTION: ['CONFIRMED', 'PAYMENT_FAILED', 'CANCELLED'],
  // Only ops may cancel a confirmed order; the payment is then refunded.
  CONFIRMED: ['CANCELLED'],
  REJECTED: [],
  PAYMENT_FAILED: [],
  CANCELLED: [],
};

const PAYMENT_TRANSITIONS: Record<PaymentStatus, readonly PaymentStatus[]> = {
  PENDING: ['REQUIRES_ACTION', 'AUTHORIZED', 'FAILED', 'VOIDED'],
  REQUIRES_ACTION: ['AUTHORIZED', 'FAILED', 'VOIDED'],
  AUTHORIZED: ['CAPTURED', 'VOIDED'],
  CAPTURED: ['REFUNDED'],
  VOIDED: [],
  REFUNDED: [],
  FAILED: [],
};

export const canTransition = (from: OrderStatus, to: OrderStatus): boolean => ORDER_TRANSITIONS[from].includes(to);
export const canTransitionPayment = (from: PaymentStatus, to: PaymentStatus): boolean => PAYMENT_TRANSITIONS[from].includes(to);

/** States a client waits for: the order will not change again without an ops action. */
export const SETTLED_STATUSES: readonly OrderStatus[] = ['CONFIRMED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED', 'AWAITING_PAYMENT_ACTION'];
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['REJECTED', 'PAYMENT_FAILED', 'CANCELLED'];
export const isSettled = (s: OrderStatus): boolean => SETTLED_STATUSES.includes(s);
export const isTerminal = (s: OrderStatus): boolean => TERMINAL_STATUSES.includes(s);
