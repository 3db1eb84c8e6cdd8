// What the order routes ask of the platform: accept an order (durably, without waiting
// for any worker pool) and cancel one through the workflow's cancelOrder update.
//
// Accept: admission control → intake (price + write order, lines and first event in one
// Postgres transaction) → 202 → the workflow is started from the row by the starter (at
// once, and by its relay if that first start is lost). A 5xx here means nothing was written.
//
// Idempotency (each layer alone prevents a second order):
//   1. Postgres   orders unique (customer_id, idempotency_key) and id = f(customer, key),
//                 written in the same statement that accepts the order
//   2. Temporal   workflow id order-<id> with USE_EXISTING / REJECT_DUPLICATE
// The stored request fingerprint decides key reuse with another body (422).
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import { AppError } from '../infra/errors.ts';
import type { Logger } from '../infra/logger.ts';
import { IntakeRejection, acceptOrder } from '../orders/intake.ts';
import { orderIdFor, requestFingerprint } from '../orders/ids.ts';
import { recordedToResource, type OrderReadModel, type OrderRecord } from '../orders/read-model.ts';
import type { Admission } from './admission.ts';
import type { CheckoutStarter } from './checkout-starter.ts';
import { cancelOrderUpdate, isTerminal, orderWorkflowId, type CancelRequest, type CheckoutInput } from '../contracts/index.ts';

const CANCEL_WAIT_MS = 10_000;

export interface CreateOrderBody {
  items: { sku: string; quantity: number }[];
  paymentMethod: string;
  shippingAddress?: Record<string, unknown>;
}

const keyReused = () =>
  new AppError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request body. Use a new key for a new order.');
const unavailable = (detail: string, cause?: unknown) => new AppError(503, 'service_unavailable', detail, { headers: { 'Retry-After': '2' }, cause });

export function createOrderCommands(deps: { orm: MikroORM; temporal: Client; readModel: OrderReadModel; starter: CheckoutStarter; admission: Admission; logger: Logger }) {
  const { temporal, readModel, logger, starter, admission } = deps;

  async function replay(orderId: string, storedFingerprint: string, fingerprint: string): Promise<{ record: OrderRecord; replayed: true }> {
    if (storedFingerprint !== fingerprint) throw keyReused();
    const record = await readModel.get(orderId);
    if (!record) throw unavailable('The order exists but could not be read; retry the same request.');
    return { record, replayed: true };
  }

  return {
    /** Accepts (or finds) the order for (customer, key). `replayed` is true when an earlier request created it. */
    async create(customerId: string, key: string, body: CreateOrderBody, requestId?: string): Promise<{ record: OrderRecord; replayed: boolean }> {
      const fingerprint = requestFingerprint(body);
      const orderId = orderIdFor(customerId, key);
      try {
        admission.check();
      } catch (err) {
        // A retry of an order we already accepted is answered, whatever the load.
        const existing = await readModel.findByIdempotencyKey(customerId, key);
        if (existing) return replay(existing.order.id, existing.requestFingerprint, fingerprint);
        throw err;
      }
      const input: CheckoutInput = {
        orderId,
        customerId,
        lines: body.items.map((i) => ({ sku: i.sku, quantity: i.quantity })),
        paymentMethod: body.paymentMethod,
        ...(body.shippingAddress ? { shippingAddress: body.shippingAddress } : {}),
        idempotencyKey: key,
        requestFingerprint: fingerprint,
        ...(requestId ? { requestId } : {}),
      };
      let result;
      try {
        result = await acceptOrder(deps.orm.em.fork(), input);
      } catch (err) {
        if (err instanceof IntakeRejection) {
          throw new AppError(422, err.code, err.message, { errors: err.lines.map((l) => ({ path: `items.${l.index}.sku`, message: l.message, code: err.code })) });
        }
        throw err; // nothing was committed: the error handler answers 5xx and a retry is safe
      }
      if (result.kind === 'existing') return replay(result.orderId, result.requestFingerprint, fingerprint);
      admission.accepted();
      starter.kick({ ...input, order: result.order });
      return { record: recordedToResource(result.order, result.createdAt), replayed: false };
    },

    /** Asks the workflow to cancel; its update validator decides. 409 when it refuses or is closed. */
    async cancel(record: OrderRecord, req: CancelRequest): Promise<void> {
      const notCancellable = (why: string) => new AppError(409, 'order_not_cancellable', `The order cannot be cancelled: ${why}.`);
      const status = record.order.status;
      if (isTerminal(status)) throw notCancellable(`it is already ${status}`);
      if (req.role === 'customer' && status === 'CONFIRMED') throw notCancellable('it is already CONFIRMED; contact support');
      const handle = temporal.workflow.getHandle(orderWorkflowId(record.order.id));
      const update = () => temporal.withDeadline(Date.now() + CANCEL_WAIT_MS, () => handle.executeUpdate(cancelOrderUpdate, { args: [req] }));
      let result;
      try {
        result = await update().catch(async (err) => {
          // Accepted a moment ago and its workflow not started yet: start it, then cancel through it.
          if (err instanceof WorkflowNotFoundError && (await starter.ensureStarted(record.order.id))) return update();
          throw err;
        });
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
