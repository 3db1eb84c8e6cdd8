// The API surface without order workflows: operations endpoints, OpenAPI completeness,
// catalog + admin, authentication/authorization, hostile input and rate limits — all
// through HTTP against real Postgres, Redis and a real Temporal server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import supertest from 'supertest';
import { registeredRoutes } from '../../../src/api/app.ts';
import { mintToken, orderBody, rowCounts, startApiFixture, unsignedToken, type ApiFixture } from '../../helpers/api.ts';

let f: ApiFixture;
let customer: string;
let ops: string;
let finance: string;

beforeAll(async () => {
  f = await startApiFixture({ pools: [] });
  customer = await f.token('alice-surface', 'customer');
  ops = await f.token('olga', 'ops');
  finance = await f.token('fin', 'finance');
}, 120_000);
afterAll(async () => f?.stop());

const expectProblem = (res: supertest.Response, status: number, code: string) => {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) }));
  expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
};

describe('operations', () => {
  it('healthz, readyz with per-dependency status, metrics by route template', async () => {
    const health = await f.http().get('/healthz').expect(200);
    expect(health.body).toEqual({ status: 'ok' });
    const ready = await f.http().get('/readyz').expect(200);
    expect(ready.body.checks).toEqual({ postgres: expect.objectContaining({ status: 'ok' }), redis: expect.objectContaining({ status: 'ok' }), temporal: expect.objectContaining({ status: 'ok' }) });
    await f.http().get('/v1/products/AUD-DAC-04').expect(200);
    const metrics = await f.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/v1\/products\/:sku"[^}]*\}/);
  });

  it('readyz answers 503 naming the dependency when Redis is unreachable', async () => {
    const { createRedis } = await import('../../../src/infra/redis.ts');
    const { createApp } = await import('../../../src/api/app.ts');
    const deadRedis = createRedis({ url: 'redis://127.0.0.1:1/0', keyPrefix: 'x:' }, { lazy: true });
    deadRedis.on('error', () => undefined);
    const app = f.adopt(createApp({ config: f.stack.config, orm: f.stack.orm, redis: deadRedis, temporal: f.stack.client, logger: f.stack.logger, metrics: f.stack.metrics }));
    const res = await supertest(app).get('/readyz').expect(503);
    expect(res.body.checks.redis.status).toBe('error');
    expect(res.body.checks.postgres.status).toBe('ok');
    // Redis down: the in-memory insurance limiter decides (counted), catalog still served from Postgres.
    await supertest(app).get('/v1/products/AUD-DAC-04').expect(200);
    expect((await f.http().get('/metrics')).text).toMatch(/rate_limit_insurance_total\{[^}]*scope="ip"[^}]*\} [1-9]/);
    deadRedis.disconnect();
  });

  it('Temporal unreachable: readyz 503, yet an order is accepted (202, durable row) and its workflow is started by the relay once Temporal answers', async () => {
    const { Client, Connection } = await import('@temporalio/client');
    const { createApp } = await import('../../../src/api/app.ts');
    const { createCheckoutStarter } = await import('../../../src/api/checkout-starter.ts');
    const connection = await Connection.connect({ address: f.stack.config.temporal.address });
    await connection.close();
    const app = f.adopt(createApp({ config: f.stack.config, orm: f.stack.orm, redis: f.stack.redis, temporal: new Client({ connection }), logger: f.stack.logger, metrics: f.stack.metrics }));
    const ready = await supertest(app).get('/readyz').expect(503);
    expect(ready.body.checks.temporal.status).toBe('error');
    const res = await supertest(app).post('/v1/orders').set('Authorization', `Bearer ${customer}`).set('Idempotency-Key', 'temporal-down').send(orderBody());
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('PENDING');
    const conn = f.stack.orm.em.getConnection();
    const started = async () => (await conn.execute<{ s: boolean }[]>('select workflow_started_at is not null as s from orders where id = ?', [res.body.id]))[0]?.s;
    expect(await started()).toBe(false);
    await (app.locals.intake as { stop(): Promise<void> }).stop();
    // Temporal is back (here: the healthy connection): the relay starts the order and it settles.
    const relay = createCheckoutStarter({ orm: f.stack.orm, temporal: f.stack.client, config: f.stack.config, logger: f.stack.logger }, { sweepEveryMs: 0, sweepAfterMs: 0 });
    expect(await relay.sweep()).toBeGreaterThanOrEqual(1);
    await relay.stop();
    expect(await started()).toBe(true);
    // (This fixture runs no worker pool: that the workflow exists at Temporal is the point.)
    expect((await f.stack.client.workflow.getHandle(`order-${res.body.id}`).describe()).status.name).toBe('RUNNING');
  });

  it('echoes a valid X-Request-Id and replaces an invalid one', async () => {
    const ok = await f.http().get('/healthz').set('X-Request-Id', 'abc-123.x:y').expect(200);
    expect(ok.headers['x-request-id']).toBe('abc-123.x:y');
    const bad = await f.http().get('/nope').set('X-Request-Id', 'x'.repeat(129));
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(bad.body.requestId).toBe(bad.headers['x-request-id']);
  });

  it('unknown routes are 404 and wrong methods 405 with Allow, both problem+json', async () => {
    expectProblem(await f.http().get('/v2/whatever'), 404, 'not_found');
    const res = await f.http().delete('/v1/products');
    expectProblem(res, 405, 'method_not_allowed');
    expect(res.headers.allow).toContain('GET');
    expectProblem(await f.http().patch('/v1/orders').set('Authorization', `Bearer ${customer}`), 405, 'method_not_allowed');
  });

  it('serves an OpenAPI 3.1 document listing every registered route, and Swagger UI', async () => {
    const doc = (await f.http().get('/openapi.json').expect(200)).body;
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBeTruthy();
    const routes = registeredRoutes(f.app).filter(([, p]) => !p.startsWith('/docs'));
    expect(routes.length).toBeGreaterThan(12);
    const missing = routes.filter(([m, p]) => !doc.paths[p.replace(/:(\w+)/g, '{$1}')]?.[m.toLowerCase()]);
    expect(missing).toEqual([]);
    for (const item of Object.values<Record<string, { responses: object }>>(doc.paths)) {
      for (const op of Object.values(item)) expect(Object.keys(op.responses).length).toBeGreaterThan(0);
    }
    expect(doc.components.schemas).toEqual(expect.objectContaining({ Order: expect.any(Object), Problem: expect.any(Object), CreateOrder: expect.any(Object) }));
    const ui = await f.http().get('/docs/').expect(200);
    expect(ui.text).toMatch(/swagger-ui/i);
    // Full spec validation when the reference validator (pip openapi-spec-validator) is on this machine.
    const { spawnSync } = await import('node:child_process');
    const check = spawnSync('python3', ['-c', 'import json,sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(sys.stdin))\nprint("valid")'], { input: JSON.stringify(doc), encoding: 'utf8', timeout: 20_000 });
    if (!/No module named|ENOENT/.test(`${check.stderr}${check.error?.message ?? ''}`)) expect({ out: check.stdout.trim(), err: check.stderr.slice(-500) }).toEqual({ out: 'valid', err: '' });
    const bare = await f.http().get('/docs');
    expect([200, 301, 302]).toContain(bare.status);
  });
});

