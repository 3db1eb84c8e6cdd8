// Orders through HTTP on the real stack (Temporal dev server + all worker pools + sandbox):
// idempotent creation (incl. a 50-request storm and Redis down), Prefer: wait, ETag and
// long-poll, listing, timeline, cancellation and object-level authorization.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { createApp } from '../../../src/api/app.ts';
import { orderIdFor } from '../../../src/orders/ids.ts';
import { createRedis } from '../../../src/infra/redis.ts';
import { eventually, orderBody, startApiFixture, type ApiFixture } from '../../helpers/api.ts';
import { orderWorkflowId } from '../../../src/contracts/index.ts';

let f: ApiFixture;
let alice: string;
let bob: string;
let ops: string;
let finance: string;

beforeAll(async () => {
  // Generous per-customer limit: the storm alone sends 50 creations in a second.
  f = await startApiFixture({ env: { RATE_LIMIT_ORDERS_PER_MINUTE: '10000' } });
  [alice, bob, ops, finance] = await Promise.all([f.token('alice', 'customer'), f.token('bob', 'customer'), f.token('olga', 'ops'), f.token('fin', 'finance')]);
}, 120_000);
afterAll(async () => f?.stop());

const bearer = (t: string) => `Bearer ${t}`;
const place = (token: string, key: string, body: object = orderBody(), prefer?: string) => {
  const req = f.http().post('/v1/orders').set('Authorization', bearer(token)).set('Idempotency-Key', key);
  return (prefer ? req.set('Prefer', prefer) : req).send(body);
};
const getOrder = (token: string, id: string) => f.http().get(`/v1/orders/${id}`).set('Authorization', bearer(token));
const count = async (sql: string, params: unknown[] = []) => Number((await f.stack.orm.em.getConnection().execute<{ n: number }[]>(sql, params))[0].n);
/** Waits until nothing moves any more: terminal, or CONFIRMED with the capture done (capture follows CONFIRMED). */
const settled = (token: string, id: string) =>
  eventually(async () => {
    const res = await getOrder(token, id);
    const { status, payment } = res.body;
    const quiet = ['REJECTED', 'PAYMENT_FAILED'].includes(status) || (status === 'CONFIRMED' && payment.status === 'CAPTURED') || (status === 'CANCELLED' && ['VOIDED', 'REFUNDED', 'FAILED'].includes(payment.status));
    return quiet ? res : undefined;
  });

