// Stripe webhook intake through webhookRoutes on a tiny express app, against the real
// test database and a real Temporal dev server running a stand-in `checkout` workflow
// that records the PaymentUpdate signals it gets.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express, { type ErrorRequestHandler } from 'express';
import request from 'supertest';
import Stripe from 'stripe';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { MikroORM } from '@mikro-orm/postgresql';
import { pino } from 'pino';
import { webhookRoutes } from '../../../src/api/routes/webhooks.ts';
import { createMetrics } from '../../../src/infra/metrics.ts';
import { createStripeProvider } from '../../../src/payments/stripe-provider.ts';
import { testOrm } from '../../helpers/db.ts';
import { startTestSandbox, TEST_WEBHOOK_SECRET, type TestSandbox } from '../../helpers/sandbox.ts';
import { startLocalTemporal, testDataConverter } from '../../helpers/temporal.ts';
import type { PaymentUpdate } from '../../../src/contracts/index.ts';
import { routerFor } from '../../../src/api/app.ts';

const TASK_QUEUE = 'payments-webhook-test';
const SECRET = TEST_WEBHOOK_SECRET;
const logger = pino({ level: 'silent' });

let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
let orm: MikroORM;
let app: express.Express;
const metrics = createMetrics('test-webhooks');

const errors: ErrorRequestHandler = (err, _req, res, _next) => {
  res.status(500).json({ error: String(err) });
};

function appWith(temporal: Client, signalTimeoutMs?: number): express.Express {
  const a = express();
  a.use(routerFor(webhookRoutes({ orm, temporal, config: { stripe: { webhookSecret: SECRET } } as never, logger, metrics, signalTimeoutMs })));
  a.use(express.json());
  a.use(errors);
  return a;
}

/** An order; by default its payment waits for 3-D Secure (the one state in which its workflow wants webhooks). */
async function newOrder(payment: string | null = 'REQUIRES_ACTION'): Promise<string> {
  const orderId = randomUUID();
  const conn = orm.em.getConnection();
  await conn.execute("insert into customers (id) values ('cus-webhooks') on conflict do nothing");
  await conn.execute(
    "insert into orders (id, customer_id, status, currency, total_amount, payment_method, idempotency_key, request_fingerprint) values (?, 'cus-webhooks', 'PENDING', 'USD', 4200, 'pm_card_visa', ?, 'fp')",
    [orderId, orderId],
  );
  if (payment) {
    await conn.execute("insert into payments (id, order_id, provider, amount, currency, status) values (?, ?, 'stripe', 4200, 'USD', ?)", [randomUUID(), orderId, payment]);
  }
  return orderId;
}

async function startRecorder(orderId: string) {
  return env.client.workflow.start('checkout', { workflowId: `order-${orderId}`, taskQueue: TASK_QUEUE });
}

const received = async (orderId: string): Promise<PaymentUpdate[]> => env.client.workflow.getHandle(`order-${orderId}`).query<PaymentUpdate[]>('received');

function intentEvent(orderId: string | undefined, type = 'payment_intent.amount_capturable_updated', status = 'requires_capture', id = `evt_${randomUUID().replace(/-/g, '')}`) {
  return {
    id,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: { id: 'pi_test123', object: 'payment_intent', amount: 4200, currency: 'usd', status, metadata: orderId ? { order_id: orderId } : {} } },
  };
}

function post(a: express.Express, payload: string, signature?: string) {
  const r = request(a).post('/v1/webhooks/stripe').set('content-type', 'application/json');
  if (signature !== undefined) r.set('stripe-signature', signature);
  return r.send(payload);
}

const sign = (payload: string, opts: { secret?: string; timestamp?: number } = {}) =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? SECRET, timestamp: opts.timestamp });

async function ledger(eventId: string) {
  return orm.em.getConnection().execute<{ order_id: string | null; source: string; provider: string; type: string; processed_at: Date | null; provider_reference: string | null }[]>(
    'select order_id, source, provider, type, processed_at, provider_reference from payment_events where provider_event_id = ?',
    [eventId],
  );
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  [env, orm] = await Promise.all([startLocalTemporal(), testOrm()]);
  worker = await Worker.create({
    connection: env.nativeConnection,
    dataConverter: testDataConverter(),
    taskQueue: TASK_QUEUE,
    workflowsPath: fileURLToPath(new URL('./fixtures/signal-recorder.ts', import.meta.url)),
  });
  workerRun = worker.run();
  app = appWith(env.client);
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await env?.teardown();
  await orm?.close();
});

