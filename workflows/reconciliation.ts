// Payment reconciliation (id `reconciliation-<runId>`), started by the Temporal Schedule
// RECONCILIATION_SCHEDULE_ID (overlap SKIP) or on demand by finance (POST /v1/finance/reconciliations).
//   begin run (window) → scan provider vs. our records (findings saved) → repair each finding → complete
// Money-moving repairs call the checkout's own payment activities (provider truth first, the
// checkout's keys) and only for orders whose workflow is closed — an open one is signalled and
// acts itself: running twice, or next to live checkouts, cannot double-refund or double-capture.
// Every step is idempotent, so a crashed run resumes.
import {
  ActivityFailure,
  ApplicationFailure,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setWorkflowOptions,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities/orders.ts';
import type { PaymentActivities } from '../activities/payments.ts';
import type { RepairTask, ReconciliationActivities } from '../activities/reconciliation.ts';
import { SA, TASK_QUEUES, orderWorkflowId, paymentUpdateSignal, redriveCaptureSignal, retryCompensationSignal, type ReconciliationInput, type ReconciliationSummary } from '../src/contracts/index.ts';

const recon = proxyActivities<ReconciliationActivities>({
  taskQueue: TASK_QUEUES.payments,
  startToCloseTimeout: '10m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8, nonRetryableErrorTypes: ['MisconfiguredWorker'] },
  summary: 'reconciliation',
});
// The checkout's payment activities, with a bounded round of retries with backoff: a repair
// that still fails stays an open finding and is retried by the next run.
const repairPolicy = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 } as const;
const payments = proxyActivities<PaymentActivities>({ taskQueue: TASK_QUEUES.payments, startToCloseTimeout: '1m', retry: repairPolicy, summary: 'reconciliation repair' });
const orders = proxyActivities<OrderActivities>({ taskQueue: TASK_QUEUES.orders, startToCloseTimeout: '30s', retry: repairPolicy, summary: 'reconciliation flag' });

type Outcome = { outcome: string; resolved: boolean; needsHuman?: boolean; details?: Record<string, unknown> };

function failureText(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return `${(err.cause as ApplicationFailure).type ?? 'error'}: ${err.cause.message}`;
  return err instanceof Error ? err.message : String(err);
}

async function flag(t: RepairTask, orderId: string | null | undefined, attention: 'needs_human' | 'capture_failed', reason: string): Promise<Outcome> {
  if (!orderId) return { outcome: 'needs_human', resolved: false, needsHuman: true, details: { reason } };
  try {
    await orders.flagOrder({ orderId, attention, reason, dedupeKey: `reconciliation:${t.kind}:${attention}`, actor: 'reconciliation' });
    return { outcome: 'flagged', resolved: false, needsHuman: true, details: { attention, reason } };
  } catch (err) {
    // The order row does not exist (an intent for an unknown order): the finding itself is the flag.
    return { outcome: 'needs_human', resolved: false, needsHuman: true, details: { reason, flagError: failureText(err) } };
  }
}

async function repair(t: RepairTask, capturedPolicy: ReconciliationInput['capturedPolicy']): Promise<Outcome> {
  const check = await recon.checkReconciliationRepair({ findingId: t.findingId, capturedPolicy });
  if (!check.proceed) return { outcome: check.reason ?? 'no_longer_applies', resolved: true };
  const orderId = check.orderId ?? t.orderId;
  const paymentIntentId = check.paymentIntentId ?? t.paymentIntentId ?? undefined;
  // 2026-12: money is moved here only for an order whose workflow is closed. An open workflow
  // owns its payment (it may be cancelling, or retrying this very capture with its own
  // parameters): it gets a signal and acts itself; the finding stays open until it has.
  if (orderId && check.ownIntent && (check.action === 'void' || check.action === 'refund' || check.action === 'capture') && patched('2026-12-reconciliation-defers-to-open-workflows')) {
    try {
      const handle = getExternalWorkflowHandle(orderWorkflowId(orderId));
      const why = { actor: 'reconciliation', reason: `reconciliation finding ${t.findingId}: ${t.kind}` };
      if (check.action === 'capture') await handle.signal(redriveCaptureSignal, why);
      else await handle.signal(retryCompensationSignal, why);
      return { outcome: 'workflow_signalled', resolved: false, details: { signal: check.action === 'capture' ? 'redriveCapture' : 'retryCompensation' } };
    } catch {
      // no running workflow: repair directly below
    }
  }
  try {
    switch (check.action) {
      case 'void': {
        const r = await payments.voidPayment({ orderId: orderId!, paymentIntentId });
        // Captured meanwhile: the next run sees captured_without_confirmed_order and refunds.
        return { outcome: r.outcome, resolved: r.outcome !== 'already_captured' };
      }
      case 'refund': {
        const r = await payments.refundPayment({ orderId: orderId!, paymentIntentId });
        return { outcome: r.outcome, resolved: true, details: r.refundId ? { refundId: r.refundId } : undefined };
      }
      case 'capture': {
        try {
          const r = await payments.capturePayment({ orderId: orderId!, paymentIntentId: paymentIntentId!, amount: check.amount });
          return { outcome: r.paymentStatus === 'CAPTURED' || r.paymentStatus === 'REFUNDED' ? 'captured' : `capture_${r.providerStatus}`, resolved: r.paymentStatus === 'CAPTURED' || r.paymentStatus === 'REFUNDED' };
        } catch (err) {
          const why = `capture retried by reconciliation and still failing: ${failureText(err)}`;
          const flagged = await flag(t, orderId, 'capture_failed', why);
          return { ...flagged, outcome: 'failed', details: { ...flagged.details, error: failureText(err) } };
        }
      }
      case 'signal_workflow': {
        try {
          await getExternalWorkflowHandle(orderWorkflowId(orderId!)).signal(paymentUpdateSignal, check.update!);
          return { outcome: 'signalled', resolved: true, details: { update: check.update } };
        } catch (err) {
          // No open workflow to apply it: a human must settle the order.
          const flagged = await flag(t, orderId, 'needs_human', `provider state ${check.update?.providerStatus} could not be delivered to the order workflow`);
          return { ...flagged, outcome: 'workflow_not_found', details: { ...flagged.details, error: failureText(err) } };
        }
      }
      case 'backfill_ledger': {
        const r = await recon.backfillReconciliationLedger({ findingId: t.findingId });
        return { outcome: r.outcome, resolved: true, details: { rows: r.rows } };
      }
      case 'flag_order':
        return flag(t, orderId, 'needs_human', `reconciliation: ${t.kind}`);
      default:
        return { outcome: 'needs_human', resolved: false, needsHuman: true };
    }
  } catch (err) {
    log.warn('reconciliation repair failed', { findingId: t.findingId, kind: t.kind, error: failureText(err) });
    return { outcome: 'failed', resolved: false, details: { error: failureText(err) } };
  }
}

