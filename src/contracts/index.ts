// The contracts every layer shares: task queues, workflow inputs/outputs, messages
// (signals, updates, queries), search-attribute keys and the order/payment status machines.
// This folder imports nothing else of ours, so workflows, activities, domain code, the API
// and the workers can all depend on it (docs/architecture.md).
export * from './task-queues.ts';
export * from './status.ts';
export * from './checkout.ts';
export * from './reconciliation.ts';
export * from './messages.ts';
export * from './search-attributes.ts';
export * from './duration.ts';
export * from './ids.ts';
