// Every branch of the checkout saga against scripted activities on the time-skipping server.
// The tests see only the workflow's public surface: its input, the activities it calls (name,
// pool, arguments, in order) and what it does with their answers, its messages
// (src/contracts/messages.ts) and its result — so a reshaping of workflows/checkout.ts that keeps
// behaviour keeps them green. test/workflow/checkout.test.ts runs the same paths end to end.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { WorkflowFailedError, WorkflowUpdateFailedError, WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { checkout } from '../../workflows/checkout.ts';
import { TASK_QUEUES, cancelOrderUpdate, getStateQuery, markManualReviewUpdate, orderRecordedUpdate, orderWorkflowId, paymentUpdateSignal, redriveCaptureSignal, retryCompensationSignal, type CancelRequest, type CheckoutInput, type CheckoutState, type RecordedOrder } from '../../src/contracts/index.ts';
import { eventually, gate } from '../workflow/harness.ts';
import { happy, startMockHarness, type ActivityCall, type MockHarness } from './mock-harness.ts';

let h: MockHarness;
beforeAll(async () => {
  h = await startMockHarness();
}, 60_000);
afterAll(async () => h?.close());
beforeEach(() => h.reset());

let seq = 0;
const TOTAL = 2 * 1500 + 900;

function recordedOrder(orderId: string, over: Partial<RecordedOrder> = {}): RecordedOrder {
  return {
    orderId, customerId: 'cust-1', status: 'PENDING', currency: 'USD', totalAmount: TOTAL, requestFingerprint: 'fp', unknownSkus: [],
    lines: [
      { lineNo: 1, sku: 'SKU-A', name: 'A', quantity: 2, unitPrice: { amount: 1500, currency: 'USD' } },
      { lineNo: 2, sku: 'SKU-B', name: 'B', quantity: 1, unitPrice: { amount: 900, currency: 'USD' } },
    ],
    ...over,
  };
}

/** An order as intake starts it (the recorded order in the input), with short windows. */
function input(over: Partial<RecordedOrder> = {}, extra: Partial<CheckoutInput> = {}): CheckoutInput {
  seq += 1;
  const orderId = `fast-${process.pid}-${seq}`;
  return {
    orderId, customerId: 'cust-1', paymentMethod: 'pm_card_visa', idempotencyKey: `key-${orderId}`, requestFingerprint: 'fp',
    lines: [{ sku: 'SKU-A', quantity: 2 }, { sku: 'SKU-B', quantity: 1 }],
    paymentActionTimeout: '5m', aftercareWindow: '1h', captureRetryWindow: '10m', compensationRetryInterval: '10m',
    order: recordedOrder(orderId, over),
    ...extra,
  };
}

async function start(i: CheckoutInput) {
  const handle = await h.env.client.workflow.start<typeof checkout>('checkout', { workflowId: orderWorkflowId(i.orderId), taskQueue: TASK_QUEUES.checkout, args: [i] });
  return { handle, orderId: i.orderId, pi: `pi_${i.orderId}` };
}

/** The activity calls of one order, transitions and flags with their target. */
const trace = (orderId: string) => h.callsOf(orderId).map(label);
function label(c: ActivityCall): string {
  if (c.name === 'transitionOrder') return `transitionOrder(${c.input.to})`;
  if (c.name === 'flagOrder') return `flagOrder(${c.input.attention})`;
  return c.name;
}
const callOf = (orderId: string, name: string, nth = 0) => h.callsOf(orderId).filter((c) => c.name === name)[nth];
const compensationsOf = (s: CheckoutState) => s.compensations.map((c) => `${c.kind}:${c.outcome}`);
const stateOf = (handle: WorkflowHandle) => handle.query(getStateQuery);
const until = (handle: WorkflowHandle, ok: (s: CheckoutState) => boolean) => eventually(async () => {
  const s = await stateOf(handle);
  return ok(s) && s;
});
const cancel = (handle: WorkflowHandle, req: CancelRequest) => handle.executeUpdate(cancelOrderUpdate, { args: [req] });

/** A script that fails every call with this error. */
const fails = (err: Error) => (): never => {
  throw err;
};

