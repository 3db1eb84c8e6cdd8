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
import express, { type Request, type Response } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import * as z from 'zod';
import type { Config } from '../../infra/config.ts';
import { AppError, badRequest, notFound } from '../../infra/errors.ts';
import type { Logger } from '../../infra/logger.ts';
import type { Metrics } from '../../infra/metrics.ts';
import { FINDING_KINDS } from '../../reconciliation/classify.ts';
import { toCsv, type CsvColumn } from '../../reconciliation/csv.ts';
import { InvalidCursorError, getRun, listFindings, listLedger, listRuns, type FindingView, type LedgerEntryView, type RunView } from '../../reconciliation/read-model.ts';
import { beginRun } from '../../reconciliation/store.ts';
import { ensureAuthenticated, requireRole } from '../middleware/auth.ts';
import { parseOr400 } from '../middleware/problem.ts';
import { Cursor, Problem } from '../schemas.ts';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TASK_QUEUES, UUID_PATTERN, WORKFLOW_TYPES, reconciliationWorkflowId, type ReconciliationInput, type ReconciliationWorkflow } from '../../contracts/index.ts';

export interface FinanceDeps {
  orm: MikroORM;
  temporal: Client;
  config: Pick<Config, 'auth' | 'reconciliation'>;
  logger: Logger;
  metrics: Metrics;
}

const limit = z.coerce.number().int().min(1).max(500).default(100);
const cursor = Cursor.optional();
const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true').optional();
const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s)).optional();

export const StartReconciliationBody = z
  .strictObject({
    lookbackMinutes: z.number().int().min(1).max(60 * 24 * 35).optional().meta({ description: 'Overlap with the previous run (default RECONCILIATION_LOOKBACK)' }),
    capturedPolicy: z.enum(['refund', 'confirm']).optional(),
  })
  .meta({ id: 'StartReconciliationRequest' });

const RunsQuery = z.strictObject({ limit, cursor });
const FindingsQuery = z.strictObject({
  open: boolParam, needsHuman: boolParam, kind: z.enum(FINDING_KINDS).optional(), orderId: z.uuid().optional(), runId: z.uuid().optional(), limit, cursor,
});
const LedgerQuery = z.strictObject({
  orderId: z.uuid().optional(),
  providerReference: z.string().min(1).max(255).optional(),
  type: z.string().min(1).max(100).optional(),
  source: z.enum(['api_call', 'webhook', 'reconciliation']).optional(),
  from: isoDate,
  to: isoDate,
  limit,
  cursor,
});

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

export function financeRoutes(deps: FinanceDeps): express.Router {
  const router = express.Router();
  const { orm, temporal, config, logger } = deps;
  const authn = ensureAuthenticated(config);
  const read = [authn, requireRole('finance', 'ops')];
  const write = [authn, requireRole('finance')];

  router.post('/v1/finance/reconciliations', ...write, async (req, res) => {
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
      await orm.em.fork().getConnection().execute("update reconciliation_runs set status = 'FAILED', error = ?, finished_at = now() where id = ?", ['could not start the workflow', id]);
      logger.error({ err, runId: id }, 'could not start the reconciliation workflow');
      throw new AppError(503, 'service_unavailable', 'The workflow service is unavailable; try again shortly.', { headers: { 'Retry-After': '5' }, cause: err });
    }
    logger.info({ runId: id, workflowId, actor: res.locals.principal?.sub }, 'reconciliation started on demand');
    res.status(202).location(`/v1/finance/reconciliations/${id}`).json({ id, workflowId, status: 'RUNNING' });
  });

  router.get('/v1/finance/reconciliations', ...read, async (req, res) => {
    const q = parseOr400(RunsQuery, req.query, 'query');
    const page = await listRuns(orm.em.fork(), q).catch(badCursor);
    if (wantsCsv(req)) return sendCsv(res, 'reconciliation-runs.csv', toCsv(RUN_CSV, page.data), page.nextCursor);
    res.json(page);
  });

  router.get('/v1/finance/reconciliations/:id', ...read, async (req, res) => {
    const id = String(req.params.id);
    if (!UUID_PATTERN.test(id)) throw notFound('reconciliation run');
    const run = await getRun(orm.em.fork(), id);
    if (!run) throw notFound('reconciliation run');
    if (wantsCsv(req)) return sendCsv(res, `reconciliation-${id}-findings.csv`, toCsv(FINDING_CSV, run.findings));
    res.json(run);
  });

  router.get('/v1/finance/findings', ...read, async (req, res) => {
    const q = parseOr400(FindingsQuery, req.query, 'query');
    const page = await listFindings(orm.em.fork(), q).catch(badCursor);
    if (wantsCsv(req)) return sendCsv(res, 'reconciliation-findings.csv', toCsv(FINDING_CSV, page.data), page.nextCursor);
    res.json(page);
  });

  router.get('/v1/finance/payments', ...read, async (req, res) => {
    const q = parseOr400(LedgerQuery, req.query, 'query');
    if (q.from && q.to && q.from >= q.to) throw badRequest('validation_failed', '`from` must be before `to`.', [{ path: 'query.from', message: 'must be before to' }]);
    const page = await listLedger(orm.em.fork(), q).catch(badCursor);
    if (wantsCsv(req)) return sendCsv(res, 'payment-ledger.csv', toCsv(LEDGER_CSV, page.data), page.nextCursor);
    res.json(page);
  });

  return router;
}