describe('creating orders', () => {
  it('accepts with 202 + Location, then the order settles CONFIRMED and captured', async () => {
    const res = await place(alice, 'create-1').expect(202);
    expect(res.headers.location).toBe(`/v1/orders/${res.body.id}`);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(res.body.id).toBe(orderIdFor('alice', 'create-1'));
    expect(res.body).toEqual(expect.objectContaining({
      customerId: 'alice',
      items: [{ sku: 'BOK-SYSTEMS-01', name: 'Designing Data Systems', quantity: 1, unitPrice: { amount: 4200, currency: 'USD' }, lineTotal: { amount: 4200, currency: 'USD' } }],
      total: { amount: 4200, currency: 'USD' },
    }));
    const done = await settled(alice, res.body.id);
    expect(done.body.status).toBe('CONFIRMED');
    expect(done.body.payment).toEqual({ status: 'CAPTURED', reference: expect.stringMatching(/^pi_/) });
  });

  it('Prefer: wait=N answers 201 once settled (cap 30, reported in Preference-Applied); out of stock → REJECTED', async () => {
    const ok = await place(alice, 'wait-1', orderBody([{ sku: 'HOM-LAMP-03', quantity: 2 }]), 'wait=15').expect(201);
    expect(ok.headers['preference-applied']).toBe('wait=15');
    expect(ok.body.status).toBe('CONFIRMED');
    const rejected = await place(alice, 'wait-2', orderBody([{ sku: 'BOK-LEDGER-03', quantity: 5 }]), 'wait=99').expect(201);
    expect(rejected.headers['preference-applied']).toBe('wait=30');
    expect(rejected.body).toEqual(expect.objectContaining({ status: 'REJECTED', failure: expect.objectContaining({ code: 'out_of_stock' }) }));
    const declined = await place(alice, 'wait-3', orderBody(undefined, 'pm_card_chargeDeclined'), 'wait=15').expect(201);
    expect(declined.body.status).toBe('PAYMENT_FAILED');
  });

  it('replays the same key + body as the same order, refuses the key with another body, and keeps customers apart', async () => {
    const first = await place(bob, 'replay-1', orderBody([{ sku: 'OUT-BOTTLE-03', quantity: 1 }])).expect(202);
    const again = await place(bob, 'replay-1', orderBody([{ sku: 'OUT-BOTTLE-03', quantity: 1 }]));
    expect([201, 202]).toContain(again.status);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    const other = await place(bob, 'replay-1', orderBody([{ sku: 'OUT-BOTTLE-03', quantity: 2 }]));
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
    const alices = await place(alice, 'replay-1', orderBody([{ sku: 'OUT-BOTTLE-03', quantity: 1 }])).expect(202);
    expect(alices.body.id).not.toBe(first.body.id);
    expect(await count('select count(*)::int as n from orders where idempotency_key = ?', ['replay-1'])).toBe(2);
  });

  it('a storm of 50 concurrent identical requests creates one order and one workflow', async () => {
    const body = orderBody([{ sku: 'OUT-HEADLAMP-04', quantity: 1 }]);
    const responses = await Promise.all(Array.from({ length: 50 }, () => place(alice, 'storm-1', body)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 202 || s === 201)).toBe(true);
    const ids = new Set(responses.map((r) => r.body.id));
    expect(ids).toEqual(new Set([orderIdFor('alice', 'storm-1')]));
    expect(responses.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    const id = [...ids][0];
    expect(await count('select count(*)::int as n from orders where customer_id = ? and idempotency_key = ?', ['alice', 'storm-1'])).toBe(1);
    expect(await count('select count(*)::int as n from order_items where order_id = ?', [id])).toBe(1);
    const runs = [];
    for await (const wf of f.stack.client.workflow.list({ query: `WorkflowId = '${orderWorkflowId(id)}'` })) runs.push(wf);
    expect(runs).toHaveLength(1);
    const done = await settled(alice, id);
    expect(done.body.status).toBe('CONFIRMED');
    expect(await f.stack.sandbox.liveIntents(id)).toHaveLength(1);
  });

  it('with Redis down, a retried request still maps to the one order (Postgres + workflow id guard)', async () => {
    const dead = createRedis({ url: 'redis://127.0.0.1:1/0', keyPrefix: 'x:' }, { lazy: true });
    dead.on('error', () => undefined);
    const app = f.adopt(createApp({ config: f.stack.config, orm: f.stack.orm, redis: dead, temporal: f.stack.client, logger: f.stack.logger, metrics: f.stack.metrics }));
    try {
      const body = orderBody([{ sku: 'CMP-MOUSE-03', quantity: 1 }]);
      const [a, b] = await Promise.all([1, 2].map(() => supertest(app).post('/v1/orders').set('Authorization', bearer(bob)).set('Idempotency-Key', 'redis-down').send(body)));
      expect([a.status, b.status].every((s) => s === 202 || s === 201)).toBe(true);
      expect(a.body.id).toBe(b.body.id);
      const c = await supertest(app).post('/v1/orders').set('Authorization', bearer(bob)).set('Idempotency-Key', 'redis-down').send(body);
      expect(c.headers['idempotent-replayed']).toBe('true');
      const d = await supertest(app).post('/v1/orders').set('Authorization', bearer(bob)).set('Idempotency-Key', 'redis-down').send(orderBody([{ sku: 'CMP-MOUSE-03', quantity: 3 }]));
      expect(d.status).toBe(422);
      expect(await count('select count(*)::int as n from orders where customer_id = ? and idempotency_key = ?', ['bob', 'redis-down'])).toBe(1);
    } finally {
      dead.disconnect();
    }
  });
});

describe('reading orders', () => {
  let confirmedId: string;
  beforeAll(async () => {
    confirmedId = (await place(alice, 'read-1', orderBody([{ sku: 'HOM-PAN-04', quantity: 1 }]), 'wait=15').expect(201)).body.id;
    await settled(alice, confirmedId); // CONFIRMED and captured: the representation is now stable
  });

  it('serves a strong ETag that is stable while nothing changes; If-None-Match → 304', async () => {
    const a = await getOrder(alice, confirmedId).expect(200);
    const b = await getOrder(alice, confirmedId).expect(200);
    expect(a.headers.etag).toMatch(/^"[^"]+"$/);
    expect(b.headers.etag).toBe(a.headers.etag);
    const nm = await getOrder(alice, confirmedId).set('If-None-Match', a.headers.etag).expect(304);
    expect(nm.headers.etag).toBe(a.headers.etag);
    await getOrder(alice, confirmedId).set('If-None-Match', '"something-else"').expect(200);
  });

  it('long-poll: 304 at the deadline when nothing changes, 200 as soon as the order changes', async () => {
    const etag = (await getOrder(alice, confirmedId)).headers.etag;
    let t = Date.now();
    const idle = await getOrder(alice, confirmedId).set('If-None-Match', etag).set('Prefer', 'wait=1').expect(304);
    expect(Date.now() - t).toBeGreaterThanOrEqual(950);
    expect(idle.headers['preference-applied']).toBe('wait=1');

    t = Date.now();
    const poll = getOrder(alice, confirmedId).set('If-None-Match', etag).set('Prefer', 'wait=20').then((r) => r);
    await new Promise((r) => setTimeout(r, 300));
    await f.http().post(`/v1/orders/${confirmedId}/cancel`).set('Authorization', bearer(ops)).send({ reason: 'customer called' }).expect(202);
    const changed = await poll;
    const elapsed = Date.now() - t;
    expect(changed.status).toBe(200);
    expect(elapsed).toBeLessThan(10_000);
    expect(changed.headers.etag).not.toBe(etag);
    // The first change a reader sees may be the refund (payment REFUNDED) or the order CANCELLED: both wake it.
    expect([changed.body.status, changed.body.payment.status]).not.toEqual(['CONFIRMED', 'CAPTURED']);
    const final = await settled(alice, confirmedId);
    expect(final.body).toEqual(expect.objectContaining({ status: 'CANCELLED', payment: expect.objectContaining({ status: 'REFUNDED' }) }));
    expect(final.headers.etag).not.toBe(etag);
  });

  it('long-poll wake-ups come from Redis pub/sub (not the slow re-check)', async () => {
    const app = f.adopt(createApp({ config: f.stack.config, orm: f.stack.orm, redis: f.stack.redis, redisSub: f.redisSub, temporal: f.stack.client, logger: f.stack.logger, metrics: f.stack.metrics, waitRecheckMs: 60_000 }));
    const id = (await place(bob, 'pubsub-1', orderBody([{ sku: 'CMP-KEYBOARD-02', quantity: 1 }]), 'wait=15').expect(201)).body.id;
    const etag = (await settled(bob, id)).headers.etag;
    const t = Date.now();
    const poll = supertest(app).get(`/v1/orders/${id}`).set('Authorization', bearer(bob)).set('If-None-Match', etag).set('Prefer', 'wait=25').then((r) => r);
    await new Promise((r) => setTimeout(r, 300));
    await f.http().post(`/v1/orders/${id}/cancel`).set('Authorization', bearer(ops)).send({ reason: 'pub/sub check' }).expect(202);
    const changed = await poll;
    expect(changed.status).toBe(200);
    expect(Date.now() - t).toBeLessThan(8000);
  });

  it('lists the caller’s orders newest first with cursor paging; ops/finance see all and filter by customer', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const res: supertest.Response = await f.http().get(`/v1/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`).set('Authorization', bearer(alice)).expect(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      for (const o of res.body.data) {
        expect(o.customerId).toBe('alice');
        all.push(o.id);
      }
      cursor = res.body.nextCursor;
    } while (cursor);
    const expected = await f.stack.orm.em.getConnection().execute<{ id: string }[]>("select id from orders where customer_id = 'alice' order by created_at desc, id desc");
    expect(all).toEqual(expected.map((r) => r.id));
    const confirmed = await f.http().get('/v1/orders?status=CONFIRMED&limit=100').set('Authorization', bearer(alice)).expect(200);
    expect(confirmed.body.data.every((o: { status: string }) => o.status === 'CONFIRMED')).toBe(true);
    const asOps = await f.http().get('/v1/orders?customerId=bob&limit=100').set('Authorization', bearer(ops)).expect(200);
    expect(asOps.body.data.length).toBeGreaterThan(0);
    expect(asOps.body.data.every((o: { customerId: string }) => o.customerId === 'bob')).toBe(true);
    const asFinance = await f.http().get('/v1/orders?limit=100').set('Authorization', bearer(finance)).expect(200);
    expect(new Set(asFinance.body.data.map((o: { customerId: string }) => o.customerId))).toEqual(new Set(['alice', 'bob']));
  });

  it('serves the timeline oldest first', async () => {
    const res = await f.http().get(`/v1/orders/${confirmedId}/events`).set('Authorization', bearer(alice)).expect(200);
    expect(res.body.nextCursor).toBeNull();
    const statuses = res.body.data.map((e: { status: string }) => e.status);
    expect(statuses[0]).toBe('PENDING');
    expect(statuses).toContain('CONFIRMED');
    expect(statuses[statuses.length - 1]).toBe('CANCELLED');
    const times = res.body.data.map((e: { at: string }) => Date.parse(e.at));
    expect([...times].sort((x, y) => x - y)).toEqual(times);
    const paged = await f.http().get(`/v1/orders/${confirmedId}/events?limit=1`).set('Authorization', bearer(alice)).expect(200);
    expect(paged.body.data).toEqual([res.body.data[0]]);
    const next = await f.http().get(`/v1/orders/${confirmedId}/events?limit=1&cursor=${paged.body.nextCursor}`).set('Authorization', bearer(alice)).expect(200);
    expect(next.body.data).toEqual([res.body.data[1]]);
  });
});