/** Holds an activity (answering as on the happy path) until the test opens the gate. */
function paused(name: 'reserveStock' | 'authorizePayment' | 'confirmOrder') {
  const g = gate();
  h.scripts[name] = (async (i: any, attempt: number) => {
    await g.wait();
    return (happy[name] as (i: any, attempt: number) => unknown)(i, attempt);
  }) as never;
  return g;
}

const declined = (code: string, message: string, paymentIntentId?: string) =>
  ApplicationFailure.nonRetryable(message, 'PaymentDeclined', { code, paymentIntentId });
const requiresAction = (orderId: string) => ({ outcome: 'requires_action' as const, paymentIntentId: `pi_${orderId}`, providerStatus: 'requires_action' });
const providerSays = (providerStatus: string) => ({ providerStatus });

describe('happy path', () => {
  it('with the recorded order in the input: reserve → authorize → confirm → capture, then aftercare ends', async () => {
    const i = input();
    const { handle, orderId, pi } = await start(i);
    const final = await handle.result();
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'confirmOrder', 'capturePayment']);
    expect(h.callsOf(orderId).map((c) => c.pool)).toEqual(['inventory', 'payments', 'orders', 'payments']);
    expect(callOf(orderId, 'reserveStock').input).toEqual({ orderId, lines: [{ lineNo: 1, sku: 'SKU-A', quantity: 2 }, { lineNo: 2, sku: 'SKU-B', quantity: 1 }] });
    expect(callOf(orderId, 'authorizePayment').input).toEqual({ orderId, customerId: 'cust-1', amount: TOTAL, currency: 'USD', paymentMethod: 'pm_card_visa' });
    expect(callOf(orderId, 'confirmOrder').input).toEqual({ orderId });
    expect(callOf(orderId, 'capturePayment').input).toEqual({ orderId, paymentIntentId: pi, amount: TOTAL });
    expect(final).toEqual({
      orderId, status: 'CONFIRMED', paymentStatus: 'CAPTURED', step: 'done', paymentReference: pi, compensations: [], total: { amount: TOTAL, currency: 'USD' },
    });
  });

  it('waits in aftercare (CONFIRMED, captured) until the window ends', async () => {
    const { handle } = await start(input());
    const open = await until(handle, (s) => s.paymentStatus === 'CAPTURED' && s.step === 'done');
    expect(open.status).toBe('CONFIRMED');
    await h.env.sleep('30m');
    expect(await stateOf(handle)).toMatchObject({ step: 'done' });
    await expect(handle.describe()).resolves.toMatchObject({ status: { name: 'RUNNING' } });
    await h.env.sleep('31m');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });

  it('without the order in the input (older API): records it first, and orderRecorded answers with it', async () => {
    const i = input();
    const recorded = i.order!;
    delete i.order;
    h.scripts.recordOrder = () => recorded;
    const { handle, orderId } = await start(i);
    expect(await handle.executeUpdate(orderRecordedUpdate)).toEqual(recorded);
    expect(await handle.result()).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED' });
    expect(trace(orderId)).toEqual(['recordOrder', 'reserveStock', 'authorizePayment', 'confirmOrder', 'capturePayment']);
    expect(callOf(orderId, 'recordOrder')).toMatchObject({ pool: 'orders', input: { orderId, customerId: 'cust-1', idempotencyKey: `key-${orderId}` } });
  });

  it('an infrastructure failure of a step is retried, not a business outcome', async () => {
    h.scripts.reserveStock = (i, attempt) => {
      if (attempt < 3) throw new Error('connection refused (simulated outage)');
      return happy.reserveStock!(i, attempt);
    };
    const { handle, orderId } = await start(input());
    expect(await handle.result()).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED', compensations: [] });
    expect(trace(orderId)).toEqual(['reserveStock', 'reserveStock', 'reserveStock', 'authorizePayment', 'confirmOrder', 'capturePayment']);
  });
});

