// Every path of the checkout saga on the time-skipping server (15-minute 3-D Secure
// deadlines, capture backoff and the 30-day aftercare window pass instantly), with the real
// activities against Postgres and the payment sandbox. Each test pins the compensations
// that ran and the final state — in the workflow, the database and at the provider.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import { WorkflowFailedError, WorkflowUpdateFailedError, WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { checkout } from '../../workflows/checkout.ts';
import { acceptOrder } from '../../src/orders/intake.ts';
import { checkoutInput, type TestOrderInput } from '../helpers/stack.ts';
import { assertInvariants } from '../helpers/invariants.ts';
import { eventually, gate, nonRetryable, outage, startHarness, type Harness } from './harness.ts';
import { cancelOrderUpdate, getStateQuery, markManualReviewUpdate, orderRecordedUpdate, paymentUpdateSignal, redriveCaptureSignal, retryCompensationSignal, type CheckoutState } from '../../src/contracts/index.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(async () => h?.close());
beforeEach(() => h.reset());

const db = {
  order: async (id: string) => (await h.orm.em.getConnection().execute(`select status, failure_code, attention from orders where id = ?`, [id]))[0],
  events: async (id: string) => (await h.orm.em.getConnection().execute<{ type: string; from_status: string | null; status: string }[]>(
    'select type, from_status, status from order_events where order_id = ? order by id', [id])).map((e) => `${e.type}:${e.from_status ?? '-'}→${e.status}`),
  reservations: async (id: string) => (await h.orm.em.getConnection().execute<{ state: string; quantity: number }[]>('select state, quantity from reservations where order_id = ?', [id])),
  payment: async (id: string) => (await h.orm.em.getConnection().execute('select status, captured_amount, refunded_amount from payments where order_id = ?', [id]))[0],
  reserved: async (sku: string) => Number((await h.orm.em.getConnection().execute<{ n: string }[]>('select coalesce(sum(reserved),0) as n from inventory_levels where sku = ?', [sku]))[0].n),
  onHand: async (sku: string) => Number((await h.orm.em.getConnection().execute<{ n: string }[]>('select coalesce(sum(on_hand),0) as n from inventory_levels where sku = ?', [sku]))[0].n),
};

/** As the API does: intake writes the order, then the workflow starts with it in its input. */
async function start(input: TestOrderInput) {
  const full = checkoutInput(input);
  const accepted = await acceptOrder(h.orm.em.fork(), full);
  if (accepted.kind !== 'accepted') throw new Error('test order keys must be fresh');
  const handle = await h.env.client.workflow.start<typeof checkout>('checkout', { workflowId: `order-${full.orderId}`, taskQueue: 'checkout', args: [{ ...full, order: accepted.order }] });
  return { handle, recorded: accepted.order, orderId: full.orderId };
}

/** As an API from before intake recorded orders did: the workflow records the order itself. */
async function startLegacy(input: TestOrderInput) {
  const full = checkoutInput(input);
  // The time-skipping server lacks update-with-start: start, then the same update.
  const handle = await h.env.client.workflow.start<typeof checkout>('checkout', { workflowId: `order-${full.orderId}`, taskQueue: 'checkout', args: [full] });
  const recorded = await handle.executeUpdate(orderRecordedUpdate);
  return { handle, recorded, orderId: full.orderId };
}

/** RECORD_HISTORIES=1: keep this path's history as a replay fixture. */
async function keepHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const dir = new URL('./histories/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  // Histories of runs after the 2026-12 cancel-compensates / restock-on-ops-cancel patches; the
  // older checkout-*.json and checkout-lean-*.json stay as they were.
  writeFileSync(new URL(`checkout-v3-${name}.json`, dir), historyToJSON(await handle.fetchHistory()));
}

const compensationsOf = (s: CheckoutState) => s.compensations.map((c) => `${c.kind}:${c.outcome}`);

