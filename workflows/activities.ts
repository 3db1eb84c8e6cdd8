// The activities the checkout calls, each on its pool's task queue, with their retry policies.
// Workflows import only the activities' types; the code runs in the pools' worker processes.
import { proxyActivities } from '@temporalio/workflow';
import { TASK_QUEUES } from '../src/contracts/index.ts';
import type { InventoryActivities } from '../activities/inventory.ts';
import type { OrderActivities } from '../activities/orders.ts';
import type { PaymentActivities } from '../activities/payments.ts';

// Infrastructure failures retry with backoff, indefinitely: a database or provider outage
// delays an order, it does not lose it. Business failures are non-retryable by type.
const steadyRetry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' } as const;

export const orders = proxyActivities<OrderActivities>({
  taskQueue: TASK_QUEUES.orders,
  startToCloseTimeout: '30s',
  retry: { ...steadyRetry, nonRetryableErrorTypes: ['IllegalTransition', 'OrderNotFound'] },
  summary: 'orders',
});
export const inventory = proxyActivities<InventoryActivities>({
  taskQueue: TASK_QUEUES.inventory,
  startToCloseTimeout: '30s',
  retry: { ...steadyRetry, nonRetryableErrorTypes: ['OutOfStock'] },
  summary: 'inventory',
});
export const payments = proxyActivities<PaymentActivities>({
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
export const inventoryUndo = proxyActivities<InventoryActivities>({ taskQueue: TASK_QUEUES.inventory, startToCloseTimeout: '30s', retry: compensationRetry, summary: 'compensation' });
export const paymentsUndo = proxyActivities<PaymentActivities>({ taskQueue: TASK_QUEUES.payments, startToCloseTimeout: '1m', heartbeatTimeout: '10s', retry: compensationRetry, summary: 'compensation' });
