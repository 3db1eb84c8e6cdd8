// The replay test is a real guard: a copy of the workflow code with one activity scheduled
// where recorded histories have none (the kind of edit that needs a patched() guard) is
// bundled, and replaying a recorded happy-path history against it must fail with a
// nondeterminism error. The copy lives under .data/ (ignored); workflows/ is not touched.
import { describe, expect, it } from '@jest/globals';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { quietRuntime, testDataConverter } from '../helpers/temporal.ts';
import { testWorkflowBundle } from '../helpers/workflow-bundle.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const RESERVE = '    await inventory.reserveStock.executeWithOptions(';
const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

/** workflows/ copied one level deeper (imports adjusted) with an unguarded activity before the reservation. */
function nondeterministicCopy(): string {
  const dir = join(ROOT, '.data', `nondeterministic-workflows-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'workflows'), dir, { recursive: true });
  for (const f of readdirSync(dir, { recursive: true }).map(String).filter((n) => n.endsWith('.ts'))) {
    const path = join(dir, f);
    writeFileSync(path, readFileSync(path, 'utf8').replaceAll("from '../", "from '../../"));
  }
  const checkout = join(dir, 'checkout.ts');
  const code = readFileSync(checkout, 'utf8');
  if (!code.includes(RESERVE)) throw new Error('the reservation call moved: update RESERVE in this test');
  writeFileSync(checkout, code.replace(RESERVE, `    await orders.flagOrder.executeWithOptions({ summary: 'unguarded' }, [{ orderId, attention: null, reason: 'unguarded', dedupeKey: 'unguarded' }]);\n${RESERVE}`));
  return dir;
}

const history = (name: string) => historyFromJSON(JSON.parse(readFileSync(new URL(`./histories/${name}.json`, import.meta.url), 'utf8')));

describe('replay guard', () => {
  it('an activity added without patched() fails the replay of a recorded history; the real code replays it', async () => {
    quietRuntime();
    const dir = nondeterministicCopy();
    try {
      const { code } = await bundleWorkflowCode({ workflowsPath: join(dir, 'index.ts'), logger: quietLogger });
      const histories = [{ workflowId: 'checkout-lean-happy', history: history('checkout-lean-happy') }];
      const bad: string[] = [];
      for await (const r of Worker.runReplayHistories({ workflowBundle: { code }, replayName: 'replay-guard-bad', dataConverter: testDataConverter() }, histories)) bad.push(r.error ? `${r.error.name}: ${r.error.message}` : 'replayed');
      expect(bad).toEqual([expect.stringMatching(/DeterminismViolation|[Nn]ondetermin/)]);
      const good: string[] = [];
      for await (const r of Worker.runReplayHistories({ workflowBundle: await testWorkflowBundle(), replayName: 'replay-guard-good', dataConverter: testDataConverter() }, histories)) good.push(r.error ? r.error.message : 'replayed');
      expect(good).toEqual(['replayed']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