describe('checkout saga (time-skipping)', () => {
  it('happy path: reserves, authorizes, confirms (stock committed), captures, then closes after aftercare', async () => {
    const sku = 'CMP-KEYBOARD-02';
    const onHandBefore = await db.onHand(sku);
    const { handle, recorded, orderId } = await start({ lines: [{ sku, quantity: 2 }, { sku: 'HOM-LAMP-03', quantity: 1 }] });
    expect(recorded).toMatchObject({ status: 'PENDING', totalAmount: 2 * 11900 + 4900, currency: 'USD', unknownSkus: [] });
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED', step: 'done', compensations: [] });
    expect(await db.order(orderId)).toMatchObject({ status: 'CONFIRMED', attention: null });
    expect(await db.events(orderId)).toEqual(['created:-→PENDING', 'status_changed:PENDING→CONFIRMED']);
    expect((await db.reservations(orderId)).every((r) => r.state === 'COMMITTED')).toBe(true);
    expect(await db.onHand(sku)).toBe(onHandBefore - 2);
    expect(await db.payment(orderId)).toMatchObject({ status: 'CAPTURED', captured_amount: 28700, refunded_amount: 0 });
    expect(await h.sandbox.liveIntents(orderId)).toEqual([expect.objectContaining({ status: 'succeeded', amount_received: 28700 })]);
    expect(h.calls.filter((c) => !c.startsWith('flag'))).toEqual(['reserveStock', 'authorizePayment', 'confirmOrder', 'capturePayment']);
    await keepHistory('happy', handle);
  });

  it('a start without the recorded order (from an API older than intake recording) records it itself, then completes', async () => {
    const { handle, recorded, orderId } = await startLegacy({ lines: [{ sku: 'HOM-LAMP-03', quantity: 1 }] });
    expect(recorded).toMatchObject({ status: 'PENDING', totalAmount: 4900, currency: 'USD', unknownSkus: [] });
    expect(await handle.result()).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED' });
    expect(h.calls.filter((c) => !c.startsWith('flag'))).toEqual(['recordOrder', 'reserveStock', 'authorizePayment', 'confirmOrder', 'capturePayment']);
    expect(await db.events(orderId)).toEqual(['created:-→PENDING', 'status_changed:PENDING→CONFIRMED']);
    await keepHistory('legacy-input', handle);
  });

  it('out of stock: REJECTED (out_of_stock), nothing reserved, nothing charged; the release still runs (finding 5: a late attempt may have reserved)', async () => {
    const { handle, orderId } = await start({ lines: [{ sku: 'HOM-KETTLE-01', quantity: 1 }, { sku: 'BOK-LEDGER-03', quantity: 2 }] });
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'REJECTED', paymentStatus: 'PENDING', failure: { code: 'out_of_stock' } });
    expect(compensationsOf(final)).toEqual(['release_stock:done']);
    await keepHistory('out-of-stock', handle);
    expect(await db.reservations(orderId)).toEqual([]);
    expect(await db.reserved('HOM-KETTLE-01')).toBe(0);
    expect(await h.sandbox.intents({ orderId })).toEqual([]);
    expect(h.calls).not.toContain('authorizePayment');
    expect(await db.events(orderId)).toEqual(['created:-→PENDING', 'status_changed:PENDING→REJECTED']);
  });

  it.each([
    ['pm_card_chargeDeclined', 'payment_declined'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
  ])('declined card (%s): releases the stock, PAYMENT_FAILED with %s', async (paymentMethod, code) => {
    const sku = 'OUT-BOTTLE-03';
    const { handle, orderId } = await start({ lines: [{ sku, quantity: 3 }], paymentMethod });
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'PAYMENT_FAILED', paymentStatus: 'FAILED', failure: { code } });
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
    expect((await db.reservations(orderId)).map((r) => r.state)).toEqual(['RELEASED']);
    expect(await db.reserved(sku)).toBe(0);
    expect(await db.order(orderId)).toMatchObject({ status: 'PAYMENT_FAILED', failure_code: code });
    expect(await db.payment(orderId)).toMatchObject({ status: 'FAILED', captured_amount: 0 });
    expect(await h.sandbox.liveIntents(orderId)).toEqual([]);
  });

  it('a final provider error on authorize (not a decline): void (nothing found) + release, PAYMENT_FAILED (payment_error)', async () => {
    const sku = 'OUT-BOTTLE-03';
    h.hooks.authorizePayment = { before: () => { throw nonRetryable('authorize: Received unknown parameter: foo', 'parameter_unknown'); } };
    const { handle, orderId } = await start({ lines: [{ sku, quantity: 1 }] });
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'PAYMENT_FAILED', failure: { code: 'payment_error' } });
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
    expect(await db.reserved(sku)).toBe(0);
    expect(await h.sandbox.intents({ orderId })).toEqual([]);
  });

  it('3-D Secure completed: AWAITING_PAYMENT_ACTION, then the webhook signal → confirm and capture', async () => {
    const { handle, orderId } = await start({ lines: [{ sku: 'AUD-EARBUDS-02', quantity: 1 }], paymentMethod: 'pm_card_authenticationRequired' });
    const waiting = await eventually(async () => {
      const s = await handle.query(getStateQuery);
      return s.status === 'AWAITING_PAYMENT_ACTION' && s;
    });
    expect(waiting).toMatchObject({ paymentStatus: 'REQUIRES_ACTION', step: 'awaiting_payment_action' });
    expect(waiting.paymentActionDeadline).toBeDefined();
    expect(await db.order(orderId)).toMatchObject({ status: 'AWAITING_PAYMENT_ACTION' });
    const intent = await h.sandbox.authenticate(waiting.paymentReference!, 'succeed');
    expect(intent.status).toBe('requires_capture');
    // Delivered twice, as webhooks may be: the second one is ignored.
    const update = { providerEventId: 'evt_3ds_ok_1', type: 'payment_intent.amount_capturable_updated', paymentIntentId: intent.id, providerStatus: intent.status };
    await handle.signal(paymentUpdateSignal, update);
    await handle.signal(paymentUpdateSignal, update);
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED', compensations: [] });
    expect(await db.events(orderId)).toEqual(['created:-→PENDING', 'status_changed:PENDING→AWAITING_PAYMENT_ACTION', 'status_changed:AWAITING_PAYMENT_ACTION→CONFIRMED']);
    expect(h.calls.filter((c) => c === 'syncPayment')).toHaveLength(1);
  });

  it('3-D Secure failed: void + release, PAYMENT_FAILED (payment_action_failed)', async () => {
    const sku = 'AUD-EARBUDS-02';
    const { handle, orderId } = await start({ lines: [{ sku, quantity: 1 }], paymentMethod: 'pm_card_authenticationRequired' });
    const waiting = await eventually(async () => {
      const s = await handle.query(getStateQuery);
      return s.status === 'AWAITING_PAYMENT_ACTION' && s;
    });
    const intent = await h.sandbox.authenticate(waiting.paymentReference!, 'fail');
    await handle.signal(paymentUpdateSignal, { providerEventId: 'evt_3ds_fail_1', type: 'payment_intent.payment_failed', paymentIntentId: intent.id, providerStatus: intent.status });
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'PAYMENT_FAILED', failure: { code: 'payment_action_failed' } });
    await keepHistory('ts-three-ds-failed', handle);
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
    expect((await db.reservations(orderId)).map((r) => r.state)).toEqual(['RELEASED']);
    expect(await h.sandbox.liveIntents(orderId)).toEqual([]);
  });

  it('3-D Secure never completed: after the deadline void + release, PAYMENT_FAILED (payment_action_timeout)', async () => {
    const sku = 'AUD-SPEAKER-03';
    const { handle, orderId } = await start({ lines: [{ sku, quantity: 1 }], paymentMethod: 'pm_card_authenticationRequired', paymentActionTimeout: '15m' });
    const final = await handle.result(); // the 15 minutes pass instantly
    expect(final).toMatchObject({ status: 'PAYMENT_FAILED', paymentStatus: 'VOIDED', failure: { code: 'payment_action_timeout' } });
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
    expect(await db.reserved(sku)).toBe(0);
    const [intent] = await h.sandbox.intents({ orderId });
    expect(intent.status).toBe('canceled');
    expect(await db.payment(orderId)).toMatchObject({ status: 'VOIDED' });
    expect(await db.events(orderId)).toEqual(['created:-→PENDING', 'status_changed:PENDING→AWAITING_PAYMENT_ACTION', 'status_changed:AWAITING_PAYMENT_ACTION→PAYMENT_FAILED']);
  });

  it('finding 4: 3-D Secure completed at the provider but no webhook before the deadline: the last read confirms instead of voiding', async () => {
    const sku = 'AUD-SPEAKER-03';
    const { handle, orderId } = await start({ lines: [{ sku, quantity: 1 }], paymentMethod: 'pm_card_authenticationRequired', paymentActionTimeout: '15m' });
    const waiting = await eventually(async () => {
      const s = await handle.query(getStateQuery);
      return s.status === 'AWAITING_PAYMENT_ACTION' && s;
    });
    // The customer completes the challenge; its webhook never reaches the workflow.
    expect((await h.sandbox.authenticate(waiting.paymentReference!, 'succeed')).status).toBe('requires_capture');
    const final = await handle.result(); // the 15 minutes pass instantly
    expect(final).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED' });
    await keepHistory('ts-three-ds-completed-at-deadline', handle);
    expect(await db.payment(orderId)).toMatchObject({ status: 'CAPTURED' });
    expect(await h.sandbox.liveIntents(orderId)).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    await assertInvariants({ orm: h.orm, sandbox: h.sandbox, orderIds: [orderId] });
  });

  describe('cancellation runs exactly the compensations the progress needs', () => {
    const cancel = (handle: { executeUpdate: (...a: any[]) => Promise<any> }, role: 'customer' | 'ops' = 'customer') =>
      handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: role === 'ops' ? 'ops-1' : 'the-customer', role, reason: 'changed my mind' }] });

    it('before reserve: nothing to undo', async () => {
      const g = gate();
      h.hooks.recordOrder = { after: () => g.wait() };
      const input = checkoutInput({ lines: [{ sku: 'HOM-PAN-04', quantity: 1 }] });
      const handle = await h.env.client.workflow.start('checkout', { workflowId: `order-${input.orderId}`, taskQueue: 'checkout', args: [input] });
      await g.reached;
      const accepted = await handle.startUpdate(cancelOrderUpdate, { args: [{ actor: 'the-customer', role: 'customer' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
      g.open();
      expect(await accepted.result()).toMatchObject({ accepted: true });
      const final = (await handle.result()) as CheckoutState;
      expect(final).toMatchObject({ status: 'CANCELLED', failure: { code: 'cancelled' }, compensations: [] });
      expect(h.calls).not.toContain('reserveStock');
      await keepHistory('ts-cancel-before-reserve', handle as WorkflowHandle);
      expect(await db.events(input.orderId)).toEqual(['created:-→PENDING', 'status_changed:PENDING→CANCELLED']);
    });

    it('after reserve: releases the stock only', async () => {
      const sku = 'HOM-PAN-04';
      const g = gate();
      h.hooks.reserveStock = { after: () => g.wait() };
      const { handle, orderId } = await start({ lines: [{ sku, quantity: 2 }] });
      await g.reached;
      const accepted = await handle.startUpdate(cancelOrderUpdate, { args: [{ actor: 'the-customer', role: 'customer' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
      g.open();
      await accepted.result();
      const final = await handle.result();
      expect(final).toMatchObject({ status: 'CANCELLED' });
      expect(compensationsOf(final)).toEqual(['release_stock:done']);
      expect(h.calls).not.toContain('authorizePayment');
      expect(await db.reserved(sku)).toBe(0);
      await keepHistory('ts-cancel-after-reserve', handle);
      expect((await db.reservations(orderId)).map((r) => r.state)).toEqual(['RELEASED']);
    });

    it('after authorize (cancel arrives while the charge is in flight): voids and releases', async () => {
      const sku = 'HOM-GRINDER-02';
      const g = gate();
      h.hooks.authorizePayment = { after: () => g.wait() };
      const { handle, orderId } = await start({ lines: [{ sku, quantity: 1 }] });
      await g.reached;
      const accepted = await handle.startUpdate(cancelOrderUpdate, { args: [{ actor: 'the-customer', role: 'customer' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
      g.open();
      await accepted.result();
      const final = await handle.result();
      expect(final).toMatchObject({ status: 'CANCELLED', paymentStatus: 'VOIDED' });
      expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
      expect(h.calls).not.toContain('confirmOrder');
      await keepHistory('ts-cancel-after-authorize', handle);
      const [intent] = await h.sandbox.intents({ orderId });
      expect(intent.status).toBe('canceled');
      expect(await db.payment(orderId)).toMatchObject({ status: 'VOIDED' });
      expect(await db.reserved(sku)).toBe(0);
    });

    it('after capture: the customer is refused; ops cancel refunds (CANCELLED, REFUNDED)', async () => {
      const { handle, orderId } = await start({ lines: [{ sku: 'OUT-HEADLAMP-04', quantity: 2 }] });
      await eventually(async () => (await handle.query(getStateQuery)).paymentStatus === 'CAPTURED');
      await expect(cancel(handle, 'customer')).rejects.toThrow(WorkflowUpdateFailedError);
      const r = await cancel(handle, 'ops');
      expect(r).toMatchObject({ accepted: true });
      const final = await handle.result();
      expect(final).toMatchObject({ status: 'CANCELLED', paymentStatus: 'REFUNDED' });
      expect(compensationsOf(final)).toEqual(['refund_payment:done', 'restock:done']);
      const [intent] = await h.sandbox.intents({ orderId });
      expect(intent).toMatchObject({ status: 'succeeded', amount_received: 9000, amount_refunded: 9000 });
      expect(await db.payment(orderId)).toMatchObject({ status: 'REFUNDED', captured_amount: 9000, refunded_amount: 9000 });
      await keepHistory('ts-ops-cancel-request-recorded', handle);
      expect(await db.events(orderId)).toEqual(['created:-→PENDING', 'status_changed:PENDING→CONFIRMED', 'cancel_requested:CONFIRMED→CONFIRMED', 'restocked:CONFIRMED→CONFIRMED', 'status_changed:CONFIRMED→CANCELLED']);
    });

    it('finding 6: an ops cancel of a CONFIRMED order refunds and puts the units back on hand (once)', async () => {
      const sku = 'OUT-HEADLAMP-04';
      const onHandBefore = await db.onHand(sku);
      const { handle, orderId } = await start({ lines: [{ sku, quantity: 3 }] });
      await eventually(async () => (await handle.query(getStateQuery)).paymentStatus === 'CAPTURED');
      expect(await db.onHand(sku)).toBe(onHandBefore - 3);
      await cancel(handle, 'ops');
      const final = await handle.result();
      expect(final).toMatchObject({ status: 'CANCELLED', paymentStatus: 'REFUNDED' });
      await keepHistory('ts-ops-cancel-restocks', handle);
      expect(await db.onHand(sku)).toBe(onHandBefore);
      expect((await db.reservations(orderId)).map((r) => r.state)).toEqual(['RELEASED']);
      // Idempotent: a second restock (a retried compensation) changes nothing.
      const again = await h.orm.em.getConnection().execute(`select count(*)::int as n from order_events where order_id = ? and type = 'restocked'`, [orderId]);
      expect(again[0].n).toBe(1);
      expect(await db.events(orderId)).toContain('restocked:CONFIRMED→CONFIRMED');
      await assertInvariants({ orm: h.orm, sandbox: h.sandbox, orderIds: [orderId] });
    });
  });

  describe('finding 3: a workflow cancellation (Temporal Web UI / CLI) runs the compensations', () => {
    const cancelledRun = async (handle: WorkflowHandle) => {
      const err = await handle.result().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    };

    it('finding 3: cancelled while waiting for 3-D Secure: voids, releases, order CANCELLED', async () => {
      const sku = 'AUD-EARBUDS-02';
      const { handle, orderId } = await start({ lines: [{ sku, quantity: 2 }], paymentMethod: 'pm_card_authenticationRequired' });
      await eventually(async () => (await handle.query(getStateQuery)).status === 'AWAITING_PAYMENT_ACTION');
      await handle.cancel();
      await cancelledRun(handle);
      await keepHistory('ts-workflow-cancelled-awaiting-action', handle);
      expect(await db.order(orderId)).toMatchObject({ status: 'CANCELLED', failure_code: 'cancelled' });
      expect((await db.reservations(orderId)).map((r) => r.state)).toEqual(['RELEASED']);
      expect(await db.payment(orderId)).toMatchObject({ status: 'VOIDED' });
      expect(await h.sandbox.liveIntents(orderId)).toEqual([]);
      expect(await db.events(orderId)).toEqual(['created:-→PENDING', 'status_changed:PENDING→AWAITING_PAYMENT_ACTION', 'status_changed:AWAITING_PAYMENT_ACTION→CANCELLED']);
      await assertInvariants({ orm: h.orm, sandbox: h.sandbox, orderIds: [orderId] });
    });

    it('finding 3: cancelled in aftercare after capture: refunds, restocks, order CANCELLED', async () => {
      const sku = 'HOM-LAMP-03';
      const onHandBefore = await db.onHand(sku);
      const { handle, orderId } = await start({ lines: [{ sku, quantity: 1 }] });
      await eventually(async () => (await handle.query(getStateQuery)).paymentStatus === 'CAPTURED');
      await handle.cancel();
      await cancelledRun(handle);
      expect(await db.order(orderId)).toMatchObject({ status: 'CANCELLED' });
      expect(await db.payment(orderId)).toMatchObject({ status: 'REFUNDED', captured_amount: 4900, refunded_amount: 4900 });
      expect(await db.onHand(sku)).toBe(onHandBefore);
      await assertInvariants({ orm: h.orm, sandbox: h.sandbox, orderIds: [orderId] });
    });

    it('finding 3: cancelled while a decline is being rolled back: keeps PAYMENT_FAILED, the stock still comes back', async () => {
      const sku = 'OUT-STOVE-05';
      h.hooks.releaseStock = { before: (attempt) => { if (attempt === 1) throw nonRetryable('lock timeout on inventory_levels', 'LockTimeout'); } };
      const { handle, orderId } = await start({ lines: [{ sku, quantity: 1 }], paymentMethod: 'pm_card_chargeDeclined', compensationRetryInterval: '3650d' });
      await eventually(async () => (await handle.query(getStateQuery)).attention === 'compensation_failed');
      await handle.cancel();
      await cancelledRun(handle);
      expect(await db.order(orderId)).toMatchObject({ status: 'PAYMENT_FAILED', failure_code: 'payment_declined' });
      expect((await db.reservations(orderId)).map((r) => r.state)).toEqual(['RELEASED']);
      await assertInvariants({ orm: h.orm, sandbox: h.sandbox, orderIds: [orderId] });
    });
  });

  it('capture failing (provider 500s) then succeeding: retried with backoff, CAPTURED', async () => {
    h.hooks.capturePayment = {
      before: async (attempt, [input]) => {
        if (attempt === 1) await h.sandbox.setFaults({ errorNext: 2, matching: { method: 'POST', path: `/v1/payment_intents/${input.paymentIntentId}/capture` } });
      },
    };
    const { handle, orderId } = await start({ lines: [{ sku: 'BOK-SAGAS-02', quantity: 1 }] });
    const final = await handle.result();
    await h.sandbox.clearFaults();
    expect(final).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED', compensations: [] });
    expect(final.attention).toBeUndefined();
    expect(h.calls.filter((c) => c === 'capturePayment')).toHaveLength(3);
    await keepHistory('ts-capture-retried', handle);
    expect(await db.payment(orderId)).toMatchObject({ status: 'CAPTURED', captured_amount: 3900 });
  });

  it('capture failing for good (authorization expired at the provider): stays CONFIRMED, flagged capture_failed for finance', async () => {
    h.hooks.capturePayment = {
      // The hold lapses before we capture: the provider cancels the intent on its own.
      before: async (attempt, [input]) => {
        if (attempt === 1) await h.provider.void(input.paymentIntentId, { idempotencyKey: `test-expire-${input.orderId}` });
      },
    };
    const { handle, orderId } = await start({ lines: [{ sku: 'BOK-SYSTEMS-01', quantity: 1 }] });
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'AUTHORIZED', attention: 'capture_failed', compensations: [] });
    expect(await db.order(orderId)).toMatchObject({ status: 'CONFIRMED', attention: 'capture_failed' });
    await keepHistory('ts-capture-failed', handle);
    expect(await db.events(orderId)).toContain('attention_flagged:CONFIRMED→CONFIRMED');
    expect((await h.metrics.ordersFlagged.get()).values).toEqual(expect.arrayContaining([expect.objectContaining({ labels: { attention: 'capture_failed' } })]));
  });

  it('a compensation failing then succeeding: flagged compensation_failed meanwhile, retried until done, flag cleared', async () => {
    const sku = 'OUT-BACKPACK-02';
    // Release fails for a whole round of attempts (a database outage), then recovers.
    h.hooks.releaseStock = { before: (attempt) => { if (attempt <= 5) throw outage('postgres'); } };
    const { handle, orderId } = await start({ lines: [{ sku, quantity: 1 }], paymentMethod: 'pm_card_chargeDeclined' });
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'PAYMENT_FAILED', failure: { code: 'payment_declined' } });
    expect(final.attention).toBeUndefined();
    expect(final.compensations).toEqual([
      expect.objectContaining({ kind: 'void_authorization', outcome: 'done', attempts: 1 }),
      expect.objectContaining({ kind: 'release_stock', outcome: 'done', attempts: 2 }),
    ]);
    expect(h.calls.filter((c) => c === 'releaseStock')).toHaveLength(6);
    await keepHistory('ts-compensation-retried', handle);
    expect(await db.reserved(sku)).toBe(0);
    const events = await db.events(orderId);
    expect(events).toEqual(expect.arrayContaining(['attention_flagged:PENDING→PENDING', 'attention_cleared:PENDING→PENDING']));
    expect(events.at(-1)).toBe('status_changed:PENDING→PAYMENT_FAILED');
    expect(await db.order(orderId)).toMatchObject({ attention: null });
  });

  describe('ops actions', () => {
    it('re-driving a failed capture: flagged capture_failed, redriveCapture → captured, flag cleared', async () => {
      // The first capture fails for good (e.g. a provider-side state the retry cannot fix); ops re-drive it later.
      h.hooks.capturePayment = { before: (attempt) => { if (attempt === 1) throw nonRetryable('capture refused by the provider', 'payment_intent_unexpected_state'); } };
      const { handle, orderId } = await start({ lines: [{ sku: 'HOM-SCALE-05', quantity: 1 }] });
      await eventually(async () => (await handle.query(getStateQuery)).attention === 'capture_failed');
      expect(await db.order(orderId)).toMatchObject({ status: 'CONFIRMED', attention: 'capture_failed' });
      await handle.signal(redriveCaptureSignal, { actor: 'finance-1', reason: 'provider fixed' });
      // The state says CAPTURED one activity before the flag is cleared (flagOrder runs after
      // the capture): wait for both, or the query can land in between.
      const captured = await eventually(async () => { const s = await handle.query(getStateQuery); return s.paymentStatus === 'CAPTURED' && s.attention === undefined && s; });
      expect(captured).toMatchObject({ paymentStatus: 'CAPTURED' });
      expect(await db.order(orderId)).toMatchObject({ attention: null });
      expect(await handle.result()).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED' });
      await keepHistory('ts-capture-redriven', handle);
    });

    it('retryCompensation retries a stuck compensation at once (no need to wait for the long timer)', async () => {
      const sku = 'OUT-STOVE-05';
      h.hooks.releaseStock = { before: (attempt) => { if (attempt === 1) throw nonRetryable('lock timeout on inventory_levels', 'LockTimeout'); } };
      const { handle } = await start({ lines: [{ sku, quantity: 1 }], paymentMethod: 'pm_card_chargeDeclined', compensationRetryInterval: '3650d' });
      await eventually(async () => (await handle.query(getStateQuery)).attention === 'compensation_failed');
      expect(await db.reserved(sku)).toBe(1);
      await handle.signal(retryCompensationSignal, { actor: 'ops-1', reason: 'lock released' });
      const final = await handle.result();
      expect(final).toMatchObject({ status: 'PAYMENT_FAILED' });
      expect(final.attention).toBeUndefined();
      expect(final.compensations.find((c) => c.kind === 'release_stock')).toMatchObject({ outcome: 'done', attempts: 2 });
      expect(await db.reserved(sku)).toBe(0);
    });

    it('markManualReview flags the order (DB + state) and keeps the saga going', async () => {
      const g = gate();
      h.hooks.capturePayment = { before: () => g.wait() };
      const { handle, orderId } = await start({ lines: [{ sku: 'BOK-SAGAS-02', quantity: 1 }] });
      await g.reached;
      const state = await handle.executeUpdate(markManualReviewUpdate, { args: [{ actor: 'ops-2', reason: 'suspicious address' }] });
      expect(state).toMatchObject({ attention: 'manual_review', status: 'CONFIRMED' });
      await expect(handle.executeUpdate(markManualReviewUpdate, { args: [{ actor: '', reason: '' }] })).rejects.toThrow(WorkflowUpdateFailedError);
      g.open();
      expect(await handle.result()).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED', attention: 'manual_review' });
      expect(await db.order(orderId)).toMatchObject({ attention: 'manual_review' });
    });
  });

  it('after every path above, the invariants I1–I5 hold in Postgres and at the provider', async () => {
    const report = await assertInvariants({ orm: h.orm, sandbox: h.sandbox });
    expect(report.orders).toBeGreaterThanOrEqual(14);
  });
});
