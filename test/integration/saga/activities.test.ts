// The checkout activities against real Postgres, Redis and the sandbox (through the real
// Stripe SDK): catalog pricing, idempotency under replays and lost responses, the
// legal-transition guard, notifications after commit, and Redis outages not failing steps.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/common';
import { seedDemoCatalog } from '../../../scripts/lib/demo-catalog.ts';
import { createLogger } from '../../../src/infra/logger.ts';
import { createMetrics } from '../../../src/infra/metrics.ts';
import { createRedis, orderChannel, type Redis } from '../../../src/infra/redis.ts';
import { createStripeProvider } from '../../../src/payments/stripe-provider.ts';
import { createOrderActivities } from '../../../activities/orders.ts';
import { createPaymentActivities } from '../../../activities/payments.ts';
import { createInventoryActivities } from '../../../activities/inventory.ts';
import { initOrm } from '../../../src/orm.ts';
import { TEST_DATABASE_URL } from '../../helpers/env.ts';
import type { ActivityDeps } from '../../../activities/deps.ts';
import { resetDatabase, testOrm } from '../../helpers/db.ts';
import { testConfig } from '../../helpers/env.ts';
import { startTestSandbox, type TestSandbox } from '../../helpers/sandbox.ts';
import { checkoutInput } from '../../helpers/stack.ts';
import { assertInvariants } from '../../helpers/invariants.ts';

let orm: MikroORM;
let sandbox: TestSandbox;
let redis: Redis;
let deps: ActivityDeps;
const config = testConfig();
const sql = <T = any>(q: string, p: unknown[] = []) => orm.em.getConnection().execute<T[]>(q, p);

beforeAll(async () => {
  orm = await testOrm();
  await resetDatabase(orm);
  await seedDemoCatalog(orm.em.fork());
  sandbox = await startTestSandbox();
  redis = createRedis(config.redis);
  const metrics = createMetrics('activities-test');
  deps = { orm, redis, config, metrics, logger: createLogger(config, 'activities-test'), provider: createStripeProvider(sandbox.stripeConfig(), { metrics }) };
}, 30_000);
afterAll(async () => {
  await redis?.quit();
  await sandbox?.close();
  await orm?.close();
});

const failureOf = async (p: Promise<unknown>): Promise<ApplicationFailure> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected an ApplicationFailure');
};

