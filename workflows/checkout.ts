// The checkout saga: one durable workflow per order (id `order-<orderId>`), read top to bottom:
//
//   record → reserve stock → authorize payment → wait for 3-D Secure → confirm → capture → aftercare
//
// Each step is an idempotent activity on its pool's task queue (workflows/activities.ts) and
// registers its undo right beside it; a failure or a cancellation runs exactly the undos the
// progress so far needs (release stock, void, refund), newest first (workflows/saga.ts).
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
  setHandler,
} from '@temporalio/workflow';
import {
  CHECKOUT_DEFAULTS,
  cancelOrderUpdate,
  getStateQuery,
  isTerminal,
  markManualReviewUpdate,
  orderRecordedUpdate,
  parseDuration,
  paymentUpdateSignal,
  redriveCaptureSignal,
  retryCompensationSignal,
  type CancelRequest,
  type CheckoutInput,
  type CheckoutState,
  type DeclineDetails,
  type OrderStatus,
  type PaymentUpdate,
  type RecordedOrder,
} from '../src/contracts/index.ts';
import { inventory, inventoryUndo, orders, payments, paymentsUndo } from './activities.ts';
import { failureDetails, failureMessage, failureType, notCancellable } from './failures.ts';
import { Saga } from './saga.ts';
import { checkoutVisibility, hhmm } from './visibility.ts';

/** Provider statuses after a 3-D Secure attempt. */
const AUTHORIZED_STATUSES = ['requires_capture', 'succeeded'];
const STILL_WAITING_STATUSES = ['requires_action', 'requires_confirmation', 'processing'];

type Failure = { code: string; message: string };
/** What a step returns: nothing to go on to the next step, or the final state to end the run. */
type StepResult = CheckoutState | undefined;

/** A duration of the input; a malformed one fails the workflow (not its task) for good. */
function durationMs(text: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw ApplicationFailure.nonRetryable(`not a duration: ${text}`, 'InvalidInput');
  }
}

