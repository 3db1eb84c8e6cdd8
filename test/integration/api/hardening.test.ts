// What a stranger on the network sees: security headers on every response (and a policy
// Swagger UI can live with), /metrics closed to non-loopback clients unless they hold the
// metrics token, worker metrics on loopback only, and /readyz naming a failed dependency
// without repeating its error text.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { createApp } from '../../../src/api/app.ts';
import { createRedis } from '../../../src/infra/redis.ts';
import { startApiFixture, type ApiFixture } from '../../helpers/api.ts';
import { testConfig } from '../../helpers/env.ts';
import { spawnWorker } from '../../helpers/stack.ts';

let f: ApiFixture;

beforeAll(async () => {
  f = await startApiFixture();
}, 120_000);
afterAll(async () => {
  await f?.stop();
}, 60_000);

/** An address of this machine that is not loopback (requests from it are "remote"), if any. */
const outsideAddress = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

async function listenEverywhere(app: ReturnType<typeof createApp>): Promise<{ server: Server; port: number }> {
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('security headers', () => {
  it('every API response carries CSP, frame, sniffing and referrer headers', async () => {
    for (const path of ['/healthz', '/v1/products', '/v1/orders/nope', '/no-such-route']) {
      const res = await f.http().get(path);
      expect({ path, csp: res.headers['content-security-policy'] }).toEqual({ path, csp: expect.stringContaining("default-src 'self'") });
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('Swagger UI may use inline styles (its page has <style> blocks), never inline scripts', async () => {
    const res = await f.http().get('/docs/').expect(200);
    expect(res.text).toContain('swagger-ui-init.js');
    expect(res.text).not.toMatch(/<script>[^<]/);
    const csp = res.headers['content-security-policy'];
    expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
  });

  it('the pages keep their own policy (sandbox frame for 3-D Secure)', async () => {
    const res = await f.http().get('/demo').expect(200);
    expect(res.headers['content-security-policy']).toContain(`frame-src ${f.stack.sandbox.url}`);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('/metrics of the API', () => {
  it('serves loopback clients without a token, but not what a local reverse proxy forwards', async () => {
    await f.http().get('/metrics').expect(200);
    await f.http().get('/metrics').set('X-Forwarded-For', '203.0.113.9').expect(403);
    await f.http().get('/metrics').set('Forwarded', 'for=203.0.113.9').expect(403);
  });

  (outsideAddress ? it : it.skip)('refuses a client that is not on loopback when no token is configured', async () => {
    const { server, port } = await listenEverywhere(f.adopt(createApp({ config: f.stack.config, orm: f.stack.orm, redis: f.stack.redis, temporal: f.stack.client, logger: f.stack.logger, metrics: f.stack.metrics })));
    try {
      const res = await fetch(`http://${outsideAddress}:${port}/metrics`);
      expect(res.status).toBe(403);
      expect(await res.text()).not.toMatch(/orders_|http_request/);
      expect((await fetch(`http://${outsideAddress}:${port}/healthz`)).status).toBe(200);
    } finally {
      server.close();
    }
  });

  it('with METRICS_TOKEN: only Authorization: Bearer <token> may read it, loopback included', async () => {
    const token = 'metrics-token-for-tests-0123';
    const app = f.appWith({ METRICS_TOKEN: token });
    await supertest(app).get('/metrics').expect(403);
    await supertest(app).get('/metrics').set('Authorization', 'Bearer wrong-token-of-same-size!!').expect(403);
    const ok = await supertest(app).get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
    expect(ok.text).toContain('http_request_duration_seconds');
  });
});

describe('worker metrics', () => {
  it('bind to loopback by default (configurable with METRICS_HOST)', async () => {
    expect(testConfig().worker.metricsHost).toBe('127.0.0.1');
    const w = await spawnWorker(f.stack, 'orders');
    try {
      expect((await fetch(`http://127.0.0.1:${w.metricsPort}/healthz`)).status).toBe(200);
      if (outsideAddress) await expect(fetch(`http://${outsideAddress}:${w.metricsPort}/metrics`)).rejects.toThrow();
    } finally {
      await w.kill('SIGTERM');
    }
  }, 60_000);
});

describe('/readyz', () => {
  it('names the failed dependency without echoing its error text', async () => {
    const deadRedis = createRedis({ url: 'redis://127.0.0.1:1/0', keyPrefix: 'x:' }, { lazy: true });
    deadRedis.on('error', () => undefined);
    try {
      const app = f.adopt(createApp({ config: f.stack.config, orm: f.stack.orm, redis: deadRedis, temporal: f.stack.client, logger: f.stack.logger, metrics: f.stack.metrics }));
      const res = await supertest(app).get('/readyz').expect(503);
      expect(res.body.checks.redis).toEqual({ status: 'error', latencyMs: expect.any(Number), error: expect.stringMatching(/^(unavailable|timeout)$/) });
      // Every text of the answer, without its numbers: a latency of 1 ms ("latencyMs":1) is not an echoed ":1" port.
      const texts = JSON.stringify(res.body, (_key, value) => (typeof value === 'number' ? undefined : value));
      expect(texts).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:1\b|Connection/i);
    } finally {
      deadRedis.disconnect();
    }
  });
});