describe('POST /v1/webhooks/stripe', () => {
  it('a valid event is recorded in the ledger and signalled to the order workflow before 200', async () => {
    const orderId = await newOrder();
    await startRecorder(orderId);
    const event = intentEvent(orderId);
    const payload = JSON.stringify(event);
    const res = await post(app, payload, sign(payload));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true });
    const rows = await ledger(event.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ order_id: orderId, source: 'webhook', provider: 'stripe', type: event.type, provider_reference: 'pi_test123' });
    expect(rows[0].processed_at).not.toBeNull();
    expect(await received(orderId)).toEqual([{ providerEventId: event.id, type: event.type, paymentIntentId: 'pi_test123', providerStatus: 'requires_capture' }]);
  });

  describe('refuses bad signatures with 400 invalid_signature and changes nothing', () => {
    const cases: [string, (payload: string) => { body: string; signature?: string }][] = [
      ['tampered body', (p) => ({ body: p.replace('4200', '1'), signature: sign(p) })],
      ['wrong secret', (p) => ({ body: p, signature: sign(p, { secret: 'whsec_someone_else' }) })],
      ['stale timestamp (> 300 s)', (p) => ({ body: p, signature: sign(p, { timestamp: Math.floor(Date.now() / 1000) - 301 }) })],
      ['missing header', (p) => ({ body: p })],
      ['garbage header', (p) => ({ body: p, signature: 'nonsense' })],
    ];
    it.each(cases)('%s', async (_name, make) => {
      const orderId = await newOrder();
      await startRecorder(orderId);
      const event = intentEvent(orderId);
      const { body, signature } = make(JSON.stringify(event));
      const res = await post(app, body, signature);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 400, code: 'invalid_signature' });
      expect(await ledger(event.id)).toHaveLength(0);
      expect(await received(orderId)).toEqual([]);
    });
  });

  describe('refuses a validly signed but malformed event with 400 invalid_event and stores nothing', () => {
    const base = () => intentEvent(randomUUID());
    const cases: [string, () => unknown][] = [
      ['null', () => null],
      ['a number', () => 42],
      ['a string', () => 'evt'],
      ['an array', () => [base()]],
      ['no data', () => ({ ...base(), data: undefined })],
      ['no type', () => ({ ...base(), type: undefined })],
      ['no id', () => ({ ...base(), id: undefined })],
      ['data.object not an object', () => ({ ...base(), data: { object: 7 } })],
      ['a non-string object id', () => {
        const e = base();
        return { ...e, data: { object: { ...e.data.object, id: 12345 } } };
      }],
      ['a non-string order id in metadata', () => {
        const e = base();
        return { ...e, data: { object: { ...e.data.object, metadata: { order_id: { $ne: null } } } } };
      }],
    ];
    it.each(cases)('%s', async (_name, make) => {
      const conn = orm.em.getConnection();
      const countRows = async () => Number((await conn.execute<{ n: string }[]>('select count(*) as n from payment_events'))[0].n);
      const before = await countRows();
      const payload = JSON.stringify(make());
      const res = await post(app, payload, sign(payload));
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 400, code: 'invalid_event' });
      expect(await countRows()).toBe(before);
    });
  });

  it('a duplicate delivery is harmless: one ledger row, one signal', async () => {
    const orderId = await newOrder();
    await startRecorder(orderId);
    const event = intentEvent(orderId);
    const payload = JSON.stringify(event);
    expect((await post(app, payload, sign(payload))).body).toEqual({ received: true });
    const second = await post(app, payload, sign(payload));
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ received: true, duplicate: true });
    expect(await ledger(event.id)).toHaveLength(1);
    expect(await received(orderId)).toHaveLength(1);
  });

  it('out-of-order events are each recorded and passed on; the handler never writes order status', async () => {
    const orderId = await newOrder();
    await startRecorder(orderId);
    const later = intentEvent(orderId, 'payment_intent.succeeded', 'succeeded');
    const earlier = intentEvent(orderId, 'payment_intent.amount_capturable_updated', 'requires_capture');
    for (const e of [later, earlier]) {
      const p = JSON.stringify(e);
      expect((await post(app, p, sign(p))).status).toBe(200);
    }
    expect((await received(orderId)).map((u) => u.providerStatus)).toEqual(['succeeded', 'requires_capture']);
    const [order] = await orm.em.getConnection().execute<{ status: string }[]>('select status from orders where id = ?', [orderId]);
    expect(order.status).toBe('PENDING');
  });

  it('an event for an unknown order is recorded (no order id, unprocessed) for reconciliation', async () => {
    for (const claimed of [randomUUID(), 'not-a-uuid', undefined]) {
      const event = intentEvent(claimed);
      const payload = JSON.stringify(event);
      const res = await post(app, payload, sign(payload));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ received: true });
      const rows = await ledger(event.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ order_id: null, processed_at: null });
    }
  });

  it('an event for an order whose workflow waits for nothing is recorded and processed, not signalled (a signal costs the workflow a task)', async () => {
    const orderId = await newOrder('AUTHORIZED');
    await startRecorder(orderId);
    const event = intentEvent(orderId, 'payment_intent.amount_capturable_updated', 'requires_capture');
    const payload = JSON.stringify(event);
    expect((await post(app, payload, sign(payload))).body).toEqual({ received: true });
    const [row] = await ledger(event.id);
    expect(row).toMatchObject({ order_id: orderId, source: 'webhook', provider_reference: 'pi_test123' });
    expect(row.processed_at).not.toBeNull();
    expect(await received(orderId)).toEqual([]);
    const history = await env.client.workflow.getHandle(`order-${orderId}`).fetchHistory();
    expect((history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes)).toHaveLength(0);
  });

  it('an event without order metadata (e.g. a dashboard refund) is routed by its PaymentIntent and recorded', async () => {
    const orderId = await newOrder(null);
    await startRecorder(orderId);
    await orm.em.getConnection().execute(
      "insert into payments (id, order_id, provider, provider_reference, amount, currency, status, captured_amount) values (?, ?, 'stripe', 'pi_dashboard_refund', 4200, 'USD', 'CAPTURED', 4200)",
      [randomUUID(), orderId],
    );
    const event = intentEvent(undefined, 'refund.created');
    event.data.object = { id: 're_1', object: 'refund', amount: 4200, currency: 'usd', status: 'succeeded', payment_intent: 'pi_dashboard_refund', metadata: {} } as never;
    const payload = JSON.stringify(event);
    expect((await post(app, payload, sign(payload))).body).toEqual({ received: true });
    expect((await ledger(event.id))[0]).toMatchObject({ order_id: orderId, provider_reference: 'pi_dashboard_refund' });
    // A captured order's workflow waits for nothing from the provider: reconciliation reads the refund from the ledger.
    expect(await received(orderId)).toEqual([]);
  });

  it('an event for a closed workflow is answered 200 and kept unprocessed for reconciliation', async () => {
    const orderId = await newOrder();
    const handle = await startRecorder(orderId);
    await handle.signal('finish');
    await handle.result();
    const event = intentEvent(orderId, 'charge.refunded');
    const payload = JSON.stringify(event);
    const res = await post(app, payload, sign(payload));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, workflow: 'closed' });
    const rows = await ledger(event.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ order_id: orderId, processed_at: null });
  });

  it('Temporal unreachable → 503 (Stripe retries); the retry then signals once and marks the event processed', async () => {
    const orderId = await newOrder();
    await startRecorder(orderId);
    const dead = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const downApp = appWith(dead, 1000);
    const event = intentEvent(orderId);
    const payload = JSON.stringify(event);
    const down = await post(downApp, payload, sign(payload));
    expect(down.status).toBe(503);
    expect(down.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(down.body).toMatchObject({ code: 'temporal_unavailable' });
    expect(down.headers['retry-after']).toBe('5');
    expect((await ledger(event.id))[0]).toMatchObject({ processed_at: null });
    expect(await received(orderId)).toEqual([]);

    const retry = await post(app, payload, sign(payload));
    expect(retry.status).toBe(200);
    expect(await ledger(event.id)).toHaveLength(1);
    expect((await ledger(event.id))[0].processed_at).not.toBeNull();
    expect(await received(orderId)).toHaveLength(1);
    await dead.connection.close();
  });

  it('counts webhooks by outcome', async () => {
    const text = await metrics.registry.metrics();
    for (const outcome of ['signalled', 'recorded', 'invalid_signature', 'duplicate', 'unknown_order', 'workflow_closed', 'temporal_unavailable']) {
      expect(text).toMatch(new RegExp(`webhooks_received_total\\{[^}]*outcome="${outcome}"[^}]*\\} [1-9]`));
    }
  });
});