describe('orders activities', () => {
  it('recordOrder prices lines from the catalog, is idempotent, and reports unknown skus', async () => {
    const acts = createOrderActivities(deps);
    const input = checkoutInput({ lines: [{ sku: 'AUD-EARBUDS-02', quantity: 2 }, { sku: 'NOPE-404', quantity: 1 }] });
    const first = await acts.recordOrder(input);
    expect(first).toMatchObject({
      status: 'PENDING', currency: 'USD', totalAmount: 17800, unknownSkus: ['NOPE-404'], requestFingerprint: input.requestFingerprint,
      lines: [{ lineNo: 1, sku: 'AUD-EARBUDS-02', name: 'Wireless earbuds', quantity: 2, unitPrice: { amount: 8900, currency: 'USD' } }],
    });
    const [again] = await Promise.all([acts.recordOrder(input), acts.recordOrder(input)]);
    expect(again).toEqual(first);
    expect(await sql('select type, status from order_events where order_id = ?', [input.orderId])).toEqual([{ type: 'created', status: 'PENDING' }]);
    expect(await sql('select id from customers where id = ?', [input.customerId])).toHaveLength(1);
  });

  it('transitionOrder: legal moves write one event per dedupe key; illegal moves are non-retryable', async () => {
    const acts = createOrderActivities(deps);
    const input = checkoutInput({ lines: [{ sku: 'HOM-LAMP-03', quantity: 1 }] });
    await acts.recordOrder(input);
    const t = { orderId: input.orderId, to: 'REJECTED' as const, dedupeKey: 'to:REJECTED', failure: { code: 'out_of_stock', message: 'none left' } };
    expect(await acts.transitionOrder(t)).toMatchObject({ from: 'PENDING', status: 'REJECTED', changed: true });
    expect(await acts.transitionOrder(t)).toMatchObject({ status: 'REJECTED', changed: false });
    const f = await failureOf(acts.transitionOrder({ orderId: input.orderId, to: 'CONFIRMED', dedupeKey: 'to:CONFIRMED' }));
    expect(f).toMatchObject({ type: 'IllegalTransition', nonRetryable: true });
    expect(await sql('select type, from_status, status from order_events where order_id = ? order by id', [input.orderId])).toEqual([
      { type: 'created', from_status: null, status: 'PENDING' },
      { type: 'status_changed', from_status: 'PENDING', status: 'REJECTED' },
    ]);
    expect((await sql('select failure_code, settled_at from orders where id = ?', [input.orderId]))[0]).toMatchObject({ failure_code: 'out_of_stock', settled_at: expect.anything() });
  });

  it('publishes order changes on Redis after commit, and a Redis outage does not fail the step', async () => {
    const input = checkoutInput({ lines: [{ sku: 'HOM-LAMP-03', quantity: 1 }] });
    await createOrderActivities(deps).recordOrder(input);
    const sub = createRedis(config.redis);
    const got = new Promise<string>((resolve) => sub.on('message', (_ch: string, msg: string) => resolve(msg)));
    await sub.subscribe(orderChannel(config.redis, input.orderId));
    await createOrderActivities(deps).transitionOrder({ orderId: input.orderId, to: 'AWAITING_PAYMENT_ACTION', dedupeKey: 'to:AWAITING_PAYMENT_ACTION' });
    expect(JSON.parse(await got)).toEqual({ orderId: input.orderId, status: 'AWAITING_PAYMENT_ACTION' });
    await sub.quit();

    const deadRedis = createRedis({ url: 'redis://127.0.0.1:1/0', keyPrefix: 'test:' });
    deadRedis.on('error', () => undefined);
    try {
      const acts = createOrderActivities({ ...deps, redis: deadRedis });
      const started = Date.now();
      expect(await acts.transitionOrder({ orderId: input.orderId, to: 'PAYMENT_FAILED', dedupeKey: 'to:PAYMENT_FAILED' })).toMatchObject({ changed: true });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      deadRedis.disconnect();
    }
  });

  it('confirmOrder commits the reservation and confirms in one transaction, once', async () => {
    const input = checkoutInput({ lines: [{ sku: 'OUT-TENT-01', quantity: 2 }] });
    const orders = createOrderActivities(deps);
    const recorded = await orders.recordOrder(input);
    await createInventoryActivities(deps).reserveStock({ orderId: input.orderId, lines: recorded.lines });
    const before = await sql<{ on_hand: number; reserved: number }>(`select sum(on_hand)::int as on_hand, sum(reserved)::int as reserved from inventory_levels where sku = 'OUT-TENT-01'`);
    expect(await orders.confirmOrder({ orderId: input.orderId })).toMatchObject({ status: 'CONFIRMED', changed: true, committedUnits: 2 });
    expect(await orders.confirmOrder({ orderId: input.orderId })).toMatchObject({ status: 'CONFIRMED', changed: false, committedUnits: 0 });
    const after = await sql<{ on_hand: number; reserved: number }>(`select sum(on_hand)::int as on_hand, sum(reserved)::int as reserved from inventory_levels where sku = 'OUT-TENT-01'`);
    expect(after[0]).toEqual({ on_hand: before[0].on_hand - 2, reserved: before[0].reserved - 2 });
  });
});