describe('rejected before payment', () => {
  it.each([
    ['an unknown sku', { unknownSkus: ['GONE-1'] }, 'Unknown or unavailable products: GONE-1'],
    ['no lines at all', { lines: [] }, 'Unknown or unavailable products: none'],
  ])('%s → REJECTED (unknown_sku), nothing reserved or charged', async (_what, over, message) => {
    const { handle, orderId } = await start(input(over));
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'REJECTED', paymentStatus: 'PENDING', step: 'done', failure: { code: 'unknown_sku', message }, compensations: [] });
    expect(trace(orderId)).toEqual(['transitionOrder(REJECTED)']);
    expect(callOf(orderId, 'transitionOrder').input).toEqual({ orderId, to: 'REJECTED', dedupeKey: 'to:REJECTED', failure: { code: 'unknown_sku', message } });
  });

  it('OutOfStock → REJECTED (out_of_stock); the release still runs (a late attempt may have reserved)', async () => {
    h.scripts.reserveStock = fails(ApplicationFailure.nonRetryable('SKU-A: 2 wanted, 0 available', 'OutOfStock'));
    const { handle, orderId } = await start(input());
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'REJECTED', paymentStatus: 'PENDING', failure: { code: 'out_of_stock', message: 'SKU-A: 2 wanted, 0 available' } });
    expect(compensationsOf(final)).toEqual(['release_stock:done']);
    expect(trace(orderId)).toEqual(['reserveStock', 'releaseStock', 'transitionOrder(REJECTED)']);
    expect(callOf(orderId, 'releaseStock')).toMatchObject({ pool: 'inventory', input: { orderId } });
  });
});

describe('payment failures', () => {
  it.each([
    ['insufficient_funds', 'insufficient_funds'],
    ['card_declined', 'payment_declined'],
  ])('a decline (%s) → PAYMENT_FAILED (%s): void the declined intent, then release', async (declineCode, code) => {
    h.scripts.authorizePayment = fails(declined(declineCode, 'Your card was declined.', 'pi_declined'));
    const { handle, orderId } = await start(input());
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'PAYMENT_FAILED', paymentStatus: 'FAILED', paymentReference: 'pi_declined', failure: { code, message: 'Your card was declined.' } });
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'voidPayment', 'releaseStock', 'transitionOrder(PAYMENT_FAILED)']);
    expect(callOf(orderId, 'voidPayment').input).toEqual({ orderId, paymentIntentId: 'pi_declined' });
    expect(callOf(orderId, 'transitionOrder').input).toEqual({ orderId, to: 'PAYMENT_FAILED', dedupeKey: 'to:PAYMENT_FAILED', failure: { code, message: 'Your card was declined.' } });
  });

  it('a final provider error that is not a decline → PAYMENT_FAILED (payment_error): void by order id, release', async () => {
    h.scripts.authorizePayment = fails(ApplicationFailure.nonRetryable('Received unknown parameter: foo', 'parameter_unknown'));
    const { handle, orderId } = await start(input());
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'PAYMENT_FAILED', paymentStatus: 'PENDING', failure: { code: 'payment_error', message: 'Received unknown parameter: foo' } });
    expect(final.paymentReference).toBeUndefined();
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'voidPayment', 'releaseStock', 'transitionOrder(PAYMENT_FAILED)']);
    expect(callOf(orderId, 'voidPayment').input).toEqual({ orderId });
  });
});