export async function reconciliation(input: ReconciliationInput): Promise<ReconciliationSummary> {
  // Scheduled runs carry no run id (a schedule's arguments are fixed): take a workflow-safe
  // (replay-stable) uuid, and put it in the Web UI's details next to the workflow id.
  const runId = input.runId || uuid4();
  setCurrentDetails(`reconciliation run ${runId} (${input.trigger}): starting`);
  let scanned: { checked: number; matched: number } | undefined;
  try {
    const run = await recon.beginReconciliationRun({ runId, trigger: input.trigger, lookbackMs: input.lookbackMs });
    setCurrentDetails(`run ${runId}, window ${run.windowStart} → ${run.windowEnd}: scanning`);
    const scan = await recon.scanReconciliationWindow({ runId, windowStart: run.windowStart, windowEnd: run.windowEnd, capturedPolicy: input.capturedPolicy, graceMs: input.graceMs });
    scanned = { checked: scan.checked, matched: scan.matched };
    setCurrentDetails(`checked ${scan.checked}, matched ${scan.matched}, in flight ${scan.inFlight}, new findings ${scan.newFindings}: ${scan.repairs.length} repairs`);
    // Sequential on purpose: repairs are rare, and this keeps the provider's rate limit for checkouts.
    for (const t of scan.repairs) {
      const o = await repair(t, input.capturedPolicy);
      await recon.recordReconciliationRepair({ findingId: t.findingId, kind: t.kind, ...o });
    }
    // 2026-12: orders left behind by their workflow (terminated, reset, cancelled before it
    // could compensate). An open workflow is only nudged (it acts itself); a closed one's order
    // is repaired here. Older runs had no such step.
    if (scan.stranded?.length && patched('2026-12-stranded-orders')) {
      for (const s of scan.stranded) {
        try {
          await getExternalWorkflowHandle(orderWorkflowId(s.orderId)).signal(retryCompensationSignal, { actor: 'reconciliation', reason: `order ${s.status} (${s.reason}) looked stranded` });
          continue; // the workflow is running: it settles the order itself
        } catch {
          // no running workflow: repair below
        }
        try {
          await recon.repairStrandedOrder({ runId, orderId: s.orderId });
        } catch (err) {
          log.warn('stranded order repair failed; the next run retries', { orderId: s.orderId, error: failureText(err) });
        }
      }
    }
    const summary = await recon.completeReconciliationRun({ runId, status: 'COMPLETED', ...scanned });
    markVisibility(summary);
    setCurrentDetails(`run ${runId} completed: checked ${summary.checked}, matched ${summary.matched}, findings ${summary.findings}, needing a human ${summary.needsHuman}`);
    return summary;
  } catch (err) {
    log.error('reconciliation run failed', { runId, error: failureText(err) });
    const summary = await recon.completeReconciliationRun({ runId, status: 'FAILED', ...scanned, error: failureText(err) });
    markVisibility(summary);
    return summary;
  }
}

/** Ops find runs with open human work in the Web UI: `NeedsAttention = 'needs_human'`. */
function markVisibility(s: ReconciliationSummary): void {
  upsertSearchAttributes([
    { key: SA.ReconciliationFindings, value: s.findings },
    ...(s.needsHuman > 0 ? [{ key: SA.NeedsAttention, value: 'needs_human' }] : []),
  ]);
}

// Worker Versioning (docs/deploys.md): a run lasts minutes, so on versioned workers it stays on
// the build that started it whatever the workers' default. Unversioned workers (dev, tests)
// must not be given a behaviour: the server refuses it from them.
setWorkflowOptions(() => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {}), reconciliation);
