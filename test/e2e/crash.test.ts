// Crash safety (I2, I6): the payments worker process is SIGKILLed while authorizations are
// in flight (slow provider, some responses lost after the charge was made), then started
// again. Every order still settles, and each has exactly one PaymentIntent at the provider:
// retries reuse the idempotency key `order-<id>:authorize`, never a second charge.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { assertAllSettled, assertInvariants } from '../helpers/invariants.ts';
import { spawnWorker, startTestStack, type TestStack, type WorkerProcess } from '../helpers/stack.ts';
import type { CheckoutState } from '../../src/contracts/index.ts';

let stack: TestStack;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  stack = await startTestStack({ pools: [] });
  workers.push(...(await Promise.all((['checkout', 'inventory', 'orders'] as const).map((p) => spawnWorker(stack, p)))));
}, 90_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGTERM')));
  await stack?.stop();
});

describe('payments worker killed mid-flight', () => {
  it('every order settles with exactly one PaymentIntent after SIGKILL and restart', async () => {
    let payments = await spawnWorker(stack, 'payments');
    // A slow provider keeps calls in flight; two responses are lost after the charge committed.
    await stack.sandbox.setFaults({ latencyMs: 700, dropNext: 2 });
    const orders = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      stack.startOrder({ lines: [{ sku: i % 2 ? 'OUT-BOTTLE-03' : 'HOM-LAMP-03', quantity: 1 }], aftercareWindow: '1s' })));

    // Some intents exist, others are still being created: kill the process now.
    const deadline = Date.now() + 20_000;
    while ((await stack.sandbox.intents()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await payments.kill('SIGKILL')).toBeNull();
    const intentsAtKill = (await stack.sandbox.intents()).length;
    expect(intentsAtKill).toBeLessThan(8 * 2);

    await stack.sandbox.setFaults({ latencyMs: 50 });
    payments = await spawnWorker(stack, 'payments');
    workers.push(payments);

    const finals = (await Promise.all(orders.map((o) => o.handle.result()))) as CheckoutState[];
    expect(finals.map((f) => `${f.status}/${f.paymentStatus}`)).toEqual(Array(8).fill('CONFIRMED/CAPTURED'));

    const ids = orders.map((o) => o.recorded.orderId);
    for (const id of ids) expect(await stack.sandbox.intents({ orderId: id })).toHaveLength(1);
    await assertAllSettled(stack.orm, ids);
    await assertInvariants({ orm: stack.orm, sandbox: stack.sandbox, orderIds: ids });
    await stack.sandbox.clearFaults();
  }, 120_000);
});
