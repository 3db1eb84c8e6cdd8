// What a reconciliation repair decides, apart from Temporal: which findings still need a
// repair, whether a repair still applies on a fresh look, the ledger rows a backfill writes,
// and how an order no workflow will settle any more is settled. activities/reconciliation.ts
// adapts these to Temporal (durations, metrics); money moves through src/payments/money-calls.ts.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PaymentUpdate } from '../contracts/index.ts';
import { releaseStock } from '../inventory/service.ts';
import { flagOrder, transitionOrder, type OrderServiceDeps } from '../orders/service.ts';
import { moneyCalls } from '../payments/money-calls.ts';
import type { PaymentProvider } from '../payments/provider.ts';
import * as payments from '../payments/service.ts';
import { classify, reconciliationEventId, type CapturedPolicy, type FindingKind, type RepairAction } from './classify.ts';
import { loadCase } from './scan.ts';
import * as store from './store.ts';
import { strandedNow } from './stranded.ts';

/** One repair the workflow must carry out (plain data across the Temporal boundary). */
export interface RepairTask {
  findingId: number;
  kind: FindingKind;
  action: RepairAction;
  orderId: string | null;
  paymentIntentId: string | null;
  isNew: boolean;
}

export interface RepairCheck {
  proceed: boolean;
  reason?: string;
  /** The action that still applies on a fresh look (e.g. capture → flag_order once the authorization expired). */
  action?: RepairAction;
  orderId?: string | null;
  paymentIntentId?: string | null;
  update?: PaymentUpdate;
  /** The order's own intent (not a second one a reset left behind): its open workflow may act on it. */
  ownIntent?: boolean;
  /** What the order charges: a capture repair asks for exactly this (the checkout's own parameters). */
  amount?: number;
}

/** Outcomes after which a finding's action is not attempted again. */
const FINAL_OUTCOMES = new Set(['voided', 'refunded', 'captured', 'noop', 'signalled', 'backfilled', 'flagged', 'no_longer_applies', 'already_resolved']);
/** Max repairs handed to one run (the rest are picked up by the next run): bounds workflow history. */
export const MAX_REPAIRS_PER_RUN = 500;

/** The saved findings that still need their repair, at most MAX_REPAIRS_PER_RUN. */
export function repairsToDo(saved: Awaited<ReturnType<typeof store.saveFindings>>): RepairTask[] {
  return saved
    .filter((f) => f.action !== 'none' && !(f.actionOutcome && FINAL_OUTCOMES.has(f.actionOutcome)))
    .slice(0, MAX_REPAIRS_PER_RUN)
    .map((f): RepairTask => ({ findingId: f.id, kind: f.kind as FindingKind, action: f.action, orderId: f.orderId, paymentIntentId: f.providerReference, isNew: f.isNew }));
}

export interface RepairDeps {
  em: () => EntityManager;
  provider: PaymentProvider;
}

/**
 * Right before a repair: reloads the order and the intent and re-applies the rules (no
 * grace), so a checkout that moved on in the meantime is never touched. For a
 * signal_workflow repair it also writes the provider's state into the ledger (source
 * 'reconciliation', event id `reconciliation:<pi>:<status>`), as the webhook intake would have.
 */
export async function checkRepair(deps: RepairDeps, findingId: number, capturedPolicy: CapturedPolicy): Promise<RepairCheck> {
  const { em, provider } = deps;
  const f = await store.findingById(em(), findingId);
  if (!f) return { proceed: false, reason: 'finding_not_found' };
  if (f.resolvedAt) return { proceed: false, reason: 'already_resolved' };
  const c = await loadCase(em(), provider, { orderId: f.orderId, paymentIntentId: f.providerReference });
  const fresh = classify(c, { now: Date.now(), graceMs: 0, capturedPolicy });
  const same = fresh.outcome === 'findings' ? fresh.findings.find((d) => d.kind === f.kind) : undefined;
  if (!same) return { proceed: false, reason: 'no_longer_applies' };
  const update = same.details.update as PaymentUpdate | undefined;
  if (same.action === 'signal_workflow' && update && c.intent) {
    await payments.recordPaymentInteraction(em(), {
      orderId: c.orderId!, provider: provider.name, providerEventId: update.providerEventId, type: update.type, source: 'reconciliation',
      providerReference: c.intent.id, amount: c.intent.amount, currency: c.intent.currency, providerStatus: c.intent.status,
      paymentStatus: payments.paymentStatusOf(c.intent), capturedAmount: c.intent.amountReceived, refundedAmount: c.intent.amountRefunded,
      payload: { reconciliationRunId: f.runId, findingId: f.id },
    });
  }
  const ownIntent = !c.payment?.providerReference || !same.providerReference || c.payment.providerReference === same.providerReference;
  return { proceed: true, action: same.action, orderId: same.orderId, paymentIntentId: same.providerReference, update, ownIntent, amount: c.payment?.amount ?? c.order?.totalAmount };
}

