// Replays recorded histories of every checkout path against the current workflow code.
// An incompatible change (a command added, removed or reordered without a patched()
// guard) fails here. Histories come from real runs: `node scripts/record-workflow-histories.ts`.
import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { quietRuntime, testDataConverter } from '../helpers/temporal.ts';
import { testWorkflowBundle } from '../helpers/workflow-bundle.ts';

const dir = new URL('./histories/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('workflow replay (determinism across code changes)', () => {
  it('has recorded histories for every checkout path', () => {
    const names = files.map((f) => f.replace(/\.json$/, ''));
    expect(names).toEqual(expect.arrayContaining([
      'checkout-happy', 'checkout-out-of-stock', 'checkout-declined', 'checkout-insufficient-funds', 'checkout-three-ds-success',
      'checkout-three-ds-timeout', 'checkout-customer-cancel', 'checkout-ops-refund',
      // After the 2026-12-lean-checkout patch (intake records the order; upserts only on change).
      'checkout-lean-happy', 'checkout-lean-out-of-stock', 'checkout-lean-declined', 'checkout-lean-three-ds-success',
      'checkout-lean-three-ds-timeout', 'checkout-lean-customer-cancel', 'checkout-lean-ops-refund', 'checkout-lean-legacy-input',
      // After 2026-12-cancel-compensates and 2026-12-restock-on-ops-cancel.
      'checkout-v3-happy', 'checkout-v3-out-of-stock', 'checkout-v3-declined', 'checkout-v3-three-ds-success', 'checkout-v3-three-ds-timeout',
      'checkout-v3-customer-cancel', 'checkout-v3-ops-refund', 'checkout-v3-ts-ops-cancel-restocks', 'checkout-v3-ts-workflow-cancelled-awaiting-action', 'checkout-v3-ts-three-ds-completed-at-deadline', 'checkout-v3-ts-ops-cancel-request-recorded',
    ]));
  });

  const replayAll = async (traced: boolean) => {
    const histories = files.map((f) => ({ workflowId: f, history: historyFromJSON(JSON.parse(readFileSync(new URL(f, dir), 'utf8'))) }));
    quietRuntime();
    const failures: string[] = [];
    // With the payload codec, as workers run: recorded plain histories pass through it unchanged,
    // histories recorded since (encrypted with the development key) decrypt.
    const options = {
      workflowBundle: await testWorkflowBundle({ traced }),
      replayName: traced ? 'checkout-replay-traced' : 'checkout-replay',
      dataConverter: testDataConverter(),
      // The traced bundle's workflow interceptors export spans through this sink.
      ...(traced ? { sinks: { exporter: { export: { fn: () => undefined } } } } : {}),
    };
    for await (const r of Worker.runReplayHistories(options, histories)) {
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    }
    return failures;
  };

  it('replays every recorded history without nondeterminism errors', async () => {
    expect(await replayAll(false)).toEqual([]);
  }, 60_000);

  // Tracing adds workflow interceptors (src/infra/tracing.ts); they must not change a single
  // command, or turning tracing on would break every open order.
  it('replays every recorded history on a traced worker (OpenTelemetry workflow interceptors) too', async () => {
    expect(await replayAll(true)).toEqual([]);
  }, 90_000);
});