describe('3-D Secure', () => {
  async function awaitingAction(i = input()) {
    h.scripts.authorizePayment = ({ orderId }) => requiresAction(orderId);
    const started = await start(i);
    const waiting = await until(started.handle, (s) => s.step === 'awaiting_payment_action');
    return { ...started, waiting };
  }
  const webhook = (handle: WorkflowHandle, pi: string, providerEventId: string, providerStatus = 'requires_capture') =>
    handle.signal(paymentUpdateSignal, { providerEventId, type: 'payment_intent.amount_capturable_updated', paymentIntentId: pi, providerStatus });

  it('requires_action: AWAITING_PAYMENT_ACTION; the webhook nudges a re-read that finds it authorized → confirm, capture', async () => {
    h.scripts.syncPayment = () => providerSays('requires_capture');
    const { handle, orderId, pi, waiting } = await awaitingAction();
    expect(waiting).toMatchObject({ status: 'AWAITING_PAYMENT_ACTION', paymentStatus: 'REQUIRES_ACTION', paymentReference: pi });
    expect(Date.parse(waiting.paymentActionDeadline!)).toBeGreaterThan(Date.now() - 60_000);
    expect(callOf(orderId, 'transitionOrder').input).toEqual({ orderId, to: 'AWAITING_PAYMENT_ACTION', dedupeKey: 'to:AWAITING_PAYMENT_ACTION', reason: '3-D Secure authentication required' });
    await webhook(handle, pi, 'evt_1');
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED', compensations: [] });
    expect(final.paymentActionDeadline).toBeUndefined();
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'transitionOrder(AWAITING_PAYMENT_ACTION)', 'syncPayment', 'confirmOrder', 'capturePayment']);
    expect(callOf(orderId, 'syncPayment').input).toEqual({ orderId, paymentIntentId: pi });
  });

  it('webhooks are deduplicated, another intent\'s are ignored, and a still-waiting read keeps waiting', async () => {
    h.scripts.syncPayment = (_i, attempt) => providerSays(attempt === 1 ? 'requires_action' : 'requires_capture');
    const { handle, orderId, pi } = await awaitingAction();
    await webhook(handle, pi, 'evt_1', 'requires_action');
    await eventually(async () => h.callsOf(orderId).some((c) => c.name === 'syncPayment'));
    await webhook(handle, pi, 'evt_1');
    await webhook(handle, 'pi_someone_else', 'evt_other');
    expect((await stateOf(handle)).step).toBe('awaiting_payment_action');
    await webhook(handle, pi, 'evt_2');
    expect(await handle.result()).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED' });
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'transitionOrder(AWAITING_PAYMENT_ACTION)', 'syncPayment', 'syncPayment', 'confirmOrder', 'capturePayment']);
  });

  it('the re-read finds the authentication failed → PAYMENT_FAILED (payment_action_failed): void, release', async () => {
    h.scripts.syncPayment = () => providerSays('requires_payment_method');
    const { handle, orderId, pi } = await awaitingAction();
    await webhook(handle, pi, 'evt_1', 'requires_payment_method');
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'PAYMENT_FAILED', paymentStatus: 'FAILED', failure: { code: 'payment_action_failed' } });
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'transitionOrder(AWAITING_PAYMENT_ACTION)', 'syncPayment', 'voidPayment', 'releaseStock', 'transitionOrder(PAYMENT_FAILED)']);
    expect(callOf(orderId, 'voidPayment').input).toEqual({ orderId, paymentIntentId: pi });
  });

  it('no answer by the deadline: one last read, still waiting → PAYMENT_FAILED (payment_action_timeout): void, release', async () => {
    const { handle, orderId, pi } = await awaitingAction();
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'PAYMENT_FAILED', paymentStatus: 'VOIDED', failure: { code: 'payment_action_timeout' } });
    expect(final.paymentActionDeadline).toBeUndefined();
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'transitionOrder(AWAITING_PAYMENT_ACTION)', 'syncPayment', 'voidPayment', 'releaseStock', 'transitionOrder(PAYMENT_FAILED)']);
    expect(callOf(orderId, 'syncPayment').input).toEqual({ orderId, paymentIntentId: pi });
  });

  it('the deadline\'s last read finds it authorized (the webhook was late) → confirm, capture', async () => {
    h.scripts.syncPayment = () => providerSays('requires_capture');
    const { handle, orderId } = await awaitingAction();
    expect(await handle.result()).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED', compensations: [] });
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'transitionOrder(AWAITING_PAYMENT_ACTION)', 'syncPayment', 'confirmOrder', 'capturePayment']);
  });

  it('the void finds the intent already captured → refunds it instead', async () => {
    h.scripts.voidPayment = ({ paymentIntentId }) => ({ outcome: 'already_captured', paymentIntentId, providerStatus: 'succeeded', paymentStatus: 'CAPTURED' });
    const { handle, orderId, pi } = await awaitingAction();
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'PAYMENT_FAILED', paymentStatus: 'REFUNDED', failure: { code: 'payment_action_timeout' } });
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'transitionOrder(AWAITING_PAYMENT_ACTION)', 'syncPayment', 'voidPayment', 'refundPayment', 'releaseStock', 'transitionOrder(PAYMENT_FAILED)']);
    expect(callOf(orderId, 'refundPayment')).toMatchObject({ pool: 'payments', input: { orderId, paymentIntentId: pi } });
  });
});

