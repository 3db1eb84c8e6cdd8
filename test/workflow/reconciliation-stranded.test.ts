// Reconciliation and the order workflows (issue 11): it finds what no workflow will settle any
// more — an order whose workflow was terminated mid-checkout, a settled order that still holds
// stock (finding 3) — and it never moves money behind an open workflow's back: that workflow
// is signalled and acts itself (finding 8). Real activities on the time-skipping server,
// Postgres and the sandbox.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { checkout } from '../../workflows/checkout.ts';
import type { reconciliation } from '../../workflows/reconciliation.ts';
import { acceptOrder, markWorkflowsStarted } from '../../src/orders/intake.ts';
import { reserveStock } from '../../src/inventory/service.ts';
import { transitionOrder } from '../../src/orders/service.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { checkoutInput, type TestOrderInput } from '../helpers/stack.ts';
import { testConfig } from '../helpers/env.ts';
import { assertInvariants } from '../helpers/invariants.ts';
import { eventually, nonRetryable, startHarness, type Harness } from './harness.ts';
import { cancelOrderUpdate, getStateQuery } from '../../src/contracts/index.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(async () => h?.close());
beforeEach(() => h.reset());

const sql = <T = any>(q: string, p: unknown[] = []) => h.orm.em.getConnection().execute<T[]>(q, p);

/** As the API does: intake writes the order, the workflow starts with it, the start is marked. */
async function start(input: TestOrderInput) {
  const full = checkoutInput(input);
  const accepted = await acceptOrder(h.orm.em.fork(), full);
  if (accepted.kind !== 'accepted') throw new Error('test order keys must be fresh');
  const handle = await h.env.client.workflow.start<typeof checkout>('checkout', { workflowId: `order-${full.orderId}`, taskQueue: 'checkout', args: [{ ...full, order: accepted.order }] });
  await markWorkflowsStarted(h.orm.em.fork(), [full.orderId]);
  return { handle, orderId: full.orderId, order: accepted.order };
}

const runReconciliation = () => {
  const runId = randomUUID();
  return h.env.client.workflow.execute<typeof reconciliation>('reconciliation', { workflowId: `reconciliation-${runId}`, taskQueue: 'checkout', args: [{ runId, trigger: 'manual', graceMs: 0 }] });
};

describe('finding 3: reconciliation settles what a closed workflow left behind', () => {
  it('finding 3: a workflow terminated while waiting for 3-D Secure — reconciliation voids, releases and cancels its order', async () => {
    const sku = 'AUD-EARBUDS-02';
    const { handle, orderId } = await start({ lines: [{ sku, quantity: 2 }], paymentMethod: 'pm_card_authenticationRequired' });
    await eventually(async () => (await handle.query(getStateQuery)).status === 'AWAITING_PAYMENT_ACTION');
    // A terminate cannot compensate: the order, the hold and the reservation stay behind.
    await handle.terminate('ops pressed terminate');
    expect((await sql('select status from orders where id = ?', [orderId]))[0]).toEqual({ status: 'AWAITING_PAYMENT_ACTION' });
    expect(await h.sandbox.liveIntents(orderId)).toHaveLength(1);

    await runReconciliation();
    expect((await sql('select status, failure_code from orders where id = ?', [orderId]))[0]).toEqual({ status: 'CANCELLED', failure_code: 'cancelled' });
    expect((await sql<{ state: string }>('select state from reservations where order_id = ?', [orderId])).map((r) => r.state)).toEqual(['RELEASED']);
    expect((await sql('select status from payments where order_id = ?', [orderId]))[0]).toEqual({ status: 'VOIDED' });
    expect(await h.sandbox.liveIntents(orderId)).toEqual([]);
    const findings = await sql('select kind, action, action_outcome, resolved_at is not null as resolved from reconciliation_findings where order_id = ?', [orderId]);
    expect(findings).toEqual([{ kind: 'stranded_order', action: 'settle_order', action_outcome: 'cancelled', resolved: true }]);
    await assertInvariants({ orm: h.orm, sandbox: h.sandbox, orderIds: [orderId] });
  });

  it('finding 3: a settled order still holding stock (no workflow) gets its units back; a running one is left to its workflow', async () => {
    // A REJECTED order whose reservation is still HELD (e.g. a late reserve attempt after the rejection).
    const input = checkoutInput({ lines: [{ sku: 'HOM-LAMP-03', quantity: 2 }] });
    const accepted = await acceptOrder(h.orm.em.fork(), input);
    if (accepted.kind !== 'accepted') throw new Error('fresh key expected');
    await reserveStock(h.orm.em.fork(), input.orderId, accepted.order.lines);
    await transitionOrder(h.orm.em.fork(), { logger: createLogger(testConfig(), 'test') }, { orderId: input.orderId, to: 'REJECTED', dedupeKey: 'to:REJECTED', failure: { code: 'out_of_stock', message: 'test' } });
    await markWorkflowsStarted(h.orm.em.fork(), [input.orderId]);

    // A live order waiting for 3-D Secure: its workflow is running, so reconciliation must not touch it.
    const live = await start({ lines: [{ sku: 'AUD-SPEAKER-03', quantity: 1 }], paymentMethod: 'pm_card_authenticationRequired' });
    await eventually(async () => (await live.handle.query(getStateQuery)).status === 'AWAITING_PAYMENT_ACTION');

    await runReconciliation();
    expect((await sql<{ state: string }>('select state from reservations where order_id = ?', [input.orderId])).map((r) => r.state)).toEqual(['RELEASED']);
    expect(await sql('select kind, action_outcome from reconciliation_findings where order_id = ?', [input.orderId])).toEqual([{ kind: 'held_stock_settled_order', action_outcome: 'released' }]);
    expect((await sql('select status from orders where id = ?', [live.orderId]))[0]).toEqual({ status: 'AWAITING_PAYMENT_ACTION' });
    expect(await h.sandbox.liveIntents(live.orderId)).toHaveLength(1);
    expect(await sql('select kind from reconciliation_findings where order_id = ?', [live.orderId])).toEqual([]);
    await live.handle.terminate('test over');
    await assertInvariants({ orm: h.orm, sandbox: h.sandbox, orderIds: [input.orderId] });
  });
});

