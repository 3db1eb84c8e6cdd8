// Reconciliation activities (registered on the payments pool, next to the payment
// activities). They read the provider and our records, persist runs and findings, and do
// the non-money repairs (ledger backfills). Money-moving repairs are NOT here: the workflow
// calls the checkout's own payment activities (voidPayment / refundPayment / capturePayment:
// provider truth first, the checkout's keys — docs/money-calls.md), and only for orders whose
// workflow is closed; an open workflow is signalled and moves its own money.
// repairStrandedOrder is the exception: it settles an order no workflow will settle any more.
import { DEFAULT_GRACE_MS, type CapturedPolicy } from '../src/reconciliation/classify.ts';
import { backfillLedger, checkRepair, repairStrandedOrder, repairsToDo, type RepairCheck, type RepairTask } from '../src/reconciliation/repairs.ts';
import { scanWindow } from '../src/reconciliation/scan.ts';
import * as store from '../src/reconciliation/store.ts';
import { findStrandedCandidates, type StrandedCandidate } from '../src/reconciliation/stranded.ts';
import { requireProvider, timed, type ActivityDeps } from './deps.ts';
import type { ReconciliationSummary } from '../src/contracts/index.ts';

export type { RepairCheck, RepairTask } from '../src/reconciliation/repairs.ts';
export { MAX_REPAIRS_PER_RUN } from '../src/reconciliation/repairs.ts';

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

export function createReconciliationActivities(deps: ActivityDeps) {
  const provider = () => requireProvider(deps);
  const cfg = deps.config?.reconciliation;
  const policy = (p?: CapturedPolicy): CapturedPolicy => p ?? cfg?.capturedPolicy ?? 'refund';
  const em = () => deps.orm.em.fork();
  const repairDeps = () => ({ em, provider: provider() });

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
        const repairs = repairsToDo(saved);
        deps.logger.info({ runId: input.runId, checked: scan.checked, matched: scan.matched, inFlight: scan.inFlight, findings: saved.length, repairs: repairs.length, resolved }, 'reconciliation scan done');
        const stranded = await findStrandedCandidates(em(), opts.graceMs);
        return { checked: scan.checked, matched: scan.matched, inFlight: scan.inFlight, newFindings: saved.filter((f) => f.isNew).length, reobserved: saved.filter((f) => !f.isNew).length, resolved, repairs, stranded };
      });
    },

    /** Right before a repair: is it still due on a fresh look at the order and the intent? (src/reconciliation/repairs.ts) */
    async checkReconciliationRepair(input: { findingId: number; capturedPolicy?: CapturedPolicy }): Promise<RepairCheck> {
      return timed(deps, 'checkReconciliationRepair', () => checkRepair(repairDeps(), input.findingId, policy(input.capturedPolicy)));
    },

    /** ledger_missing_refund / ledger_missing_event: writes the missing ledger rows and moves our payments row forward. */
    async backfillReconciliationLedger(input: { findingId: number }): Promise<{ outcome: string; rows: number }> {
      return timed(deps, 'backfillReconciliationLedger', () => backfillLedger(repairDeps(), input.findingId));
    },

    /** Settles (or flags) an order whose workflow is closed although the order is not settled. */
    async repairStrandedOrder(input: { runId: string; orderId: string }): Promise<{ outcome: string; kind?: string }> {
      return timed(deps, 'repairStrandedOrder', async () => {
        const orders = { logger: deps.logger, metrics: deps.metrics, redis: deps.redis, redisConfig: deps.config?.redis };
        const { outcome, kind, newFinding } = await repairStrandedOrder({ ...repairDeps(), orders }, input.runId, input.orderId);
        if (!kind) return { outcome };
        if (newFinding) deps.metrics.reconciliationFindings.inc({ kind });
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