export async function checkout(input: CheckoutInput): Promise<CheckoutState> {
  const { orderId } = input;
  // 2026-12: intake records the order before the start and the start indexes what it knows,
  // so this run skips the record step when the input carries the order, and upserts a search
  // attribute only when its value changes (2 upserts on the happy path instead of 5:
  // AUTHORIZED + CONFIRMED, then CAPTURED).
  // Histories recorded before take the old branch on replay.
  const lean = patched('2026-12-lean-checkout');
  const paymentActionMs = durationMs(input.paymentActionTimeout ?? CHECKOUT_DEFAULTS.paymentActionTimeout);
  const captureWindow = input.captureRetryWindow ?? CHECKOUT_DEFAULTS.captureRetryWindow;
  const aftercareMs = durationMs(input.aftercareWindow ?? CHECKOUT_DEFAULTS.aftercareWindow);
  const compensationRetryEvery = input.compensationRetryInterval ?? CHECKOUT_DEFAULTS.compensationRetryInterval;

  const state: CheckoutState = { orderId, status: 'PENDING', paymentStatus: 'PENDING', step: 'recording', compensations: [] };
  const saga = new Saga(state.compensations);
  const { publish, story, totalText } = checkoutVisibility(state, input.customerId, lean);
  let recorded: RecordedOrder | undefined;
  let cancelRequest: CancelRequest | undefined;
  let captured = false;
  /** The card asked for 3-D Secure when it was authorized. */
  let needsPaymentAction = false;
  let compensationNudges = 0;
  /** The outcome being finished (compensating towards), if any: a cancellation then keeps it. */
  let finishing: { to: OrderStatus; failure?: Failure } | undefined;
  let redrives = 0;
  const seenProviderEvents = new Set<string>();
  const paymentUpdates: PaymentUpdate[] = [];

  // ---- messages --------------------------------------------------------------------------------
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
    if (req.role === 'customer' && confirmedOrConfirming()) throw notCancellable('The order is confirmed; only ops can cancel it now (the payment is then refunded).');
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

  // ---- the saga ----------------------------------------------------------------------------------
  // A cancellation of the workflow itself (Temporal Web UI, `temporal workflow cancel`) is a
  // cancel request from ops: the compensations the progress needs run in a non-cancellable
  // scope, the order ends CANCELLED, then the run reports itself cancelled. Older runs let
  // the cancellation skip every compensation; patched keeps their histories replayable.
  try {
    return await runSteps();
  } catch (err) {
    if (!isCancellation(err) || !patched('2026-12-cancel-compensates')) throw err;
    await CancellationScope.nonCancellable(() => cancelledFromTemporal());
    throw err;
  }

  async function runSteps(): Promise<CheckoutState> {
    /** Between steps a pending cancel request ends the run (undoing what was done). */
    const orCancelled = async (result: StepResult): Promise<StepResult> => result ?? (cancelRequest ? cancelled() : undefined);
    return (
      (await orCancelled(await record())) ??
      (await orCancelled(await reserve())) ??
      (await authorize()) ??
      (await orCancelled(await awaitPaymentAction())) ??
      (await confirm()) ??
      (await capture(), await aftercare())
    );
  }

  // ---- 1. record (done by intake when the input carries the order) ---------------------------
  async function record(): Promise<StepResult> {
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
    return undefined;
  }

  // ---- 2. reserve stock; undo: release it ------------------------------------------------------
  async function reserve(): Promise<StepResult> {
    const lines = recorded!.lines;
    const units = lines.reduce((n, l) => n + l.quantity, 0);
    story('reserving', `Reserving ${units} item${units === 1 ? '' : 's'}`);
    saga.add('release_stock', async () => {
      await inventoryUndo.releaseStock.executeWithOptions({ summary: 'release stock' }, [{ orderId }]);
    });
    try {
      await inventory.reserveStock.executeWithOptions({ summary: `reserve ${units} item(s)` }, [{ orderId, lines: lines.map((l) => ({ lineNo: l.lineNo, sku: l.sku, quantity: l.quantity })) }]);
    } catch (err) {
      if (failureType(err) !== 'OutOfStock') throw err;
      // All-or-nothing: this attempt held nothing. But an earlier attempt that stalled may
      // still commit a reservation late, so newer runs keep the release (a no-op when
      // nothing is held); older runs dropped it — patched keeps their histories replayable.
      if (!patched('2026-12-release-after-out-of-stock')) saga.drop('release_stock');
      return finish('REJECTED', { code: 'out_of_stock', message: failureMessage(err) });
    }
    return undefined;
  }

  // ---- 3. authorize; undo: void (or refund, had it been captured after all) ---------------------
  async function authorize(): Promise<StepResult> {
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
        orderId, customerId: input.customerId, amount: recorded!.totalAmount, currency: recorded!.currency, paymentMethod: input.paymentMethod,
      }]);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      return finish('PAYMENT_FAILED', declined(err));
    }
    state.paymentReference = auth.paymentIntentId;
    needsPaymentAction = auth.outcome === 'requires_action';
    // Cancelled while the charge was in flight: void + release at once. Older runs first
    // marked the payment AUTHORIZED (one more search-attribute upsert): patched keeps them replayable.
    if (cancelRequest && patched('2026-11-cancel-right-after-authorize')) return cancelled();
    return undefined;
  }

  /** The failure an order ends PAYMENT_FAILED with when authorization fails for good. */
  function declined(err: ActivityFailure): Failure {
    if (failureType(err) !== 'PaymentDeclined') {
      // A final provider error that is not a decline (invalid request, idempotency mismatch…):
      // the order cannot be paid; undo what is held rather than failing the workflow with stock held.
      log.error('authorization failed for good', { orderId, error: failureMessage(err) });
      return { code: 'payment_error', message: failureMessage(err) };
    }
    const details = failureDetails<DeclineDetails>(err);
    state.paymentStatus = 'FAILED';
    if (details?.paymentIntentId) state.paymentReference = details.paymentIntentId;
    publish();
    return { code: details?.code === 'insufficient_funds' ? 'insufficient_funds' : 'payment_declined', message: failureMessage(err) };
  }

  // ---- 4. wait for 3-D Secure (when the card asks for it) ------------------------------------------
  async function awaitPaymentAction(): Promise<StepResult> {
    if (needsPaymentAction) {
      state.paymentStatus = 'REQUIRES_ACTION';
      const deadline = Date.now() + paymentActionMs;
      state.paymentActionDeadline = new Date(deadline).toISOString();
      await transition('AWAITING_PAYMENT_ACTION', { reason: '3-D Secure authentication required' });
      story('awaiting_payment_action', `Waiting for 3-D Secure until ${hhmm(deadline)}`);
      const outcome = await paymentActionOutcome(deadline);
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
    return undefined;
  }

  async function paymentActionOutcome(deadline: number): Promise<'authorized' | 'failed' | 'timeout' | 'cancelled'> {
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

  // ---- 5. confirm: commit the stock + CONFIRMED in one transaction (the release undo goes) -----
  async function confirm(): Promise<StepResult> {
    story('confirming', 'Confirming the order');
    await orders.confirmOrder.executeWithOptions({ summary: 'commit stock + CONFIRMED' }, [{ orderId }]);
    saga.drop('release_stock'); // the stock is committed now
    state.status = 'CONFIRMED';
    publish();
    return undefined;
  }

  // ---- 6. capture; a capture that gives up flags the order for finance -------------------------
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
        await clearAttention('capture succeeded after re-drive', `attention:cleared:capture_failed:${redrives}`, false);
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

  // ---- 7. aftercare: ops may still cancel (→ refund + restock) or re-drive a failed capture ------
  async function aftercare(): Promise<CheckoutState> {
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
          await clearAttention('order cancelled; authorization voided', 'attention:cleared:capture_failed:cancelled');
        }
        return cancelled();
      }
      redrivesSeen = redrives;
      if (!captured) await capture();
    }
    await condition(allHandlersFinished);
    return state;
  }

  // ---- undos a confirmed order needs when ops cancel it --------------------------------------------
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

  /**
   * Cancelling a confirmed order: the timeline says so before anything is undone, so that if
   * this workflow stops midway reconciliation voids instead of capturing. Older runs did not.
   */
  async function recordCancelRequest(): Promise<void> {
    if (!patched('2026-12-record-cancel-request')) return;
    await orders.recordCancelRequest.executeWithOptions({ summary: 'record the cancel request' }, [{ orderId, actor: cancelRequest?.actor, reason: cancelRequest?.reason }]);
  }

  // ---- endings -------------------------------------------------------------------------------
  async function finish(to: OrderStatus, failure?: Failure): Promise<CheckoutState> {
    finishing = { to, failure };
    await compensate();
    const actor = to === 'CANCELLED' ? cancelRequest?.actor : undefined;
    await transition(to, { failure, actor, reason: to === 'CANCELLED' ? cancelRequest?.reason ?? `cancelled by ${cancelRequest?.role}` : undefined });
    story('done', failure ? `${to}: ${failure.message}` : `${to}`);
    await condition(allHandlersFinished);
    return state;
  }

  function cancelled(): Promise<CheckoutState> {
    return finish('CANCELLED', { code: 'cancelled', message: `Cancelled by ${cancelRequest?.role ?? 'request'}${cancelRequest?.reason ? `: ${cancelRequest.reason}` : ''}` });
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
    if (confirmedOrConfirming()) {
      // confirmOrder may have committed the stock and capture may have taken the money:
      // both undos read the truth (committed rows, the intent) and are no-ops otherwise.
      await recordCancelRequest();
      addRestock();
      addRefund();
    }
    await cancelled();
  }

  async function compensate(): Promise<void> {
    if (saga.pending.length === 0) return;
    story('compensating', `Undoing: ${saga.pending.slice().reverse().join(', ').replace(/_/g, ' ')}`);
    await saga.compensate({
      retryEvery: compensationRetryEvery,
      nudges: () => compensationNudges,
      onStuck: (kind, error) => flag('compensation_failed', `${kind} keeps failing: ${error}`, 'attention:compensation_failed'),
      onRecovered: () => clearAttention('compensations completed', 'attention:cleared:compensation_failed'),
    });
  }

  // ---- order record helpers --------------------------------------------------------------------
  function confirmedOrConfirming(): boolean {
    return state.status === 'CONFIRMED' || ['confirming', 'capturing', 'done'].includes(state.step);
  }

  async function transition(to: OrderStatus, opts: { failure?: Failure; reason?: string; actor?: string } = {}): Promise<void> {
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

  async function clearAttention(reason: string, dedupeKey: string, andPublish = true): Promise<void> {
    await orders.flagOrder.executeWithOptions({ summary: 'clear attention' }, [{ orderId, attention: null, reason, dedupeKey }]);
    state.attention = undefined;
    if (andPublish) publish();
  }
}
