// Ops actions on one order (role ops). Each action is a signal or an update on the order's
// checkout workflow — so it shows in the workflow history in the Web UI with its actor and
// reason — and leaves exactly one `ops_action` row in order_events (who, why, which action).
//
//   POST /v1/admin/orders/{id}/cancel              cancelOrderUpdate { role: 'ops' } (refund if captured)
//   POST /v1/admin/orders/{id}/retry-compensation  retryCompensationSignal
//   POST /v1/admin/orders/{id}/redrive-capture     redriveCaptureSignal
//   POST /v1/admin/orders/{id}/manual-review       markManualReviewUpdate
//
// Body `{ "reason": "…" }` (1–500 chars) is required. Unknown order → 404; the order's
// workflow already closed → 409 `workflow_closed`; the workflow refused → 409.
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import * as z from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { Config } from '../../infra/config.ts';
import { AppError, conflict, notFound } from '../../infra/errors.ts';
import type { Logger } from '../../infra/logger.ts';
import type { Metrics } from '../../infra/metrics.ts';
import { Order } from '../../orders/entities.ts';
import { ensureAuthenticated, principalOf, requireRole } from '../middleware/auth.ts';
import { parseOr400 } from '../middleware/problem.ts';
import { Problem } from '../schemas.ts';
import { ORDER_STATUSES, UUID_PATTERN, cancelOrderUpdate, markManualReviewUpdate, orderWorkflowId, redriveCaptureSignal, retryCompensationSignal, type CancelResult, type CheckoutState, type OpsAction, type OrderStatus } from '../../contracts/index.ts';

export interface OpsDeps {
  orm: MikroORM;
  temporal: Client;
  config: Pick<Config, 'auth'>;
  logger: Logger;
  metrics: Metrics;
  /** Upper bound for the Temporal calls of one action (describe + signal/update); default 10 s. */
  temporalDeadlineMs?: number;
}

export const OPS_ACTIONS = ['cancel', 'retry-compensation', 'redrive-capture', 'manual-review'] as const;
export type OpsActionName = (typeof OPS_ACTIONS)[number];

export const OpsActionBody = z
  .strictObject({ reason: z.string().trim().min(1).max(500).meta({ description: 'Why (audited with the caller\'s JWT sub)' }) })
  .meta({ id: 'OpsActionRequest', example: { reason: 'customer called support: duplicate order' } });

export const OpsActionResult = z
  .object({
    action: z.enum(OPS_ACTIONS),
    orderId: z.uuid(),
    workflowId: z.string(),
    status: z.enum(ORDER_STATUSES).meta({ description: 'Order status as known after the action was delivered' }),
    attention: z.string().optional(),
    requestId: z.string(),
  })
  .meta({ id: 'OpsActionResult' });
type OpsActionResult = z.infer<typeof OpsActionResult>;

/** What each action does to the workflow; returns the status (and attention) to report. */
type Deliver = (wf: WorkflowHandle, msg: OpsAction, updateId: string, before: OrderStatus) => Promise<{ status: OrderStatus; attention?: string }>;

const ACTIONS: Record<OpsActionName, { deliver: Deliver; httpStatus: number; summary: string }> = {
  cancel: {
    summary: 'Cancel the order; refunds the payment if it was captured (cancelOrderUpdate, role ops)',
    httpStatus: 202,
    deliver: async (wf, msg, updateId) => {
      const result: CancelResult = await wf.executeUpdate(cancelOrderUpdate, { args: [{ actor: msg.actor, role: 'ops', reason: msg.reason }], updateId });
      if (!result.accepted) throw conflict('order_not_cancellable', `The order cannot be cancelled in status ${result.status}.`);
      return { status: result.status };
    },
  },
  'retry-compensation': {
    summary: 'Retry compensations that gave up (retryCompensationSignal)',
    httpStatus: 202,
    deliver: async (wf, msg, _updateId, before) => {
      await wf.signal(retryCompensationSignal, msg);
      return { status: before };
    },
  },
  'redrive-capture': {
    summary: 'Re-drive a capture that gave up (redriveCaptureSignal)',
    httpStatus: 202,
    deliver: async (wf, msg, _updateId, before) => {
      await wf.signal(redriveCaptureSignal, msg);
      return { status: before };
    },
  },
  'manual-review': {
    summary: 'Flag the order for manual review (markManualReviewUpdate); sets NeedsAttention',
    httpStatus: 200,
    deliver: async (wf, msg, updateId) => {
      const state: CheckoutState = await wf.executeUpdate(markManualReviewUpdate, { args: [msg], updateId });
      return { status: state.status, attention: state.attention };
    },
  },
};

const workflowClosed = (orderId: string) =>
  conflict('workflow_closed', `The checkout workflow of order ${orderId} has already completed; it no longer accepts ops actions. Use reconciliation or a manual fix (see docs/runbook.md).`);

/** Maps Temporal client errors of a delivered action to problem details. */
function toProblem(err: unknown, orderId: string): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof WorkflowNotFoundError) return workflowClosed(orderId);
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause as { message?: string; type?: string } | undefined;
    const code = cause?.type && cause.type !== 'Error' ? cause.type.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase() : 'ops_action_rejected';
    return conflict(code, cause?.message ?? 'The workflow rejected the action.');
  }
  return err;
}