describe('finding 7: money that cannot be charged, or data the database refuses, is never retried for ever', () => {
  it('finding 7: 50 lines × 1000 of the dearest product (order recorded by the workflow) fail for good as InvalidOrder amount_too_large; nothing written', async () => {
    const [dearest] = await sql<{ sku: string; price_amount: number }>('select sku, price_amount from products where active order by price_amount desc limit 1');
    const input = checkoutInput({ lines: Array.from({ length: 50 }, () => ({ sku: dearest.sku, quantity: 1000 })) });
    expect(50 * 1000 * dearest.price_amount).toBeGreaterThan(2 ** 31);
    const f = await failureOf(createOrderActivities(deps).recordOrder(input));
    expect(f).toMatchObject({ type: 'InvalidOrder', nonRetryable: true });
    expect(f.details?.[0]).toEqual({ code: 'amount_too_large' });
    expect(await sql('select id from orders where id = ?', [input.orderId])).toEqual([]);
  });

  it('finding 7: a deterministic database error (a check constraint) is non-retryable InvalidData, not an endless retry', async () => {
    const input = checkoutInput({ lines: [{ sku: 'HOM-LAMP-03', quantity: 1001 }] });
    const f = await failureOf(createOrderActivities(deps).recordOrder(input));
    expect(f).toMatchObject({ type: 'InvalidData', nonRetryable: true });
    expect(f.details?.[0]).toEqual({ sqlState: '23514' });
  });

  it('finding 7: the database itself refuses an order total no card payment can take', async () => {
    const input = checkoutInput({ lines: [{ sku: 'HOM-LAMP-03', quantity: 1 }] });
    await createOrderActivities(deps).recordOrder(input);
    await expect(sql('update orders set total_amount = 100000000 where id = ?', [input.orderId])).rejects.toMatchObject({ code: '23514' });
  });
});

describe('finding 2: below the API, a line is never priced in another currency than its order', () => {
  beforeAll(async () => {
    await sql(`insert into products (sku, name, description, price_amount, currency, category, brand, active)
      select 'BOK-EURO-09', 'Euro edition', 'Priced in euros.', 5000, 'EUR', category, brand, true from products where sku = 'BOK-SAGAS-02'
      on conflict (sku) do nothing`);
  });

  it('finding 2: an order recorded by the workflow with a USD and a EUR item fails for good (mixed_currency); nothing written', async () => {
    const input = checkoutInput({ lines: [{ sku: 'BOK-SYSTEMS-01', quantity: 1 }, { sku: 'BOK-EURO-09', quantity: 1 }] });
    const f = await failureOf(createOrderActivities(deps).recordOrder(input));
    expect(f).toMatchObject({ type: 'InvalidOrder', nonRetryable: true });
    expect(f.details?.[0]).toEqual({ code: 'mixed_currency' });
    expect(await sql('select id from orders where id = ?', [input.orderId])).toEqual([]);
  });

  it('finding 2: the database refuses an order line in another currency than its order', async () => {
    const input = checkoutInput({ lines: [{ sku: 'BOK-SYSTEMS-01', quantity: 1 }] });
    await createOrderActivities(deps).recordOrder(input);
    await expect(sql(`insert into order_items (order_id, line_no, sku, name, quantity, unit_price_amount, currency) values (?, 2, 'BOK-EURO-09', 'Euro edition', 1, 5000, 'EUR')`, [input.orderId]))
      .rejects.toMatchObject({ code: '23503' });
  });
});

