// Reconciliation on the real stack (local Temporal, workers, sandbox, Postgres): drift is
// seeded for real at the sandbox, the workflow finds and repairs it, a second run changes nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { assertInvariants } from '../helpers/invariants.ts';
import { getRun } from '../../src/reconciliation/read-model.ts';
import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCheckoutClient } from '../../client/src/index.ts';
import { financeRoutes } from '../../src/api/routes/finance.ts';
import { errorHandler } from '../../src/api/middleware/problem.ts';
import { ensureReconciliationSchedule } from '../../src/reconciliation/schedule.ts';
import { mintToken } from '../helpers/api.ts';
import { RECONCILIATION_SCHEDULE_ID, TASK_QUEUES, reconciliationWorkflowId, type ReconciliationSummary } from '../../src/contracts/index.ts';
import { routerFor } from '../../src/api/app.ts';

let stack: TestStack;
beforeAll(async () => { stack = await startTestStack(); }, 120_000);
afterAll(async () => stack?.stop(), 60_000);

async function waitFor<T>(fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function runReconciliation(graceMs = 1000): Promise<ReconciliationSummary> {
  const runId = randomUUID();
  return stack.client.workflow.execute('reconciliation', {
    workflowId: reconciliationWorkflowId(runId), taskQueue: TASK_QUEUES.checkout,
    args: [{ runId, trigger: 'manual', lookbackMs: 3_600_000, graceMs }],
  }) as Promise<ReconciliationSummary>;
}

describe('reconciliation workflow', () => {
  it('voids an orphan authorization, backfills a refund made at the provider, and a second run changes nothing', async () => {
    const conn = stack.orm.em.getConnection();
    // An authorization whose order was never recorded (the response to the client was lost).
    const orphanOrder = randomUUID();
    const orphan = await stack.provider.authorize({ orderId: orphanOrder, customerId: 'c-orphan', amount: 1000, currency: 'USD', paymentMethod: 'pm_card_visa', idempotencyKey: `order-${orphanOrder}:authorize` });
    expect(orphan.kind).toBe('authorized');
    // A confirmed, captured order, then a partial refund made directly at the provider (dashboard).
    const { input } = await stack.startOrder({ lines: [{ sku: 'CMP-MOUSE-03', quantity: 1 }] });
    const ref = await waitFor(async () => {
      const [r] = await conn.execute<{ status: string; provider_reference: string }[]>("select p.status, p.provider_reference from payments p join orders o on o.id = p.order_id where o.id = ? and o.status = 'CONFIRMED'", [input.orderId]);
      return r?.status === 'CAPTURED' ? r.provider_reference : undefined;
    });
    await stack.provider.refund(ref, { amount: 500, idempotencyKey: `dashboard-${randomUUID()}` });
    await new Promise((r) => setTimeout(r, 1500)); // past the grace period

    const first = await runReconciliation();
    expect(first.status).toBe('COMPLETED');
    const run = (await getRun(stack.orm.em.fork(), first.runId))!;
    const byKind = Object.fromEntries(run.findings.map((f) => [f.kind, f]));
    expect(byKind.orphan_authorization).toMatchObject({ orderId: orphanOrder, providerReference: orphan.intent!.id, action: 'void', actionOutcome: 'voided' });
    expect(byKind.ledger_missing_refund).toMatchObject({ orderId: input.orderId, providerReference: ref, action: 'backfill_ledger', actionOutcome: 'backfilled' });
    expect((await stack.sandbox.intents({ orderId: orphanOrder }))[0].status).toBe('canceled');
    const [p] = await conn.execute<{ refunded_amount: number }[]>('select refunded_amount from payments where order_id = ?', [input.orderId]);
    expect(p.refunded_amount).toBe(500);
    await assertInvariants({ orm: stack.orm, sandbox: stack.sandbox, orderIds: [input.orderId] });

    const ledgerBefore = await conn.execute<{ n: string }[]>('select count(*) as n from payment_events');
    const second = await runReconciliation();
    expect(second).toMatchObject({ status: 'COMPLETED', findings: 0 });
    const ledgerAfter = await conn.execute<{ n: string }[]>('select count(*) as n from payment_events');
    expect(ledgerAfter[0].n).toBe(ledgerBefore[0].n);
  }, 120_000);
  it('applies a 3-D Secure completion whose webhook never arrived through the order workflow; reports a tampered amount for a human', async () => {
    const conn = stack.orm.em.getConnection();
    await stack.sandbox.setWebhooks(false);
    try {
      const { input } = await stack.startOrder({ lines: [{ sku: 'CMP-MOUSE-03', quantity: 1 }], paymentMethod: 'pm_card_authenticationRequired' });
      const pi = await waitFor(async () => {
        const [r] = await conn.execute<{ provider_reference: string | null }[]>("select p.provider_reference from payments p join orders o on o.id = p.order_id where o.id = ? and o.status = 'AWAITING_PAYMENT_ACTION'", [input.orderId]);
        return r?.provider_reference ?? undefined;
      });
      await stack.sandbox.authenticate(pi, 'succeed');
      const tampered = await stack.startOrder({ lines: [{ sku: 'HOM-KETTLE-01', quantity: 1 }] });
      await waitFor(async () => {
        const [r] = await conn.execute<{ status: string }[]>('select status from payments where order_id = ?', [tampered.input.orderId]);
        return r?.status === 'CAPTURED' ? true : undefined;
      });
      await conn.execute('update payments set amount = amount + 1 where order_id = ?', [tampered.input.orderId]);
      await new Promise((r) => setTimeout(r, 1500));

      const first = await runReconciliation();
      const run = (await getRun(stack.orm.em.fork(), first.runId))!;
      const byKind = Object.fromEntries(run.findings.map((f) => [f.kind, f]));
      expect(byKind.missed_webhook).toMatchObject({ orderId: input.orderId, providerReference: pi, action: 'signal_workflow', actionOutcome: 'signalled' });
      expect(byKind.amount_mismatch).toMatchObject({ orderId: tampered.input.orderId, action: 'none', needsHuman: true, actionOutcome: null });
      expect(first.needsHuman).toBeGreaterThanOrEqual(1);
      // the workflow took it from there: confirmed and captured
      await waitFor(async () => {
        const [r] = await conn.execute<{ status: string; p_status: string }[]>('select o.status, p.status as p_status from orders o join payments p on p.order_id = o.id where o.id = ?', [input.orderId]);
        return r?.status === 'CONFIRMED' && r.p_status === 'CAPTURED' ? true : undefined;
      });
      const [evt] = await conn.execute<{ source: string }[]>('select source from payment_events where provider_event_id = ?', [`reconciliation:${pi}:requires_capture`]);
      expect(evt?.source).toBe('reconciliation');
      await assertInvariants({ orm: stack.orm, sandbox: stack.sandbox, orderIds: [input.orderId] });

      await new Promise((r) => setTimeout(r, 1500));
      const second = await runReconciliation();
      expect(second.findings).toBe(0); // the mismatch is still open, but not raised again
      const [open] = await conn.execute<{ n: string }[]>("select count(*) as n from reconciliation_findings where kind = 'amount_mismatch' and resolved_at is null");
      expect(Number(open.n)).toBe(1);
    } finally {
      await stack.sandbox.setWebhooks(true);
    }
  }, 120_000);
  it('running next to 100 checkouts in flight raises no finding for a healthy order and touches none', async () => {
    const conn = stack.orm.em.getConnection();
    const skus = ['CMP-MOUSE-03', 'HOM-KETTLE-01', 'CMP-KEYBOARD-02', 'AUD-EARBUDS-02'];
    const started = Promise.all(Array.from({ length: 100 }, (_, i) => stack.startOrder({ lines: [{ sku: skus[i % skus.length], quantity: 1 }] })));
    await new Promise((r) => setTimeout(r, 300));
    const during = await runReconciliation(120_000);
    const orders = await started;
    const ids = orders.map((o) => o.input.orderId);
    await waitFor(async () => {
      const [r] = await conn.execute<{ n: string }[]>(`select count(*) as n from orders o left join payments p on p.order_id = o.id
        where (o.status in ('PENDING', 'AWAITING_PAYMENT_ACTION') or (o.status = 'CONFIRMED' and p.status <> 'CAPTURED')) and o.id in (${ids.map(() => '?').join(',')})`, ids);
      return Number(r.n) === 0 ? true : undefined;
    }, 90_000);
    // Once settled, even without any grace period every healthy order matches.
    const after = await runReconciliation(0);
    expect(during.status).toBe('COMPLETED');
    expect(after.status).toBe('COMPLETED');
    expect(after.matched).toBeGreaterThanOrEqual(100);
    const findings = await conn.execute<{ n: string }[]>(`select count(*) as n from reconciliation_findings where order_id in (${ids.map(() => '?').join(',')})`, ids);
    expect(Number(findings[0].n)).toBe(0);
    const touched = await conn.execute<{ n: string }[]>(`select count(*) as n from payment_events where source = 'reconciliation' and order_id in (${ids.map(() => '?').join(',')})`, ids);
    expect(Number(touched[0].n)).toBe(0);
    await assertInvariants({ orm: stack.orm, sandbox: stack.sandbox, orderIds: ids });
  }, 150_000);
  it('finance API: starts a run (202), shows it with its findings, exports the ledger as CSV; customers are refused', async () => {
    const app = express();
    app.use(express.json());
    app.use(routerFor(financeRoutes({ orm: stack.orm, temporal: stack.client, config: stack.config, logger: stack.logger, metrics: stack.metrics })));
    app.use(errorHandler(stack.logger));
    const server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    // The typed client (client/) as each role, on the finance routes alone.
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const as = async (sub: string, role: string) => {
      const token = await mintToken(stack.config, { sub, roles: [role] });
      return createCheckoutClient({ baseUrl, token: () => token });
    };
    try {
      const [finance, ops, customer] = [await as('fin-1', 'finance'), await as('ops-1', 'ops'), await as('c-1', 'customer')];

      expect((await customer.POST('/v1/finance/reconciliations', { body: {} })).response.status).toBe(403);
      expect((await ops.POST('/v1/finance/reconciliations', { body: {} })).response.status).toBe(403);
      const started = await finance.POST('/v1/finance/reconciliations', { body: {} });
      expect(started.response.status).toBe(202);
      const id = started.data!.id;
      await stack.client.workflow.getHandle(reconciliationWorkflowId(id)).result();
      const run = await ops.GET('/v1/finance/reconciliations/{id}', { params: { path: { id } } });
      expect(run.response.status).toBe(200);
      expect(run.data).toMatchObject({ id, status: 'COMPLETED', checked: expect.any(Number), matched: expect.any(Number), findings: expect.any(Array), window: { start: expect.any(String), end: expect.any(String) } });
      const list = await finance.GET('/v1/finance/reconciliations', { params: { query: { limit: 1 } } });
      expect(list.data).toMatchObject({ data: [expect.anything()], nextCursor: expect.any(String) });
      const open = await finance.GET('/v1/finance/findings', { params: { query: { open: 'true', needsHuman: 'true' } } });
      expect(open.data).toMatchObject({ data: expect.arrayContaining([expect.objectContaining({ kind: 'amount_mismatch' })]) });
      const csv = await finance.GET('/v1/finance/payments', { params: { query: { source: 'reconciliation', limit: 50 } }, headers: { accept: 'text/csv' }, parseAs: 'text' });
      expect(csv.response.status).toBe(200);
      expect(csv.response.headers.get('content-type')).toMatch(/text\/csv/);
      const lines = String(csv.data).split('\r\n');
      expect(lines[0]).toBe('id,created_at,order_id,provider,provider_event_id,type,source,provider_reference,amount,currency,provider_status,payment_status,captured_amount,refunded_amount,order_status,customer_id');
      expect(lines.length).toBeGreaterThan(2);
      const json = await finance.GET('/v1/finance/payments', { params: { query: { limit: 2 } } });
      expect(json.data).toMatchObject({ data: expect.any(Array), nextCursor: expect.any(String) });
      expect((await finance.GET('/v1/finance/payments', { params: { query: { from: 'nope' } } })).response.status).toBe(400);
      expect((await finance.GET('/v1/finance/payments', { params: { query: { cursor: 'xyz' } } })).response.status).toBe(400);
      expect((await finance.GET('/v1/finance/reconciliations/{id}', { params: { path: { id: randomUUID() } } })).response.status).toBe(404);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }, 60_000);

  it('the reconciliation schedule is created once and updated on the next start (overlap SKIP)', async () => {
    expect(await ensureReconciliationSchedule(stack.client, stack.config)).toBe('created');
    expect(await ensureReconciliationSchedule(stack.client, { reconciliation: { ...stack.config.reconciliation, interval: '30m' } })).toBe('updated');
    const d = await stack.client.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).describe();
    expect(d.spec.intervals?.[0].every).toBe(30 * 60_000);
    expect(d.policies.overlap).toBe('SKIP');
    expect(d.action).toMatchObject({ workflowType: 'reconciliation', taskQueue: TASK_QUEUES.checkout });
    await stack.client.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).delete();
  }, 30_000);
});
