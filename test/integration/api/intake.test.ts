// Intake that does not wait on the pools (docs/design.md §5: an accepted order is a committed row; its
// workflow is started from that row). Real Postgres, Redis, Temporal dev server and sandbox;
// the worker pools run as a separate process that this file starts only when it wants
// orders to move, so "the pools are down" is real, not simulated.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createCheckoutStarter } from '../../../src/api/checkout-starter.ts';
import { orderIdFor, requestFingerprint } from '../../../src/orders/ids.ts';
import { acceptOrder } from '../../../src/orders/intake.ts';
import { eventually, orderBody, rowCounts, startApiFixture, type ApiFixture } from '../../helpers/api.ts';
import { assertAllSettled, assertInvariants } from '../../helpers/invariants.ts';
import { spawnWorker, type WorkerProcess } from '../../helpers/stack.ts';
import { orderWorkflowId } from '../../../src/contracts/index.ts';

let f: ApiFixture;
let workers: WorkerProcess | undefined;
let alice: string;
let ops: string;

beforeAll(async () => {
  f = await startApiFixture({ pools: [] });
  [alice, ops] = await Promise.all([f.token('alice'), f.token('ops-1', 'ops')]);
}, 90_000);
afterAll(async () => {
  await workers?.kill('SIGTERM');
  await f?.stop();
});

const place = (token: string, key: string, body: object = orderBody(), app = f.app) =>
  import('supertest').then(({ default: st }) => st(app).post('/v1/orders').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).send(body));

const workflowExists = (orderId: string) =>
  f.stack.client.workflow.getHandle(orderWorkflowId(orderId)).describe().then(() => true, (err) => {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  });

async function orderStatuses(ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await f.stack.orm.em.getConnection().execute<{ id: string; status: string }[]>(`select id, status from orders where id in (${ids.map(() => '?').join(',')})`, ids);
  return new Map(rows.map((r) => [r.id, r.status]));
}

const accepted: string[] = [];

