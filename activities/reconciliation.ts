// Reconciliation activities (registered on the payments pool, next to the payment
// activities). They read the provider and our records, persist runs and findings, and do
// the non-money repairs (ledger backfills). Money-moving repairs are NOT here: the workflow
// calls the checkout's own payment activities (voidPayment / refundPayment / capturePayment:
// provider truth first, the checkout's keys — docs/money-calls.md), and only for orders whose
// workflow is closed; an open workflow is signalled and moves its own money.
// repairStrandedOrder is the exception: it settles an order no workflow will settle any more.
import * as payments from '../src/payments/service.ts';
import { DEFAULT_GRACE_MS, classify, paymentStatusForIntent, reconciliationEventId, type CapturedPolicy, type FindingKind, type RepairAction } from '../src/reconciliation/classify.ts';
import { loadCase, scanWindow } from '../src/reconciliation/scan.ts';
import * as store from '../src/reconciliation/store.ts';
import { findStrandedCandidates, strandedNow, type StrandedCandidate } from '../src/reconciliation/stranded.ts';
import { releaseStock } from '../src/inventory/service.ts';
import { flagOrder, transitionOrder, type OrderServiceDeps } from '../src/orders/service.ts';
import { moneyCalls } from '../src/payments/money-calls.ts';
import { requireProvider, timed, type ActivityDeps } from './deps.ts';
import type { PaymentUpdate, ReconciliationSummary } from '../src/contracts/index.ts';

export interface BeginRunInput {
  runId: string;
  trigger: 'schedule' | 'manual';
  lookbackMs?: number;
}

export interface ScanInput {
  runId: string;
  windowStart: string;
  windowEnd: string;
  capturedPolicy?: CapturedPolicy;
  graceMs?: number;
}

/** One repair the workflow must carry out (plain data across the Temporal boundary). */
export interface RepairTask {
  findingId: number;
  kind: FindingKind;
  action: RepairAction;
  orderId: string | null;
  paymentIntentId: string | null;
  isNew: boolean;
}

