// The bounded fault-injection run (the CI subset of `npm run chaos`): a small mixed load of
// checkouts through the HTTP API while a worker pool is killed in turn, every worker is down
// for a while, Temporal is killed and restarted on its file, Postgres is stopped and started,
// Postgres connections are cut, and the provider fails; after each, every accepted order
// settles and docs/design.md §7 holds. No timing thresholds: the numbers are printed.
// Like npm run chaos, it runs on private Postgres, Redis and Temporal instances it starts
// itself, so stopping them never touches the machine's shared services.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChaosStack, LoadOptions, Scenario, ScenarioResult } from '../chaos/driver.ts';
import { startPrivateStack, type Service } from '../chaos/services.ts';

let s: ChaosStack;
let d: typeof import('../chaos/driver.ts');
const services: Service[] = [];
const results: ScenarioResult[] = [];
const savedEnv = { db: process.env.TEST_DATABASE_URL, redis: process.env.TEST_REDIS_URL };
const LOAD: LoadOptions = { ordersPerSecond: 2, loadMs: 8_000, settleTimeoutMs: 120_000, requestTimeoutMs: 8_000 };

beforeAll(async () => {
  const { postgres, redis, temporal, f } = await startPrivateStack({ paymentActionTimeout: '5s', started: services });
  d = await import('../chaos/driver.ts');
  s = { f, workers: new Map(), workerEnv: { LOG_LEVEL: 'error' }, services: { postgres, redis, temporal } };
  await d.startWorkers(s);
  await d.prepareStock(s);
}, 240_000);

afterAll(async () => {
  if (results.length) process.stdout.write(`\nchaos (bounded)\n${d.renderTable(results)}\n`);
  await s?.f.stack.sandbox.clearFaults().catch(() => undefined);
  await Promise.all([...(s?.workers.values() ?? [])].map((w) => w.kill('SIGTERM')));
  await s?.f.stop().catch(() => undefined);
  for (const svc of services.reverse()) await svc.destroy().catch(() => undefined);
  process.env.TEST_DATABASE_URL = savedEnv.db;
  process.env.TEST_REDIS_URL = savedEnv.redis;
  if (savedEnv.db === undefined) delete process.env.TEST_DATABASE_URL;
  if (savedEnv.redis === undefined) delete process.env.TEST_REDIS_URL;
}, 120_000);

const scenarios: [string, () => Scenario][] = [
  ['each pool SIGKILLed in turn', () => d.killEachPool(1_000)],
  ['all workers down', () => d.allWorkersDown(5_000)],
  ['Temporal killed and restarted', () => d.serviceDown('temporal', 3_000, 'dev server killed, restarted on its file after')],
  ['Postgres stopped and started', () => d.serviceDown('postgres', 5_000, 'stopped (fast shutdown), started after')],
  ['Postgres connections cut', () => d.postgresConnectionsKilled(3, 1_000)],
  ['provider faults', () => d.providerFaults(4_000)],
];

describe('under load, with a fault injected, every accepted order settles and the invariants hold', () => {
  it.each(scenarios)('%s', async (_name, scenario) => {
    const result = await d.runScenario(s, scenario(), LOAD);
    results.push(result);
    expect(result.accepted).toBeGreaterThan(0);
    // Every client got its order in the end (retrying with its key), whatever was down.
    expect(result.refused).toBe(0);
    expect(result.violations).toEqual([]);
    expect(result.settled).toBe(result.accepted);
  }, 300_000);
});
