// The payments pool scales out on its one task queue (docs/scaling.md): two worker processes
// both take its tasks, the queue-wide rate (PAYMENTS_MAX_PER_SECOND, enforced by the Temporal
// server across every replica) keeps the provider's own count under its limit, and a worker
// stopped with SIGTERM in the middle of the run loses no order. `npm run bench:scale` measures
// the throughput; this asserts only what does not depend on how fast the machine is.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { paymentsRateFor } from '../../../src/infra/config.ts';
import type { CheckoutState } from '../../../src/contracts/index.ts';
import { assertAllSettled, assertInvariants } from '../../helpers/invariants.ts';
import { spawnWorker, startTestStack, type TestStack, type WorkerProcess } from '../../helpers/stack.ts';

/** The provider's request limit; the workers derive their queue rate from it, as in production. */
const PROVIDER_LIMIT = 10;
const QUEUE_RATE = paymentsRateFor(PROVIDER_LIMIT);
const ORDERS = 20;

let stack: TestStack;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  stack = await startTestStack({ pools: ['checkout', 'inventory', 'orders'] });
}, 90_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGTERM')));
  await stack?.stop();
});

/** Activities run so far by one worker process (its checkout_activity_duration_seconds counts). */
async function activitiesRun(w: WorkerProcess): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${w.metricsPort}/metrics`).then((r) => r.text(), () => '');
  return text.split('\n').filter((l) => l.startsWith('checkout_activity_duration_seconds_count{')).reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const longish = (v: unknown) => (v == null ? 0 : typeof v === 'object' ? (v as { toNumber(): number }).toNumber() : Number(v));

describe('payments pool with two worker processes', () => {
  it('both take tasks, the provider limit holds, and a worker stopped mid-run loses no order', async () => {
    // Slow provider, many slots: without the queue-wide rate two workers could send ~40 requests/s.
    await stack.sandbox.setFaults({ latencyMs: 200 });
    await stack.sandbox.setRateLimit(PROVIDER_LIMIT);
    await fetch(`${stack.sandbox.url}/_sandbox/stats`, { method: 'DELETE' });
    const env = { WORKER_MAX_CONCURRENT_ACTIVITIES: '4', SANDBOX_RATE_LIMIT_PER_SECOND: String(PROVIDER_LIMIT) };
    const [first, second] = await Promise.all([spawnWorker(stack, 'payments', env), spawnWorker(stack, 'payments', env)]);
    workers.push(first, second);

    const orders = await Promise.all(Array.from({ length: ORDERS }, (_, i) =>
      stack.startOrder({ lines: [{ sku: i % 2 ? 'OUT-BOTTLE-03' : 'HOM-LAMP-03', quantity: 1 }], aftercareWindow: '1s' })));

    // Once both have run payments activities, stop the first one gracefully while orders are in flight.
    const deadline = Date.now() + 30_000;
    while (((await activitiesRun(first)) < 1 || (await activitiesRun(second)) < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const intentsAtStop = (await stack.sandbox.intents()).length;
    expect(await first.kill('SIGTERM')).toBe(0);

    const finals = (await Promise.all(orders.map((o) => o.handle.result()))) as CheckoutState[];
    expect(finals.map((f) => `${f.status}/${f.paymentStatus}`)).toEqual(Array(ORDERS).fill('CONFIRMED/CAPTURED'));
    // The stop came while the run was still going: some orders had no PaymentIntent yet.
    expect(intentsAtStop).toBeLessThan(ORDERS);

    // Both processes took payments tasks (the workflow histories say who ran each activity).
    const starts: { at: number; identity: string }[] = [];
    for (const o of orders) {
      const events = (await o.handle.fetchHistory()).events ?? [];
      const onPayments = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name === 'payments').map((e) => longish(e.eventId)));
      for (const e of events) {
        const a = e.activityTaskStartedEventAttributes;
        if (a && onPayments.has(longish(a.scheduledEventId))) starts.push({ at: longish(e.eventTime?.seconds) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6, identity: a.identity ?? '' });
      }
    }
    const identities = new Set(starts.map((s) => s.identity));
    expect(identities).toEqual(new Set([`payments@${first.pid}`, `payments@${second.pid}`]));

    // The provider never saw more than its limit in any second, and refused nothing.
    const stats = await fetch(`${stack.sandbox.url}/_sandbox/stats`).then((r) => r.json()) as { peakPerSecond: number; rateLimited: number; requests: number };
    expect(stats.requests).toBeGreaterThanOrEqual(ORDERS * 3);
    expect(stats.rateLimited).toBe(0);
    expect(stats.peakPerSecond).toBeLessThanOrEqual(PROVIDER_LIMIT);
    // The queue rate held across both workers: over the whole run, no more activity starts than
    // the rate allows plus the server's burst (one second's worth).
    const at = starts.map((s) => s.at).sort((a, b) => a - b);
    const seconds = (at[at.length - 1] - at[0]) / 1000;
    expect(at.length).toBeLessThanOrEqual(QUEUE_RATE * seconds + 2 * QUEUE_RATE);

    const ids = orders.map((o) => o.recorded.orderId);
    for (const id of ids) expect(await stack.sandbox.intents({ orderId: id })).toHaveLength(1);
    await assertAllSettled(stack.orm, ids);
    await assertInvariants({ orm: stack.orm, sandbox: stack.sandbox, orderIds: ids });
    await stack.sandbox.clearFaults();
  }, 90_000);
});