/** ledger_missing_refund / ledger_missing_event: writes the missing ledger rows and moves our payments row forward. */
export async function backfillLedger(deps: RepairDeps, findingId: number): Promise<{ outcome: string; rows: number }> {
  const { em, provider } = deps;
  const f = await store.findingById(em(), findingId);
  if (!f || f.resolvedAt) return { outcome: 'already_resolved', rows: 0 };
  const intent = f.providerReference ? await provider.retrieve(f.providerReference) : undefined;
  if (!intent) return { outcome: 'no_longer_applies', rows: 0 };
  const orderId = f.orderId ?? intent.orderId ?? null;
  const common = {
    orderId: orderId as string, provider: provider.name, source: 'reconciliation' as const, providerReference: intent.id, currency: intent.currency,
    payload: { reconciliationRunId: f.runId, findingId: f.id } as Record<string, unknown>,
  };
  let rows = 0;
  const details = f.details ?? {};
  const refunds = (details.refunds as { id: string; amount: number }[] | undefined) ?? [];
  const events = (details.events as { id: string; type: string; status?: string }[] | undefined) ?? [];
  for (const r of refunds) {
    const res = await payments.recordPaymentInteraction(em(), { ...common, providerEventId: r.id, type: 'refund.succeeded', amount: r.amount, providerStatus: 'succeeded', payload: { ...common.payload, refundId: r.id } });
    if (res.recorded) rows++;
  }
  for (const e of events) {
    const res = await payments.recordPaymentInteraction(em(), { ...common, providerEventId: e.id, type: e.type, amount: intent.amount, providerStatus: e.status ?? null, payload: { ...common.payload, eventId: e.id } });
    if (res.recorded) rows++;
  }
  // Finally bring the payments row to the provider's state (forward only).
  const res = await payments.recordPaymentInteraction(em(), {
    ...common, providerEventId: reconciliationEventId(intent.id, `${intent.status}:${intent.amountReceived}:${intent.amountRefunded}`), type: 'payment_intent.reconciled',
    amount: intent.amount, providerStatus: intent.status, paymentStatus: payments.paymentStatusOf(intent), capturedAmount: intent.amountReceived, refundedAmount: intent.amountRefunded,
  });
  if (res.recorded) rows++;
  return { outcome: 'backfilled', rows };
}

/**
 * An order whose workflow is closed (the caller checked) but which is not settled, or a
 * settled order still holding stock: records the finding and repairs it directly —
 * provider truth first (void, or refund when the money was captured), the stock back,
 * the order CANCELLED; a CONFIRMED order holding stock is flagged for a human.
 */
export async function repairStrandedOrder(
  deps: RepairDeps & { orders: OrderServiceDeps },
  runId: string,
  orderId: string,
): Promise<{ outcome: string; kind?: FindingKind; newFinding?: boolean }> {
  const { em } = deps;
  const c = await strandedNow(em(), orderId);
  if (!c) return { outcome: 'no_longer_applies' };
  const kind: FindingKind = c.reason === 'unsettled' ? 'stranded_order' : 'held_stock_settled_order';
  const action: RepairAction = c.reason === 'unsettled' ? 'settle_order' : c.status === 'CONFIRMED' ? 'flag_order' : 'release_stock';
  const [f] = await store.saveFindings(em(), runId, [{
    kind, orderId: c.orderId, providerReference: null, ourAmount: null, providerAmount: null, currency: null, ourStatus: c.status, providerStatus: null,
    action, needsHuman: action === 'flag_order', details: { reason: c.reason, workflow: 'closed' },
  }]);
  let outcome: string;
  if (action === 'settle_order') {
    const v = await moneyCalls({ em, provider: deps.provider }).voidOrRefund({ orderId: c.orderId });
    await releaseStock(em(), c.orderId);
    await transitionOrder(em(), deps.orders, {
      orderId: c.orderId, to: 'CANCELLED', dedupeKey: 'to:CANCELLED', actor: 'reconciliation', reason: 'the order workflow ended without settling the order',
      failure: { code: 'cancelled', message: 'The checkout ended without settling the order; reconciliation cancelled it' },
    });
    outcome = v.outcome === 'already_captured' ? 'refunded_and_cancelled' : 'cancelled';
  } else if (action === 'release_stock') {
    const r = await releaseStock(em(), c.orderId);
    outcome = r.released > 0 ? 'released' : 'noop';
  } else {
    await flagOrder(em(), deps.orders, { orderId: c.orderId, attention: 'needs_human', reason: 'reconciliation: a CONFIRMED order still holds a reservation', dedupeKey: `reconciliation:${kind}:needs_human`, actor: 'reconciliation' });
    outcome = 'flagged';
  }
  if (f) await store.recordRepair(em(), { findingId: f.id, outcome, resolved: action !== 'flag_order', needsHuman: action === 'flag_order' });
  return { outcome, kind, newFinding: f?.isNew };
}
