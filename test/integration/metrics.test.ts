// Every process's /metrics: the API (createApp on the real stack) and each worker pool run as
// its own process (`node workers/<pool>.ts`, as deployed) with both endpoints — prom-client on
// METRICS_PORT and the Temporal SDK's on TEMPORAL_METRICS_PORT. After a few checkouts each
// endpoint parses as strict Prometheus text and carries the series the dashboard and alerts use.
import { freePort } from '../../scripts/lib/net.ts';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startBacklogGauge, type BacklogGauge } from '../../src/infra/backlog.ts';
import { eventually, orderBody, startApiFixture, type ApiFixture } from '../helpers/api.ts';
import { parseExposition, total, type Family } from '../helpers/metrics-text.ts';
import { spawnWorker, type WorkerProcess } from '../helpers/stack.ts';
import { TASK_QUEUES, type PoolName } from '../../src/contracts/index.ts';

const POOLS: PoolName[] = ['checkout', 'inventory', 'payments', 'orders'];

let f: ApiFixture;
let backlog: BacklogGauge;
const workers = new Map<PoolName, WorkerProcess & { sdkPort: number }>();



async function scrape(url: string): Promise<{ text: string; families: Map<string, Family>; contentType: string }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, families: parseExposition(text), contentType: res.headers.get('content-type') ?? '' };
}

beforeAll(async () => {
  f = await startApiFixture({ pools: [], env: { RATE_LIMIT_ORDERS_PER_MINUTE: '10000' } });
  // Sequential spawns: two cores are shared by everyone.
  for (const pool of POOLS) {
    const sdkPort = await freePort();
    const w = await spawnWorker(f.stack, pool, { TEMPORAL_METRICS_PORT: String(sdkPort), LOG_LEVEL: 'warn' });
    workers.set(pool, Object.assign(w, { sdkPort }));
  }
  backlog = startBacklogGauge(f.stack.client, f.stack.metrics, Object.values(TASK_QUEUES), 60_000);
}, 180_000);

afterAll(async () => {
  backlog?.stop();
  await Promise.all([...workers.values()].map((w) => w.kill('SIGTERM')));
  await f?.stop();
}, 60_000);

