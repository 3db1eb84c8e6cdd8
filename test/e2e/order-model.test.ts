// Model-based tests of the order state machine: fast-check draws sequences of what customers,
// ops and the provider do — place (card, declined card, 3-D Secure), complete or fail 3-D
// Secure, cancel as the customer or as ops, redeliver the provider's webhooks (early, late,
// twice), crash and restart the payments worker — and runs them against the real stack
// through the HTTP API. Each command checks the answer against what the model allows; after
// every sequence every order settles where the model says it may, its timeline is a legal
// path, and docs/design.md §7 holds.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { CheckoutClient } from '../../client/src/index.ts';
import { startApiFixture, type ApiFixture } from '../helpers/api.ts';
import { checkInvariants } from '../helpers/invariants.ts';
import { spawnWorker, type WorkerProcess } from '../helpers/stack.ts';
import { canTransition, type OrderStatus } from '../../src/contracts/index.ts';

type Card = 'visa' | 'declined' | '3ds';
const METHOD: Record<Card, string> = { visa: 'pm_card_visa', declined: 'pm_card_chargeDeclined', '3ds': 'pm_card_authenticationRequired' };
const SETTLED = ['CONFIRMED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED'];

interface ModelOrder {
  id: string;
  card: Card;
  /** What happened to it, in order: '3ds:succeed', '3ds:fail', 'cancel:customer:202', … */
  history: string[];
}
interface Model { orders: ModelOrder[] }
/** The real system, and the typed client (client/) as a customer and as ops. */
interface Real { f: ApiFixture; customer: CheckoutClient; ops: CheckoutClient }

let f: ApiFixture;
let payments: WorkerProcess;
let real: Real;

beforeAll(async () => {
  f = await startApiFixture({ pools: ['checkout', 'inventory', 'orders'], env: { PAYMENT_ACTION_TIMEOUT: '4s', RATE_LIMIT_ORDERS_PER_MINUTE: '100000', RATE_LIMIT_REQUESTS_PER_MINUTE: '100000' } });
  payments = await spawnWorker(f.stack, 'payments');
  real = { f, customer: f.client(await f.token('model-customer', 'customer')), ops: f.client(await f.token('model-ops', 'ops')) };
  await f.stack.orm.em.getConnection().execute("update inventory_levels set on_hand = reserved + 100000 where sku = 'AUD-EARBUDS-02'");
}, 120_000);
afterAll(async () => {
  await payments?.kill('SIGTERM');
  await f?.stop();
}, 60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const statusOf = async (id: string) => (await f.stack.orm.em.getConnection().execute<{ status: OrderStatus }[]>('select status from orders where id = ?', [id]))[0]?.status;

class Place implements fc.AsyncCommand<Model, Real> {
  readonly card: Card;
  constructor(card: Card) {
    this.card = card;
  }
  check = () => true;
  async run(m: Model, r: Real) {
    const { data, response } = await r.customer.POST('/v1/orders', {
      params: { header: { 'idempotency-key': `model-${randomUUID()}` } },
      body: { items: [{ sku: 'AUD-EARBUDS-02', quantity: 1 }], paymentMethod: METHOD[this.card] },
    });
    expect(response.status).toBe(202);
    expect(data?.status).toBe('PENDING');
    m.orders.push({ id: data!.id, card: this.card, history: [] });
  }
  toString = () => `place(${this.card})`;
}

class ThreeDS implements fc.AsyncCommand<Model, Real> {
  readonly pick: number;
  readonly outcome: 'succeed' | 'fail';
  constructor(pick: number, outcome: 'succeed' | 'fail') {
    this.pick = pick;
    this.outcome = outcome;
  }
  check = (m: Readonly<Model>) => m.orders.some((o) => o.card === '3ds');
  async run(m: Model, r: Real) {
    const candidates = m.orders.filter((o) => o.card === '3ds');
    const o = candidates[this.pick % candidates.length];
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const [intent] = await r.f.stack.sandbox.intents({ orderId: o.id });
      if (intent?.status === 'requires_action') {
        await r.f.stack.sandbox.authenticate(intent.id, this.outcome);
        o.history.push(`3ds:${this.outcome}`);
        return;
      }
      if (intent && !['requires_payment_method', 'requires_confirmation'].includes(intent.status)) return; // too late: timed out or cancelled
      await sleep(100);
    }
  }
  toString = () => `3ds(#${this.pick}, ${this.outcome})`;
}

class Cancel implements fc.AsyncCommand<Model, Real> {
  readonly pick: number;
  readonly as: 'customer' | 'ops';
  constructor(pick: number, as: 'customer' | 'ops') {
    this.pick = pick;
    this.as = as;
  }
  check = (m: Readonly<Model>) => m.orders.length > 0;
  async run(m: Model, r: Real) {
    const o = m.orders[this.pick % m.orders.length];
    const before = await statusOf(o.id);
    const init = { params: { path: { id: o.id } }, body: { reason: 'model' } };
    const { response } = this.as === 'customer' ? await r.customer.POST('/v1/orders/{id}/cancel', init) : await r.ops.POST('/v1/admin/orders/{id}/cancel', init);
    // Allowed answers: 202 accepted or 409 refused (already settled, or past the point of no return).
    expect([202, 409]).toContain(response.status);
    if (before && ['REJECTED', 'PAYMENT_FAILED', 'CANCELLED'].includes(before)) expect(response.status).toBe(409);
    if (this.as === 'customer' && before === 'CONFIRMED') expect(response.status).toBe(409);
    o.history.push(`cancel:${this.as}:${response.status}`);
  }
  toString = () => `cancel(#${this.pick}, ${this.as})`;
}

