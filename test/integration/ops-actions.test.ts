// Ops actions end to end through HTTP (createApp on the real stack: Temporal dev server,
// every worker pool, the payment sandbox, Postgres, Redis). Each action changes the order as
// promised, is a signal/update in the workflow history carrying actor and reason, and leaves
// exactly one `ops_action` row in order_events; refusals leave none.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { WorkflowHandle } from '@temporalio/client';
import supertest from 'supertest';
import express from 'express';
import { Client, Connection } from '@temporalio/client';
import { opsRoutes } from '../../src/api/routes/ops.ts';
import { errorHandler } from '../../src/api/middleware/problem.ts';
import { createPayloadCodec } from '../../src/infra/payload-codec.ts';
import { assertInvariants } from '../helpers/invariants.ts';
import { eventually, orderBody, startApiFixture, type ApiFixture } from '../helpers/api.ts';
import { orderWorkflowId } from '../../src/contracts/index.ts';
import { routerFor } from '../../src/api/app.ts';

let f: ApiFixture;
let alice: string;
let ops: string;

beforeAll(async () => {
  f = await startApiFixture({ env: { RATE_LIMIT_ORDERS_PER_MINUTE: '10000' } });
  [alice, ops] = await Promise.all([f.token('alice', 'customer'), f.token('ops-olga', 'ops')]);
}, 120_000);
afterAll(async () => f?.stop());

const bearer = (t: string) => `Bearer ${t}`;
const conn = () => f.stack.orm.em.getConnection();
let keySeq = 0;

/** A CONFIRMED order whose capture is done (its workflow stays open for aftercare). */
async function confirmedOrder(): Promise<string> {
  const res = await f.http().post('/v1/orders').set('Authorization', bearer(alice)).set('Idempotency-Key', `ops-${Date.now()}-${++keySeq}`).set('Prefer', 'wait=20')
    .send(orderBody([{ sku: 'HOM-LAMP-03', quantity: 1 }]));
  expect(res.status).toBe(201);
  expect(res.body.status).toBe('CONFIRMED');
  const id: string = res.body.id;
  await eventually(async () => (await conn().execute('select status from payments where order_id = ?', [id]))[0]?.status === 'CAPTURED');
  return id;
}

const act = (id: string, action: string, body: unknown = { reason: 'because the test says so' }, token = ops) =>
  f.http().post(`/v1/admin/orders/${id}/${action}`).set('Authorization', bearer(token)).send(body as object);

const auditRows = (id: string) =>
  conn().execute<{ type: string; status: string; actor: string; reason: string; dedupe_key: string }[]>(
    "select type, status, actor, reason, dedupe_key from order_events where order_id = ? and type = 'ops_action' order by id", [id]);

/** Signals and updates in the workflow history: [name, decoded first argument]. */
async function messagesInHistory(handle: WorkflowHandle): Promise<[string, any][]> {
  const history = await handle.fetchHistory();
  // Payloads in the history are encrypted (src/infra/payload-codec.ts): decrypt, then parse.
  const codec = createPayloadCodec(f.stack.config.codec);
  const decode = (p?: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null } | null) =>
    (p?.data ? JSON.parse(Buffer.from(codec.decrypt({ metadata: p.metadata ?? {}, data: p.data }).data!).toString('utf8')) : undefined);
  const out: [string, any][] = [];
  for (const e of history.events ?? []) {
    const sig = e.workflowExecutionSignaledEventAttributes;
    if (sig) out.push([sig.signalName!, decode(sig.input?.payloads?.[0])]);
    const upd = e.workflowExecutionUpdateAcceptedEventAttributes;
    if (upd) out.push([upd.acceptedRequest!.input!.name!, decode(upd.acceptedRequest!.input!.args?.payloads?.[0])]);
  }
  return out;
}