describe('finding 8: reconciliation lets an open workflow move its own money', () => {
  it('finding 8: a CONFIRMED order whose capture gave up (workflow open) is re-driven by its workflow — captured, capture_failed cleared', async () => {
    // The checkout's capture fails for good once: the order is CONFIRMED, flagged capture_failed, the workflow waits in aftercare.
    h.hooks.capturePayment = { before: (attempt) => { if (attempt === 1) throw nonRetryable('capture: the provider refused (test)', 'api_error'); } };
    const { handle, orderId } = await start({ lines: [{ sku: 'BOK-SAGAS-02', quantity: 1 }] });
    await eventually(async () => (await handle.query(getStateQuery)).attention === 'capture_failed');

    await runReconciliation();
    const [finding] = await sql('select kind, action, action_outcome from reconciliation_findings where order_id = ?', [orderId]);
    expect(finding).toEqual({ kind: 'confirmed_not_captured', action: 'capture', action_outcome: 'workflow_signalled' });
    // The workflow captured with its own parameters and cleared its own flag: nothing stale left.
    // (The workflow marks the payment CAPTURED, then clears its flag: wait for both.)
    await eventually(async () => {
      const st = await handle.query(getStateQuery);
      return st.paymentStatus === 'CAPTURED' && st.attention === undefined;
    });
    expect((await sql('select status, attention from orders where id = ?', [orderId]))[0]).toEqual({ status: 'CONFIRMED', attention: null });
    expect((await sql('select status, captured_amount from payments where order_id = ?', [orderId]))[0]).toEqual({ status: 'CAPTURED', captured_amount: 3900 });
    await assertInvariants({ orm: h.orm, sandbox: h.sandbox, orderIds: [orderId] });
    // Cleanup only: with time skipping the aftercare window may already have closed it.
    await handle.terminate('test over').catch(() => undefined);
  });

  it('finding 8: an ops cancel stuck on its void, then the workflow terminated: reconciliation voids (never captures) the order being cancelled', async () => {
    h.hooks.capturePayment = { before: () => { throw nonRetryable('capture: the provider refused (test)', 'api_error'); } };
    h.hooks.refundPayment = { before: () => { throw nonRetryable('void: provider unreachable (test)', 'api_error'); } };
    const { handle, orderId } = await start({ lines: [{ sku: 'BOK-SAGAS-02', quantity: 1 }], compensationRetryInterval: '3650d' });
    await eventually(async () => (await handle.query(getStateQuery)).attention === 'capture_failed');
    await handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: 'ops-1', role: 'ops', reason: 'customer withdrew' }] });
    await eventually(async () => (await handle.query(getStateQuery)).attention === 'compensation_failed');
    expect(await sql(`select type from order_events where order_id = ? and type = 'cancel_requested'`, [orderId])).toEqual([{ type: 'cancel_requested' }]);
    await handle.terminate('ops pressed terminate');

    await runReconciliation();
    const [intent] = await h.sandbox.intents({ orderId });
    expect(intent).toMatchObject({ status: 'canceled', amount_received: 0 });
    const [finding] = await sql('select kind, action, needs_human from reconciliation_findings where order_id = ?', [orderId]);
    expect(finding).toEqual({ kind: 'confirmed_not_captured', action: 'void', needs_human: true });
  });
});