describe('customer cancel (update)', () => {
  const customer: CancelRequest = { role: 'customer', actor: 'cust-1', reason: 'changed my mind' };

  it('while waiting for 3-D Secure → CANCELLED at once: void, release; the update answers CANCELLED', async () => {
    h.scripts.authorizePayment = ({ orderId }) => requiresAction(orderId);
    const { handle, orderId, pi } = await start(input());
    await until(handle, (s) => s.step === 'awaiting_payment_action');
    expect(await cancel(handle, customer)).toEqual({ accepted: true, status: 'CANCELLED' });
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'CANCELLED', paymentStatus: 'VOIDED', failure: { code: 'cancelled', message: 'Cancelled by customer: changed my mind' } });
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'transitionOrder(AWAITING_PAYMENT_ACTION)', 'voidPayment', 'releaseStock', 'transitionOrder(CANCELLED)']);
    expect(callOf(orderId, 'voidPayment').input).toEqual({ orderId, paymentIntentId: pi });
    expect(callOf(orderId, 'transitionOrder', 1).input).toEqual({
      orderId, to: 'CANCELLED', dedupeKey: 'to:CANCELLED', actor: 'cust-1', reason: 'changed my mind', failure: { code: 'cancelled', message: 'Cancelled by customer: changed my mind' },
    });
  });

  it('during the reservation: takes effect when it returns — release only, nothing charged', async () => {
    const g = paused('reserveStock');
    const { handle, orderId } = await start(input());
    await g.reached;
    const upd = await handle.startUpdate(cancelOrderUpdate, { args: [{ role: 'customer', actor: 'cust-1' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
    g.open();
    expect(await upd.result()).toEqual({ accepted: true, status: 'CANCELLED' });
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'CANCELLED', paymentStatus: 'PENDING', failure: { code: 'cancelled', message: 'Cancelled by customer' } });
    expect(compensationsOf(final)).toEqual(['release_stock:done']);
    expect(trace(orderId)).toEqual(['reserveStock', 'releaseStock', 'transitionOrder(CANCELLED)']);
    expect(callOf(orderId, 'transitionOrder').input).toMatchObject({ actor: 'cust-1', reason: 'cancelled by customer' });
  });

  it('during the authorization: takes effect when it returns — void the new intent, release', async () => {
    const g = paused('authorizePayment');
    const { handle, orderId, pi } = await start(input());
    await g.reached;
    const upd = await handle.startUpdate(cancelOrderUpdate, { args: [customer], waitForStage: WorkflowUpdateStage.ACCEPTED });
    g.open();
    expect(await upd.result()).toEqual({ accepted: true, status: 'CANCELLED' });
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'CANCELLED', paymentStatus: 'VOIDED', paymentReference: pi });
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'voidPayment', 'releaseStock', 'transitionOrder(CANCELLED)']);
    expect(callOf(orderId, 'voidPayment').input).toEqual({ orderId, paymentIntentId: pi });
  });

  it('once confirming or confirmed: rejected (OrderNotCancellable), the order goes on', async () => {
    const g = paused('confirmOrder');
    const { handle, orderId } = await start(input());
    await g.reached;
    const whileConfirming = await cancel(handle, customer).catch((e: unknown) => e);
    expect(whileConfirming).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((whileConfirming as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'OrderNotCancellable' });
    g.open();
    await until(handle, (s) => s.paymentStatus === 'CAPTURED');
    const afterConfirm = await cancel(handle, customer).catch((e: unknown) => e);
    expect((afterConfirm as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'OrderNotCancellable', message: expect.stringContaining('only ops') });
    expect(await handle.result()).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED', compensations: [] });
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'confirmOrder', 'capturePayment']);
  });

  it('a bad request (no role) is rejected by the validator', async () => {
    h.scripts.authorizePayment = ({ orderId }) => requiresAction(orderId);
    const { handle } = await start(input());
    await until(handle, (s) => s.step === 'awaiting_payment_action');
    await expect(cancel(handle, { actor: 'x' } as CancelRequest)).rejects.toThrow(WorkflowUpdateFailedError);
    await handle.terminate('test over');
  });
});

