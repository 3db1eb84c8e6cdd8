// The checkout saga: one durable workflow per order (id `order-<orderId>`).
//   record → reserve stock → authorize payment (→ 3-D Secure wait) → confirm → capture → aftercare
// Each step is an idempotent activity on its pool's task queue. A failure or a cancellation
// runs exactly the compensations the progress so far needs (release stock, void, refund).
//
// Cancellation model: record/reserve/authorize/confirm are short, idempotent activities; a
// cancel request takes effect at the next step boundary (the step is not abandoned halfway,
// so an in-flight reservation or charge can never be missed by its undo). Waiting for
// 3-D Secure, capture retries and the aftercare window are interrupted at once.
//
// Versioning convention: this code is replayed against every open order's history
// (aftercare keeps confirmed orders open for 30 days). Any change to the sequence of
// commands (activities, timers, search-attribute upserts) must be guarded with
// `if (patched('<yyyy-mm>-<what-changed>')) { new } else { old }`; once no open workflow
// predates it, switch to `deprecatePatch(id)`, and later drop the old branch. The replay
// test (test/workflow/replay.test.ts) replays recorded histories of every path, so a change
// that forgets the guard fails CI.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { InventoryActivities } from '../activities/inventory.ts';
import type { OrderActivities } from '../activities/orders.ts';
import type { DeclineDetails, PaymentActivities } from '../activities/payments.ts';
import { Saga } from './saga.ts';
import { CHECKOUT_DEFAULTS, SA, TASK_QUEUES, cancelOrderUpdate, getStateQuery, isTerminal, markManualReviewUpdate, orderRecordedUpdate, paymentUpdateSignal, redriveCaptureSignal, retryCompensationSignal, type CancelRequest, type CheckoutInput, type CheckoutState, type OrderStatus, type PaymentUpdate, type RecordedOrder } from '../src/contracts/index.ts';

// Infrastructure failures retry with backoff, indefinitely: a database or provider outage
// delays an order, it does not lose it. Business failures are non-retryable by type.
const steadyRetry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' } as const;

const orders = proxyActivities<OrderActivities>({
  taskQueue: TASK_QUEUES.orders,
  startToCloseTimeout: '30s',
  retry: { ...steadyRetry, nonRetryableErrorTypes: ['IllegalTransition', 'OrderNotFound'] },
  summary: 'orders',
});
const inventory = proxyActivities<InventoryActivities>({
  taskQueue: TASK_QUEUES.inventory,
  startToCloseTimeout: '30s',
  retry: { ...steadyRetry, nonRetryableErrorTypes: ['OutOfStock'] },
  summary: 'inventory',
});
const payments = proxyActivities<PaymentActivities>({
  taskQueue: TASK_QUEUES.payments,
  // The SDK itself retries connection errors within one call; keep a whole attempt bounded.
  // Payment activities heartbeat while a call is in flight: a dead worker is noticed in 10 s.
  startToCloseTimeout: '1m',
  heartbeatTimeout: '10s',
  retry: { ...steadyRetry, nonRetryableErrorTypes: ['PaymentDeclined'] },
  summary: 'payments',
});
// Compensations: a bounded round of attempts, after which the saga flags the order and
// keeps retrying on a long timer (see saga.ts) — a stuck undo is visible, never dropped.
const compensationRetry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 } as const;
const inventoryUndo = proxyActivities<InventoryActivities>({ taskQueue: TASK_QUEUES.inventory, startToCloseTimeout: '30s', retry: compensationRetry, summary: 'compensation' });
const paymentsUndo = proxyActivities<PaymentActivities>({ taskQueue: TASK_QUEUES.payments, startToCloseTimeout: '1m', heartbeatTimeout: '10s', retry: compensationRetry, summary: 'compensation' });

