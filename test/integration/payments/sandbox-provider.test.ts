// The Stripe provider (real `stripe` SDK) against the payment sandbox over HTTP:
// the shared provider contract plus what only the sandbox lets us provoke — concurrent
// same-key creates, lost responses, outages, expiry, 3-D Secure, signed webhooks.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Stripe from 'stripe';
import { createMetrics } from '../../../src/infra/metrics.ts';
import { PaymentProviderError } from '../../../src/payments/provider.ts';
import { createStripeProvider, type StripePaymentProvider } from '../../../src/payments/stripe-provider.ts';
import { startSandbox } from '../../../sandbox/server.ts';
import { TEST_DATABASE_URL } from '../../helpers/env.ts';
import { startTestSandbox, TEST_WEBHOOK_SECRET, type TestSandbox } from '../../helpers/sandbox.ts';
import { definePaymentProviderContract } from './provider-contract.ts';

interface Received {
  body: string;
  signature: string | undefined;
}

/** A tiny webhook endpoint that records what it got and can be told to fail. */
async function webhookSink(): Promise<{ url: string; received: Received[]; failNext: { n: number }; close: () => Promise<void> }> {
  const received: Received[] = [];
  const failNext = { n: 0 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (failNext.n > 0) {
        failNext.n -= 1;
        res.statusCode = 503;
        res.end();
        return;
      }
      received.push({ body, signature: req.headers['stripe-signature'] as string | undefined });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    failNext,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const newOrder = () => ({ orderId: randomUUID(), customerId: 'cus-1' });
const req = (o: { orderId: string; customerId: string }, paymentMethod = 'pm_card_visa', amount = 4200) => ({ ...o, amount, currency: 'EUR', paymentMethod, idempotencyKey: `order-${o.orderId}:authorize` });

let sb: TestSandbox;
let sink: Awaited<ReturnType<typeof webhookSink>>;
let provider: StripePaymentProvider;
const metrics = createMetrics('test-payments');

beforeAll(async () => {
  sink = await webhookSink();
  sb = await startTestSandbox({ webhookUrl: sink.url });
  provider = createStripeProvider(sb.stripeConfig(), { metrics });
});
afterAll(async () => {
  await sb?.close();
  await sink?.close();
});
beforeEach(async () => {
  await sb.clearFaults();
});

describe('Stripe provider against the sandbox', () => {
  definePaymentProviderContract({ provider: () => provider });

  it('50 concurrent creates with one idempotency key make exactly one PaymentIntent', async () => {
    const o = newOrder();
    const results = await Promise.all(Array.from({ length: 50 }, () => provider.authorize(req(o))));
    const ids = new Set(results.map((r) => (r.kind === 'authorized' ? r.intent.id : r.kind)));
    expect([...ids]).toHaveLength(1);
    const intents = await sb.intents({ orderId: o.orderId });
    expect(intents).toHaveLength(1);
    expect(intents[0]).toMatchObject({ status: 'requires_capture', amount: 4200, currency: 'eur', metadata: { order_id: o.orderId, customer_id: 'cus-1' } });
  });

  it('replays the stored response with Idempotent-Replayed: true (raw SDK)', async () => {
    const stripe = new Stripe('sk_test_x', { host: '127.0.0.1', port: sb.port, protocol: 'http', maxNetworkRetries: 0 });
    const params = { amount: 1500, currency: 'usd', capture_method: 'manual' as const, payment_method: 'pm_card_visa', confirm: true, automatic_payment_methods: { enabled: true, allow_redirects: 'never' as const } };
    const key = `raw-${randomUUID()}`;
    const a = await stripe.paymentIntents.create(params, { idempotencyKey: key });
    const b = await stripe.paymentIntents.create(params, { idempotencyKey: key });
    expect(b.id).toBe(a.id);
    expect(a.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(b.lastResponse.headers['idempotent-replayed']).toBe('true');
    const err = await stripe.paymentIntents.create({ ...params, amount: 1600 }, { idempotencyKey: key }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect((err as Stripe.errors.StripeError).statusCode).toBe(400);
  });

  it('a dropped response (operation committed, no answer) retried with the same key yields one authorization', async () => {
    const o = newOrder();
    // The SDK retries a closed connection once by itself; drop both attempts.
    await sb.setFaults({ dropNext: 2, matching: { method: 'POST', path: '/v1/payment_intents' } });
    const err = await provider.authorize(req(o)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PaymentProviderError);
    expect(err).toMatchObject({ retryable: true, code: 'provider_unreachable' });
    expect(await sb.intents({ orderId: o.orderId })).toHaveLength(1); // the charge was made
    // The activity's retry (a new call) uses the same key derived from the order.
    const out = await provider.authorize(req(o));
    expect(out.kind).toBe('authorized');
    const intents = await sb.intents({ orderId: o.orderId });
    expect(intents).toHaveLength(1);
    expect(out.kind === 'authorized' && out.intent.id).toBe(intents[0].id);
    expect(await sb.liveIntents(o.orderId)).toHaveLength(1);
  });

  it('with SDK retries a single dropped response is invisible to the caller', async () => {
    const retrying = createStripeProvider(sb.stripeConfig({ maxNetworkRetries: 2 }));
    const o = newOrder();
    await sb.setFaults({ dropNext: 1, matching: { path: '/v1/payment_intents' } });
    const out = await retrying.authorize(req(o));
    expect(out.kind).toBe('authorized');
    expect(await sb.intents({ orderId: o.orderId })).toHaveLength(1);
  });

  it('5xx and 429 are retryable; nothing is created', async () => {
    const o = newOrder();
    await sb.setFaults({ errorNext: 1 });
    await expect(provider.authorize(req(o))).rejects.toMatchObject({ retryable: true, httpStatus: 500 });
    await sb.setFaults({ rateLimitNext: 1 });
    await expect(provider.authorize(req(o))).rejects.toMatchObject({ retryable: true, code: 'rate_limited', httpStatus: 429 });
    expect(await sb.intents({ orderId: o.orderId })).toHaveLength(0);
    expect((await provider.authorize(req(o))).kind).toBe('authorized');
  });

  it('a Stripe-like request rate limit answers 429 (retryable) beyond the configured rate', async () => {
    await sb.setRateLimit(5);
    try {
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => provider.listEvents({ createdGte: 0, limit: 1 })));
      const limited = results.filter((r) => r.status === 'rejected');
      expect(limited.length).toBeGreaterThanOrEqual(1);
      for (const r of limited) expect((r as PromiseRejectedResult).reason).toMatchObject({ retryable: true, code: 'rate_limited' });
    } finally {
      await sb.setRateLimit(0);
    }
  });

  it('an unreachable provider is a retryable provider_unreachable', async () => {
    const dead = createStripeProvider({ ...sb.stripeConfig(), apiBase: 'http://127.0.0.1:1' });
    await expect(dead.retrieve('pi_x')).rejects.toMatchObject({ retryable: true, code: 'provider_unreachable' });
  });

  it('latency fault delays answers', async () => {
    await sb.setFaults({ latencyMs: 300, matching: { method: 'GET' } });
    const started = Date.now();
    await provider.listEvents({ createdGte: 0, limit: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('records provider call metrics by operation and outcome', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/payment_provider_call_duration_seconds_count\{[^}]*operation="authorize",outcome="authorized"[^}]*\} [1-9]/);
    expect(text).toMatch(/operation="authorize",outcome="declined"/);
  });

  it('an expired authorization becomes canceled (automatic) and cannot be captured', async () => {
    const o = newOrder();
    const out = await provider.authorize(req(o));
    if (out.kind !== 'authorized') throw new Error('expected authorized');
    await sb.setAuthorizationExpiry(200);
    try {
      await new Promise((r) => setTimeout(r, 250));
      expect(await provider.retrieve(out.intent.id)).toMatchObject({ status: 'canceled', cancellationReason: 'automatic', amountCapturable: 0 });
      await expect(provider.capture(out.intent.id, { idempotencyKey: `order-${o.orderId}:capture` })).rejects.toMatchObject({ code: 'payment_intent_unexpected_state', retryable: false });
      const events = await sb.events({ orderId: o.orderId, type: 'payment_intent.canceled' });
      expect(events).toHaveLength(1);
      expect(events[0].data.data.object.cancellation_reason).toBe('automatic');
      // The activity retrying authorize after expiry learns the current state, not the stale replay.
      expect(await provider.authorize(req(o))).toMatchObject({ kind: 'declined', code: 'authorization_expired' });
    } finally {
      await sb.setAuthorizationExpiry(7 * 86_400_000);
    }
  });

  it('3-D Secure: succeed → requires_capture with amount_capturable_updated; fail → payment_failed', async () => {
    const ok = newOrder();
    const a = await provider.authorize(req(ok, 'pm_card_authenticationRequired'));
    expect(a.kind).toBe('requires_action');
    const piOk = a.kind === 'requires_action' ? a.intent.id : '';
    expect((await sb.authenticate(piOk, 'succeed')).status).toBe('requires_capture');
    expect(await provider.retrieve(piOk)).toMatchObject({ status: 'requires_capture', amountCapturable: 4200 });
    // The activity retried after the customer authenticated sees the authorization.
    expect((await provider.authorize(req(ok, 'pm_card_authenticationRequired'))).kind).toBe('authorized');

    const bad = newOrder();
    const b = await provider.authorize(req(bad, 'pm_card_authenticationRequired'));
    const piBad = b.kind === 'requires_action' ? b.intent.id : '';
    expect((await sb.authenticate(piBad, 'fail')).status).toBe('requires_payment_method');
    expect(await provider.authorize(req(bad, 'pm_card_authenticationRequired'))).toMatchObject({ kind: 'declined', code: 'payment_action_failed' });

    expect((await sb.events({ orderId: ok.orderId })).map((e) => e.type)).toEqual(['payment_intent.created', 'payment_intent.requires_action', 'payment_intent.amount_capturable_updated']);
    expect((await sb.events({ orderId: bad.orderId })).map((e) => e.type)).toEqual(['payment_intent.created', 'payment_intent.requires_action', 'payment_intent.payment_failed']);
  });

  it('findByOrder finds the live intent created for an order', async () => {
    const o = newOrder();
    await provider.authorize(req(o, 'pm_card_chargeDeclined'));
    await provider.authorize({ ...req(o), idempotencyKey: `order-${o.orderId}:authorize-2` });
    const found = await provider.findByOrder(o.orderId);
    expect(found).toMatchObject({ status: 'requires_capture', orderId: o.orderId });
    expect(await provider.findByOrder(randomUUID())).toBeUndefined();
  });

  it('findByOrder still finds an intent that search does not see yet (search index lag)', async () => {
    const o = newOrder();
    const out = await provider.authorize(req(o));
    await sb.setSearchLag(60_000);
    try {
      expect(await provider.findByOrder(o.orderId)).toMatchObject({ id: out.kind === 'authorized' ? out.intent.id : '', status: 'requires_capture' });
      expect(await provider.findByOrder(randomUUID())).toBeUndefined();
    } finally {
      await sb.setSearchLag(0);
    }
  });

  it('lists intents, refunds and events by created window with cursor pagination', async () => {
    const since = Math.floor(Date.now() / 1000);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const out = await provider.authorize(req(newOrder()));
      if (out.kind === 'authorized') ids.push(out.intent.id);
    }
    await provider.capture(ids[0], { idempotencyKey: `cap-${ids[0]}` });
    await provider.refund(ids[0], { amount: 100, idempotencyKey: `ref-${ids[0]}` });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const p = await provider.listPaymentIntents({ createdGte: since, limit: 2, startingAfter: cursor });
      seen.push(...p.data.map((i) => i.id));
      if (!p.hasMore) break;
      cursor = p.nextCursor;
    }
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(new Set(seen).size).toBe(seen.length);
    const listed = (await provider.listPaymentIntents({ createdGte: since, limit: 100 })).data.find((i) => i.id === ids[0]);
    expect(listed).toMatchObject({ amountReceived: 4200, amountRefunded: 100 });
    expect((await provider.listPaymentIntents({ createdGte: since + 3600 })).data).toEqual([]);
    const refunds = await provider.listRefunds({ createdGte: since });
    expect(refunds.data.map((r) => r.paymentIntentId)).toContain(ids[0]);
    const events = await provider.listEvents({ createdGte: since, limit: 100 });
    expect(events.data.map((e) => e.type)).toEqual(expect.arrayContaining(['payment_intent.created', 'payment_intent.amount_capturable_updated', 'payment_intent.succeeded', 'refund.created', 'charge.refunded']));
    expect(events.data.find((e) => e.type === 'charge.refunded')?.paymentIntentId).toBe(ids[0]);
  });

  it('delivers webhooks in the background, signed so that stripe.webhooks.constructEvent accepts them, retrying failures', async () => {
    sink.failNext.n = 2;
    const o = newOrder();
    const out = await provider.authorize(req(o));
    const pi = out.kind === 'authorized' ? out.intent.id : '';
    await provider.void(pi, { idempotencyKey: `order-${o.orderId}:void` });
    const forOrder = () => sink.received.map((r) => Stripe.webhooks.constructEvent(r.body, r.signature!, TEST_WEBHOOK_SECRET)).filter((e) => (e.data.object as { metadata?: Record<string, string> }).metadata?.order_id === o.orderId);
    const events = await until(forOrder, (e) => e.length >= 3);
    expect(events.map((e) => e.type).sort()).toEqual(['payment_intent.amount_capturable_updated', 'payment_intent.canceled', 'payment_intent.created']);
    const records = await sb.events({ orderId: o.orderId });
    expect(records.every((r) => r.delivery === 'delivered')).toBe(true);
    expect(Math.max(...records.map((r) => r.attempts))).toBeGreaterThanOrEqual(2);
    expect(() => Stripe.webhooks.constructEvent(sink.received[0].body, sink.received[0].signature!, 'whsec_wrong')).toThrow();
  });

  it('suppressed webhooks are recorded and listed but not delivered until re-queued', async () => {
    await sb.setWebhooks(false);
    const o = newOrder();
    try {
      await provider.authorize(req(o));
    } finally {
      await sb.setWebhooks(true);
    }
    const records = await sb.events({ orderId: o.orderId });
    expect(records.map((r) => r.delivery)).toEqual(['suppressed', 'suppressed']);
    await new Promise((r) => setTimeout(r, 200));
    const delivered = () => sink.received.filter((r) => r.body.includes(o.orderId)).length;
    expect(delivered()).toBe(0);
    expect(await sb.redeliver({ orderId: o.orderId })).toBe(2);
    await until(delivered, (n) => n === 2);
  });
});