describe('ops cancel in aftercare', () => {
  const ops: CancelRequest = { role: 'ops', actor: 'ops-ann', reason: 'fraud' };

  it('a captured order: record the request, refund, restock → CANCELLED', async () => {
    const { handle, orderId, pi } = await start(input());
    await until(handle, (s) => s.step === 'done' && s.paymentStatus === 'CAPTURED');
    expect(await cancel(handle, ops)).toEqual({ accepted: true, status: 'CANCELLED' });
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'CANCELLED', paymentStatus: 'REFUNDED', failure: { code: 'cancelled', message: 'Cancelled by ops: fraud' } });
    expect(compensationsOf(final)).toEqual(['refund_payment:done', 'restock:done']);
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'confirmOrder', 'capturePayment', 'recordCancelRequest', 'refundPayment', 'restockStock', 'transitionOrder(CANCELLED)']);
    expect(callOf(orderId, 'recordCancelRequest').input).toEqual({ orderId, actor: 'ops-ann', reason: 'fraud' });
    expect(callOf(orderId, 'refundPayment').input).toEqual({ orderId, paymentIntentId: pi });
    expect(callOf(orderId, 'restockStock')).toMatchObject({ pool: 'inventory', input: { orderId, actor: 'ops-ann' } });
    expect(callOf(orderId, 'transitionOrder').input).toMatchObject({ to: 'CANCELLED', actor: 'ops-ann', reason: 'fraud' });
  });

  it('an order whose capture failed: void the hold (through refundPayment), restock, clear the flag → CANCELLED', async () => {
    h.scripts.capturePayment = fails(ApplicationFailure.nonRetryable('This PaymentIntent could not be captured', 'payment_intent_unexpected_state'));
    h.scripts.refundPayment = ({ paymentIntentId }) => ({ outcome: 'voided', paymentIntentId, providerStatus: 'canceled', paymentStatus: 'VOIDED' });
    const { handle, orderId, pi } = await start(input());
    await until(handle, (s) => s.attention === 'capture_failed');
    expect(await cancel(handle, ops)).toEqual({ accepted: true, status: 'CANCELLED' });
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'CANCELLED', paymentStatus: 'VOIDED' });
    expect(final.attention).toBeUndefined();
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'restock:done']);
    expect(trace(orderId)).toEqual([
      'reserveStock', 'authorizePayment', 'confirmOrder', 'capturePayment', 'flagOrder(capture_failed)',
      'recordCancelRequest', 'refundPayment', 'restockStock', 'flagOrder(null)', 'transitionOrder(CANCELLED)',
    ]);
    expect(callOf(orderId, 'refundPayment').input).toEqual({ orderId, paymentIntentId: pi });
    expect(callOf(orderId, 'flagOrder', 1).input).toMatchObject({ attention: null, dedupeKey: 'attention:cleared:capture_failed:cancelled' });
  });
});

describe('manual review (update)', () => {
  it('flags the order for review and answers with the state; a request without actor or reason is rejected', async () => {
    const { handle, orderId } = await start(input());
    await until(handle, (s) => s.step === 'done' && s.paymentStatus === 'CAPTURED');
    await expect(handle.executeUpdate(markManualReviewUpdate, { args: [{ actor: '', reason: '' }] })).rejects.toThrow(WorkflowUpdateFailedError);
    const s = await handle.executeUpdate(markManualReviewUpdate, { args: [{ actor: 'ops-ann', reason: 'odd address' }] });
    expect(s).toMatchObject({ status: 'CONFIRMED', attention: 'manual_review' });
    expect(await handle.result()).toMatchObject({ status: 'CONFIRMED', attention: 'manual_review' });
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'confirmOrder', 'capturePayment', 'flagOrder(manual_review)']);
    expect(callOf(orderId, 'flagOrder').input).toEqual({
      orderId, attention: 'manual_review', reason: 'manual review requested by ops-ann: odd address', dedupeKey: 'attention:manual_review:ops-ann:odd address', actor: 'ops-ann',
    });
  });
});

