// What the order routes ask of Temporal: idempotent creation through update-with-start
// and cancellation through the cancelOrder update. No business step runs here; the
// checkout workflow and its activities do the work and write the rows.
//
// Idempotency layers (each one alone prevents a second order):
//   1. Redis claim   idem:<hash(customer,key)> = {orderId, fingerprint}  (fast path, may be down)
//   2. Postgres      orders unique (customer_id, idempotency_key)         (read before starting)
//   3. Temporal      workflow id order-<orderIdFor(customer,key)> with USE_EXISTING/REJECT_DUPLICATE
// The recorded fingerprint returned by the orderRecorded update is the final word on key reuse.
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Config } from '../infra/config.ts';
import { AppError } from '../infra/errors.ts';
import type { Logger } from '../infra/logger.ts';
import { withTimeout } from '../infra/redis.ts';
import { checkoutStartOperation, orderRecordedUpdateId } from '../orders/checkout-start.ts';
import { orderIdFor, requestFingerprint } from '../orders/ids.ts';
import type { OrderReadModel, OrderRecord } from '../orders/read-model.ts';
import { isTerminal } from '../orders/status.ts';
import type { CatalogService } from '../catalog/service.ts';
import { orderWorkflowId, type CancelRequest, type CheckoutInput, type RecordedOrder } from '../../workflows/contracts.ts';
import { cancelOrderUpdate, orderRecordedUpdate } from '../../workflows/messages.ts';

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
const REDIS_TIMEOUT_MS = 250;
/** How long POST /v1/orders waits for the workflow to record the order before answering 503 (retry-safe). */
export const RECORD_WAIT_MS = 10_000;
const CANCEL_WAIT_MS = 10_000;

export interface CreateOrderBody {
  items: { sku: string; quantity: number }[];
  paymentMethod: string;
  shippingAddress?: Record<string, unknown>;
}

const keyReused = () =>
  new AppError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request body. Use a new key for a new order.');
const unavailable = (detail: string, cause?: unknown) => new AppError(503, 'service_unavailable', detail, { headers: { 'Retry-After': '2' }, cause });