describe('catalog', () => {
  it('lists active products with availability, pages with an opaque cursor and filters by category', async () => {
    const first = await f.http().get('/v1/products?limit=5').expect(200);
    expect(first.body.data).toHaveLength(5);
    expect(first.body.data[0]).toEqual({ sku: expect.any(String), name: expect.any(String), description: expect.any(String), price: { amount: expect.any(Number), currency: 'USD' }, category: expect.any(String), brand: expect.any(String), available: expect.any(Number) });
    const seen = new Set<string>(first.body.data.map((p: { sku: string }) => p.sku));
    let cursor = first.body.nextCursor;
    while (cursor) {
      const page = await f.http().get(`/v1/products?limit=5&cursor=${cursor}`).expect(200);
      for (const p of page.body.data) {
        expect(seen.has(p.sku)).toBe(false);
        seen.add(p.sku);
      }
      cursor = page.body.nextCursor;
    }
    expect(seen.size).toBe(24);
    const books = await f.http().get('/v1/products?category=books').expect(200);
    expect(books.body.data.map((p: { category: string }) => p.category)).toEqual(['books', 'books', 'books', 'books']);
    expect(books.body.nextCursor).toBeNull();
    const hp = await f.http().get('/v1/products/AUD-HEADPHONES-01').expect(200);
    expect(hp.body.available).toBe(65);
    expectProblem(await f.http().get('/v1/products/NOPE-1'), 404, 'not_found');
    expectProblem(await f.http().get('/v1/products/lower-case'), 404, 'not_found');
    expectProblem(await f.http().get('/v1/products?cursor=***'), 400, 'invalid_cursor');
    expectProblem(await f.http().get(`/v1/products?cursor=${Buffer.from('{"a":1}').toString('base64url')}`), 400, 'invalid_cursor');
    expectProblem(await f.http().get('/v1/products?limit=0'), 400, 'validation_failed');
    expectProblem(await f.http().get('/v1/products?limit=101'), 400, 'validation_failed');
    expectProblem(await f.http().get('/v1/products?color=red'), 400, 'validation_failed');
  });
});