describe('metrics of every process', () => {
  const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

  beforeAll(async () => {
    const customer = await f.token('metrics-customer', 'customer');
    const place = (key: string, body: object) =>
      f.http().post('/v1/orders').set('Authorization', `Bearer ${customer}`).set('Idempotency-Key', `${key}-${Date.now()}`).set('Prefer', 'wait=25').send(body);
    const [ok, declined, oos] = await Promise.all([
      place('m-ok', orderBody([{ sku: 'HOM-LAMP-03', quantity: 1 }])),
      place('m-declined', orderBody([{ sku: 'HOM-LAMP-03', quantity: 1 }], 'pm_card_chargeDeclined')),
      place('m-oos', orderBody([{ sku: 'BOK-LEDGER-03', quantity: 2 }])), // 1 in stock
    ]);
    expect([ok.body.status, declined.body.status, oos.body.status]).toEqual(['CONFIRMED', 'PAYMENT_FAILED', 'REJECTED']);
    await eventually(async () => (await f.stack.orm.em.getConnection().execute('select status from payments where order_id = ?', [ok.body.id]))[0]?.status === 'CAPTURED');
    await backlog.poll();
  }, 90_000);

  it('API: parses, and has HTTP, order, ops and task-queue backlog series', async () => {
    const res = await f.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = parseExposition(res.text);
    expect(total(m, 'http_request_duration_seconds_count', { method: 'POST', route: '/v1/orders', status: '201' })).toBeGreaterThanOrEqual(3);
    expect(total(m, 'orders_accepted_total')).toBeGreaterThanOrEqual(3);
    expect(m.get('ops_actions_total')?.type).toBe('counter');
    // The sandbox's signed webhooks reach the intake, which counts them by outcome.
    await eventually(async () => total(parseExposition((await f.http().get('/metrics')).text), 'webhooks_received_total') >= 1);
    for (const q of POOLS) {
      for (const t of ['workflow', 'activity']) {
        expect(m.get('temporal_task_queue_backlog')?.samples).toContainEqual(expect.objectContaining({ labels: expect.objectContaining({ task_queue: q, task_type: t }) }));
      }
    }
    // Every pool polls its queue: checkout for workflow tasks, the others for activities.
    expect(total(m, 'temporal_task_queue_pollers', { task_queue: 'checkout', task_type: 'workflow' })).toBeGreaterThanOrEqual(1);
    for (const q of ['inventory', 'payments', 'orders']) expect(total(m, 'temporal_task_queue_pollers', { task_queue: q, task_type: 'activity' })).toBeGreaterThanOrEqual(1);
    expect(m.has('process_cpu_user_seconds_total')).toBe(true);
    expect(res.text).not.toMatch(uuid);
  });

  it('each worker pool: prom-client /metrics with its business series, and /healthz', async () => {
    const get = async (pool: PoolName) => {
      const w = workers.get(pool)!;
      const s = await scrape(`http://127.0.0.1:${w.metricsPort}/metrics`);
      expect(s.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(s.text).not.toMatch(uuid); // bounded labels: never an order id
      expect((await fetch(`http://127.0.0.1:${w.metricsPort}/healthz`)).status).toBe(200);
      return s.families;
    };
    const inventory = await get('inventory');
    expect(total(inventory, 'checkout_activity_duration_seconds_count', { activity: 'reserveStock', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(total(inventory, 'inventory_reservation_conflicts_total')).toBeGreaterThanOrEqual(1);
    expect(total(inventory, 'checkout_compensations_total', { kind: 'release_stock' })).toBeGreaterThanOrEqual(1); // the declined order

    const payments = await get('payments');
    expect(total(payments, 'payment_provider_call_duration_seconds_count', { operation: 'authorize' })).toBeGreaterThanOrEqual(2);
    expect(total(payments, 'payment_provider_call_duration_seconds_count', { operation: 'capture' })).toBeGreaterThanOrEqual(1);
    expect(total(payments, 'checkout_activity_duration_seconds_count', { activity: 'capturePayment', outcome: 'ok' })).toBeGreaterThanOrEqual(1);

    const orders = await get('orders');
    expect(total(orders, 'checkout_outcomes_total', { status: 'CONFIRMED', failure_code: 'none' })).toBeGreaterThanOrEqual(1);
    expect(total(orders, 'checkout_outcomes_total', { status: 'PAYMENT_FAILED', failure_code: 'payment_declined' })).toBeGreaterThanOrEqual(1);
    expect(total(orders, 'checkout_outcomes_total', { status: 'REJECTED', failure_code: 'out_of_stock' })).toBeGreaterThanOrEqual(1);
    expect(total(orders, 'checkout_accept_to_settled_seconds_count', { status: 'CONFIRMED' })).toBeGreaterThanOrEqual(1);
    expect(orders.get('checkout_orders_flagged_total')?.type).toBe('counter');

    const checkout = await get('checkout');
    expect(checkout.has('nodejs_eventloop_lag_seconds')).toBe(true);
    // Declared everywhere (one registry factory), so dashboards never miss a family.
    for (const fam of [inventory, payments, orders, checkout]) expect(fam.get('checkout_compensations_total')?.type).toBe('counter');
  });

  it('each worker pool: Temporal SDK metrics on TEMPORAL_METRICS_PORT (slots, schedule-to-start)', async () => {
    for (const pool of POOLS) {
      const w = workers.get(pool)!;
      const { families: m } = await scrape(`http://127.0.0.1:${w.sdkPort}/metrics`);
      const slots = m.get('temporal_worker_task_slots_available');
      expect(slots?.type).toBe('gauge');
      const kind = pool === 'checkout' ? 'WorkflowWorker' : 'ActivityWorker';
      expect(slots?.samples).toContainEqual(expect.objectContaining({ labels: expect.objectContaining({ task_queue: pool, worker_type: kind }) }));
      const latency = pool === 'checkout' ? 'temporal_workflow_task_schedule_to_start_latency' : 'temporal_activity_schedule_to_start_latency';
      expect(m.get(latency)?.type).toBe('histogram');
      expect(total(m, `${latency}_count`, { task_queue: pool })).toBeGreaterThanOrEqual(1);
    }
  });
});