describe('ops actions through the admin API', () => {
  it('cancel: a captured order becomes CANCELLED and is REFUNDED at the provider; one audit row; then 409 workflow_closed', async () => {
    const id = await confirmedOrder();
    const res = await act(id, 'cancel', { reason: 'customer called: duplicate order' }).expect(202);
    expect(res.body).toMatchObject({ action: 'cancel', orderId: id, workflowId: orderWorkflowId(id) });
    expect(res.headers['x-request-id']).toBe(res.body.requestId);

    await eventually(async () => (await conn().execute('select status from orders where id = ?', [id]))[0].status === 'CANCELLED');
    await eventually(async () => (await conn().execute('select status from payments where order_id = ?', [id]))[0].status === 'REFUNDED');
    const [intent] = await f.stack.sandbox.intents({ orderId: id });
    expect(intent).toMatchObject({ status: 'succeeded', amount_refunded: intent.amount_received });
    expect(intent.amount_received).toBeGreaterThan(0);

    const audit = await auditRows(id);
    expect(audit).toEqual([{ type: 'ops_action', status: expect.stringMatching(/^(CONFIRMED|CANCELLED)$/), actor: 'ops-olga', reason: 'customer called: duplicate order', dedupe_key: `ops_action:cancel:${res.body.requestId}` }]);
    const handle = f.stack.client.workflow.getHandle(orderWorkflowId(id));
    expect(await messagesInHistory(handle)).toContainEqual(['cancelOrder', { actor: 'ops-olga', role: 'ops', reason: 'customer called: duplicate order' }]);

    // The workflow completes once CANCELLED: further actions are refused, and not audited.
    await handle.result();
    const again = await act(id, 'cancel').expect(409);
    expect(again.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(again.body).toMatchObject({ status: 409, code: 'workflow_closed' });
    expect(await auditRows(id)).toHaveLength(1);
    const events = await f.http().get(`/v1/orders/${id}/events`).set('Authorization', bearer(ops)).expect(200);
    expect(events.body.data).toContainEqual(expect.objectContaining({ type: 'ops_action', actor: 'ops-olga', reason: 'customer called: duplicate order' }));
    await assertInvariants({ orm: f.stack.orm, sandbox: f.stack.sandbox, orderIds: [id] });
  }, 60_000);

  it('manual-review: sets attention (DB and NeedsAttention) and answers with it; a replayed request is one update and one audit row', async () => {
    const id = await confirmedOrder();
    const send = () => act(id, 'manual-review', { reason: 'fraud signals' }).set('X-Request-Id', `rq-mr-${id}`);
    const res = await send().expect(200);
    expect(res.body).toMatchObject({ action: 'manual-review', orderId: id, status: 'CONFIRMED', attention: 'manual_review', requestId: `rq-mr-${id}` });
    expect((await conn().execute('select attention from orders where id = ?', [id]))[0].attention).toBe('manual_review');
    const handle = f.stack.client.workflow.getHandle(orderWorkflowId(id));
    expect((await handle.describe()).searchAttributes.NeedsAttention).toEqual(['manual_review']);

    await send().expect(200); // same X-Request-Id: same update id, same audit key
    const updates = (await messagesInHistory(handle)).filter(([n]) => n === 'markManualReview');
    expect(updates).toEqual([['markManualReview', { actor: 'ops-olga', reason: 'fraud signals' }]]);
    expect(await auditRows(id)).toEqual([{ type: 'ops_action', status: 'CONFIRMED', actor: 'ops-olga', reason: 'fraud signals', dedupe_key: `ops_action:manual-review:rq-mr-${id}` }]);
    await assertInvariants({ orm: f.stack.orm, sandbox: f.stack.sandbox, orderIds: [id] });
  }, 60_000);

  it('retry-compensation and redrive-capture: accepted (202), signals in the history with actor and reason, one audit row each', async () => {
    const id = await confirmedOrder();
    const a = await act(id, 'retry-compensation', { reason: 'provider outage is over' }).expect(202);
    expect(a.body).toMatchObject({ action: 'retry-compensation', orderId: id, status: 'CONFIRMED' });
    const b = await act(id, 'redrive-capture', { reason: 'issuer fixed the card' }).expect(202);
    expect(b.body).toMatchObject({ action: 'redrive-capture', orderId: id, status: 'CONFIRMED' });

    const history = await messagesInHistory(f.stack.client.workflow.getHandle(orderWorkflowId(id)));
    expect(history).toContainEqual(['retryCompensation', { actor: 'ops-olga', reason: 'provider outage is over' }]);
    expect(history).toContainEqual(['redriveCapture', { actor: 'ops-olga', reason: 'issuer fixed the card' }]);
    const audit = await auditRows(id);
    expect(audit.map((r) => [r.dedupe_key.split(':')[1], r.actor, r.reason, r.status])).toEqual([
      ['retry-compensation', 'ops-olga', 'provider outage is over', 'CONFIRMED'],
      ['redrive-capture', 'ops-olga', 'issuer fixed the card', 'CONFIRMED'],
    ]);
    // Nothing moved: a captured order stays captured, still one live intent.
    expect((await conn().execute('select status from payments where order_id = ?', [id]))[0].status).toBe('CAPTURED');
    await assertInvariants({ orm: f.stack.orm, sandbox: f.stack.sandbox, orderIds: [id] });
  }, 60_000);

  it('redrive-capture: a capture that gave up (capture_failed) is re-driven and succeeds; the flag clears', async () => {
    // Capture keeps failing (500s) and the capture window is short, so the order gets flagged.
    const shortWindow = f.appWith({ CAPTURE_RETRY_WINDOW: '3s', RATE_LIMIT_ORDERS_PER_MINUTE: '10000' });
    await f.stack.sandbox.setFaults({ errorRate: 1, matching: { method: 'POST', path: '/v1/payment_intents/' } });
    let id: string;
    try {
      const res = await supertest(shortWindow).post('/v1/orders').set('Authorization', bearer(alice)).set('Idempotency-Key', `ops-capfail-${Date.now()}`).set('Prefer', 'wait=20')
        .send(orderBody([{ sku: 'HOM-LAMP-03', quantity: 1 }]));
      expect(res.body.status).toBe('CONFIRMED');
      id = res.body.id;
      await eventually(async () => (await conn().execute('select attention from orders where id = ?', [id]))[0].attention === 'capture_failed', 30_000);
    } finally {
      await f.stack.sandbox.clearFaults();
    }
    expect((await conn().execute('select status from payments where order_id = ?', [id]))[0].status).toBe('AUTHORIZED');

    await act(id, 'redrive-capture', { reason: 'provider is back' }).expect(202);
    await eventually(async () => (await conn().execute('select status from payments where order_id = ?', [id]))[0].status === 'CAPTURED', 20_000);
    await eventually(async () => (await conn().execute('select attention from orders where id = ?', [id]))[0].attention === null);
    const [intent] = await f.stack.sandbox.intents({ orderId: id });
    expect(intent.status).toBe('succeeded');
    const handle = f.stack.client.workflow.getHandle(orderWorkflowId(id));
    expect(await messagesInHistory(handle)).toContainEqual(['redriveCapture', { actor: 'ops-olga', reason: 'provider is back' }]);
    expect((await auditRows(id)).map((r) => [r.actor, r.reason])).toEqual([['ops-olga', 'provider is back']]);
    await assertInvariants({ orm: f.stack.orm, sandbox: f.stack.sandbox, orderIds: [id] });
  }, 60_000);

  it('retry-compensation: a refund that gave up (compensation_failed) is retried at once and the cancel completes', async () => {
    const id = await confirmedOrder();
    await f.stack.sandbox.setFaults({ errorRate: 1, matching: { method: 'POST', path: '/v1/refunds' } });
    try {
      await act(id, 'cancel', { reason: 'customer withdrew' }).expect(202);
      // One bounded round of refund attempts (1+2+4+8 s backoff), then the order is flagged.
      await eventually(async () => (await conn().execute('select attention from orders where id = ?', [id]))[0].attention === 'compensation_failed', 40_000, 500);
    } finally {
      await f.stack.sandbox.clearFaults();
    }
    const handle = f.stack.client.workflow.getHandle(orderWorkflowId(id));
    expect((await handle.describe()).searchAttributes.NeedsAttention).toEqual(['compensation_failed']);

    await act(id, 'retry-compensation', { reason: 'refund endpoint recovered' }).expect(202);
    await eventually(async () => (await conn().execute('select status from payments where order_id = ?', [id]))[0].status === 'REFUNDED', 20_000);
    await eventually(async () => (await conn().execute('select status, attention from orders where id = ?', [id]))[0].status === 'CANCELLED');
    await handle.result();
    expect((await conn().execute('select attention from orders where id = ?', [id]))[0].attention).toBeNull();
    const [intent] = await f.stack.sandbox.intents({ orderId: id });
    expect(intent.amount_refunded).toBe(intent.amount_received);
    expect(await messagesInHistory(handle)).toContainEqual(['retryCompensation', { actor: 'ops-olga', reason: 'refund endpoint recovered' }]);
    expect((await auditRows(id)).map((r) => [r.dedupe_key.split(':')[1], r.reason])).toEqual([['cancel', 'customer withdrew'], ['retry-compensation', 'refund endpoint recovered']]);
    await assertInvariants({ orm: f.stack.orm, sandbox: f.stack.sandbox, orderIds: [id] });
  }, 90_000);

  it('refuses bad requests with problem details and writes no audit row', async () => {
    const id = await confirmedOrder();
    const unknown = '6f1c2a4e-0000-4000-8000-000000000000';
    expect((await act(unknown, 'manual-review').expect(404)).body.code).toBe('not_found');
    expect((await act('not-a-uuid', 'cancel').expect(404)).body.code).toBe('not_found');
    for (const body of [{}, { reason: '' }, { reason: '   ' }, { reason: 'x'.repeat(501) }, { reason: 'ok', extra: 1 }, { reason: 42 }]) {
      const res = await act(id, 'manual-review', body);
      expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
    }
    expect((await act(id, 'cancel', { reason: 'nope' }, alice).expect(403)).body.code).toBe('forbidden');
    expect((await f.http().post(`/v1/admin/orders/${id}/cancel`).send({ reason: 'anon' }).expect(401)).body.code).toBe('unauthorized');
    expect((await act(id, 'reboot').expect(404)).body.code).toBe('not_found');

    // A declined order's workflow has completed: 409 workflow_closed.
    const declined = await f.http().post('/v1/orders').set('Authorization', bearer(alice)).set('Idempotency-Key', `ops-declined-${Date.now()}`).set('Prefer', 'wait=20')
      .send(orderBody([{ sku: 'HOM-LAMP-03', quantity: 1 }], 'pm_card_chargeDeclined'));
    expect(declined.body.status).toBe('PAYMENT_FAILED');
    await f.stack.client.workflow.getHandle(orderWorkflowId(declined.body.id)).result();
    expect((await act(declined.body.id, 'redrive-capture').expect(409)).body.code).toBe('workflow_closed');

    expect(await auditRows(id)).toEqual([]);
    expect(await auditRows(declined.body.id)).toEqual([]);
    expect((await conn().execute('select attention from orders where id = ?', [id]))[0].attention).toBeNull();
  }, 60_000);

  it('Temporal unreachable: 503 service_unavailable within the deadline, nothing audited', async () => {
    const id = await confirmedOrder();
    // A client whose server does not exist (port 1). No gRPC retry interceptor: a retry timer
    // firing after close() would throw uncaught and take the test process down.
    const dead = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '500ms', interceptors: [] }) });
    const app = express();
    app.use(express.json());
    app.use(routerFor(opsRoutes({ orm: f.stack.orm, temporal: dead, config: f.stack.config, logger: f.stack.logger, metrics: f.stack.metrics, temporalDeadlineMs: 1500 })));
    app.use(errorHandler(f.stack.logger));
    const started = Date.now();
    const res = await supertest(app).post(`/v1/admin/orders/${id}/manual-review`).set('Authorization', bearer(ops)).send({ reason: 'temporal is down' });
    expect([res.status, res.body.code, res.headers['retry-after']]).toEqual([503, 'service_unavailable', '2']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await auditRows(id)).toEqual([]);
    await dead.connection.close().catch(() => undefined);
  }, 30_000);

  it('the OpenAPI document describes the four ops routes', async () => {
    const doc = (await f.http().get('/openapi.json').expect(200)).body;
    for (const a of ['cancel', 'retry-compensation', 'redrive-capture', 'manual-review']) {
      const op = doc.paths[`/v1/admin/orders/{id}/${a}`]?.post;
      expect(op).toBeDefined();
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401', '403', '404', '409', '503']));
    }
  });
});
