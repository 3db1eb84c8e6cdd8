// The engine's ceiling on this machine: a workflow of the checkout's shape with nothing in it.
// Five no-op activities on three queues, a plain start, no search-attribute upserts, no timer.
// bench/platform.ts runs it on the same Temporal server as the product and divides.
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities.ts';

const opts = { startToCloseTimeout: '30s' } as const;
const a = proxyActivities<typeof activities>({ ...opts, taskQueue: 'skeleton-a' });
const b = proxyActivities<typeof activities>({ ...opts, taskQueue: 'skeleton-b' });
const c = proxyActivities<typeof activities>({ ...opts, taskQueue: 'skeleton-c' });

export async function skeleton(): Promise<void> {
  await a.noop();
  await b.noop();
  await c.noop();
  await a.noop();
  await c.noop();
}

/** For bench/engine-knobs.ts: the cost of a workflow task, and of one activity round trip. */
export async function empty(): Promise<void> {}
export async function one(): Promise<void> {
  await a.noop();
}