describe('intake with every worker pool down', () => {
  it('answers 202 with the order as soon as it is committed; GET finds it at once; its workflow is started', async () => {
    const res = await place(alice, 'down-1');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: orderIdFor('alice', 'down-1'), status: 'PENDING', total: { amount: expect.any(Number), currency: 'USD' }, payment: { status: 'PENDING' } });
    accepted.push(res.body.id);
    const read = await f.http().get(`/v1/orders/${res.body.id}`).set('Authorization', `Bearer ${alice}`).expect(200);
    expect(read.body).toEqual(res.body);
    expect(read.headers.etag).toBe(res.headers.etag);
    // Nobody polls the queues, yet the start is durable at Temporal.
    await eventually(() => workflowExists(res.body.id), 10_000, 100);
    // …and marked on the row (batched right after Temporal's acknowledgement).
    await eventually(async () => (await f.stack.orm.em.getConnection().execute<{ started: boolean }[]>('select workflow_started_at is not null as started from orders where id = ?', [res.body.id]))[0].started, 5_000, 50);
  });

  it('an order whose first start was lost (API crash after commit) is started by the relay', async () => {
    const customerId = 'alice';
    const key = 'lost-start-1';
    const body = orderBody([{ sku: 'HOM-LAMP-03', quantity: 1 }]);
    const orderId = orderIdFor(customerId, key);
    // The commit happened; the process died before it could start the workflow.
    const r = await acceptOrder(f.stack.orm.em.fork(), { orderId, customerId, idempotencyKey: key, requestFingerprint: requestFingerprint(body), lines: body.items, paymentMethod: body.paymentMethod });
    expect(r.kind).toBe('accepted');
    expect(await workflowExists(orderId)).toBe(false);
    const relay = createCheckoutStarter({ orm: f.stack.orm, temporal: f.stack.client, config: f.stack.config, logger: f.stack.logger }, { sweepEveryMs: 0, sweepAfterMs: 0 });
    expect(await relay.sweep()).toBeGreaterThanOrEqual(1);
    await relay.stop();
    expect(await workflowExists(orderId)).toBe(true);
    // The client's retry with the same key finds the same order.
    const again = await place(alice, key, body);
    expect(again.status).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(orderId);
    accepted.push(orderId);
  });

  it('admission control: over the in-flight bound → 429 over_capacity + Retry-After, nothing written; a replay is still answered', async () => {
    const [{ n }] = await f.stack.orm.em.getConnection().execute<{ n: string }[]>("select count(*) as n from orders where status = 'PENDING'");
    const tight = f.appWith({ ADMISSION_MAX_IN_FLIGHT: String(Number(n)) });
    await (tight.locals.intake as { admission: { refresh(): Promise<void> } }).admission.refresh();
    const before = await rowCounts(f.stack);
    const res = await place(alice, 'over-1', orderBody(), tight);
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 429, code: 'over_capacity' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await rowCounts(f.stack)).toEqual(before);
    expect(await workflowExists(orderIdFor('alice', 'over-1'))).toBe(false);
    const replay = await place(alice, 'down-1', orderBody(), tight);
    expect(replay.status).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('a cart mixing currencies is 422 mixed_currency and a total above what a card can take is 422 amount_too_large; nothing is written', async () => {
    const put = (sku: string, price: { amount: number; currency: string }) => f.http().put(`/v1/admin/products/${sku}`).set('Authorization', `Bearer ${ops}`)
      .send({ name: sku, description: 'test', price, category: 'home', brand: 'acme', active: true });
    await put('TST-EUR-01', { amount: 5000, currency: 'EUR' }).expect((r) => expect([200, 201]).toContain(r.status));
    await put('TST-PRICEY-01', { amount: 99_000_000, currency: 'USD' }).expect((r) => expect([200, 201]).toContain(r.status));
    const before = await rowCounts(f.stack);
    const mixed = await place(alice, 'mixed-1', orderBody([{ sku: 'HOM-LAMP-03', quantity: 1 }, { sku: 'TST-EUR-01', quantity: 1 }]));
    expect(mixed.status).toBe(422);
    expect(mixed.body).toMatchObject({ code: 'mixed_currency', errors: [{ path: 'items.1.sku', code: 'mixed_currency' }] });
    const big = await place(alice, 'big-1', orderBody([{ sku: 'TST-PRICEY-01', quantity: 2 }]));
    expect(big.status).toBe(422);
    expect(big.body.code).toBe('amount_too_large');
    expect(await rowCounts(f.stack)).toEqual(before);
  });
});