export function opsRoutes(deps: OpsDeps): express.Router {
  const router = express.Router();
  const { orm, temporal, metrics } = deps;

  const handle = (action: OpsActionName) => async (req: Request, res: Response) => {
    const { sub: actor } = principalOf(res);
    const orderId = String(req.params.id);
    if (!UUID_PATTERN.test(orderId)) throw notFound('order');
    const { reason } = parseOr400(OpsActionBody, req.body, 'body');
    const requestId = res.locals.requestId ?? randomUUID();
    const workflowId = orderWorkflowId(orderId);
    const log = ((req as { log?: Logger }).log ?? deps.logger).child({ orderId, workflowId, requestId, opsAction: action, actor });

    const em = orm.em.fork();
    const order = await em.findOne(Order, { id: orderId });
    if (!order) throw notFound('order');

    const wf = temporal.workflow.getHandle(workflowId);
    let outcome = 'error';
    try {
      const { description, done } = await temporal
        .withDeadline(Date.now() + (deps.temporalDeadlineMs ?? 10_000), async () => {
          const description = await wf.describe();
          if (description.status.name !== 'RUNNING') throw workflowClosed(orderId);
          log.info({ runId: description.runId, reason }, 'ops action requested');
          // The update id makes a retried HTTP request (same X-Request-Id) one update, not two.
          const done = await ACTIONS[action].deliver(wf, { actor, reason }, `ops-${action}-${requestId}`, order.status);
          return { description, done };
        })
        .catch((err) => {
          const mapped = toProblem(err, orderId);
          if (mapped !== err || err instanceof AppError) throw mapped;
          // Temporal unreachable or too slow: nothing was audited; a retry with the same
          // X-Request-Id is safe (updates are deduplicated by id; signals are idempotent nudges).
          log.warn({ err }, 'ops action could not be delivered');
          throw new AppError(503, 'service_unavailable', 'The order workflow could not be reached right now; retry the same request (same X-Request-Id).', { headers: { 'Retry-After': '2' }, cause: err });
        });

      // One audit row per action; the dedupe key makes a replayed request harmless. The row
      // carries the order's status at the moment it is written, under the same row lock the
      // orders activities take, so the timeline stays a consistent chain (invariant I5).
      await em.transactional(async (tx) => {
        const c = tx.getConnection();
        const ctx = tx.getTransactionContext();
        const [row] = await c.execute<{ status: string }[]>('select status from orders where id = ? for update', [orderId], 'all', ctx);
        await c.execute(
          `insert into order_events (order_id, type, from_status, status, reason, actor, dedupe_key)
           values (?, 'ops_action', ?, ?, ?, ?, ?) on conflict (order_id, dedupe_key) do nothing`,
          [orderId, row.status, row.status, reason, actor, `ops_action:${action}:${requestId}`], 'all', ctx,
        );
      });
      outcome = 'accepted';
      log.info({ runId: description.runId, status: done.status, attention: done.attention }, 'ops action delivered');
      const body: OpsActionResult = { action, orderId, workflowId, status: done.status, ...(done.attention ? { attention: done.attention } : {}), requestId };
      res.status(ACTIONS[action].httpStatus).json(body);
    } catch (err) {
      const mapped = toProblem(err, orderId);
      if (mapped instanceof AppError) outcome = mapped.code === 'workflow_closed' ? 'workflow_closed' : mapped.status === 503 ? 'unavailable' : 'rejected';
      throw mapped;
    } finally {
      metrics.opsActions.inc({ action, outcome });
    }
  };

  for (const action of OPS_ACTIONS) {
    router.post(`/v1/admin/orders/:id/${action}`, ensureAuthenticated(deps.config), requireRole('ops'), handle(action));
  }
  return router;
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });

/** OpenAPI path items of the ops routes (zod-openapi), for the API's document. */
export const opsOpenApiPaths: ZodOpenApiPathsObject = Object.fromEntries(
  OPS_ACTIONS.map((action) => [
    `/v1/admin/orders/{id}/${action}`,
    {
      post: {
        tags: ['ops'],
        operationId: `ops_${action.replace('-', '_')}`,
        summary: ACTIONS[action].summary,
        security: [{ bearerAuth: [] }],
        requestParams: { path: z.object({ id: z.string().regex(UUID_PATTERN).meta({ description: 'Order id (UUID). Anything else answers 404.' }) }) },
        requestBody: { required: true, content: { 'application/json': { schema: OpsActionBody } } },
        responses: {
          [ACTIONS[action].httpStatus]: { description: 'Delivered to the order workflow (visible in its history) and audited', content: { 'application/json': { schema: OpsActionResult } } },
          400: problem('validation_failed: `reason` missing, empty or longer than 500 characters'),
          401: problem('unauthorized'),
          403: problem('forbidden: requires the role ops'),
          404: problem('not_found: no such order'),
          409: problem('workflow_closed: the checkout workflow has completed; order_not_cancellable; or the workflow rejected the action'),
          503: problem('service_unavailable: Temporal unreachable or too slow; nothing was audited; retry with the same X-Request-Id'),
        },
      },
    },
  ]),
);