describe('sandbox → webhook route → workflow, end to end', () => {
  let sb: TestSandbox;
  let server: Server;
  beforeAll(async () => {
    server = await new Promise<Server>((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    sb = await startTestSandbox({ webhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/stripe` });
  });
  afterAll(async () => {
    await sb?.close();
    await new Promise((r) => server?.close(r));
  });

  it('a 3-D Secure authorization completed by the customer reaches the workflow as signed webhooks', async () => {
    const orderId = await newOrder();
    await startRecorder(orderId);
    const provider = createStripeProvider(sb.stripeConfig());
    const out = await provider.authorize({ orderId, customerId: 'cus-webhooks', amount: 4200, currency: 'USD', paymentMethod: 'pm_card_authenticationRequired', idempotencyKey: `order-${orderId}:authorize` });
    expect(out.kind).toBe('requires_action');
    const pi = out.kind === 'requires_action' ? out.intent.id : '';
    await sb.authenticate(pi, 'succeed');
    const got = await until(() => received(orderId), (u) => u.length >= 3);
    expect(got.map((u) => u.type).sort()).toEqual(['payment_intent.amount_capturable_updated', 'payment_intent.created', 'payment_intent.requires_action']);
    expect(got.every((u) => u.paymentIntentId === pi)).toBe(true);
    const rows = await orm.em.getConnection().execute<{ n: string }[]>("select count(*) as n from payment_events where order_id = ? and source = 'webhook' and processed_at is not null", [orderId]);
    expect(Number(rows[0].n)).toBe(3);
    expect((await sb.events({ orderId })).every((e) => e.delivery === 'delivered')).toBe(true);
  });
});