describe('when the pools come back', () => {
  it('every order accepted while they were down settles', async () => {
    workers = await spawnWorker(f.stack, 'all');
    await eventually(async () => [...(await orderStatuses(accepted)).values()].every((s) => s !== 'PENDING'), 30_000, 200);
    await assertAllSettled(f.stack.orm, accepted);
    expect([...(await orderStatuses(accepted)).values()]).toEqual(accepted.map(() => 'CONFIRMED'));
  }, 60_000);

  it('a flash sale: 200 concurrent orders from 20 customers for 15 units → no 5xx, every 202 is an order, exactly 15 confirmed, the rest rejected', async () => {
    const sku = 'TST-FLASH-01';
    await f.http().put(`/v1/admin/products/${sku}`).set('Authorization', `Bearer ${ops}`)
      .send({ name: 'Flash sale item', description: 'scarce', price: { amount: 1999, currency: 'USD' }, category: 'home', brand: 'acme', active: true });
    await f.http().put(`/v1/admin/inventory/${sku}`).set('Authorization', `Bearer ${ops}`).send({ warehouse: 'AMS-1', onHand: 15 }).expect(200);
    const customers = await Promise.all(Array.from({ length: 20 }, (_, i) => f.token(`flash-${i}`)));
    const sale = f.appWith({ RATE_LIMIT_ORDERS_PER_MINUTE: '1000', RATE_LIMIT_REQUESTS_PER_MINUTE: '100000' });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      place(customers[i % 20], `flash-key-${i}`, orderBody([{ sku, quantity: 1 }]), sale).then((r) => ({ i, status: r.status, id: r.body?.id as string | undefined }))));
    const byStatus = results.reduce<Record<number, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    const ok = results.filter((r) => r.status === 202);
    expect(ok.length + (byStatus[429] ?? 0)).toBe(200);
    // Every 202 is an order; no order exists for a request that was refused.
    const refusedIds = results.filter((r) => r.status !== 202).map((r) => orderIdFor(`flash-${r.i % 20}`, `flash-key-${r.i}`));
    expect((await orderStatuses(refusedIds)).size).toBe(0);
    const ids = ok.map((r) => r.id!);
    expect((await orderStatuses(ids)).size).toBe(ids.length);
    await eventually(async () => [...(await orderStatuses(ids)).values()].every((s) => s !== 'PENDING'), 90_000, 250);
    await assertAllSettled(f.stack.orm, ids);
    const statuses = [...(await orderStatuses(ids)).values()];
    expect(statuses.filter((s) => s === 'CONFIRMED')).toHaveLength(Math.min(15, ids.length));
    expect(statuses.filter((s) => s !== 'CONFIRMED').every((s) => s === 'REJECTED')).toBe(true);
    const [level] = await f.stack.orm.em.getConnection().execute<{ on_hand: number; reserved: number }[]>('select on_hand, reserved from inventory_levels where sku = ?', [sku]);
    expect(level).toEqual({ on_hand: 15 - Math.min(15, ids.length), reserved: 0 });
    await assertInvariants({ orm: f.stack.orm, sandbox: f.stack.sandbox, orderIds: ids });
  }, 120_000);

  it('a happy order costs the engine little: no webhook signal, at most 2 search-attribute upserts, ≤ 6 workflow tasks, ≤ 36 events', async () => {
    const res = await place(alice, 'cost-1', orderBody([{ sku: 'HOM-LAMP-03', quantity: 1 }]));
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    await eventually(async () => (await orderStatuses([id])).get(id) === 'CONFIRMED' && (await f.stack.orm.em.getConnection().execute<{ status: string }[]>('select status from payments where order_id = ?', [id]))[0]?.status === 'CAPTURED', 30_000, 100);
    const handle = f.stack.client.workflow.getHandle(orderWorkflowId(id));
    // Captured, then the aftercare timer: the history up to there is the cost of the order.
    const events = await eventually(async () => {
      const h = (await handle.fetchHistory()).events ?? [];
      return h.some((e) => e.timerStartedEventAttributes) ? h : undefined;
    }, 10_000, 100);
    // Wait for the provider's webhooks to have been delivered and recorded (not signalled).
    await eventually(async () => (await f.stack.orm.em.getConnection().execute('select 1 from payment_events where order_id = ? and source = ?', [id, 'webhook'])).length > 0, 15_000, 200);
    const history = (await handle.fetchHistory()).events ?? [];
    const count = (pred: (e: (typeof history)[number]) => unknown) => history.filter(pred).length;
    expect(count((e) => e.workflowExecutionSignaledEventAttributes)).toBe(0);
    // The SDK adds one upsert of TemporalChangeVersion beside each patch marker; ours are the rest.
    const ours = (e: (typeof history)[number]) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}).some((k) => k !== 'TemporalChangeVersion');
    expect(count(ours)).toBeLessThanOrEqual(2);
    expect(count((e) => e.workflowTaskCompletedEventAttributes)).toBeLessThanOrEqual(6);
    expect(count((e) => e.activityTaskScheduledEventAttributes)).toBe(4);
    expect(events.length).toBeLessThanOrEqual(36);
  }, 60_000);
});
