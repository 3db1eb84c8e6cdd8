// The document promises what the server answers: every status a route answers is
// documented for it, and every JSON body matches its documented schema. Each case below
// is a response the server really gives (found by fuzzing and by hand).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { startApiFixture, type ApiFixture } from '../../helpers/api.ts';
import { createOpenApiChecker } from '../../helpers/openapi-check.ts';

let f: ApiFixture;
const check = createOpenApiChecker();

beforeAll(async () => {
  f = await startApiFixture({ env: { RATE_LIMIT_ORDERS_PER_MINUTE: '10000' } });
}, 120_000);
afterAll(async () => {
  await f?.stop();
}, 60_000);

const conforms = (method: string, path: string, res: supertest.Response) => expect({ method, path, problems: check.problems(method, path, res) }).toEqual({ method, path, problems: [] });

describe('responses match the OpenAPI document', () => {
  it('GET /v1/finance/reconciliations/{id}: a run with its findings', async () => {
    const conn = f.stack.orm.em.getConnection();
    const runId = randomUUID();
    await conn.execute(
      "insert into reconciliation_runs (id, trigger, status, window_start, window_end, checked, matched, findings_count, needs_human, finished_at) values (?, 'manual', 'COMPLETED', now() - interval '1 hour', now(), 3, 2, 1, 1, now())",
      [runId],
    );
    await conn.execute(
      "insert into reconciliation_findings (run_id, kind, order_id, provider_reference, our_amount, provider_amount, currency, our_status, provider_status, action, needs_human, details) values (?, 'amount_mismatch', ?, 'pi_conformance', 100, 90, 'USD', 'CAPTURED', 'succeeded', 'flagged', true, ?)",
      [runId, randomUUID(), JSON.stringify({ note: 'seeded' })],
    );
    const finance = await f.token('conformance-finance', 'finance');
    const res = await f.http().get(`/v1/finance/reconciliations/${runId}`).set('Authorization', `Bearer ${finance}`).expect(200);
    expect(res.body.findings).toHaveLength(1);
    conforms('GET', `/v1/finance/reconciliations/${runId}`, res);
    const list = await f.http().get('/v1/finance/reconciliations?limit=5').set('Authorization', `Bearer ${finance}`).expect(200);
    conforms('GET', '/v1/finance/reconciliations', list);
    const findings = await f.http().get(`/v1/finance/findings?runId=${runId}`).set('Authorization', `Bearer ${finance}`).expect(200);
    conforms('GET', '/v1/finance/findings', findings);
  });

  it('orders and catalog: the happy path bodies', async () => {
    const customer = await f.token('conformance-customer', 'customer');
    const body = { items: [{ sku: 'BOK-SYSTEMS-01', quantity: 1 }], paymentMethod: 'pm_card_visa' };
    const created = await f.http().post('/v1/orders').set('Authorization', `Bearer ${customer}`).set('Idempotency-Key', `conf-${randomUUID()}`).send(body);
    conforms('POST', '/v1/orders', created);
    const id = created.body.id as string;
    for (const path of [`/v1/orders/${id}`, `/v1/orders/${id}/events`, '/v1/orders?limit=2']) {
      conforms('GET', path, await f.http().get(path).set('Authorization', `Bearer ${customer}`));
    }
    for (const path of ['/v1/products?limit=2', '/v1/products/BOK-SYSTEMS-01', '/healthz', '/readyz']) conforms('GET', path, await f.http().get(path));
  });

  it('413, 415 and 429 are documented wherever they are answered', async () => {
    const ops = await f.token('conformance-ops', 'ops');
    const finance = await f.token('conformance-finance-2', 'finance');
    const customer = await f.token('conformance-customer-2', 'customer');
    const big = JSON.stringify({ name: 'x'.repeat(200_000) });
    conforms('PUT', '/v1/admin/products/BOK-SYSTEMS-01', await f.http().put('/v1/admin/products/BOK-SYSTEMS-01').set('Authorization', `Bearer ${ops}`).set('Content-Type', 'application/json').send(big));
    conforms('PUT', '/v1/admin/inventory/BOK-SYSTEMS-01', await f.http().put('/v1/admin/inventory/BOK-SYSTEMS-01').set('Authorization', `Bearer ${ops}`).set('Content-Type', 'text/plain').send('onHand=1'));
    const id = randomUUID();
    conforms('POST', `/v1/orders/${id}/cancel`, await f.http().post(`/v1/orders/${id}/cancel`).set('Authorization', `Bearer ${customer}`).set('Content-Type', 'text/plain').send('please'));
    conforms('POST', '/v1/finance/reconciliations', await f.http().post('/v1/finance/reconciliations').set('Authorization', `Bearer ${finance}`).set('Content-Type', 'application/json').send(big));
    conforms('POST', `/v1/admin/orders/${id}/cancel`, await f.http().post(`/v1/admin/orders/${id}/cancel`).set('Authorization', `Bearer ${ops}`).set('Content-Type', 'text/plain').send('x'));

    // One request a minute per IP: the second answer to every /v1 route is 429.
    const limited = f.appWith({ RATE_LIMIT_REQUESTS_PER_MINUTE: '1' });
    const routes: [string, string, string][] = [
      ['GET', '/v1/finance/payments', finance], ['GET', '/v1/finance/findings', finance], ['GET', '/v1/finance/reconciliations', finance],
      ['GET', `/v1/finance/reconciliations/${id}`, finance], ['POST', '/v1/finance/reconciliations', finance],
      ['POST', `/v1/admin/orders/${id}/cancel`, ops], ['POST', `/v1/admin/orders/${id}/retry-compensation`, ops],
      ['POST', `/v1/admin/orders/${id}/redrive-capture`, ops], ['POST', `/v1/admin/orders/${id}/manual-review`, ops],
      ['POST', '/v1/dev/tokens', ''],
    ];
    for (const [method, path, token] of routes) {
      await f.stack.redis.flushdb();
      const send = () => {
        const r = method === 'GET' ? supertest(limited).get(path) : supertest(limited).post(path).set('Content-Type', 'application/json').send('{}');
        return token ? r.set('Authorization', `Bearer ${token}`) : r;
      };
      await send();
      const res = await send();
      expect({ path, status: res.status }).toEqual({ path, status: 429 });
      conforms(method, path, res);
    }
  });
});