export interface ScanSummary {
  checked: number;
  matched: number;
  inFlight: number;
  newFindings: number;
  reobserved: number;
  resolved: number;
  repairs: RepairTask[];
  /** Orders that look left behind by their workflow: the workflow asks each one's workflow first. */
  stranded?: StrandedCandidate[];
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

export function createReconciliationActivities(deps: ActivityDeps) {
  const provider = () => requireProvider(deps);
  const cfg = deps.config?.reconciliation;
  const policy = (p?: CapturedPolicy): CapturedPolicy => p ?? cfg?.capturedPolicy ?? 'refund';
  const em = () => deps.orm.em.fork();
  const moneyCallsNow = () => moneyCalls({ em, provider: provider() });

  return {
    /** Creates (or, when resumed, returns) the run row and its window. */
    async beginReconciliationRun(input: BeginRunInput): Promise<store.RunWindow> {
      return timed(deps, 'beginReconciliationRun', () => store.beginRun(em(), { runId: input.runId, trigger: input.trigger, lookbackMs: input.lookbackMs ?? cfg?.lookbackMs ?? 2 * 3_600_000 }));
    },

    /** Compares the provider and our records for the window; saves findings; returns the repairs to do. */
    async scanReconciliationWindow(input: ScanInput): Promise<ScanSummary> {
      return timed(deps, 'scanReconciliationWindow', async () => {
        const opts = { now: Date.now(), graceMs: input.graceMs ?? DEFAULT_GRACE_MS, capturedPolicy: policy(input.capturedPolicy) };
        const scan = await scanWindow(em(), provider(), { start: new Date(input.windowStart), end: new Date(input.windowEnd) }, opts);
        const saved = await store.saveFindings(em(), input.runId, scan.findings);
        for (const f of saved) if (f.isNew) deps.metrics.reconciliationFindings.inc({ kind: f.kind });
        const resolved = await store.resolveVanished(em(), input.runId, scan.examined, saved.map((f) => f.id));
        await store.saveRunProgress(em(), input.runId, { checked: scan.checked, matched: scan.matched });
        const repairs = saved
          .filter((f) => f.action !== 'none' && !(f.actionOutcome && FINAL_OUTCOMES.has(f.actionOutcome)))
          .slice(0, MAX_REPAIRS_PER_RUN)
          .map((f): RepairTask => ({ findingId: f.id, kind: f.kind as FindingKind, action: f.action, orderId: f.orderId, paymentIntentId: f.providerReference, isNew: f.isNew }));
        deps.logger.info({ runId: input.runId, checked: scan.checked, matched: scan.matched, inFlight: scan.inFlight, findings: saved.length, repairs: repairs.length, resolved }, 'reconciliation scan done');
        const stranded = await findStrandedCandidates(em(), opts.graceMs);
        return { checked: scan.checked, matched: scan.matched, inFlight: scan.inFlight, newFindings: saved.filter((f) => f.isNew).length, reobserved: saved.filter((f) => !f.isNew).length, resolved, repairs, stranded };
      });
    },

    /**
     * Right before a repair: reloads the order and the intent and re-applies the rules (no
     * grace), so a checkout that moved on in the meantime is never touched. For a
     * signal_workflow repair it also writes the provider's state into the ledger (source
     * 'reconciliation', event id `reconciliation:<pi>:<status>`), as the webhook intake would have.
     */
    async checkReconciliationRepair(input: { findingId: number; capturedPolicy?: CapturedPolicy }): Promise<RepairCheck> {
      return timed(deps, 'checkReconciliationRepair', async () => {
        const f = await store.findingById(em(), input.findingId);
        if (!f) return { proceed: false, reason: 'finding_not_found' };
        if (f.resolvedAt) return { proceed: false, reason: 'already_resolved' };
        const c = await loadCase(em(), provider(), { orderId: f.orderId, paymentIntentId: f.providerReference });
        const fresh = classify(c, { now: Date.now(), graceMs: 0, capturedPolicy: policy(input.capturedPolicy) });
        const same = fresh.outcome === 'findings' ? fresh.findings.find((d) => d.kind === f.kind) : undefined;
        if (!same) return { proceed: false, reason: 'no_longer_applies' };
        const update = same.details.update as PaymentUpdate | undefined;
        if (same.action === 'signal_workflow' && update && c.intent) {
          await payments.recordPaymentInteraction(em(), {
            orderId: c.orderId!, provider: provider().name, providerEventId: update.providerEventId, type: update.type, source: 'reconciliation',
            providerReference: c.intent.id, amount: c.intent.amount, currency: c.intent.currency, providerStatus: c.intent.status,
            paymentStatus: paymentStatusForIntent(c.intent), capturedAmount: c.intent.amountReceived, refundedAmount: c.intent.amountRefunded,
            payload: { reconciliationRunId: f.runId, findingId: f.id },
          });
        }
        const ownIntent = !c.payment?.providerReference || !same.providerReference || c.payment.providerReference === same.providerReference;
        return { proceed: true, action: same.action, orderId: same.orderId, paymentIntentId: same.providerReference, update, ownIntent, amount: c.payment?.amount ?? c.order?.totalAmount };
      });
    },

    /** ledger_missing_refund / ledger_missing_event: writes the missing ledger rows and moves our payments row forward. */
    async backfillReconciliationLedger(input: { findingId: number }): Promise<{ outcome: string; rows: number }> {
      return timed(deps, 'backfillReconciliationLedger', async () => {
        const f = await store.findingById(em(), input.findingId);
        if (!f || f.resolvedAt) return { outcome: 'already_resolved', rows: 0 };
        const intent = f.providerReference ? await provider().retrieve(f.providerReference) : undefined;
        if (!intent) return { outcome: 'no_longer_applies', rows: 0 };
        const orderId = f.orderId ?? intent.orderId ?? null;
        const common = {
          orderId: orderId as string, provider: provider().name, source: 'reconciliation' as const, providerReference: intent.id, currency: intent.currency,
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
          amount: intent.amount, providerStatus: intent.status, paymentStatus: paymentStatusForIntent(intent), capturedAmount: intent.amountReceived, refundedAmount: intent.amountRefunded,
        });
        if (res.recorded) rows++;
        return { outcome: 'backfilled', rows };
      });
    },

    /**
     * An order whose workflow is closed (the caller checked) but which is not settled, or a
     * settled order still holding stock: records the finding and repairs it directly —
     * provider truth first (void, or refund when the money was captured), the stock back,
     * the order CANCELLED; a CONFIRMED order holding stock is flagged for a human.
     */
    async repairStrandedOrder(input: { runId: string; orderId: string }): Promise<{ outcome: string; kind?: string }> {
      return timed(deps, 'repairStrandedOrder', async () => {
        const c = await strandedNow(em(), input.orderId);
        if (!c) return { outcome: 'no_longer_applies' };
        const kind: FindingKind = c.reason === 'unsettled' ? 'stranded_order' : 'held_stock_settled_order';
        const action: RepairAction = c.reason === 'unsettled' ? 'settle_order' : c.status === 'CONFIRMED' ? 'flag_order' : 'release_stock';
        const [f] = await store.saveFindings(em(), input.runId, [{
          kind, orderId: c.orderId, providerReference: null, ourAmount: null, providerAmount: null, currency: null, ourStatus: c.status, providerStatus: null,
          action, needsHuman: action === 'flag_order', details: { reason: c.reason, workflow: 'closed' },
        }]);
        if (f?.isNew) deps.metrics.reconciliationFindings.inc({ kind });
        const svc: OrderServiceDeps = { logger: deps.logger, metrics: deps.metrics, redis: deps.redis, redisConfig: deps.config?.redis };
        let outcome: string;
        if (action === 'settle_order') {
          const v = await moneyCallsNow().voidOrRefund({ orderId: c.orderId });
          await releaseStock(em(), c.orderId);
          await transitionOrder(em(), svc, {
            orderId: c.orderId, to: 'CANCELLED', dedupeKey: 'to:CANCELLED', actor: 'reconciliation', reason: 'the order workflow ended without settling the order',
            failure: { code: 'cancelled', message: 'The checkout ended without settling the order; reconciliation cancelled it' },
          });
          outcome = v.outcome === 'already_captured' ? 'refunded_and_cancelled' : 'cancelled';
        } else if (action === 'release_stock') {
          const r = await releaseStock(em(), c.orderId);
          outcome = r.released > 0 ? 'released' : 'noop';
        } else {
          await flagOrder(em(), svc, { orderId: c.orderId, attention: 'needs_human', reason: 'reconciliation: a CONFIRMED order still holds a reservation', dedupeKey: `reconciliation:${kind}:needs_human`, actor: 'reconciliation' });
          outcome = 'flagged';
        }
        if (f) await store.recordRepair(em(), { findingId: f.id, outcome, resolved: action !== 'flag_order', needsHuman: action === 'flag_order' });
        deps.metrics.reconciliationRepairs.inc({ kind, outcome });
        return { outcome, kind };
      });
    },

    /** Records what a repair did (and counts it). */
    async recordReconciliationRepair(input: { findingId: number; kind: string; outcome: string; resolved: boolean; needsHuman?: boolean; details?: Record<string, unknown> }): Promise<void> {
      return timed(deps, 'recordReconciliationRepair', async () => {
        await store.recordRepair(em(), input);
        deps.metrics.reconciliationRepairs.inc({ kind: input.kind, outcome: input.outcome });
      });
    },

    /** Closes the run (COMPLETED or FAILED) and refreshes the run counter and the oldest-finding gauge. */
    async completeReconciliationRun(input: { runId: string; status: 'COMPLETED' | 'FAILED'; checked?: number; matched?: number; error?: string }): Promise<ReconciliationSummary> {
      return timed(deps, 'completeReconciliationRun', async () => {
        const counts = await store.finishRun(em(), input.runId, input.status, input.checked === undefined ? undefined : { checked: input.checked, matched: input.matched ?? 0 }, input.error);
        deps.metrics.reconciliationRuns.inc({ status: input.status });
        deps.metrics.oldestUnresolvedFinding.set(await store.oldestUnresolvedAgeSeconds(em()));
        return { runId: input.runId, status: input.status, ...counts };
      });
    },
  };
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