describe('admin (ops)', () => {
  it('reads and sets stock per warehouse; the cached product availability follows at once', async () => {
    const auth = `Bearer ${ops}`;
    const inv = await f.http().get('/v1/admin/inventory/AUD-SPEAKER-03').set('Authorization', auth).expect(200);
    expect(inv.body).toEqual({ sku: 'AUD-SPEAKER-03', levels: [{ warehouse: 'AMS-1', onHand: 12, reserved: 0, available: 12 }, { warehouse: 'BER-1', onHand: 8, reserved: 0, available: 8 }] });
    expect((await f.http().get('/v1/products/AUD-SPEAKER-03')).body.available).toBe(20); // now cached
    const put = await f.http().put('/v1/admin/inventory/AUD-SPEAKER-03').set('Authorization', auth).send({ warehouse: 'BER-1', onHand: 3 }).expect(200);
    expect(put.body.levels[1]).toEqual({ warehouse: 'BER-1', onHand: 3, reserved: 0, available: 3 });
    expect((await f.http().get('/v1/products/AUD-SPEAKER-03')).body.available).toBe(15); // invalidated

    await f.stack.orm.em.getConnection().execute("update inventory_levels set reserved = 2 where sku = 'AUD-SPEAKER-03' and warehouse = 'BER-1'");
    expectProblem(await f.http().put('/v1/admin/inventory/AUD-SPEAKER-03').set('Authorization', auth).send({ warehouse: 'BER-1', onHand: 1 }), 409, 'stock_below_reserved');
    expectProblem(await f.http().put('/v1/admin/inventory/AUD-SPEAKER-03').set('Authorization', auth).send({ warehouse: 'XXX-9', onHand: 1 }), 422, 'unknown_warehouse');
    expectProblem(await f.http().put('/v1/admin/inventory/NOPE-1').set('Authorization', auth).send({ warehouse: 'BER-1', onHand: 1 }), 404, 'not_found');
    expectProblem(await f.http().get('/v1/admin/inventory/NOPE-1').set('Authorization', auth), 404, 'not_found');
    expectProblem(await f.http().put('/v1/admin/inventory/AUD-SPEAKER-03').set('Authorization', auth).send({ warehouse: 'BER-1', onHand: -1 }), 400, 'validation_failed');
    const [level] = await f.stack.orm.em.getConnection().execute<{ on_hand: number; reserved: number }[]>("select on_hand, reserved from inventory_levels where sku = 'AUD-SPEAKER-03' and warehouse = 'BER-1'");
    expect(level).toEqual({ on_hand: 3, reserved: 2 });
  });

  it('creates and updates products with a strict schema', async () => {
    const auth = `Bearer ${ops}`;
    const body = { name: 'Test lamp', description: 'A lamp', price: { amount: 1234, currency: 'USD' }, category: 'home', brand: 'lumen' };
    const created = await f.http().put('/v1/admin/products/TST-LAMP-01').set('Authorization', auth).send(body).expect(201);
    expect(created.body).toEqual(expect.objectContaining({ sku: 'TST-LAMP-01', price: { amount: 1234, currency: 'USD' }, available: 0, active: true }));
    await f.http().put('/v1/admin/products/TST-LAMP-01').set('Authorization', auth).send({ ...body, price: { amount: 999, currency: 'USD' } }).expect(200);
    expect((await f.http().get('/v1/products/TST-LAMP-01').expect(200)).body.price.amount).toBe(999);
    await f.http().put('/v1/admin/products/TST-LAMP-01').set('Authorization', auth).send({ ...body, active: false }).expect(200);
    await f.http().get('/v1/products/TST-LAMP-01').expect(404);
    expectProblem(await f.http().put('/v1/admin/products/TST-LAMP-01').set('Authorization', auth).send({ ...body, extra: 1 }), 400, 'validation_failed');
    expectProblem(await f.http().put('/v1/admin/products/TST-LAMP-01').set('Authorization', auth).send({ ...body, price: { amount: 1.5, currency: 'USD' } }), 400, 'validation_failed');
    expectProblem(await f.http().put('/v1/admin/products/bad sku').set('Authorization', auth).send(body), 400, 'validation_failed');
    expectProblem(await f.http().put('/v1/admin/products/TST-LAMP-02').set('Authorization', auth).send({ ...body, category: 'nope' }), 422, 'unknown_category');
    expectProblem(await f.http().put('/v1/admin/products/TST-LAMP-02').set('Authorization', auth).send({ ...body, brand: 'nope' }), 422, 'unknown_brand');
  });
});

