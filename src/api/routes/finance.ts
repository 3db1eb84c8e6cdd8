// Finance: reconciliation runs and findings, and the payment ledger.
//
//   POST /v1/finance/reconciliations          finance        start a run now → 202 { id, workflowId, status }
//   GET  /v1/finance/reconciliations          finance, ops   runs, newest first
//   GET  /v1/finance/reconciliations/{id}     finance, ops   { id, status, checked, matched, findings: [...], window, … }
//   GET  /v1/finance/findings                 finance, ops   findings (open=true, needsHuman=true, kind, orderId, runId)
//   GET  /v1/finance/payments                 finance, ops   the ledger: payment_events ⨝ payments ⨝ orders (filters)
//
// Ops may read (they act on the orders reconciliation flags); only finance starts runs.
// Every list answers { data, nextCursor }; with `Accept: text/csv` the same rows come as CSV
// (header row, RFC 4180 quoting) and the next page's cursor in the `X-Next-Cursor` header.
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { raw, type MikroORM } from '@mikro-orm/postgresql';
import { ReconciliationRun } from '../../reconciliation/entities.ts';
import type { Client } from '@temporalio/client';
import type { Config } from '../../infra/config.ts';
import { AppError, badRequest, notFound } from '../../infra/errors.ts';
import type { Logger } from '../../infra/logger.ts';
import type { Metrics } from '../../infra/metrics.ts';
import { toCsv, type CsvColumn } from '../../reconciliation/csv.ts';
import { InvalidCursorError, getRun, listFindings, listLedger, listRuns, type FindingView, type LedgerEntryView, type RunView } from '../../reconciliation/read-model.ts';
import { beginRun } from '../../reconciliation/store.ts';
import { ensureAuthenticated, requireRole } from '../middleware/auth.ts';
import { parseOr400 } from '../middleware/problem.ts';
import { FindingsQuery, LedgerQuery, RunsQuery, StartReconciliationBody } from '../schemas.ts';
import { TASK_QUEUES, UUID_PATTERN, WORKFLOW_TYPES, reconciliationWorkflowId, type ReconciliationInput, type ReconciliationWorkflow } from '../../contracts/index.ts';
import { RouteBindings } from '../routing.ts';
import type { RouteName } from './table.ts';

export interface FinanceDeps {
  orm: MikroORM;
  temporal: Client;
  config: Pick<Config, 'auth' | 'reconciliation'>;
  logger: Logger;
  metrics: Metrics;
}


const RUN_CSV: CsvColumn<RunView>[] = [
  { header: 'id', value: (r) => r.id }, { header: 'trigger', value: (r) => r.trigger }, { header: 'status', value: (r) => r.status },
  { header: 'window_start', value: (r) => r.window.start }, { header: 'window_end', value: (r) => r.window.end },
  { header: 'checked', value: (r) => r.checked }, { header: 'matched', value: (r) => r.matched }, { header: 'findings', value: (r) => r.findingsCount },
  { header: 'needs_human', value: (r) => r.needsHuman }, { header: 'started_at', value: (r) => r.startedAt }, { header: 'finished_at', value: (r) => r.finishedAt },
  { header: 'error', value: (r) => r.error },
];
const FINDING_CSV: CsvColumn<FindingView>[] = [
  { header: 'id', value: (f) => f.id }, { header: 'run_id', value: (f) => f.runId }, { header: 'kind', value: (f) => f.kind },
  { header: 'order_id', value: (f) => f.orderId }, { header: 'provider_reference', value: (f) => f.providerReference },
  { header: 'our_amount', value: (f) => f.ourAmount }, { header: 'provider_amount', value: (f) => f.providerAmount }, { header: 'currency', value: (f) => f.currency },
  { header: 'our_status', value: (f) => f.ourStatus }, { header: 'provider_status', value: (f) => f.providerStatus },
  { header: 'action', value: (f) => f.action }, { header: 'action_outcome', value: (f) => f.actionOutcome }, { header: 'needs_human', value: (f) => f.needsHuman },
  { header: 'created_at', value: (f) => f.createdAt }, { header: 'resolved_at', value: (f) => f.resolvedAt },
];
const LEDGER_CSV: CsvColumn<LedgerEntryView>[] = [
  { header: 'id', value: (e) => e.id }, { header: 'created_at', value: (e) => e.createdAt }, { header: 'order_id', value: (e) => e.orderId },
  { header: 'provider', value: (e) => e.provider }, { header: 'provider_event_id', value: (e) => e.providerEventId }, { header: 'type', value: (e) => e.type },
  { header: 'source', value: (e) => e.source }, { header: 'provider_reference', value: (e) => e.providerReference }, { header: 'amount', value: (e) => e.amount },
  { header: 'currency', value: (e) => e.currency }, { header: 'provider_status', value: (e) => e.status },
  { header: 'payment_status', value: (e) => e.payment?.status }, { header: 'captured_amount', value: (e) => e.payment?.capturedAmount },
  { header: 'refunded_amount', value: (e) => e.payment?.refundedAmount }, { header: 'order_status', value: (e) => e.order?.status },
  { header: 'customer_id', value: (e) => e.order?.customerId },
];