class RedeliverWebhooks implements fc.AsyncCommand<Model, Real> {
  readonly pick: number;
  constructor(pick: number) {
    this.pick = pick;
  }
  check = (m: Readonly<Model>) => m.orders.length > 0;
  async run(m: Model, r: Real) {
    const o = m.orders[this.pick % m.orders.length];
    await r.f.stack.sandbox.redeliver({ orderId: o.id });
    o.history.push('webhooks:again');
  }
  toString = () => `redeliver(#${this.pick})`;
}

class CrashPayments implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run() {
    await payments.kill('SIGKILL');
    payments = await spawnWorker(f.stack, 'payments');
  }
  toString = () => 'crash(payments)';
}

/** Where the model allows an order to end, given what was done to it. */
function allowedEnds(o: ModelOrder): string[] {
  const cancelled = o.history.some((h) => /^cancel:(customer|ops):202$/.test(h));
  const opsCancelled = o.history.includes('cancel:ops:202');
  const ends = new Set<string>();
  if (o.card === 'visa') ends.add('CONFIRMED');
  if (o.card === 'declined') ends.add('PAYMENT_FAILED');
  if (o.card === '3ds') {
    const first = o.history.find((h) => h.startsWith('3ds:'));
    if (first === '3ds:succeed') ends.add('CONFIRMED');
    else ends.add('PAYMENT_FAILED'); // failed, or never completed (timeout)
  }
  if (cancelled) ends.add('CANCELLED');
  // An ops cancel of a CONFIRMED order refunds it: CANCELLED; a customer cancel accepted before capture: CANCELLED.
  if (opsCancelled && ends.has('CONFIRMED')) ends.add('CANCELLED');
  return [...ends];
}

const commands = [
  fc.constantFrom<Card>('visa', 'declined', '3ds', '3ds').map((c) => new Place(c)),
  fc.tuple(fc.nat(), fc.constantFrom<'succeed' | 'fail'>('succeed', 'succeed', 'fail')).map(([i, out]) => new ThreeDS(i, out)),
  fc.tuple(fc.nat(), fc.constantFrom<'customer' | 'ops'>('customer', 'ops')).map(([i, as]) => new Cancel(i, as)),
  fc.nat().map((i) => new RedeliverWebhooks(i)),
  fc.constant(new CrashPayments()),
];

describe('order lifecycle, model-based', () => {
  it('any sequence of customer, ops and provider actions ends in allowed states, along legal paths, with the invariants intact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 8 }), async (cmds) => {
        const model: Model = { orders: [] };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        const ids = model.orders.map((o) => o.id);
        if (!ids.length) return;
        const deadline = Date.now() + 60_000;
        // At rest, not merely settled: a CONFIRMED order is still capturing (or, after an ops
        // cancel, refunding) until its payment is CAPTURED and no accepted ops cancel is pending.
        const atRest = async (o: (typeof model.orders)[number]) => {
          const [row] = await f.stack.orm.em.getConnection().execute<{ status: string; payment: string | null }[]>(
            'select o.status, p.status as payment from orders o left join payments p on p.order_id = o.id where o.id = ?', [o.id]);
          if (!row || !SETTLED.includes(row.status)) return false;
          if (row.status !== 'CONFIRMED') return true;
          return row.payment === 'CAPTURED' && !o.history.includes('cancel:ops:202');
        };
        while (Date.now() < deadline && (await Promise.all(model.orders.map(atRest))).some((ok) => !ok)) await sleep(250);
        for (const o of model.orders) {
          const status = await statusOf(o.id);
          const allowed = allowedEnds(o);
          expect({ order: `${o.card} ${o.history.join(' ')}`, status, allowed: allowed.includes(status ?? '') }).toEqual({ order: `${o.card} ${o.history.join(' ')}`, status, allowed: true });
          const events = await real.customer.GET('/v1/orders/{id}/events', { params: { path: { id: o.id } } });
          expect(events.response.status).toBe(200);
          const path = events.data!.data.map((e) => e.status as OrderStatus).filter((s, i, all) => i === 0 || s !== all[i - 1]);
          expect(path[0]).toBe('PENDING');
          for (let i = 1; i < path.length; i++) expect(`${path[i - 1]}→${path[i]}: ${canTransition(path[i - 1], path[i])}`).toBe(`${path[i - 1]}→${path[i]}: true`);
          expect(path[path.length - 1]).toBe(status);
        }
        const report = await checkInvariants({ orm: f.stack.orm, sandbox: f.stack.sandbox, orderIds: ids });
        expect(report.violations).toEqual([]);
      }),
      { numRuns: 10, endOnFailure: true },
    );
  }, 600_000);
});