describe('sandbox persistence and startup', () => {
  it('keeps its state across a restart (same schema)', async () => {
    const schema = 'sandbox_restart_test';
    const first = await startSandbox({ port: 0, databaseUrl: TEST_DATABASE_URL, webhookSecret: TEST_WEBHOOK_SECRET, schema, fresh: true });
    const p1 = createStripeProvider({ secretKey: 'sk_test_x', apiBase: first.url, webhookSecret: TEST_WEBHOOK_SECRET, maxNetworkRetries: 0, timeoutMs: 5000 });
    const o = newOrder();
    const out = await p1.authorize(req(o));
    await first.close();
    const second = await startSandbox({ port: 0, databaseUrl: TEST_DATABASE_URL, webhookSecret: TEST_WEBHOOK_SECRET, schema });
    try {
      const p2 = createStripeProvider({ secretKey: 'sk_test_x', apiBase: second.url, webhookSecret: TEST_WEBHOOK_SECRET, maxNetworkRetries: 0, timeoutMs: 5000 });
      const again = await p2.authorize(req(o));
      expect(again.kind === 'authorized' && out.kind === 'authorized' && again.intent.id === out.intent.id).toBe(true);
      expect(await p2.findByOrder(o.orderId)).toMatchObject({ status: 'requires_capture' });
    } finally {
      await second.close();
    }
  });

  it('fails with a clear message when the port is taken or Postgres is unreachable', async () => {
    await expect(startSandbox({ port: sb.port, databaseUrl: TEST_DATABASE_URL, webhookSecret: 'x' })).rejects.toThrow(/already in use/);
    await expect(startSandbox({ port: 0, databaseUrl: 'postgres://postgres@127.0.0.1:1/none', webhookSecret: 'x' })).rejects.toThrow(/cannot prepare its Postgres schema/);
  });

  it('answers Stripe-shaped errors for bad requests and a missing API key', async () => {
    const noKey = await fetch(`${sb.url}/v1/payment_intents`);
    expect(noKey.status).toBe(401);
    const bad = await fetch(`${sb.url}/v1/payment_intents`, { method: 'POST', headers: { authorization: 'Bearer sk_test_x', 'content-type': 'application/x-www-form-urlencoded' }, body: 'amount=abc&currency=usd' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'parameter_invalid_integer', param: 'amount' } });
    const unknown = await fetch(`${sb.url}/v1/payment_intents`, { method: 'POST', headers: { authorization: 'Bearer sk_test_x' }, body: new URLSearchParams({ amount: '100', currency: 'usd', bogus: '1' }) });
    expect(await unknown.json()).toMatchObject({ error: { code: 'parameter_unknown', param: 'bogus' } });
    const missing = await fetch(`${sb.url}/v1/payment_intents/pi_nope`, { headers: { authorization: 'Bearer sk_test_x' } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'resource_missing' } });
  });
});
