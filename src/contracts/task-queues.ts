// Where work runs: one task queue per worker pool, and the ids and type names the API uses to
// reach a workflow. The pool of an activity is chosen where the workflow proxies it.

export const TASK_QUEUES = {
  checkout: 'checkout', // workflow code only
  inventory: 'inventory', // stock reservation / commit / release
  payments: 'payments', // provider calls, rate-limited
  orders: 'orders', // order record / status / events / notifications
} as const;
export type PoolName = keyof typeof TASK_QUEUES;

/** Workflow type names, as registered by the checkout pool (workflows/index.ts). */
export const WORKFLOW_TYPES = { checkout: 'checkout', reconciliation: 'reconciliation' } as const;

export const orderWorkflowId = (orderId: string) => `order-${orderId}`;
export const reconciliationWorkflowId = (runId: string) => `reconciliation-${runId}`;
export const RECONCILIATION_SCHEDULE_ID = 'payments-reconciliation';
