// How a checkout workflow is started — one place, used by the API's intake, its relay and
// the test stack, so tests exercise the real start path. A plain start (no update): the
// order row already exists, so Temporal's acknowledgement is all we wait for. The workflow
// id is derived from the order id: USE_EXISTING makes a repeated start join the running
// workflow and REJECT_DUPLICATE makes a finished order impossible to start again.
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowStartOptions } from '@temporalio/client';
import { SA, TASK_QUEUES, WORKFLOW_TYPES, orderWorkflowId, type CheckoutInput, type CheckoutWorkflow } from '../contracts/index.ts';

export function checkoutStartOptions(input: CheckoutInput): WorkflowStartOptions<CheckoutWorkflow> {
  return {
    workflowId: orderWorkflowId(input.orderId),
    taskQueue: TASK_QUEUES.checkout,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    // Everything known at start is indexed at start: the workflow then upserts only changes.
    typedSearchAttributes: [
      { key: SA.OrderId, value: input.orderId },
      { key: SA.CustomerId, value: input.customerId },
      { key: SA.OrderStatus, value: 'PENDING' },
      { key: SA.PaymentStatus, value: 'PENDING' },
      ...(input.order ? [{ key: SA.OrderTotal, value: input.order.totalAmount }] : []),
    ],
    staticSummary: `Order ${input.orderId} for ${input.customerId}: ${input.lines.length} line(s), ${input.paymentMethod}`,
  };
}

/**
 * Starts the order's workflow (or finds it). 'started' also covers "already running";
 * 'finished' means it ran to its end before — both mean the order's start is done.
 */
export async function startCheckout(client: Client, input: CheckoutInput): Promise<'started' | 'finished'> {
  try {
    await client.workflow.start<CheckoutWorkflow>(WORKFLOW_TYPES.checkout, checkoutStartOptions(input));
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'finished';
    throw err;
  }
}
