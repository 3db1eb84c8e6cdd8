// The API process keeps serving through a Redis outage (Redis only accelerates): orders are
// still accepted, and the outage is logged as one warning, not an "Unhandled error event"
// line per reconnect attempt.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { seedDemoCatalog } from '../../../scripts/lib/demo-catalog.ts';
import { mintToken } from '../../helpers/api.ts';
import { resetDatabase, testOrm } from '../../helpers/db.ts';
import { TEST_DATABASE_URL, testConfig } from '../../helpers/env.ts';
import { startLocalTemporal } from '../../helpers/temporal.ts';
import { freePort } from '../../../scripts/lib/net.ts';
import { privateRedis, type Service } from '../../chaos/services.ts';

const MAIN = fileURLToPath(new URL('../../../src/api/main.ts', import.meta.url));
let env: TestWorkflowEnvironment;
let redis: Service;

beforeAll(async () => {
  [env, redis] = await Promise.all([startLocalTemporal(), privateRedis()]);
  const orm = await testOrm();
  await resetDatabase(orm);
  await seedDemoCatalog(orm.em.fork());
  await orm.close();
}, 120_000);
afterAll(async () => {
  await redis?.destroy();
  await env?.teardown();
});

describe('API process and a Redis outage', () => {
  it('keeps accepting orders while Redis is down and logs the outage without ioredis noise', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1',
        DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'blip:', TEMPORAL_ADDRESS: env.address,
        RECONCILIATION_SCHEDULE_ENABLED: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const base = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      while (!(await fetch(`${base}/healthz`).then((r) => r.ok, () => false))) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`API did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await redis.stop();
      await new Promise((r) => setTimeout(r, 3000)); // several reconnect attempts
      const token = await mintToken(testConfig());
      const res = await fetch(`${base}/v1/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `blip-${Date.now()}` },
        body: JSON.stringify({ items: [{ sku: 'BOK-SYSTEMS-01', quantity: 1 }], paymentMethod: 'pm_card_visa' }),
      });
      expect(res.status).toBe(202);
      expect(child.exitCode).toBeNull();
      expect(out).not.toMatch(/Unhandled error event/);
      expect(out.match(/redis error/g)?.length ?? 0).toBeLessThanOrEqual(2);
      await redis.start();
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 90_000);
});