describe('finding 5: a late ("zombie") reserveStock attempt never holds stock for a settled order', () => {
  it('finding 5: reserveStock for an order REJECTED meanwhile fails for good (OrderNotPending) and reserves nothing', async () => {
    const sku = 'OUT-TENT-01';
    const input = checkoutInput({ lines: [{ sku, quantity: 1 }] });
    const recorded = await createOrderActivities(deps).recordOrder(input);
    const reservedBefore = (await sql<{ n: number }>('select sum(reserved)::int as n from inventory_levels where sku = ?', [sku]))[0].n;
    // Attempt 2 failed out of stock and the order was rejected; attempt 1 only now gets its connection.
    await createOrderActivities(deps).transitionOrder({ orderId: input.orderId, to: 'REJECTED', dedupeKey: 'to:REJECTED', failure: { code: 'out_of_stock', message: 'none left' } });
    const f = await failureOf(createInventoryActivities(deps).reserveStock({ orderId: input.orderId, lines: recorded.lines }));
    expect(f).toMatchObject({ type: 'OrderNotPending', nonRetryable: true });
    expect(await sql('select state from reservations where order_id = ?', [input.orderId])).toEqual([]);
    expect((await sql<{ n: number }>('select sum(reserved)::int as n from inventory_levels where sku = ?', [sku]))[0].n).toBe(reservedBefore);
    await assertInvariants({ orm, sandbox, orderIds: [input.orderId] });
  });

  it('finding 5: a query waiting for a full pool fails within the acquire timeout instead of waiting for ever', async () => {
    const small = await initOrm({ url: TEST_DATABASE_URL, poolMax: 1, acquireTimeoutMs: 300 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const holding = small.em.fork().transactional(async (tx) => {
      await tx.getConnection().execute('select 1', [], 'all', tx.getTransactionContext());
      await held;
    });
    try {
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      const waited = small.em.fork().getConnection().execute('select 1');
      const outcome = await Promise.race([
        waited.then(() => 'answered', (err: Error) => `failed: ${err.message}`),
        new Promise<string>((r) => setTimeout(() => r('still waiting'), 5000)),
      ]);
      expect(outcome).toMatch(/^failed: .*timeout/i);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      release();
      await holding;
      await small.close();
    }
  });
});

describe('payments activities', () => {
  const order = async (pm = 'pm_card_visa') => {
    const input = checkoutInput({ lines: [{ sku: 'BOK-SAGAS-02', quantity: 1 }], paymentMethod: pm });
    const r = await createOrderActivities(deps).recordOrder(input);
    return { orderId: input.orderId, customerId: input.customerId, amount: r.totalAmount, currency: r.currency, paymentMethod: pm };
  };

  it('authorize is idempotent by order: a replay returns the same intent and adds no ledger row', async () => {
    const acts = createPaymentActivities(deps);
    const req = await order();
    const a = await acts.authorizePayment(req);
    const b = await acts.authorizePayment(req);
    expect(b).toEqual(a);
    expect(a).toMatchObject({ outcome: 'authorized', providerStatus: 'requires_capture' });
    expect(await sandbox.intents({ orderId: req.orderId })).toHaveLength(1);
    expect(await sql('select provider_event_id, source from payment_events where order_id = ?', [req.orderId])).toEqual([{ provider_event_id: `${a.paymentIntentId}:authorize`, source: 'api_call' }]);
    expect((await sql('select status, provider_reference from payments where order_id = ?', [req.orderId]))[0]).toEqual({ status: 'AUTHORIZED', provider_reference: a.paymentIntentId });
  });

  it('a response lost after the charge: the retry (same key) gets the same intent — one charge', async () => {
    const acts = createPaymentActivities(deps);
    const req = await order();
    await sandbox.setFaults({ dropNext: 1, matching: { method: 'POST', path: '/v1/payment_intents' } });
    // Either the provider recovers within the call, or the call fails retryably and Temporal retries it.
    const first = await acts.authorizePayment(req).catch((err: unknown) => err);
    if (first instanceof Error) expect(first).toMatchObject({ name: 'PaymentProviderError', retryable: true });
    await sandbox.clearFaults();
    const r = await acts.authorizePayment(req);
    expect(r.outcome).toBe('authorized');
    if (!(first instanceof Error)) expect(r).toEqual(first);
    expect(await sandbox.intents({ orderId: req.orderId })).toHaveLength(1);
  });

  it('a decline is a non-retryable PaymentDeclined carrying the code; the payment is FAILED', async () => {
    const req = await order('pm_card_chargeDeclinedInsufficientFunds');
    const f = await failureOf(createPaymentActivities(deps).authorizePayment(req));
    expect(f).toMatchObject({ type: 'PaymentDeclined', nonRetryable: true });
    expect(f.details?.[0]).toMatchObject({ code: 'insufficient_funds' });
    expect((await sql('select status, failure_code from payments where order_id = ?', [req.orderId]))[0]).toEqual({ status: 'FAILED', failure_code: 'insufficient_funds' });
  });

  it('void finds the intent by order when the reference is unknown, and is a no-op when there is nothing to void', async () => {
    const acts = createPaymentActivities(deps);
    const req = await order();
    await acts.authorizePayment(req);
    expect(await acts.voidPayment({ orderId: req.orderId })).toMatchObject({ outcome: 'voided', providerStatus: 'canceled' });
    expect(await acts.voidPayment({ orderId: req.orderId })).toMatchObject({ outcome: 'noop' });
    expect((await sql('select status from payments where order_id = ?', [req.orderId]))[0]).toEqual({ status: 'VOIDED' });
    const never = await order();
    expect(await acts.voidPayment({ orderId: never.orderId })).toEqual({ outcome: 'noop' });
    expect(await acts.voidPayment({ orderId: randomUUID() })).toEqual({ outcome: 'noop' });
  });

  describe('finding 1: money calls are provider-truth first, not trusting the 24 h idempotency key', () => {
    it('finding 1: a stored 500 on authorize, then the key forgotten (24 h later or a reset) — still one intent, one charge', async () => {
      const acts = createPaymentActivities(deps);
      const req = await order();
      // The intent is created, but the key's stored answer is a 500 that every replay repeats.
      await sandbox.setFaults({ storedErrorNext: 1, matching: { method: 'POST', path: '/v1/payment_intents' } });
      const first = await acts.authorizePayment(req).catch((err: unknown) => err);
      await sandbox.clearFaults();
      // Outcome unknown → read the provider: the intent exists, so the attempt adopts it.
      expect(first).toMatchObject({ outcome: 'authorized', providerStatus: 'requires_capture' });
      const again = await acts.authorizePayment(req);
      expect(again).toEqual(first);
      // The provider forgets the key: a retry (or a workflow reset to before authorize) must not create a second intent.
      await sandbox.forgetIdempotencyKeys();
      const afterForget = await acts.authorizePayment(req);
      expect(afterForget.paymentIntentId).toBe((first as { paymentIntentId: string }).paymentIntentId);
      expect(await sandbox.intents({ orderId: req.orderId })).toHaveLength(1);
      const captured = await acts.capturePayment({ orderId: req.orderId, paymentIntentId: afterForget.paymentIntentId, amount: req.amount });
      expect(captured).toMatchObject({ paymentStatus: 'CAPTURED', amountReceived: req.amount });
      // The ledger is keyed by intent: its rows name the intent, not only the order.
      const ledger = await sql<{ provider_event_id: string }>('select provider_event_id from payment_events where order_id = ? order by id', [req.orderId]);
      expect(ledger.map((r) => r.provider_event_id)).toEqual([`${afterForget.paymentIntentId}:authorize`, `${afterForget.paymentIntentId}:capture`]);
      expect((await sql('select status, provider_reference, captured_amount from payments where order_id = ?', [req.orderId]))[0]).toEqual({ status: 'CAPTURED', provider_reference: afterForget.paymentIntentId, captured_amount: req.amount });
      await assertInvariants({ orm, sandbox, orderIds: [req.orderId] });
    });

    it('finding 1: a capture re-driven after its key expired reads the intent instead of failing (no false capture_failed)', async () => {
      const acts = createPaymentActivities(deps);
      const req = await order();
      const a = await acts.authorizePayment(req);
      await acts.capturePayment({ orderId: req.orderId, paymentIntentId: a.paymentIntentId, amount: req.amount });
      await sandbox.forgetIdempotencyKeys();
      expect(await acts.capturePayment({ orderId: req.orderId, paymentIntentId: a.paymentIntentId, amount: req.amount })).toMatchObject({ paymentStatus: 'CAPTURED', amountReceived: req.amount });
      // A stored 500 on capture: the retry replays it; reading the intent shows the capture happened.
      const b = await acts.authorizePayment(await order().then((o) => ({ ...o })));
      const bOrder = (await sql<{ order_id: string }>('select order_id from payments where provider_reference = ?', [b.paymentIntentId]))[0].order_id;
      await sandbox.setFaults({ storedErrorNext: 1, matching: { method: 'POST', path: `/v1/payment_intents/${b.paymentIntentId}/capture` } });
      const firstTry = await acts.capturePayment({ orderId: bOrder, paymentIntentId: b.paymentIntentId, amount: req.amount }).catch((err: unknown) => err);
      await sandbox.clearFaults();
      expect(firstTry).toMatchObject({ paymentStatus: 'CAPTURED' });
      expect(await acts.capturePayment({ orderId: bOrder, paymentIntentId: b.paymentIntentId, amount: req.amount })).toMatchObject({ paymentStatus: 'CAPTURED' });
      await assertInvariants({ orm, sandbox, orderIds: [req.orderId, bOrder] });
    });

    it('finding 1: one refund key per refund — a second partial refund is a new refund, each in the ledger by its id', async () => {
      const acts = createPaymentActivities(deps);
      const req = await order();
      const a = await acts.authorizePayment(req);
      await acts.capturePayment({ orderId: req.orderId, paymentIntentId: a.paymentIntentId, amount: req.amount });
      const r1 = await acts.refundPayment({ orderId: req.orderId, paymentIntentId: a.paymentIntentId, amount: 1000 });
      const r2 = await acts.refundPayment({ orderId: req.orderId, paymentIntentId: a.paymentIntentId });
      expect(r1.refundId).toBeDefined();
      expect(r2.refundId).toBeDefined();
      expect(r2.refundId).not.toBe(r1.refundId);
      const [intent] = await sandbox.intents({ orderId: req.orderId });
      expect(intent).toMatchObject({ amount_received: req.amount, amount_refunded: req.amount });
      const ledger = (await sql<{ provider_event_id: string }>('select provider_event_id from payment_events where order_id = ? order by id', [req.orderId])).map((r) => r.provider_event_id);
      expect(ledger).toEqual(expect.arrayContaining([`${r1.refundId}:refund`, `${r2.refundId}:refund`]));
      expect((await sql('select status, captured_amount, refunded_amount from payments where order_id = ?', [req.orderId]))[0]).toEqual({ status: 'REFUNDED', captured_amount: req.amount, refunded_amount: req.amount });
      await assertInvariants({ orm, sandbox, orderIds: [req.orderId] });
    });
  });

  it('capture then refund keep payments in step with the provider (captured − refunded)', async () => {
    const acts = createPaymentActivities(deps);
    const req = await order();
    const a = await acts.authorizePayment(req);
    expect(await acts.capturePayment({ orderId: req.orderId, paymentIntentId: a.paymentIntentId, amount: req.amount })).toMatchObject({ paymentStatus: 'CAPTURED', amountReceived: req.amount });
    expect(await acts.capturePayment({ orderId: req.orderId, paymentIntentId: a.paymentIntentId, amount: req.amount })).toMatchObject({ paymentStatus: 'CAPTURED' });
    expect(await acts.refundPayment({ orderId: req.orderId, paymentIntentId: a.paymentIntentId })).toMatchObject({ outcome: 'refunded', amountRefunded: req.amount });
    expect(await acts.refundPayment({ orderId: req.orderId, paymentIntentId: a.paymentIntentId })).toMatchObject({ outcome: 'refunded' });
    const [intent] = await sandbox.intents({ orderId: req.orderId });
    expect(intent).toMatchObject({ amount_received: req.amount, amount_refunded: req.amount });
    expect(intent.refunds).toHaveLength(1);
    expect((await sql('select status, captured_amount, refunded_amount from payments where order_id = ?', [req.orderId]))[0]).toEqual({ status: 'REFUNDED', captured_amount: req.amount, refunded_amount: req.amount });
  });
});