describe('cancelling and object-level authorization', () => {
  it('someone else’s order is a 404 on read, cancel and events; never in their list', async () => {
    const id = (await place(alice, 'bola-1', orderBody([{ sku: 'HOM-KETTLE-01', quantity: 1 }]), 'wait=15').expect(201)).body.id;
    const read = await getOrder(bob, id);
    expect({ status: read.status, code: read.body.code }).toEqual({ status: 404, code: 'not_found' });
    const cancel = await f.http().post(`/v1/orders/${id}/cancel`).set('Authorization', bearer(bob)).send({});
    expect({ status: cancel.status, code: cancel.body.code }).toEqual({ status: 404, code: 'not_found' });
    expect((await f.http().get(`/v1/orders/${id}/events`).set('Authorization', bearer(bob))).status).toBe(404);
    const list = await f.http().get('/v1/orders?limit=100').set('Authorization', bearer(bob)).expect(200);
    expect(list.body.data.map((o: { id: string }) => o.id)).not.toContain(id);
    // Unknown and non-UUID ids look exactly the same as someone else's.
    expect((await getOrder(bob, '00000000-0000-5000-8000-000000000000')).status).toBe(404);
    await getOrder(finance, id).expect(200);
    await getOrder(ops, id).expect(200);
    // Finance may read but not cancel.
    const byFinance = await f.http().post(`/v1/orders/${id}/cancel`).set('Authorization', bearer(finance)).send({});
    expect({ status: byFinance.status, code: byFinance.body.code }).toEqual({ status: 403, code: 'forbidden' });
    // The owner cannot cancel a CONFIRMED order.
    const late = await f.http().post(`/v1/orders/${id}/cancel`).set('Authorization', bearer(alice)).send({ reason: 'changed my mind' });
    expect({ status: late.status, code: late.body.code }).toEqual({ status: 409, code: 'order_not_cancellable' });
    expect((await getOrder(alice, id)).body.status).toBe('CONFIRMED');
  });

  it('the owner cancels an order awaiting 3-D Secure: CANCELLED, authorization voided; a second cancel is 409', async () => {
    const res = await place(bob, 'cancel-3ds', orderBody([{ sku: 'OUT-TENT-01', quantity: 1 }], 'pm_card_authenticationRequired'), 'wait=15').expect(201);
    expect(res.body.status).toBe('AWAITING_PAYMENT_ACTION');
    const cancel = await f.http().post(`/v1/orders/${res.body.id}/cancel`).set('Authorization', bearer(bob)).send({ reason: 'no phone' }).expect(202);
    expect(cancel.body.id).toBe(res.body.id);
    const done = await settled(bob, res.body.id);
    expect(done.body).toEqual(expect.objectContaining({ status: 'CANCELLED', failure: expect.objectContaining({ code: 'cancelled' }) }));
    expect(['VOIDED', 'FAILED']).toContain(done.body.payment.status);
    expect(await f.stack.sandbox.liveIntents(res.body.id)).toHaveLength(0);
    const again = await f.http().post(`/v1/orders/${res.body.id}/cancel`).set('Authorization', bearer(bob)).send({});
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 409, code: 'order_not_cancellable' });
    const [level] = await f.stack.orm.em.getConnection().execute<{ reserved: number }[]>("select sum(reserved)::int as reserved from inventory_levels where sku = 'OUT-TENT-01'");
    expect(level.reserved).toBe(0);
  });

  it('3-D Secure completed at the provider: the webhook reaches this app and the order confirms', async () => {
    const res = await place(alice, 'webhook-3ds', orderBody([{ sku: 'OUT-STOVE-05', quantity: 1 }], 'pm_card_authenticationRequired'), 'wait=15').expect(201);
    expect(res.body.status).toBe('AWAITING_PAYMENT_ACTION');
    const etag = res.headers.etag;
    const poll = getOrder(alice, res.body.id).set('If-None-Match', etag).set('Prefer', 'wait=20').then((r) => r);
    await f.stack.sandbox.authenticate(res.body.payment.reference, 'succeed');
    const changed = await poll;
    expect(changed.status).toBe(200);
    const done = await settled(alice, res.body.id);
    expect(done.body).toEqual(expect.objectContaining({ status: 'CONFIRMED', payment: expect.objectContaining({ status: 'CAPTURED' }) }));
    expect(await count("select count(*)::int as n from payment_events where order_id = ? and source = 'webhook'", [res.body.id])).toBeGreaterThan(0);
    const forged = await f.http().post('/v1/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', 't=1,v1=deadbeef').send('{"id":"evt_x","type":"payment_intent.succeeded"}');
    expect({ status: forged.status, code: forged.body.code }).toEqual({ status: 400, code: 'invalid_signature' });
  });

  it('metrics count accepted orders and idempotent replays', async () => {
    const text = (await f.http().get('/metrics').expect(200)).text;
    expect(text).toMatch(/orders_accepted_total\{[^}]*\} [1-9]/);
    expect(text).toMatch(/idempotent_replays_total\{[^}]*\} [1-9]/);
  });
});
