// The bounded fault-injection run (the CI subset of `npm run chaos`): a small mixed load of
// checkouts through the HTTP API while a worker pool is killed in turn, every worker is down
// for a while, Postgres connections are cut, and the provider fails; after each, every
// accepted order settles and DESIGN §7 holds. No timing thresholds: the numbers are printed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApiFixture } from '../helpers/api.ts';
import {
  allWorkersDown, killEachPool, postgresConnectionsKilled, prepareStock, providerFaults, renderTable, runScenario, startWorkers,
  type ChaosStack, type LoadOptions, type Scenario, type ScenarioResult,
} from '../chaos/driver.ts';

let s: ChaosStack;
const results: ScenarioResult[] = [];
const LOAD: LoadOptions = { ordersPerSecond: 2, loadMs: 8_000, settleTimeoutMs: 90_000, requestTimeoutMs: 8_000 };

beforeAll(async () => {
  const f = await startApiFixture({
    pools: [],
    env: { PAYMENT_ACTION_TIMEOUT: '5s', RATE_LIMIT_ORDERS_PER_MINUTE: '100000', RATE_LIMIT_REQUESTS_PER_MINUTE: '100000' },
  });
  s = { f, workers: new Map(), workerEnv: { LOG_LEVEL: 'error' } };
  await startWorkers(s);
  await prepareStock(s);
}, 180_000);

afterAll(async () => {
  if (results.length) process.stdout.write(`\nchaos (bounded)\n${renderTable(results)}\n`);
  await s?.f.stack.sandbox.clearFaults().catch(() => undefined);
  await Promise.all([...(s?.workers.values() ?? [])].map((w) => w.kill('SIGTERM')));
  await s?.f.stop();
}, 60_000);

const scenarios: Scenario[] = [killEachPool(1_000), allWorkersDown(5_000), postgresConnectionsKilled(3, 1_000), providerFaults(4_000)];

describe('under load, with a fault injected, every accepted order settles and the invariants hold', () => {
  it.each(scenarios.map((sc) => [sc.name, sc] as const))('%s', async (_name, scenario) => {
    const result = await runScenario(s, scenario, LOAD);
    results.push(result);
    expect(result.accepted).toBeGreaterThan(0);
    expect(result.violations).toEqual([]);
    expect(result.settled).toBe(result.accepted);
  }, 240_000);
});