describe('capture failure and re-drive', () => {
  it('capture keeps failing past captureRetryWindow → flagged capture_failed; redriveCapture → captured, flag cleared', async () => {
    let providerDown = true;
    h.scripts.capturePayment = (i, attempt) => {
      if (providerDown) throw new Error('provider: 503 (simulated outage)');
      return happy.capturePayment!(i, attempt);
    };
    const { handle, orderId, pi } = await start(input());
    await h.env.sleep('11m');
    const flagged = await until(handle, (s) => s.attention === 'capture_failed');
    expect(flagged).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'AUTHORIZED', step: 'done' });
    const failedCaptures = h.callsOf(orderId).filter((c) => c.name === 'capturePayment').length;
    expect(failedCaptures).toBeGreaterThan(1);
    expect(callOf(orderId, 'flagOrder').input).toMatchObject({ orderId, attention: 'capture_failed', reason: expect.stringContaining('capture failed'), dedupeKey: 'attention:capture_failed:0' });

    providerDown = false;
    await handle.signal(redriveCaptureSignal, { actor: 'fin-bob', reason: 'provider is back' });
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED', step: 'done', compensations: [] });
    expect(final.attention).toBeUndefined();
    expect(trace(orderId)).toEqual([
      'reserveStock', 'authorizePayment', 'confirmOrder', ...Array(failedCaptures).fill('capturePayment'), 'flagOrder(capture_failed)',
      'capturePayment', 'flagOrder(null)',
    ]);
    expect(callOf(orderId, 'capturePayment', failedCaptures).input).toEqual({ orderId, paymentIntentId: pi, amount: TOTAL });
    expect(callOf(orderId, 'flagOrder', 1).input).toMatchObject({ attention: null, dedupeKey: 'attention:cleared:capture_failed:1' });
  });
});

describe('a compensation that keeps failing', () => {
  const declineAndFailRelease = (failing: (attempt: number) => boolean) => {
    h.scripts.authorizePayment = fails(declined('card_declined', 'Your card was declined.', 'pi_declined'));
    h.scripts.releaseStock = (i, attempt) => {
      if (failing(attempt)) throw new Error('inventory: connection refused (simulated outage)');
      return happy.releaseStock!(i, attempt);
    };
  };

  it('past its retries → flagged compensation_failed; retryCompensation → done, flag cleared, then the outcome', async () => {
    let down = true;
    declineAndFailRelease(() => down);
    const { handle, orderId } = await start(input());
    await h.env.sleep('1m');
    const stuck = await until(handle, (s) => s.attention === 'compensation_failed');
    expect(stuck).toMatchObject({ status: 'PENDING', step: 'compensating' });
    expect(stuck.compensations).toEqual([
      { kind: 'void_authorization', outcome: 'done', attempts: 1 },
      { kind: 'release_stock', outcome: 'failed', attempts: 1, lastError: 'inventory: connection refused (simulated outage)' },
    ]);
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'voidPayment', ...Array(5).fill('releaseStock'), 'flagOrder(compensation_failed)']);
    expect(callOf(orderId, 'flagOrder').input).toMatchObject({ attention: 'compensation_failed', reason: expect.stringContaining('release_stock keeps failing'), dedupeKey: 'attention:compensation_failed' });

    down = false;
    await handle.signal(retryCompensationSignal, { actor: 'ops-ann', reason: 'inventory is back' });
    // Time stands still outside result(): only the signal can have started the next round.
    const done = await until(handle, (s) => s.status === 'PAYMENT_FAILED');
    expect(done.attention).toBeUndefined();
    expect(done.compensations).toEqual([
      { kind: 'void_authorization', outcome: 'done', attempts: 1 },
      { kind: 'release_stock', outcome: 'done', attempts: 2 },
    ]);
    expect(await handle.result()).toMatchObject({ status: 'PAYMENT_FAILED', failure: { code: 'payment_declined' } });
    expect(trace(orderId).slice(9)).toEqual(['releaseStock', 'flagOrder(null)', 'transitionOrder(PAYMENT_FAILED)']);
    expect(callOf(orderId, 'flagOrder', 1).input).toMatchObject({ attention: null, dedupeKey: 'attention:cleared:compensation_failed' });
  });

  it('without a nudge, the next round runs after compensationRetryInterval', async () => {
    declineAndFailRelease((attempt) => attempt <= 5);
    const { handle, orderId } = await start(input());
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'PAYMENT_FAILED' });
    expect(final.attention).toBeUndefined();
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
    expect(trace(orderId)).toEqual([
      'reserveStock', 'authorizePayment', 'voidPayment', ...Array(5).fill('releaseStock'), 'flagOrder(compensation_failed)',
      'releaseStock', 'flagOrder(null)', 'transitionOrder(PAYMENT_FAILED)',
    ]);
  });
});