// Response shapes (documentation: the read model in src/reconciliation/read-model.ts builds them).
const nullableInt = z.number().int().nullable();
const when = z.string().meta({ format: 'date-time' });
export const RunSchema = z.object({
  id: z.string(), trigger: z.string(), status: z.string(), checked: z.number().int(), matched: z.number().int(),
  findingsCount: z.number().int(), needsHuman: z.number().int(), window: z.object({ start: when, end: when }),
  startedAt: when, finishedAt: when.nullable(), error: z.string().nullable(),
}).meta({ id: 'ReconciliationRun' });
export const FindingSchema = z.object({
  id: z.number().int(), runId: z.string(), kind: z.string(), orderId: z.string().nullable(), providerReference: z.string().nullable(),
  ourAmount: nullableInt, providerAmount: nullableInt, currency: z.string().nullable(), ourStatus: z.string().nullable(), providerStatus: z.string().nullable(),
  action: z.string(), actionOutcome: z.string().nullable(), needsHuman: z.boolean(), details: z.record(z.string(), z.unknown()).nullable(),
  createdAt: when, resolvedAt: when.nullable(),
}).meta({ id: 'ReconciliationFinding' });
export const LedgerEntrySchema = z.object({
  id: z.number().int(), orderId: z.string().nullable(), provider: z.string(), providerEventId: z.string(), type: z.string(), source: z.string(),
  providerReference: z.string().nullable(), amount: nullableInt, currency: z.string().nullable(), status: z.string().nullable(), createdAt: when,
  payment: z.object({ status: z.string(), amount: z.number().int(), capturedAmount: z.number().int(), refundedAmount: z.number().int() }).nullable(),
  order: z.object({ status: z.string(), customerId: z.string(), totalAmount: z.number().int() }).nullable(),
}).meta({ id: 'LedgerEntry' });

const listOf = (description: string, item: z.ZodType) => ({
  description,
  content: {
    'application/json': { schema: z.object({ data: z.array(item), nextCursor: z.string().nullable() }) },
    'text/csv': { schema: z.string() },
  },
});
const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });

/** OpenAPI for the finance routes beyond the docs/design.md §4 defaults (merged by createApp). */
export const financeOpenApiPaths: ZodOpenApiPathsObject = {
  '/v1/finance/reconciliations': {
    post: {
      tags: ['finance'],
      operationId: 'finance_start_reconciliation',
      summary: 'Start a reconciliation run now (finance)',
      security: [{ bearerAuth: [] }],
      requestBody: { required: false, content: { 'application/json': { schema: StartReconciliationBody } } },
      responses: {
        '202': { description: 'Started; poll Location', content: { 'application/json': { schema: z.object({ id: z.string(), workflowId: z.string(), status: z.string() }) } } },
        '400': problemResponse('`validation_failed`'),
        '401': problemResponse('`unauthorized`'),
        '403': problemResponse('`forbidden`'),
        '503': problemResponse('`service_unavailable`: Temporal unreachable'),
      },
    },
    get: {
      tags: ['finance'],
      operationId: 'finance_list_reconciliations',
      summary: 'Reconciliation runs, newest first (finance, ops); CSV with Accept: text/csv',
      security: [{ bearerAuth: [] }],
      requestParams: { query: RunsQuery },
      responses: { '200': listOf('Runs', RunSchema), '400': problemResponse('`validation_failed` / `invalid_cursor`'), '401': problemResponse('`unauthorized`'), '403': problemResponse('`forbidden`') },
    },
  },
  '/v1/finance/reconciliations/{id}': {
    get: {
      tags: ['finance'],
      operationId: 'finance_get_reconciliation',
      summary: 'A reconciliation run with its findings (finance, ops); findings as CSV with Accept: text/csv',
      security: [{ bearerAuth: [] }],
      requestParams: { path: z.object({ id: z.string().regex(UUID_PATTERN).meta({ description: 'Run id (UUID). Anything else answers 404.' }) }) },
      responses: {
        '200': { description: 'The run', content: { 'application/json': { schema: RunSchema.extend({ findings: z.array(FindingSchema) }) }, 'text/csv': { schema: z.string() } } },
        '401': problemResponse('`unauthorized`'), '403': problemResponse('`forbidden`'), '404': problemResponse('`not_found`'),
      },
    },
  },
  '/v1/finance/payments': {
    get: {
      tags: ['finance'],
      operationId: 'finance_list_payments',
      summary: 'The payment ledger, oldest first (finance, ops); CSV with Accept: text/csv (next page cursor in X-Next-Cursor)',
      security: [{ bearerAuth: [] }],
      requestParams: { query: LedgerQuery },
      responses: { '200': listOf('Ledger entries', LedgerEntrySchema), '400': problemResponse('`validation_failed` / `invalid_cursor`'), '401': problemResponse('`unauthorized`'), '403': problemResponse('`forbidden`') },
    },
  },
  '/v1/finance/findings': {
    get: {
      tags: ['finance'],
      operationId: 'finance_list_findings',
      summary: 'Reconciliation findings (open, needing a human, by kind/order/run); CSV with Accept: text/csv',
      security: [{ bearerAuth: [] }],
      requestParams: { query: FindingsQuery },
      responses: { '200': listOf('Findings', FindingSchema), '400': problemResponse('`validation_failed` / `invalid_cursor`'), '401': problemResponse('`unauthorized`'), '403': problemResponse('`forbidden`') },
    },
  },
};
