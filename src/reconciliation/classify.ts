// The reconciliation rules, as pure functions: given what the provider says about one
// payment and what we recorded about it (payments row, ledger, order), decide whether it
// matches, is still in flight (not ours to touch yet), or which findings it produces and
// how each is repaired. No I/O here, so every rule has a unit test.
import type { ProviderEvent, ProviderPaymentIntent, ProviderRefund } from '../payments/provider.ts';
import { canTransitionPayment, isTerminal, type OrderStatus, type PaymentStatus } from '../contracts/index.ts';
import { paymentStatusOf, type PaymentRecord } from '../payments/service.ts';

export const FINDING_KINDS = [
  'orphan_authorization',
  'captured_without_confirmed_order',
  'confirmed_not_captured',
  'amount_mismatch',
  'currency_mismatch',
  'ledger_missing_refund',
  'ledger_missing_event',
  'missed_webhook',
  // From our own records: an order whose workflow is gone without settling it, and a settled
  // order that still holds stock (see stranded.ts).
  'stranded_order',
  'held_stock_settled_order',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/**
 * What a finding's repair does. Money-moving repairs go through the checkout's payment
 * activities (provider truth first, the checkout's keys; docs/money-calls.md), so they can
 * never double-charge or double-refund.
 */
export type RepairAction =
  | 'void' // cancel the authorization at the provider
  | 'refund' // refund what was captured and not yet refunded
  | 'capture' // capture the authorization (retried with backoff)
  | 'signal_workflow' // apply the provider's state through the order's workflow
  | 'backfill_ledger' // write the missing ledger rows and move our payments row forward
  | 'settle_order' // the order's workflow is gone: void/refund, release the stock, CANCELLED
  | 'release_stock' // a settled order's HELD units go back
  | 'flag_order' // needs a human: set orders.attention
  | 'none'; // needs a human: report only

export type CapturedPolicy = 'refund' | 'confirm';

export interface OurOrder {
  id: string;
  status: OrderStatus;
  totalAmount: number;
  currency: string;
  attention: string | null;
  updatedAt: number; // epoch ms
  /** The workflow recorded a cancel request (a `cancel_requested` timeline row) before compensating. */
  cancelRequested?: boolean;
}

/** Our payments row as reconciliation compares it. */
export interface OurPayment extends Omit<PaymentRecord, 'provider'> {
  updatedAt: number; // epoch ms
}

/** Everything known about one payment (one order, or one provider intent without an order). */
export interface ReconciliationCase {
  orderId?: string;
  order?: OurOrder;
  payment?: OurPayment;
  intent?: ProviderPaymentIntent;
  /** The provider's refunds of this intent. */
  refunds: ProviderRefund[];
  /** The provider's events about this intent (within the window). */
  events: ProviderEvent[];
  /** provider_event_id values and refund ids already in our ledger for this order / intent. */
  ledgerIds: ReadonlySet<string>;
}

export interface FindingDraft {
  kind: FindingKind;
  orderId: string | null;
  providerReference: string | null;
  ourAmount: number | null;
  providerAmount: number | null;
  currency: string | null;
  ourStatus: string | null;
  providerStatus: string | null;
  action: RepairAction;
  needsHuman: boolean;
  details: Record<string, unknown>;
}

export type Classification =
  | { outcome: 'matched' }
  | { outcome: 'in_flight'; reason: string }
  | { outcome: 'findings'; findings: FindingDraft[] };

export interface ClassifyOptions {
  now: number; // epoch ms
  /** Anything that changed more recently than this is in flight: not a finding, not touched. */
  graceMs: number;
  capturedPolicy: CapturedPolicy;
}

export const DEFAULT_GRACE_MS = 2 * 60_000;

/** Provider status → the PaymentUpdate event type the webhook intake would have signalled. */
export function eventTypeForStatus(status: string): string {
  switch (status) {
    case 'requires_capture': return 'payment_intent.amount_capturable_updated';
    case 'succeeded': return 'payment_intent.succeeded';
    case 'canceled': return 'payment_intent.canceled';
    case 'requires_payment_method': return 'payment_intent.payment_failed';
    case 'requires_action': return 'payment_intent.requires_action';
    default: return `payment_intent.${status}`;
  }
}

/** The provider event id reconciliation uses when it applies a state the webhook never delivered. */
export const reconciliationEventId = (paymentIntentId: string, status: string) => `reconciliation:${paymentIntentId}:${status}`;

/** True when `ours` already reflects `theirs`: equal, or `theirs` lies on the path that led to `ours`. */
export function paymentStatusCovers(ours: PaymentStatus, theirs: PaymentStatus): boolean {
  if (ours === theirs) return true;
  const seen = new Set<PaymentStatus>([theirs]);
  const queue: PaymentStatus[] = [theirs];
  while (queue.length) {
    const s = queue.shift()!;
    for (const next of ['PENDING', 'REQUIRES_ACTION', 'AUTHORIZED', 'CAPTURED', 'VOIDED', 'REFUNDED', 'FAILED'] as const) {
      if (!seen.has(next) && canTransitionPayment(s, next)) {
        if (next === ours) return true;
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return false;
}

const EVENT_STATUS_TYPES = new Set([
  'payment_intent.amount_capturable_updated',
  'payment_intent.succeeded',
  'payment_intent.canceled',
  'payment_intent.payment_failed',
  'payment_intent.requires_action',
]);

function eventIntentStatus(e: ProviderEvent): string | undefined {
  const s = e.object?.status;
  return typeof s === 'string' ? s : undefined;
}

/**
 * Provider events about an intent whose effect our ledger does not show: not recorded by id
 * AND not reflected in our payments row. An event whose effect we already recorded through
 * our own API call (the usual case when a webhook is merely late or lost) is not a discrepancy.
 */
export function missingEvents(c: ReconciliationCase): ProviderEvent[] {
  return c.events.filter((e) => {
    if (c.ledgerIds.has(e.id) || !EVENT_STATUS_TYPES.has(e.type)) return false;
    const status = eventIntentStatus(e);
    if (!status) return false;
    const implied = paymentStatusOf({ status: status as ProviderPaymentIntent['status'], amountRefunded: 0, amountReceived: Number(e.object.amount_received ?? 0) });
    return !c.payment || !paymentStatusCovers(c.payment.status, implied);
  });
}

/** Succeeded provider refunds of the intent that our ledger does not know. */
export function missingRefunds(c: ReconciliationCase): ProviderRefund[] {
  const succeeded = c.refunds.filter((r) => r.status === 'succeeded');
  const providerTotal = succeeded.reduce((s, r) => s + r.amount, 0);
  const ourTotal = c.payment?.refundedAmount ?? 0;
  // Sums agree: every refund is accounted for even if the ledger names it differently.
  if (providerTotal <= ourTotal) return [];
  return succeeded.filter((r) => !c.ledgerIds.has(r.id));
}

function refundedLag(c: ReconciliationCase): boolean {
  const providerTotal = c.refunds.filter((r) => r.status === 'succeeded').reduce((s, r) => s + r.amount, 0);
  return !!c.payment && Math.max(providerTotal, c.intent?.amountRefunded ?? 0) > c.payment.refundedAmount;
}

function lastChange(c: ReconciliationCase): number {
  return Math.max(
    c.order?.updatedAt ?? 0,
    c.payment?.updatedAt ?? 0,
    (c.intent?.created ?? 0) * 1000,
    ...c.events.map((e) => e.created * 1000),
    ...c.refunds.map((r) => r.created * 1000),
  );
}

/** Classifies one case. Order of rules matters: in flight first, then mismatches, then state drift. */
export function classify(c: ReconciliationCase, opts: ClassifyOptions): Classification {
  const { order, payment, intent } = c;
  const orderId = c.orderId ?? order?.id ?? intent?.orderId ?? null;

  if (order?.status === 'PENDING') return { outcome: 'in_flight', reason: 'order PENDING' };
  const changedAgo = opts.now - lastChange(c);
  if (changedAgo < opts.graceMs) return { outcome: 'in_flight', reason: `changed ${Math.round(changedAgo / 1000)}s ago` };

  const base = (kind: FindingKind, action: RepairAction, needsHuman: boolean, details: Record<string, unknown> = {}): FindingDraft => ({
    kind,
    orderId,
    providerReference: intent?.id ?? payment?.providerReference ?? null,
    ourAmount: payment?.amount ?? order?.totalAmount ?? null,
    providerAmount: intent?.amount ?? null,
    currency: (intent?.currency ?? payment?.currency ?? order?.currency ?? null)?.toUpperCase() ?? null,
    ourStatus: order ? `${order.status}/${payment?.status ?? 'NO_PAYMENT'}` : payment?.status ?? 'UNKNOWN_ORDER',
    providerStatus: intent?.status ?? null,
    action,
    needsHuman,
    details,
  });

  if (!intent) {
    // We hold a provider reference the provider does not know (or no authorization at all).
    if (order?.status === 'CONFIRMED' && !(payment && (payment.status === 'CAPTURED' || payment.status === 'REFUNDED'))) {
      return { outcome: 'findings', findings: [base('confirmed_not_captured', 'flag_order', true, { reason: payment?.providerReference ? 'payment intent unknown at the provider' : 'no authorization recorded' })] };
    }
    return { outcome: 'matched' };
  }

  // The order's live payment is another intent (a duplicate authorization): this one is orphaned.
  const isOrdersIntent = !payment?.providerReference || payment.providerReference === intent.id;
  const effectiveOrder = isOrdersIntent ? order : undefined;

  const findings: FindingDraft[] = [];
  if (effectiveOrder) {
    const ourCurrency = (payment?.currency ?? effectiveOrder.currency).trim().toUpperCase();
    const ourAmount = payment?.amount ?? effectiveOrder.totalAmount;
    if (ourCurrency !== intent.currency.toUpperCase()) findings.push(base('currency_mismatch', 'none', true, { ourCurrency, providerCurrency: intent.currency.toUpperCase() }));
    if (ourAmount !== intent.amount || (payment && payment.amount !== effectiveOrder.totalAmount)) {
      findings.push(base('amount_mismatch', 'none', true, { orderTotal: effectiveOrder.totalAmount, paymentAmount: payment?.amount ?? null, providerAmount: intent.amount }));
    }
    // Money must not move automatically on a record we cannot trust: a human decides.
    if (findings.length) return { outcome: 'findings', findings };
  }

  const status = effectiveOrder?.status;
  const live = status !== undefined && !isTerminal(status);
  const signal = (kind: FindingKind) => base(kind, 'signal_workflow', false, { update: { providerEventId: reconciliationEventId(intent.id, intent.status), type: eventTypeForStatus(intent.status), paymentIntentId: intent.id, providerStatus: intent.status, failureCode: intent.lastPaymentError?.declineCode ?? intent.lastPaymentError?.code } });
  let stateFinding: FindingDraft | undefined;

  switch (intent.status) {
    case 'requires_capture':
      if (!live) stateFinding = base('orphan_authorization', 'void', false, { reason: status ? `order ${status}` : 'no live order for this authorization' });
      // An order that was being cancelled when its workflow stopped must not be captured now.
      else if (status === 'CONFIRMED' && effectiveOrder?.cancelRequested) stateFinding = base('confirmed_not_captured', 'void', true, { reason: 'a cancellation was requested; settle the order by hand' });
      else if (status === 'CONFIRMED') stateFinding = base('confirmed_not_captured', 'capture', false);
      else if (status === 'AWAITING_PAYMENT_ACTION') stateFinding = signal('missed_webhook');
      break;
    case 'requires_action':
    case 'requires_confirmation':
    case 'requires_payment_method':
      if (!live && intent.status !== 'requires_payment_method') {
        // The customer could still authenticate and put a hold on money for a dead order.
        stateFinding = base('orphan_authorization', 'void', false, { reason: status ? `order ${status}` : 'no live order for this payment intent' });
      } else if (status === 'CONFIRMED') {
        stateFinding = base('confirmed_not_captured', 'flag_order', true, { reason: 'order confirmed without an authorization' });
      } else if (status === 'AWAITING_PAYMENT_ACTION' && intent.status === 'requires_payment_method') {
        stateFinding = signal('missed_webhook');
      }
      break;
    case 'canceled':
      if (status === 'CONFIRMED' && intent.amountReceived === 0) {
        stateFinding = base('confirmed_not_captured', 'flag_order', true, { reason: 'authorization expired or was canceled before capture', cancellationReason: intent.cancellationReason ?? null });
      } else if (status === 'AWAITING_PAYMENT_ACTION') {
        stateFinding = signal('missed_webhook');
      }
      break;
    case 'succeeded': {
      const outstanding = intent.amountReceived - intent.amountRefunded;
      if (status === 'CONFIRMED') break;
      if (outstanding <= 0) break; // fully refunded: nothing taken for nothing
      const canConfirm = opts.capturedPolicy === 'confirm' && live;
      stateFinding = canConfirm
        ? signal('captured_without_confirmed_order')
        : base('captured_without_confirmed_order', 'refund', false, { outstanding, policy: opts.capturedPolicy, reason: status ? `order ${status}` : 'no live order for this capture' });
      break;
    }
    default:
      break;
  }
  if (stateFinding && !orderId && ['void', 'refund', 'capture', 'signal_workflow'].includes(stateFinding.action)) {
    // Without an order id there is no idempotency key of ours to act under: a human decides.
    stateFinding = { ...stateFinding, action: 'none', needsHuman: true, details: { ...stateFinding.details, reason: 'intent carries no order id' } };
  }
  if (stateFinding) findings.push(stateFinding);

  const refunds = missingRefunds(c);
  // Also when the ledger names every refund (e.g. the webhook recorded refund.created) but our
  // payments row never counted it: the backfill then only moves refunded_amount forward.
  if (refunds.length || refundedLag(c)) {
    findings.push({
      ...base('ledger_missing_refund', 'backfill_ledger', false, { refunds: refunds.map((r) => ({ id: r.id, amount: r.amount, currency: r.currency, created: r.created })) }),
      ourAmount: payment?.refundedAmount ?? 0,
      providerAmount: intent.amountRefunded,
    });
  }

  // A status change our ledger never recorded. Repairs that call the provider (void, refund,
  // capture, signal → sync) record the provider's state themselves, so only report it otherwise.
  const repairRecords = stateFinding && ['void', 'refund', 'capture', 'signal_workflow'].includes(stateFinding.action);
  if (!repairRecords && payment && isOrdersIntent) {
    const events = missingEvents(c);
    const implied = paymentStatusOf(intent);
    // A direct refund already shows up as ledger_missing_refund; don't report it twice.
    const lagging = canReach(payment.status, implied) && !((refunds.length || refundedLag(c)) && implied === 'REFUNDED');
    if (events.length || lagging) {
      findings.push(base('ledger_missing_event', 'backfill_ledger', false, {
        events: events.map((e) => ({ id: e.id, type: e.type, created: e.created, status: eventIntentStatus(e) })),
        paymentStatus: { ours: payment.status, provider: implied },
      }));
    }
  }
  return findings.length ? { outcome: 'findings', findings } : { outcome: 'matched' };
}

function canReach(from: PaymentStatus, to: PaymentStatus): boolean {
  return from !== to && paymentStatusCovers(to, from);
}

/** Identity of a finding across runs: the same discrepancy is reported once until it is resolved. */
export const findingKey = (f: Pick<FindingDraft, 'kind' | 'orderId' | 'providerReference'>) => `${f.kind}|${f.orderId ?? ''}|${f.providerReference ?? ''}`;