export function createOrderCommands(deps: { config: Config; temporal: Client; redis?: Redis; readModel: OrderReadModel; catalog: CatalogService; logger: Logger }) {
  const { temporal, readModel, logger } = deps;
  const idemKey = (customerId: string, key: string) => `idem:${createHash('sha256').update(`${customerId}\u0000${key}`).digest('hex')}`;

  /** Returns true if we claimed the key, false if someone did before (same fingerprint), undefined if Redis is unavailable. */
  async function claim(customerId: string, key: string, orderId: string, fingerprint: string): Promise<boolean | undefined> {
    const r = deps.redis;
    if (!r) return undefined;
    try {
      const k = idemKey(customerId, key);
      const ok = await withTimeout(r.set(k, JSON.stringify({ orderId, fingerprint }), 'EX', IDEMPOTENCY_TTL_SECONDS, 'NX'), REDIS_TIMEOUT_MS);
      if (ok === 'OK') return true;
      const existing = await withTimeout(r.get(k), REDIS_TIMEOUT_MS);
      if (!existing) return undefined; // expired in between; let Postgres/Temporal decide
      if ((JSON.parse(existing) as { fingerprint?: string }).fingerprint !== fingerprint) throw keyReused();
      return false;
    } catch (err) {
      if (err instanceof AppError) throw err;
      logger.warn({ err: (err as Error).message }, 'idempotency fast path unavailable; relying on Postgres and the workflow id');
      return undefined;
    }
  }

  function release(customerId: string, key: string): void {
    deps.redis?.del(idemKey(customerId, key)).catch(() => undefined);
  }

  async function recordedOrThrow(customerId: string, key: string, fingerprint: string): Promise<OrderRecord | undefined> {
    const existing = await readModel.findByIdempotencyKey(customerId, key);
    if (existing && existing.requestFingerprint !== fingerprint) throw keyReused();
    return existing;
  }

  async function startCheckout(input: CheckoutInput): Promise<RecordedOrder> {
    const startWorkflowOperation = checkoutStartOperation(input);
    const updateId = orderRecordedUpdateId(input);
    return temporal.withDeadline(Date.now() + RECORD_WAIT_MS, () =>
      temporal.workflow.executeUpdateWithStart(orderRecordedUpdate, { startWorkflowOperation, updateId }),
    );
  }

  return {
    /** Creates (or finds) the order for (customer, key). `replayed` is true when an earlier request created it. */
    async create(customerId: string, key: string, body: CreateOrderBody, requestId?: string): Promise<{ record: OrderRecord; replayed: boolean }> {
      const fingerprint = requestFingerprint(body);
      const orderId = orderIdFor(customerId, key);

      const claimed = await claim(customerId, key, orderId, fingerprint);
      const existing = await recordedOrThrow(customerId, key, fingerprint);
      if (existing) return { record: existing, replayed: true };

      const unknown = await deps.catalog.unknownSkus(body.items.map((i) => i.sku));
      if (unknown.length) {
        if (claimed) release(customerId, key);
        throw new AppError(422, 'unknown_sku', `Unknown or unavailable sku: ${unknown.join(', ')}.`, {
          errors: body.items.flatMap((it, i) => (unknown.includes(it.sku) ? [{ path: `items.${i}.sku`, message: 'unknown sku', code: 'unknown_sku' }] : [])),
        });
      }

      const input: CheckoutInput = {
        orderId,
        customerId,
        lines: body.items.map((i) => ({ sku: i.sku, quantity: i.quantity })),
        paymentMethod: body.paymentMethod,
        ...(body.shippingAddress ? { shippingAddress: body.shippingAddress } : {}),
        idempotencyKey: key,
        requestFingerprint: fingerprint,
        requestId,
        paymentActionTimeout: deps.config.checkout.paymentActionTimeout,
        captureRetryWindow: deps.config.checkout.captureRetryWindow,
      };
      let recorded: RecordedOrder;
      try {
        recorded = await startCheckout(input);
      } catch (err) {
        // Forget our claim: the workflow may or may not exist; its recorded fingerprint still guards key reuse.
        if (claimed) release(customerId, key);
        if (err instanceof WorkflowExecutionAlreadyStartedError || err instanceof WorkflowNotFoundError) {
          // The workflow for this key already ran to completion; its order row is the answer.
          const done = await recordedOrThrow(customerId, key, fingerprint);
          if (done) return { record: done, replayed: true };
        }
        if (err instanceof WorkflowUpdateFailedError) {
          logger.error({ err, orderId }, 'orderRecorded update failed');
          throw unavailable('The order could not be recorded right now. Retry the same request with the same Idempotency-Key.', err);
        }
        logger.warn({ err, orderId }, 'starting the checkout workflow failed or timed out');
        throw unavailable('The order service is busy or unreachable. Retry the same request with the same Idempotency-Key; it will never create a second order.', err);
      }
      if (recorded.requestFingerprint !== fingerprint) throw keyReused();
      const record = await readModel.get(orderId);
      if (!record) throw unavailable('The order was accepted but is not readable yet. Retry the same request with the same Idempotency-Key.');
      return { record, replayed: claimed === false };
    },

    /** Asks the workflow to cancel; its update validator decides. 409 when it refuses or is closed. */
    async cancel(record: OrderRecord, req: CancelRequest): Promise<void> {
      const notCancellable = (why: string) => new AppError(409, 'order_not_cancellable', `The order cannot be cancelled: ${why}.`);
      const status = record.order.status;
      if (isTerminal(status)) throw notCancellable(`it is already ${status}`);
      if (req.role === 'customer' && status === 'CONFIRMED') throw notCancellable('it is already CONFIRMED; contact support');
      const handle = temporal.workflow.getHandle(orderWorkflowId(record.order.id));
      let result;
      try {
        result = await temporal.withDeadline(Date.now() + CANCEL_WAIT_MS, () => handle.executeUpdate(cancelOrderUpdate, { args: [req] }));
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw notCancellable((err.cause as Error | undefined)?.message ?? 'refused by the checkout');
        if (err instanceof WorkflowNotFoundError) throw notCancellable('its checkout has finished');
        logger.warn({ err, orderId: record.order.id }, 'cancel update failed');
        throw unavailable('The cancellation could not be delivered right now; retry.', err);
      }
      if (!result.accepted) throw notCancellable(`it is ${result.status}`);
    },
  };
}

export type OrderCommands = ReturnType<typeof createOrderCommands>;
