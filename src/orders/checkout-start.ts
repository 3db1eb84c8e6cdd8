// How a checkout workflow is started — one place, used by the API and by the test stack so
// tests exercise the real start path. update-with-start: the workflow id is derived from the
// order id (USE_EXISTING: a repeated start joins the running one; REJECT_DUPLICATE: a closed
// order is never started again), and the `orderRecorded` update returns the recorded order.
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { checkout } from '../../workflows/index.ts';
import { TASK_QUEUES, orderWorkflowId, type CheckoutInput } from '../../workflows/contracts.ts';
import { SA } from '../../workflows/search-attributes.ts';

export function checkoutStartOperation(input: CheckoutInput): WithStartWorkflowOperation<typeof checkout> {
  return new WithStartWorkflowOperation<typeof checkout>('checkout', {
    workflowId: orderWorkflowId(input.orderId),
    taskQueue: TASK_QUEUES.checkout,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [
      { key: SA.OrderId, value: input.orderId },
      { key: SA.CustomerId, value: input.customerId },
      { key: SA.OrderStatus, value: 'PENDING' },
    ],
    staticSummary: `Order ${input.orderId} for ${input.customerId}: ${input.lines.length} line(s), ${input.paymentMethod}`,
  });
}

/** A deterministic update id: concurrent duplicates attach to one update instead of piling up. */
export const orderRecordedUpdateId = (input: CheckoutInput) => `order-recorded-${input.requestFingerprint.slice(0, 32)}`;