const wantsCsv = (req: Request) => req.accepts(['application/json', 'text/csv']) === 'text/csv';

function sendCsv(res: Response, filename: string, body: string, nextCursor?: string | null): void {
  res.status(200).type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="${filename}"`);
  if (nextCursor) res.set('X-Next-Cursor', nextCursor);
  res.send(body);
}

const badCursor = (err: unknown): never => {
  if (err instanceof InvalidCursorError) throw badRequest('invalid_cursor', err.message);
  throw err;
};

export function financeRoutes(deps: FinanceDeps): RouteBindings<RouteName> {
  const routes = new RouteBindings<RouteName>();
  const { orm, temporal, config, logger } = deps;
  const authn = ensureAuthenticated(config);
  const read = [authn, requireRole('finance', 'ops')];
  const write = [authn, requireRole('finance')];

  routes.on('startReconciliation', ...write, async (req, res) => {
    const body = parseOr400(StartReconciliationBody, req.body ?? {}, 'body');
    const id = randomUUID();
    const lookbackMs = body.lookbackMinutes ? body.lookbackMinutes * 60_000 : config.reconciliation.lookbackMs;
    // The run row exists before we answer, so GET /reconciliations/{id} works at once;
    // the workflow's first activity finds it and keeps its window.
    await beginRun(orm.em.fork(), { runId: id, trigger: 'manual', lookbackMs });
    const input: ReconciliationInput = { runId: id, trigger: 'manual', lookbackMs, capturedPolicy: body.capturedPolicy ?? config.reconciliation.capturedPolicy };
    const workflowId = reconciliationWorkflowId(id);
    try {
      await temporal.workflow.start<ReconciliationWorkflow>(WORKFLOW_TYPES.reconciliation, {
        workflowId, taskQueue: TASK_QUEUES.checkout, args: [input], workflowExecutionTimeout: '1h',
        staticSummary: `Manual payment reconciliation ${id}`,
      });
    } catch (err) {
      await orm.em.fork().createQueryBuilder(ReconciliationRun).update({ status: 'FAILED', error: 'could not start the workflow', finishedAt: raw('now()') }).where({ id }).execute('run');
      logger.error({ err, runId: id }, 'could not start the reconciliation workflow');
      throw new AppError(503, 'service_unavailable', 'The workflow service is unavailable; try again shortly.', { headers: { 'Retry-After': '5' }, cause: err });
    }
    logger.info({ runId: id, workflowId, actor: res.locals.principal?.sub }, 'reconciliation started on demand');
    res.status(202).location(`/v1/finance/reconciliations/${id}`).json({ id, workflowId, status: 'RUNNING' });
  });

  routes.on('listReconciliations', ...read, async (req, res) => {
    const q = parseOr400(RunsQuery, req.query, 'query');
    const page = await listRuns(orm.em.fork(), q).catch(badCursor);
    if (wantsCsv(req)) return sendCsv(res, 'reconciliation-runs.csv', toCsv(RUN_CSV, page.data), page.nextCursor);
    res.json(page);
  });

  routes.on('getReconciliation', ...read, async (req, res) => {
    const id = String(req.params.id);
    if (!UUID_PATTERN.test(id)) throw notFound('reconciliation run');
    const run = await getRun(orm.em.fork(), id);
    if (!run) throw notFound('reconciliation run');
    if (wantsCsv(req)) return sendCsv(res, `reconciliation-${id}-findings.csv`, toCsv(FINDING_CSV, run.findings));
    res.json(run);
  });

  routes.on('listFindings', ...read, async (req, res) => {
    const q = parseOr400(FindingsQuery, req.query, 'query');
    const page = await listFindings(orm.em.fork(), q).catch(badCursor);
    if (wantsCsv(req)) return sendCsv(res, 'reconciliation-findings.csv', toCsv(FINDING_CSV, page.data), page.nextCursor);
    res.json(page);
  });

  routes.on('listPayments', ...read, async (req, res) => {
    const q = parseOr400(LedgerQuery, req.query, 'query');
    if (q.from && q.to && q.from >= q.to) throw badRequest('validation_failed', '`from` must be before `to`.', [{ path: 'query.from', message: 'must be before to' }]);
    const page = await listLedger(orm.em.fork(), q).catch(badCursor);
    if (wantsCsv(req)) return sendCsv(res, 'payment-ledger.csv', toCsv(LEDGER_CSV, page.data), page.nextCursor);
    res.json(page);
  });

  return routes;
}
