// End to end with every pool in its OWN PROCESS (node workers/<pool>.ts), as deployed:
// a local Temporal dev server, Postgres, Redis, the sandbox behind the real Stripe SDK,
// webhooks delivered (signed) and relayed to the workflows. Orders of every kind are started
// the way the API starts them (update-with-start) and driven to settled states; then the
// invariants I1–I6 are checked against the database and the provider.
//
// RECORD_HISTORIES=1 saves each path's event history to test/workflow/histories/ for the
// replay test (scripts/record-workflow-histories.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { assertAllSettled, assertInvariants } from '../helpers/invariants.ts';
import { spawnWorker, startTestStack, type TestStack, type WorkerProcess } from '../helpers/stack.ts';
import { cancelOrderUpdate, getStateQuery, type CheckoutState } from '../../src/contracts/index.ts';

const POOLS = ['checkout', 'inventory', 'payments', 'orders'] as const;
let stack: TestStack;
let workers: WorkerProcess[] = [];

beforeAll(async () => {
  stack = await startTestStack({ pools: [] });
  workers = await Promise.all(POOLS.map((p) => spawnWorker(stack, p)));
}, 90_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGTERM')));
  await stack?.stop();
});

async function until<T>(fn: () => Promise<T | false | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('checkout across separate worker processes', () => {
  it('each pool process serves /healthz and /metrics on its own port', async () => {
    // A worker's own health/metrics port, not the checkout API (no typed client for it): plain fetch.
    for (const w of workers) {
      expect((await fetch(`http://127.0.0.1:${w.metricsPort}/healthz`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${w.metricsPort}/metrics`)).text()).toContain('process_cpu_seconds_total');
    }
  });

  it('settles orders of every kind and keeps I1–I6', async () => {
    const aftercareWindow = '3s';
    const kinds: Record<string, { sku: string; qty: number; pm?: string; extra?: Record<string, string> }> = {
      happy: { sku: 'AUD-HEADPHONES-01', qty: 1 },
      happy_split: { sku: 'AUD-DAC-04', qty: 2 },
      out_of_stock: { sku: 'BOK-LIMITED-04', qty: 9 },
      declined: { sku: 'HOM-KETTLE-01', qty: 1, pm: 'pm_card_chargeDeclined' },
      insufficient_funds: { sku: 'HOM-KETTLE-01', qty: 1, pm: 'pm_card_chargeDeclinedInsufficientFunds' },
      three_ds_success: { sku: 'CMP-MOUSE-03', qty: 1, pm: 'pm_card_authenticationRequired' },
      three_ds_timeout: { sku: 'CMP-MOUSE-03', qty: 1, pm: 'pm_card_authenticationRequired', extra: { paymentActionTimeout: '2s' } },
      customer_cancel: { sku: 'OUT-TENT-01', qty: 1, pm: 'pm_card_authenticationRequired' },
      ops_refund: { sku: 'CMP-MONITOR-04', qty: 1 },
    };
    const started = await Promise.all(Object.entries(kinds).map(async ([kind, k]) => {
      const o = await stack.startOrder({ lines: [{ sku: k.sku, quantity: k.qty }], paymentMethod: k.pm ?? 'pm_card_visa', aftercareWindow, ...k.extra });
      return [kind, o] as const;
    }));
    const byKind = Object.fromEntries(started);

    // 3-D Secure: the customer authenticates; the sandbox's signed webhook reaches the workflow.
    const s3 = await until(async () => { const s = await byKind.three_ds_success.handle.query(getStateQuery); return s.status === 'AWAITING_PAYMENT_ACTION' && s; });
    await stack.sandbox.authenticate(s3.paymentReference!, 'succeed');
    // The customer cancels while waiting for 3-D Secure.
    await until(async () => (await byKind.customer_cancel.handle.query(getStateQuery)).status === 'AWAITING_PAYMENT_ACTION');
    await byKind.customer_cancel.handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: 'customer', role: 'customer', reason: 'changed my mind' }] });
    // Ops cancel a captured order within the aftercare window (the customer may not).
    await until(async () => (await byKind.ops_refund.handle.query(getStateQuery)).paymentStatus === 'CAPTURED');
    await expect(byKind.ops_refund.handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: 'c', role: 'customer' }] })).rejects.toThrow(WorkflowUpdateFailedError);
    await byKind.ops_refund.handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: 'ops-anna', role: 'ops', reason: 'damaged in transit' }] });

    const finals = Object.fromEntries(await Promise.all(started.map(async ([kind, o]) => [kind, (await o.handle.result()) as CheckoutState] as const)));
    const summary = Object.fromEntries(Object.entries(finals).map(([k, s]) => [k, `${s.status}/${s.paymentStatus}/${s.failure?.code ?? '-'}`]));
    expect(summary).toEqual({
      happy: 'CONFIRMED/CAPTURED/-',
      happy_split: 'CONFIRMED/CAPTURED/-',
      out_of_stock: 'REJECTED/PENDING/out_of_stock',
      declined: 'PAYMENT_FAILED/FAILED/payment_declined',
      insufficient_funds: 'PAYMENT_FAILED/FAILED/insufficient_funds',
      three_ds_success: 'CONFIRMED/CAPTURED/-',
      three_ds_timeout: 'PAYMENT_FAILED/VOIDED/payment_action_timeout',
      customer_cancel: 'CANCELLED/VOIDED/cancelled',
      ops_refund: 'CANCELLED/REFUNDED/cancelled',
    });

    const ids = started.map(([, o]) => o.recorded.orderId);
    await assertAllSettled(stack.orm, ids);
    const report = await assertInvariants({ orm: stack.orm, sandbox: stack.sandbox, orderIds: ids });
    expect(report.orders).toBe(ids.length);
    // Every status change was published for long-polling readers? (Redis is best effort; the DB is the record.)
    const [{ n }] = await stack.orm.em.getConnection().execute<{ n: string }[]>(`select count(*) as n from payment_events where order_id in (${ids.map(() => '?').join(',')})`, ids);
    expect(Number(n)).toBeGreaterThanOrEqual(8);
    // The 3-D Secure completion reached the workflow through the real, signature-checked webhook intake.
    const hooks = await stack.orm.em.getConnection().execute(`select type from payment_events where order_id = ? and source = 'webhook'`, [byKind.three_ds_success.recorded.orderId]);
    expect(hooks.length).toBeGreaterThanOrEqual(1);

    if (process.env.RECORD_HISTORIES === '1') {
      const dir = new URL('../workflow/histories/', import.meta.url);
      mkdirSync(dir, { recursive: true });
      for (const [kind, o] of started) {
        const history = await o.handle.fetchHistory();
        writeFileSync(new URL(`checkout-v3-${kind.replace(/_/g, '-')}.json`, dir), historyToJSON(history));
      }
    }
  }, 120_000);

  it('a worker that cannot reach Postgres or Temporal exits with a clear fatal message', async () => {
    await expect(spawnWorker(stack, 'orders', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' })).rejects.toThrow(/Cannot reach Postgres at postgres:\/\/postgres@127\.0\.0\.1:1\/nowhere/);
    await expect(spawnWorker(stack, 'inventory', { TEMPORAL_ADDRESS: '127.0.0.1:1' })).rejects.toThrow(/Cannot reach Temporal at 127\.0\.0\.1:1/);
  }, 60_000);

  it('SIGTERM drains every pool process and exits 0', async () => {
    const codes = await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    expect(codes).toEqual([0, 0, 0, 0]);
  }, 30_000);

  it('workers/all.ts runs every pool of WORKER_POOLS in one process and drains on SIGTERM', async () => {
    const all = await spawnWorker(stack, 'all');
    const { handle } = await stack.startOrder({ lines: [{ sku: 'BOK-SYSTEMS-01', quantity: 1 }], aftercareWindow: '1s' });
    expect(await handle.result()).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED' });
    expect(await all.kill('SIGTERM')).toBe(0);
  }, 60_000);
});
