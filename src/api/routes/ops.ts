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
import type { Request, Response } from 'express';
import { LockMode, type MikroORM } from '@mikro-orm/postgresql';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Config } from '../../infra/config.ts';
import { AppError, conflict, notFound } from '../../infra/errors.ts';
import type { Logger } from '../../infra/logger.ts';
import type { Metrics } from '../../infra/metrics.ts';
import { Order, OrderEvent } from '../../orders/entities.ts';
import { ensureAuthenticated, principalOf, requireRole } from '../middleware/auth.ts';
import { parseOr400 } from '../middleware/problem.ts';
import { OPS_ACTIONS, OpsActionBody, type OpsActionName, type OpsActionResult } from '../schemas.ts';
import { RouteBindings } from '../routing.ts';
import { OPS_ACTION_DOCS, opsActionRoute, type RouteName } from './table.ts';
import { UUID_PATTERN, cancelOrderUpdate, markManualReviewUpdate, orderWorkflowId, redriveCaptureSignal, retryCompensationSignal, type CancelResult, type CheckoutState, type OpsAction, type OrderStatus } from '../../contracts/index.ts';

export interface OpsDeps {
  orm: MikroORM;
  temporal: Client;
  config: Pick<Config, 'auth'>;
  logger: Logger;
  metrics: Metrics;
  /** Upper bound for the Temporal calls of one action (describe + signal/update); default 10 s. */
  temporalDeadlineMs?: number;
}


/** What each action does to the workflow; returns the status (and attention) to report. */
type Deliver = (wf: WorkflowHandle, msg: OpsAction, updateId: string, before: OrderStatus) => Promise<{ status: OrderStatus; attention?: string }>;

const ACTIONS: Record<OpsActionName, { deliver: Deliver }> = {
  cancel: {
    deliver: async (wf, msg, updateId) => {
      const result: CancelResult = await wf.executeUpdate(cancelOrderUpdate, { args: [{ actor: msg.actor, role: 'ops', reason: msg.reason }], updateId });
      if (!result.accepted) throw conflict('order_not_cancellable', `The order cannot be cancelled in status ${result.status}.`);
      return { status: result.status };
    },
  },
  'retry-compensation': {
    deliver: async (wf, msg, _updateId, before) => {
      await wf.signal(retryCompensationSignal, msg);
      return { status: before };
    },
  },
  'redrive-capture': {
    deliver: async (wf, msg, _updateId, before) => {
      await wf.signal(redriveCaptureSignal, msg);
      return { status: before };
    },
  },
  'manual-review': {
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

export function opsRoutes(deps: OpsDeps): RouteBindings<RouteName> {
  const routes = new RouteBindings<RouteName>();
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
        const row = await tx.findOneOrFail(Order, { id: orderId }, { fields: ['status'], lockMode: LockMode.PESSIMISTIC_WRITE, disableIdentityMap: true });
        await tx.createQueryBuilder(OrderEvent)
          .insert({ orderId, type: 'ops_action', fromStatus: row.status, status: row.status, reason, actor, dedupeKey: `ops_action:${action}:${requestId}` })
          .onConflict(['orderId', 'dedupeKey']).ignore()
          .execute('run');
      });
      outcome = 'accepted';
      log.info({ runId: description.runId, status: done.status, attention: done.attention }, 'ops action delivered');
      const body: OpsActionResult = { action, orderId, workflowId, status: done.status, ...(done.attention ? { attention: done.attention } : {}), requestId };
      res.status(OPS_ACTION_DOCS[action].httpStatus).json(body);
    } catch (err) {
      const mapped = toProblem(err, orderId);
      if (mapped instanceof AppError) outcome = mapped.code === 'workflow_closed' ? 'workflow_closed' : mapped.status === 503 ? 'unavailable' : 'rejected';
      throw mapped;
    } finally {
      metrics.opsActions.inc({ action, outcome });
    }
  };

  for (const action of OPS_ACTIONS) routes.on(opsActionRoute(action), ensureAuthenticated(deps.config), requireRole('ops'), handle(action));
  return routes;
}
