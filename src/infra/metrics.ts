// prom-client metrics. Each process owns one Registry and serves it on /metrics.
// All series are declared here so names and (bounded) label sets stay consistent.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(component: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    // API
    httpDuration: new Histogram({ name: 'http_request_duration_seconds', help: 'HTTP request latency by route and status', labelNames: ['method', 'route', 'status'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: r }),
    ordersAccepted: new Counter({ name: 'orders_accepted_total', help: 'Orders accepted by the API (202/201)', registers: r }),
    idempotentReplays: new Counter({ name: 'idempotent_replays_total', help: 'Order creations answered from an earlier request with the same key', registers: r }),
    rateLimited: new Counter({ name: 'rate_limited_requests_total', help: 'Requests refused with 429', labelNames: ['scope'], registers: r }),
    workflowStarts: new Histogram({ name: 'checkout_workflow_start_duration_seconds', help: 'Checkout workflow starts by the intake relay (accepted order → Temporal acknowledged), by outcome', labelNames: ['outcome'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r }),
    workflowStartsRelayed: new Counter({ name: 'checkout_workflow_starts_relayed_total', help: 'Workflow starts made by the relay sweep because the first start was lost', registers: r }),
    admissionRefused: new Counter({ name: 'admission_refused_total', help: 'Orders refused with 429 over_capacity before anything was written', registers: r }),
    ordersInFlight: new Gauge({ name: 'orders_in_flight', help: 'Orders accepted and still PENDING, as admission control sees them', registers: r }),
    webhooksReceived: new Counter({ name: 'webhooks_received_total', help: 'Provider webhooks by outcome', labelNames: ['outcome'], registers: r }),
    // Checkout (activities / workflow outcomes recorded by the orders pool)
    checkoutOutcomes: new Counter({ name: 'checkout_outcomes_total', help: 'Orders settled, by status and failure code', labelNames: ['status', 'failure_code'], registers: r }),
    checkoutSettleSeconds: new Histogram({ name: 'checkout_accept_to_settled_seconds', help: 'Time from order accepted to settled', labelNames: ['status'], buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600], registers: r }),
    activityDuration: new Histogram({ name: 'checkout_activity_duration_seconds', help: 'Activity (step) duration', labelNames: ['activity', 'outcome'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r }),
    compensations: new Counter({ name: 'checkout_compensations_total', help: 'Compensations by kind and outcome', labelNames: ['kind', 'outcome'], registers: r }),
    ordersFlagged: new Counter({ name: 'checkout_orders_flagged_total', help: 'Orders flagged for a human (capture_failed, compensation_failed, manual_review)', labelNames: ['attention'], registers: r }),
    reservationConflicts: new Counter({ name: 'inventory_reservation_conflicts_total', help: 'Reservations refused for lack of stock', registers: r }),
    providerCalls: new Histogram({ name: 'payment_provider_call_duration_seconds', help: 'Payment provider calls by operation and outcome', labelNames: ['operation', 'outcome'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r }),
    // Reconciliation
    reconciliationRuns: new Counter({ name: 'reconciliation_runs_total', help: 'Reconciliation runs by outcome', labelNames: ['status'], registers: r }),
    reconciliationFindings: new Counter({ name: 'reconciliation_findings_total', help: 'Findings by kind', labelNames: ['kind'], registers: r }),
    reconciliationRepairs: new Counter({ name: 'reconciliation_repairs_total', help: 'Repairs by kind and outcome', labelNames: ['kind', 'outcome'], registers: r }),
    oldestUnresolvedFinding: new Gauge({ name: 'reconciliation_oldest_unresolved_finding_seconds', help: 'Age of the oldest finding that still needs a human', registers: r }),
    // Ops (src/api/routes/ops.ts, src/infra/backlog.ts)
    opsActions: new Counter({ name: 'ops_actions_total', help: 'Admin ops actions by action and outcome (accepted, rejected, workflow_closed, unavailable, error)', labelNames: ['action', 'outcome'], registers: r }),
    taskQueueBacklog: new Gauge({ name: 'temporal_task_queue_backlog', help: 'Approximate backlog (tasks waiting) per task queue and task type, polled from DescribeTaskQueue', labelNames: ['task_queue', 'task_type'], registers: r }),
    taskQueueBacklogAge: new Gauge({ name: 'temporal_task_queue_backlog_age_seconds', help: 'Age of the oldest waiting task per task queue and task type', labelNames: ['task_queue', 'task_type'], registers: r }),
    taskQueuePollers: new Gauge({ name: 'temporal_task_queue_pollers', help: 'Workers polling per task queue and task type (0 = nobody serves the queue)', labelNames: ['task_queue', 'task_type'], registers: r }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

/** A tiny /metrics + /healthz server for worker processes (the API serves its own). */
export function serveMetrics(metrics: Metrics, port: number, host = '127.0.0.1', health: () => boolean = () => true): Promise<Server> {
  const server = createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.setHeader('content-type', metrics.registry.contentType);
      res.end(await metrics.registry.metrics());
    } else if (req.url === '/healthz') {
      const ok = health();
      res.statusCode = ok ? 200 : 503;
      res.end(ok ? 'ok' : 'unhealthy');
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