describe('cancelling the workflow in Temporal', () => {
  async function cancelledResult(handle: WorkflowHandle) {
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    return stateOf(handle);
  }

  it('while waiting for 3-D Secure: compensates as an ops cancel and ends CANCELLED', async () => {
    h.scripts.authorizePayment = ({ orderId }) => requiresAction(orderId);
    const { handle, orderId, pi } = await start(input());
    await until(handle, (s) => s.step === 'awaiting_payment_action');
    const final = await cancelledResult(handle);
    expect(final).toMatchObject({ status: 'CANCELLED', paymentStatus: 'VOIDED', step: 'done', failure: { code: 'cancelled', message: 'Cancelled by ops: workflow cancelled in Temporal' } });
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'transitionOrder(AWAITING_PAYMENT_ACTION)', 'voidPayment', 'releaseStock', 'transitionOrder(CANCELLED)']);
    expect(callOf(orderId, 'voidPayment').input).toEqual({ orderId, paymentIntentId: pi });
    expect(callOf(orderId, 'transitionOrder', 1).input).toMatchObject({ to: 'CANCELLED', actor: 'temporal', reason: 'workflow cancelled in Temporal' });
  });

  it('in aftercare: records the request, refunds, restocks, ends CANCELLED', async () => {
    const { handle, orderId } = await start(input());
    await until(handle, (s) => s.step === 'done' && s.paymentStatus === 'CAPTURED');
    const final = await cancelledResult(handle);
    expect(final).toMatchObject({ status: 'CANCELLED', paymentStatus: 'REFUNDED' });
    expect(compensationsOf(final)).toEqual(['refund_payment:done', 'restock:done']);
    expect(trace(orderId)).toEqual(['reserveStock', 'authorizePayment', 'confirmOrder', 'capturePayment', 'recordCancelRequest', 'refundPayment', 'restockStock', 'transitionOrder(CANCELLED)']);
    expect(callOf(orderId, 'recordCancelRequest').input).toEqual({ orderId, actor: 'temporal', reason: 'workflow cancelled in Temporal' });
  });

  /** A decline whose release is stuck (flagged compensation_failed), then the workflow is cancelled. */
  async function cancelledWhileStuck() {
    h.scripts.authorizePayment = fails(declined('card_declined', 'Your card was declined.', 'pi_declined'));
    let down = true;
    h.scripts.releaseStock = (i, attempt) => {
      if (down) throw new Error('inventory: connection refused (simulated outage)');
      return happy.releaseStock!(i, attempt);
    };
    const { handle, orderId } = await start(input());
    await h.env.sleep('1m');
    await until(handle, (s) => s.attention === 'compensation_failed');
    down = false;
    return { orderId, final: await cancelledResult(handle) };
  }

  it('while rolling back a decline (a compensation stuck): finishes that outcome, PAYMENT_FAILED, and clears compensation_failed', async () => {
    const { orderId, final } = await cancelledWhileStuck();
    expect(final).toMatchObject({ status: 'PAYMENT_FAILED', failure: { code: 'payment_declined' } });
    // The interrupted round's record is carried on, not left 'failed' beside a new one, and the
    // flag set by the stuck round is cleared once the undo succeeds (it outlived it before the
    // 2026-12-recover-after-interrupted-compensation patch).
    expect(compensationsOf(final)).toEqual(['void_authorization:done', 'release_stock:done']);
    expect(final.attention).toBeUndefined();
    expect(trace(orderId)).toEqual([
      'reserveStock', 'authorizePayment', 'voidPayment', ...Array(5).fill('releaseStock'), 'flagOrder(compensation_failed)',
      'releaseStock', 'flagOrder(null)', 'transitionOrder(PAYMENT_FAILED)',
    ]);
    expect(callOf(orderId, 'flagOrder', 1).input).toMatchObject({ attention: null, dedupeKey: 'attention:cleared:compensation_failed' });
  });
});