describe('authentication and roles', () => {
  it('refuses missing, malformed, forged, expired, unsigned and claim-less tokens with 401 + WWW-Authenticate', async () => {
    const cfg = f.stack.config;
    const cases: [string, string | undefined][] = [
      ['missing', undefined],
      ['not bearer', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l'],
      ['garbage', 'Bearer not-a-jwt'],
      ['forged (other secret)', `Bearer ${await mintToken(cfg, { secret: 'another-secret-of-sufficient-length' })}`],
      ['expired', `Bearer ${await mintToken(cfg, { expiresIn: Math.floor(Date.now() / 1000) - 60 })}`],
      ['alg none', `Bearer ${unsignedToken({ sub: 'alice', roles: ['ops'] })}`],
      ['unknown role', `Bearer ${await mintToken(cfg, { roles: ['admin'] })}`],
      ['roles not an array', `Bearer ${await mintToken(cfg, { roles: 'ops' })}`],
      ['no roles', `Bearer ${await mintToken(cfg, { roles: [] })}`],
      ['HS512 instead of HS256', `Bearer ${await new SignJWT({ roles: ['customer'] }).setProtectedHeader({ alg: 'HS512' }).setSubject('alice').sign(new TextEncoder().encode(cfg.auth.secret))}`],
      ['no sub', `Bearer ${await new SignJWT({ roles: ['customer'] }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(cfg.auth.secret))}`],
    ];
    for (const [name, header] of cases) {
      const req = f.http().get('/v1/orders');
      const res = await (header ? req.set('Authorization', header) : req);
      expect({ name, status: res.status, code: res.body.code }).toEqual({ name, status: 401, code: 'unauthorized' });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    }
  });

  it('checks issuer and audience when configured', async () => {
    const app = f.appWith({ AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'checkout' });
    const good = await mintToken({ auth: { ...f.stack.config.auth, issuer: 'https://id.example', audience: 'checkout' } }, { sub: 'alice' });
    const wrongAud = await mintToken({ auth: { ...f.stack.config.auth, issuer: 'https://id.example', audience: 'other' } }, { sub: 'alice' });
    await supertest(app).get('/v1/orders').set('Authorization', `Bearer ${good}`).expect(200);
    expectProblem(await supertest(app).get('/v1/orders').set('Authorization', `Bearer ${wrongAud}`), 401, 'unauthorized');
    expectProblem(await supertest(app).get('/v1/orders').set('Authorization', `Bearer ${customer}`), 401, 'unauthorized');
  });

  it('verifies RS256 tokens against a JWKS endpoint when configured, and refuses HS256 ones there', async () => {
    const { generateKeyPair, exportJWK } = await import('jose');
    const { createServer } = await import('node:http');
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/.well-known/jwks.json`;
      const app = f.appWith({ AUTH_JWT_ALGORITHM: 'RS256', AUTH_JWKS_URL: url });
      const rs = await new SignJWT({ roles: ['ops'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('olga').setIssuedAt().setExpirationTime('5m').sign(privateKey);
      await supertest(app).get('/v1/admin/inventory/AUD-DAC-04').set('Authorization', `Bearer ${rs}`).expect(200);
      expectProblem(await supertest(app).get('/v1/admin/inventory/AUD-DAC-04').set('Authorization', `Bearer ${ops}`), 401, 'unauthorized');
      expectProblem(await supertest(app).get('/v1/admin/inventory/AUD-DAC-04').set('Authorization', `Bearer ${unsignedToken({ sub: 'olga', roles: ['ops'] })}`), 401, 'unauthorized');
    } finally {
      jwks.closeAllConnections();
      await new Promise((r) => jwks.close(r));
    }
  });

  it('enforces roles: admin needs ops, order creation needs customer, finance routes need finance', async () => {
    expectProblem(await f.http().get('/v1/admin/inventory/AUD-DAC-04').set('Authorization', `Bearer ${customer}`), 403, 'forbidden');
    expectProblem(await f.http().get('/v1/admin/inventory/AUD-DAC-04').set('Authorization', `Bearer ${finance}`), 403, 'forbidden');
    expectProblem(await f.http().put('/v1/admin/products/TST-X-1').set('Authorization', `Bearer ${customer}`).send({}), 403, 'forbidden');
    expectProblem(await f.http().get('/v1/admin/inventory/AUD-DAC-04'), 401, 'unauthorized');
    expectProblem(await f.http().post('/v1/orders').set('Authorization', `Bearer ${ops}`).set('Idempotency-Key', 'k1').send(orderBody()), 403, 'forbidden');
    expectProblem(await f.http().get('/v1/orders?customerId=bob').set('Authorization', `Bearer ${customer}`), 403, 'forbidden');
    const hasFinance = registeredRoutes(f.app).some(([, p]) => p.startsWith('/v1/finance'));
    if (hasFinance) {
      expectProblem(await f.http().get('/v1/finance/payments').set('Authorization', `Bearer ${customer}`), 403, 'forbidden');
      expectProblem(await f.http().post('/v1/finance/reconciliations').set('Authorization', `Bearer ${ops}`), 403, 'forbidden');
      expectProblem(await f.http().get('/v1/finance/payments'), 401, 'unauthorized');
    }
  });
});

describe('hostile input', () => {
  const big = 'x'.repeat(1024 * 1024);
  const item = { sku: 'BOK-SYSTEMS-01', quantity: 1 };
  type Case = { name: string; status: number; code: string; body?: string | Buffer | object; contentType?: string; key?: string | null; path?: string; method?: 'post' | 'get' };
  const cases: Case[] = [
    { name: 'broken JSON', body: '{"items": [', status: 400, code: 'malformed_json' },
    { name: 'trailing garbage', body: '{"items":[]} x', status: 400, code: 'malformed_json' },
    { name: 'JSON null', body: 'null', status: 400, code: 'malformed_json' },
    { name: 'JSON string', body: '"hello"', status: 400, code: 'malformed_json' },
    { name: 'array body', body: [item], status: 400, code: 'validation_failed' },
    { name: 'empty object', body: {}, status: 400, code: 'validation_failed' },
    { name: 'no items', body: { items: [], paymentMethod: 'pm_card_visa' }, status: 400, code: 'validation_failed' },
    { name: '51 lines', body: { items: Array.from({ length: 51 }, () => item), paymentMethod: 'pm_card_visa' }, status: 400, code: 'validation_failed' },
    { name: '500 lines', body: { items: Array.from({ length: 500 }, () => item), paymentMethod: 'pm_card_visa' }, status: 400, code: 'validation_failed' },
    { name: 'quantity 0', body: orderBody([{ sku: 'BOK-SYSTEMS-01', quantity: 0 }]), status: 400, code: 'validation_failed' },
    { name: 'negative quantity', body: orderBody([{ sku: 'BOK-SYSTEMS-01', quantity: -3 }]), status: 400, code: 'validation_failed' },
    { name: 'fractional quantity', body: orderBody([{ sku: 'BOK-SYSTEMS-01', quantity: 1.5 }]), status: 400, code: 'validation_failed' },
    { name: 'huge quantity', body: orderBody([{ sku: 'BOK-SYSTEMS-01', quantity: 1001 }]), status: 400, code: 'validation_failed' },
    { name: 'quantity 1e308', body: '{"items":[{"sku":"BOK-SYSTEMS-01","quantity":1e308}],"paymentMethod":"pm_card_visa"}', status: 400, code: 'validation_failed' },
    { name: 'quantity as string', body: { items: [{ sku: 'BOK-SYSTEMS-01', quantity: '1' }], paymentMethod: 'pm_card_visa' }, status: 400, code: 'validation_failed' },
    { name: 'sku as number', body: { items: [{ sku: 42, quantity: 1 }], paymentMethod: 'pm_card_visa' }, status: 400, code: 'validation_failed' },
    { name: 'lower-case sku', body: orderBody([{ sku: 'bok-systems-01', quantity: 1 }]), status: 400, code: 'validation_failed' },
    { name: 'sku too long', body: orderBody([{ sku: `A${'B'.repeat(64)}`, quantity: 1 }]), status: 400, code: 'validation_failed' },
    { name: 'unknown field', body: { ...orderBody(), coupon: 'FREE' }, status: 400, code: 'validation_failed' },
    { name: 'client-sent price', body: { items: [{ ...item, unitPrice: 1 }], paymentMethod: 'pm_card_visa' }, status: 400, code: 'validation_failed' },
    { name: 'bad paymentMethod', body: { items: [item], paymentMethod: 'card; drop table' }, status: 400, code: 'validation_failed' },
    { name: 'missing paymentMethod', body: { items: [item] }, status: 400, code: 'validation_failed' },
    { name: 'megabyte string', body: { items: [item], paymentMethod: `pm_${big}` }, status: 413, code: 'payload_too_large' },
    { name: 'NUL byte', body: { items: [item], paymentMethod: 'pm_card_visa\u0000' }, status: 400, code: 'validation_failed' },
    { name: 'lone surrogate', body: '{"items":[{"sku":"BOK-SYSTEMS-01","quantity":1}],"paymentMethod":"pm_\\ud800"}', status: 400, code: 'validation_failed' },
    { name: '__proto__ key', body: '{"items":[{"sku":"BOK-SYSTEMS-01","quantity":1}],"paymentMethod":"pm_card_visa","__proto__":{"admin":true}}', status: 400, code: 'validation_failed' },
    { name: 'nested constructor key', body: '{"items":[{"sku":"BOK-SYSTEMS-01","quantity":1,"constructor":{"prototype":{"x":1}}}],"paymentMethod":"pm_card_visa"}', status: 400, code: 'validation_failed' },
    { name: 'deep nesting', body: `{"items":${'['.repeat(5000)}${']'.repeat(5000)},"paymentMethod":"pm_card_visa"}`, status: 400, code: 'validation_failed' },
    { name: 'text/plain body', body: JSON.stringify(orderBody()), contentType: 'text/plain', status: 415, code: 'unsupported_media_type' },
    { name: 'form body', body: 'items=1', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'unsupported_media_type' },
    { name: 'latin1 charset', body: JSON.stringify(orderBody()), contentType: 'application/json; charset=latin1', status: 415, code: 'unsupported_media_type' },
    { name: 'utf-16 charset', body: Buffer.from(JSON.stringify(orderBody()), 'utf16le'), contentType: 'application/json; charset=utf-16le', status: 415, code: 'unsupported_media_type' },
    { name: 'duplicated paymentMethod', body: '{"items":[{"sku":"BOK-SYSTEMS-01","quantity":1}],"paymentMethod":"pm_card_visa","paymentMethod":"pm_card_declined"}', status: 400, code: 'validation_failed' },
    { name: 'duplicated key, escaped', body: '{"items":[{"sku":"BOK-SYSTEMS-01","quantity":1,"\\u0071uantity":2}],"paymentMethod":"pm_card_visa"}', status: 400, code: 'validation_failed' },
    { name: 'missing Idempotency-Key', body: orderBody(), key: null, status: 400, code: 'idempotency_key_required' },
    { name: 'empty Idempotency-Key', body: orderBody(), key: '', status: 400, code: 'idempotency_key_required' },
    { name: '256-char Idempotency-Key', body: orderBody(), key: 'k'.repeat(256), status: 400, code: 'idempotency_key_required' },
    { name: 'non-ASCII Idempotency-Key', body: orderBody(), key: 'kéy', status: 400, code: 'idempotency_key_required' },
    { name: 'unknown sku', body: orderBody([{ sku: 'NOPE-404', quantity: 1 }]), status: 422, code: 'unknown_sku' },
    { name: 'non-UUID order id', method: 'get', path: '/v1/orders/123', status: 404, code: 'not_found' },
    { name: 'SQL-ish order id', method: 'get', path: "/v1/orders/1'%20or%20'1'='1", status: 404, code: 'not_found' },
    { name: 'bad percent-encoding', method: 'get', path: '/v1/orders/%E0%A4%A', status: 400, code: 'bad_request' },
    { name: 'bad list limit', method: 'get', path: '/v1/orders?limit=1000', status: 400, code: 'validation_failed' },
    { name: 'bad list status', method: 'get', path: '/v1/orders?status=SHIPPED', status: 400, code: 'validation_failed' },
    { name: 'bad list cursor', method: 'get', path: '/v1/orders?cursor=Zm9v', status: 400, code: 'invalid_cursor' },
    { name: 'repeated query param', method: 'get', path: '/v1/orders?limit=1&limit=2', status: 400, code: 'validation_failed' },
  ];

  it(`answers each of ${cases.length} malformed requests with a 4xx problem and writes nothing`, async () => {
    const before = await rowCounts(f.stack);
    const idemKeys = () => f.stack.redis.keys(`${f.stack.config.redis.keyPrefix}idem:*`);
    const keysBefore = await idemKeys();
    let n = 0;
    for (const c of cases) {
      n += 1;
      const url = c.path ?? '/v1/orders';
      let req = (c.method === 'get' ? f.http().get(url) : f.http().post(url)).set('Authorization', `Bearer ${customer}`);
      if (c.method !== 'get') {
        if (c.key !== null) req = req.set('Idempotency-Key', c.key ?? `hostile-${n}`);
        req = req.set('Content-Type', c.contentType ?? 'application/json');
        req = req.send(typeof c.body === 'string' || Buffer.isBuffer(c.body) ? c.body : JSON.stringify(c.body));
      }
      const res = await req;
      expect({ name: c.name, status: res.status, code: res.body?.code }).toEqual({ name: c.name, status: c.status, code: c.code });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(await rowCounts(f.stack)).toEqual(before);
    // No idempotency claim was left behind by a rejected request (only rate-limit counters may appear).
    expect((await idemKeys()).sort()).toEqual(keysBefore.sort());
  });
});

describe('rate limits', () => {
  it('per IP on the API: 429 rate_limited with Retry-After', async () => {
    await f.stack.redis.flushdb();
    const app = f.appWith({ RATE_LIMIT_REQUESTS_PER_MINUTE: '3' });
    for (let i = 0; i < 3; i++) await supertest(app).get('/v1/products?limit=1').expect(200);
    const res = await supertest(app).get('/v1/products?limit=1');
    expectProblem(res, 429, 'rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await supertest(app).get('/healthz').expect(200); // operations endpoints are not limited
    expect((await f.http().get('/metrics')).text).toMatch(/rate_limited_requests_total\{[^}]*scope="ip"[^}]*\} [1-9]/);
    await f.stack.redis.flushdb();
  });

  it('per customer on order creation', async () => {
    await f.stack.redis.flushdb();
    const app = f.appWith({ RATE_LIMIT_ORDERS_PER_MINUTE: '2' });
    const bob = await f.token('bob-rl', 'customer');
    // Unknown sku → 422 without starting anything, but the attempt still counts.
    for (let i = 0; i < 2; i++) await supertest(app).post('/v1/orders').set('Authorization', `Bearer ${bob}`).set('Idempotency-Key', `rl-${i}`).send(orderBody([{ sku: 'NOPE-1', quantity: 1 }])).expect(422);
    const res = await supertest(app).post('/v1/orders').set('Authorization', `Bearer ${bob}`).set('Idempotency-Key', 'rl-3').send(orderBody());
    expectProblem(res, 429, 'rate_limited');
    expect(res.headers['retry-after']).toBeDefined();
    // Another customer is unaffected.
    const carol = await f.token('carol-rl', 'customer');
    await supertest(app).post('/v1/orders').set('Authorization', `Bearer ${carol}`).set('Idempotency-Key', 'rl-1').send(orderBody([{ sku: 'NOPE-1', quantity: 1 }])).expect(422);
    await f.stack.redis.flushdb();
  });
});