const DURATION = /^(\d+)\s*(ms|s|m|h|d)$/;
function toMs(d: string): number {
  const m = DURATION.exec(d.trim());
  if (!m) throw ApplicationFailure.nonRetryable(`not a duration: ${d}`, 'InvalidInput');
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms']!;
}

export function formatMoney(amount: number, currency: string): string {
  const major = (amount / 100).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const symbol = ({ USD: '$', EUR: '€', GBP: '£' } as Record<string, string>)[currency.toUpperCase()];
  return symbol ? `${symbol}${major}` : `${major} ${currency.toUpperCase()}`;
}

const hhmm = (ms: number) => `${new Date(ms).toISOString().slice(11, 16)} UTC`;

/** Provider statuses after a 3-D Secure attempt. */
const AUTHORIZED_STATUSES = ['requires_capture', 'succeeded'];
const STILL_WAITING_STATUSES = ['requires_action', 'requires_confirmation', 'processing'];

export async function checkout(input: CheckoutInput): Promise<CheckoutState> {
  const { orderId } = input;
  // 2026-12: intake records the order before the start and the start indexes what it knows,
  // so this run skips the record step when the input carries the order, and upserts a search
  // attribute only when its value changes (2 upserts on the happy path instead of 5:
  // AUTHORIZED + CONFIRMED, then CAPTURED).
  // Histories recorded before take the old branch on replay.
  const lean = patched('2026-12-lean-checkout');
  const paymentActionMs = toMs(input.paymentActionTimeout ?? CHECKOUT_DEFAULTS.paymentActionTimeout);
  const captureWindow = input.captureRetryWindow ?? CHECKOUT_DEFAULTS.captureRetryWindow;
  const aftercareMs = toMs(input.aftercareWindow ?? CHECKOUT_DEFAULTS.aftercareWindow);
  const compensationRetryEvery = input.compensationRetryInterval ?? CHECKOUT_DEFAULTS.compensationRetryInterval;

  const state: CheckoutState = { orderId, status: 'PENDING', paymentStatus: 'PENDING', step: 'recording', compensations: [] };
  const saga = new Saga(state.compensations);
  let recorded: RecordedOrder | undefined;
  let cancelRequest: CancelRequest | undefined;
  let captured = false;
  let compensationNudges = 0;
  /** The outcome being finished (compensating towards), if any: a cancellation then keeps it. */
  let finishing: { to: OrderStatus; failure?: { code: string; message: string } } | undefined;
  let redrives = 0;
  const seenProviderEvents = new Set<string>();
  const paymentUpdates: PaymentUpdate[] = [];

  // ---- search attributes and the Web UI story ------------------------------------------------
  // What the index holds now: the start's attributes, then every upsert (lean runs upsert a
  // pair only when its value differs from this).
  const indexed = new Map<string, unknown>();
  for (const key of Object.values(SA)) {
    const v = workflowInfo().typedSearchAttributes.get(key as typeof SA.OrderId);
    if (v !== undefined) indexed.set(key.name, v);
  }
  /** Every attribute the workflow keeps indexed, as its state says now. */
  const attributes = (): SearchAttributeUpdatePair[] => {
    const pairs: SearchAttributeUpdatePair[] = [
      { key: SA.OrderId, value: orderId },
      { key: SA.CustomerId, value: input.customerId },
      { key: SA.OrderStatus, value: state.status },
      { key: SA.PaymentStatus, value: state.paymentStatus },
    ];
    if (state.total) pairs.push({ key: SA.OrderTotal, value: state.total.amount });
    if (state.paymentReference) pairs.push({ key: SA.PaymentReference, value: state.paymentReference });
    pairs.push({ key: SA.NeedsAttention, value: state.attention ?? null });
    return pairs;
  };
  const publish = () => {
    if (!lean) return upsertSearchAttributes(attributes());
    // Lean: the start indexed OrderId and CustomerId (they never change); upsert what differs.
    const changed = attributes().filter((p) => p.key !== SA.OrderId && p.key !== SA.CustomerId && (indexed.get(p.key.name) ?? null) !== (p.value ?? null));
    if (!changed.length) return;
    for (const p of changed) indexed.set(p.key.name, p.value ?? null);
    upsertSearchAttributes(changed);
  };
  const story = (step: CheckoutState['step'], details: string) => {
    state.step = step;
    setCurrentDetails(details);
  };
  const totalText = () => (state.total ? formatMoney(state.total.amount, state.total.currency) : '');

  // ---- messages --------------------------------------------------------------------------
  setHandler(getStateQuery, () => state);

  setHandler(orderRecordedUpdate, async () => {
    await condition(() => recorded !== undefined);
    return recorded!;
  });

  // The validator decides (a rejected update leaves no trace in history); the handler records
  // the request and waits briefly so a fast cancellation answers with its final status.
  setHandler(
    cancelOrderUpdate,
    async (req) => {
      if (!cancelRequest) {
        cancelRequest = req;
        log.info('cancellation requested', { orderId, role: req.role, actor: req.actor });
      }
      await condition(() => isTerminal(state.status), '5s');
      return { accepted: true, status: state.status };
    },
    { validator: cancelValidator },
  );

  function cancelValidator(req: CancelRequest): void {
    if (!req || (req.role !== 'customer' && req.role !== 'ops')) throw new Error('cancel request needs role "customer" or "ops"');
    if (isTerminal(state.status)) throw notCancellable(`The order is already ${state.status}.`);
    if (cancelRequest) return;
    if (state.step === 'compensating') throw notCancellable('The order is already failing and being rolled back.');
    const confirmedOrConfirming = state.status === 'CONFIRMED' || ['confirming', 'capturing', 'done'].includes(state.step);
    if (req.role === 'customer' && confirmedOrConfirming) throw notCancellable('The order is confirmed; only ops can cancel it now (the payment is then refunded).');
  }

  setHandler(paymentUpdateSignal, (u) => {
    // Webhooks arrive twice and out of order: dedupe, and only ever use them as a nudge to
    // re-read the provider (syncPayment) — a stale event can never move the order backwards.
    if (!u?.providerEventId || seenProviderEvents.has(u.providerEventId)) return;
    seenProviderEvents.add(u.providerEventId);
    if (state.paymentReference && u.paymentIntentId && u.paymentIntentId !== state.paymentReference) return;
    paymentUpdates.push(u);
  });

  setHandler(retryCompensationSignal, (a) => {
    log.info('compensation retry requested', { orderId, actor: a?.actor });
    compensationNudges += 1;
  });
  setHandler(redriveCaptureSignal, (a) => {
    log.info('capture re-drive requested', { orderId, actor: a?.actor });
    redrives += 1;
  });

  setHandler(
    markManualReviewUpdate,
    async (a) => {
      await condition(() => recorded !== undefined);
      await flag('manual_review', `manual review requested by ${a.actor}: ${a.reason}`, `attention:manual_review:${a.actor}:${a.reason}`.slice(0, 200), a.actor);
      return state;
    },
    { validator: (a) => { if (!a?.actor || !a?.reason) throw new Error('actor and reason are required'); } },
  );

  // ---- helpers -----------------------------------------------------------------------------
  async function transition(to: OrderStatus, opts: { failure?: { code: string; message: string }; reason?: string; actor?: string } = {}): Promise<void> {
    await orders.transitionOrder.executeWithOptions({ summary: `→ ${to}` }, [{ orderId, to, dedupeKey: `to:${to}`, ...opts }]);
    state.status = to;
    if (opts.failure) state.failure = opts.failure;
    publish();
  }

  async function flag(attention: string, reason: string, dedupeKey: string, actor?: string): Promise<void> {
    await orders.flagOrder.executeWithOptions({ summary: `flag ${attention}` }, [{ orderId, attention, reason, dedupeKey, actor }]);
    state.attention = attention;
    publish();
  }

  async function compensate(): Promise<void> {
    if (saga.pending.length === 0) return;
    story('compensating', `Undoing: ${saga.pending.slice().reverse().join(', ').replace(/_/g, ' ')}`);
    await saga.compensate({
      retryEvery: compensationRetryEvery,
      nudges: () => compensationNudges,
      onStuck: (kind, error) => flag('compensation_failed', `${kind} keeps failing: ${error}`, 'attention:compensation_failed'),
      onRecovered: async () => {
        await orders.flagOrder.executeWithOptions({ summary: 'clear attention' }, [{ orderId, attention: null, reason: 'compensations completed', dedupeKey: 'attention:cleared:compensation_failed' }]);
        state.attention = undefined;
        publish();
      },
    });
  }

  async function finish(to: OrderStatus, failure?: { code: string; message: string }): Promise<CheckoutState> {
    finishing = { to, failure };
    await compensate();
    const actor = to === 'CANCELLED' ? cancelRequest?.actor : undefined;
    await transition(to, { failure, actor, reason: to === 'CANCELLED' ? cancelRequest?.reason ?? `cancelled by ${cancelRequest?.role}` : undefined });
    story('done', failure ? `${to}: ${failure.message}` : `${to}`);
    await condition(allHandlersFinished);
    return state;
  }

  const cancelled = () => finish('CANCELLED', { code: 'cancelled', message: `Cancelled by ${cancelRequest?.role ?? 'request'}${cancelRequest?.reason ? `: ${cancelRequest.reason}` : ''}` });

  // A cancellation of the workflow itself (Temporal Web UI, `temporal workflow cancel`) is a
  // cancel request from ops: the compensations the progress needs run in a non-cancellable
  // scope, the order ends CANCELLED, then the run reports itself cancelled. Older runs let
  // the cancellation skip every compensation; patched keeps their histories replayable.
  try {
    return await steps();
  } catch (err) {
    if (!isCancellation(err) || !patched('2026-12-cancel-compensates')) throw err;
    await CancellationScope.nonCancellable(() => cancelledFromTemporal());
    throw err;
  }

  async function cancelledFromTemporal(): Promise<void> {
    cancelRequest ??= { role: 'ops', actor: 'temporal', reason: 'workflow cancelled in Temporal' };
    log.warn('workflow cancelled: compensating as an ops cancel', { orderId, status: state.status, step: state.step });
    if (!recorded || isTerminal(state.status)) return;
    if (finishing) {
      // Already rolling back towards an outcome (a decline, a timeout…): finish that one.
      await finish(finishing.to, finishing.failure);
      return;
    }
    if (state.status === 'CONFIRMED' || ['confirming', 'capturing', 'done'].includes(state.step)) {
      // confirmOrder may have committed the stock and capture may have taken the money:
      // both undos read the truth (committed rows, the intent) and are no-ops otherwise.
      await recordCancelRequest();
      addRestock();
      addRefund();
    }
    await cancelled();
  }

  /**
   * Cancelling a confirmed order: the timeline says so before anything is undone, so that if
   * this workflow stops midway reconciliation voids instead of capturing. Older runs did not.
   */
  async function recordCancelRequest(): Promise<void> {
    if (!patched('2026-12-record-cancel-request')) return;
    await orders.recordCancelRequest.executeWithOptions({ summary: 'record the cancel request' }, [{ orderId, actor: cancelRequest?.actor, reason: cancelRequest?.reason }]);
  }

  function addRestock(): void {
    saga.add('restock', async () => {
      await inventoryUndo.restockStock.executeWithOptions({ summary: 'restock (ops cancel)' }, [{ orderId, actor: cancelRequest?.actor }]);
    });
  }

  function addRefund(): void {
    saga.add(captured ? 'refund_payment' : 'void_authorization', async () => {
      const r = await paymentsUndo.refundPayment.executeWithOptions({ summary: 'refund (ops cancel)' }, [{ orderId, paymentIntentId: state.paymentReference }]);
      state.paymentStatus = r.outcome === 'refunded' ? 'REFUNDED' : r.outcome === 'voided' ? 'VOIDED' : state.paymentStatus;
      publish();
    });
    if (captured) saga.drop('void_authorization');
  }

  async function steps(): Promise<CheckoutState> {
    // ---- 1. record (done by intake when the input carries the order) ---------------------------
    publish();
    story('recording', 'Recording the order');
    recorded = lean && input.order ? input.order : await orders.recordOrder.executeWithOptions({ summary: 'record order (priced from the catalog)' }, [input]);
    state.total = { amount: recorded.totalAmount, currency: recorded.currency };
    if (recorded.status !== 'PENDING') {
      // The order row is further along than this run (should not happen with REJECT_DUPLICATE):
      // report it, never rewind it.
      state.status = recorded.status;
      publish();
      await condition(allHandlersFinished);
      return state;
    }
    publish();
    if (recorded.unknownSkus.length > 0 || recorded.lines.length === 0) {
      return finish('REJECTED', { code: 'unknown_sku', message: `Unknown or unavailable products: ${recorded.unknownSkus.join(', ') || 'none'}` });
    }
    if (cancelRequest) return cancelled();

    // ---- 2. reserve stock --------------------------------------------------------------------
    const units = recorded.lines.reduce((n, l) => n + l.quantity, 0);
    story('reserving', `Reserving ${units} item${units === 1 ? '' : 's'}`);
    saga.add('release_stock', async () => {
      await inventoryUndo.releaseStock.executeWithOptions({ summary: 'release stock' }, [{ orderId }]);
    });
    try {
      await inventory.reserveStock.executeWithOptions({ summary: `reserve ${units} item(s)` }, [{ orderId, lines: recorded.lines.map((l) => ({ lineNo: l.lineNo, sku: l.sku, quantity: l.quantity })) }]);
    } catch (err) {
      if (failureType(err) === 'OutOfStock') {
        // All-or-nothing: this attempt held nothing. But an earlier attempt that stalled may
        // still commit a reservation late, so newer runs keep the release (a no-op when
        // nothing is held); older runs dropped it — patched keeps their histories replayable.
        if (!patched('2026-12-release-after-out-of-stock')) saga.drop('release_stock');
        return finish('REJECTED', { code: 'out_of_stock', message: failureMessage(err) });
      }
      throw err;
    }
    if (cancelRequest) return cancelled();

    // ---- 3. authorize ------------------------------------------------------------------------
    // The undo goes in BEFORE the charge: if the response is lost, voidPayment finds the
    // intent by order id (or finds none and does nothing).
    saga.add('void_authorization', async () => {
      const r = await paymentsUndo.voidPayment.executeWithOptions({ summary: 'void authorization' }, [{ orderId, paymentIntentId: state.paymentReference }]);
      if (r.outcome === 'voided' || (r.outcome === 'noop' && r.paymentIntentId)) state.paymentStatus = state.paymentStatus === 'FAILED' ? 'FAILED' : 'VOIDED';
      if (r.outcome === 'already_captured') {
        await paymentsUndo.refundPayment.executeWithOptions({ summary: 'refund' }, [{ orderId, paymentIntentId: r.paymentIntentId }]);
        state.paymentStatus = 'REFUNDED';
      }
      publish();
    });
    story('authorizing', `Authorizing ${totalText()}`);
    let auth;
    try {
      auth = await payments.authorizePayment.executeWithOptions({ summary: `authorize ${totalText()}` }, [{
        orderId, customerId: input.customerId, amount: recorded.totalAmount, currency: recorded.currency, paymentMethod: input.paymentMethod,
      }]);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      if (failureType(err) !== 'PaymentDeclined') {
        // A final provider error that is not a decline (invalid request, idempotency mismatch…):
        // the order cannot be paid; undo what is held rather than failing the workflow with stock held.
        log.error('authorization failed for good', { orderId, error: failureMessage(err) });
        return finish('PAYMENT_FAILED', { code: 'payment_error', message: failureMessage(err) });
      }
      const details = failureDetails<DeclineDetails>(err);
      state.paymentStatus = 'FAILED';
      if (details?.paymentIntentId) state.paymentReference = details.paymentIntentId;
      publish();
      const code = details?.code === 'insufficient_funds' ? 'insufficient_funds' : 'payment_declined';
      return finish('PAYMENT_FAILED', { code, message: failureMessage(err) });
    }
    state.paymentReference = auth.paymentIntentId;
    // Cancelled while the charge was in flight: void + release at once. Older runs first
    // marked the payment AUTHORIZED (one more search-attribute upsert): patched keeps them replayable.
    if (cancelRequest && patched('2026-11-cancel-right-after-authorize')) return cancelled();

    if (auth.outcome === 'requires_action') {
      state.paymentStatus = 'REQUIRES_ACTION';
      const deadline = Date.now() + paymentActionMs;
      state.paymentActionDeadline = new Date(deadline).toISOString();
      await transition('AWAITING_PAYMENT_ACTION', { reason: '3-D Secure authentication required' });
      story('awaiting_payment_action', `Waiting for 3-D Secure until ${hhmm(deadline)}`);
      const outcome = await awaitPaymentAction(deadline);
      state.paymentActionDeadline = undefined;
      if (outcome === 'cancelled') return cancelled();
      if (outcome === 'timeout') return finish('PAYMENT_FAILED', { code: 'payment_action_timeout', message: 'The customer did not complete 3-D Secure in time' });
      if (outcome === 'failed') {
        state.paymentStatus = 'FAILED';
        return finish('PAYMENT_FAILED', { code: 'payment_action_failed', message: '3-D Secure authentication failed' });
      }
    }
    state.paymentStatus = 'AUTHORIZED';
    // Lean runs index AUTHORIZED together with CONFIRMED one short step later (one upsert, not
    // two); the Web UI's current details say "Confirming" meanwhile.
    if (!lean) publish();
    if (cancelRequest) return cancelled();

    // ---- 4. confirm (commit stock + CONFIRMED in one transaction) -----------------------------
    story('confirming', 'Confirming the order');
    await orders.confirmOrder.executeWithOptions({ summary: 'commit stock + CONFIRMED' }, [{ orderId }]);
    saga.drop('release_stock'); // the stock is committed now
    state.status = 'CONFIRMED';
    publish();

    // ---- 5. capture --------------------------------------------------------------------------
    await capture();

    // ---- 6. aftercare: ops may still cancel (→ refund) or re-drive a failed capture ----------
    const aftercareEnds = Date.now() + aftercareMs;
    let redrivesSeen = redrives;
    for (;;) {
      story('done', captured ? `Captured ${totalText()}; open for ops until ${new Date(aftercareEnds).toISOString().slice(0, 10)}` : `Confirmed; capture failed — finance must look (${state.attention})`);
      const remaining = aftercareEnds - Date.now();
      if (remaining <= 0) break;
      const woke = await condition(() => cancelRequest !== undefined || redrives !== redrivesSeen, remaining);
      if (!woke) break;
      if (cancelRequest) {
        await recordCancelRequest();
        // The units of a confirmed order that has not shipped go back on hand (runs after the refund).
        if (patched('2026-12-restock-on-ops-cancel')) addRestock();
        addRefund();
        story('refunding', captured ? `Refunding ${totalText()}` : 'Voiding the authorization');
        if (state.attention === 'capture_failed') {
          // Nothing is left to capture once the order is cancelled and the hold voided.
          await compensate();
          await orders.flagOrder.executeWithOptions({ summary: 'clear attention' }, [{ orderId, attention: null, reason: 'order cancelled; authorization voided', dedupeKey: 'attention:cleared:capture_failed:cancelled' }]);
          state.attention = undefined;
          publish();
        }
        return cancelled();
      }
      redrivesSeen = redrives;
      if (!captured) await capture();
    }
    await condition(allHandlersFinished);
    return state;
  }

  // ---- step implementations ------------------------------------------------------------------
  async function awaitPaymentAction(deadline: number): Promise<'authorized' | 'failed' | 'timeout' | 'cancelled'> {
    for (;;) {
      const remaining = deadline - Date.now();
      const woke = remaining > 0 && (await condition(() => cancelRequest !== undefined || paymentUpdates.length > 0, remaining));
      if (cancelRequest) return 'cancelled';
      if (!woke) {
        // A challenge completed at the last second (its webhook not here yet) must not be
        // voided: read the intent once more before giving up. Older runs gave up at once.
        if (patched('2026-12-read-before-payment-action-timeout')) {
          const last = await payments.syncPayment.executeWithOptions({ summary: 'read payment before the 3-D Secure deadline' }, [{ orderId, paymentIntentId: state.paymentReference }]);
          if (last.providerStatus && AUTHORIZED_STATUSES.includes(last.providerStatus)) return 'authorized';
        }
        return 'timeout';
      }
      paymentUpdates.length = 0;
      // Trust the provider, not the message: re-read the intent.
      const snap = await payments.syncPayment.executeWithOptions({ summary: 'read payment after webhook' }, [{ orderId, paymentIntentId: state.paymentReference }]);
      if (snap.providerStatus && AUTHORIZED_STATUSES.includes(snap.providerStatus)) return 'authorized';
      if (!snap.providerStatus || STILL_WAITING_STATUSES.includes(snap.providerStatus)) continue;
      return 'failed';
    }
  }

  async function capture(): Promise<void> {
    story('capturing', `Capturing ${totalText()}`);
    const scope = new CancellationScope();
    // An ops cancel interrupts capture retries; the refund step then reads the provider's
    // truth (the capture may or may not have happened) and refunds or voids accordingly.
    // When the whole workflow is cancelled this wait rejects: ignore it (checkout() compensates).
    void condition(() => cancelRequest !== undefined).then(() => scope.cancel(), () => undefined);
    try {
      const snap = await scope.run(() =>
        payments.capturePayment.executeWithOptions(
          { summary: `capture ${totalText()}`, scheduleToCloseTimeout: captureWindow, retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m' } },
          [{ orderId, paymentIntentId: state.paymentReference!, amount: state.total?.amount }],
        ),
      );
      captured = true;
      state.paymentStatus = snap.paymentStatus === 'REFUNDED' ? 'REFUNDED' : 'CAPTURED';
      if (state.attention === 'capture_failed') {
        await orders.flagOrder.executeWithOptions({ summary: 'clear attention' }, [{ orderId, attention: null, reason: 'capture succeeded after re-drive', dedupeKey: `attention:cleared:capture_failed:${redrives}` }]);
        state.attention = undefined;
      }
      publish();
      story('capturing', `Captured ${totalText()}`);
    } catch (err) {
      if (isCancellation(err) || (err instanceof ActivityFailure && isCancellation(err.cause))) return;
      if (!(err instanceof ActivityFailure)) throw err;
      log.error('capture gave up; flagging for finance', { orderId, error: failureMessage(err) });
      await flag('capture_failed', `capture failed: ${failureMessage(err)}`, `attention:capture_failed:${redrives}`);
    }
  }
}

function notCancellable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'OrderNotCancellable', nonRetryable: true });
}

function failureType(err: unknown): string | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.type ?? undefined : undefined;
}

function failureDetails<T>(err: unknown): T | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? (err.cause.details?.[0] as T | undefined) : undefined;
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure) return err.cause?.message ?? err.message;
  return err instanceof Error ? err.message : String(err);
}

