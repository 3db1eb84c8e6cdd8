// The typed client (client/) is generated from the API's OpenAPI document: this fails when the
// committed types drift from what the running API serves at /openapi.json.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { renderSchemaTypes } from '../../../client/scripts/render-types.ts';
import { startApiFixture, type ApiFixture } from '../../helpers/api.ts';

let f: ApiFixture;
beforeAll(async () => { f = await startApiFixture({ pools: [] }); }, 120_000);
afterAll(async () => f?.stop());

describe('typed client', () => {
  it('client/src/schema.d.ts matches the live /openapi.json (regenerate: npm run client:generate)', async () => {
    const live = await (await fetch(`${f.baseUrl}/openapi.json`)).json();
    const committed = readFileSync(new URL('../../../client/src/schema.d.ts', import.meta.url), 'utf8');
    const fresh = await renderSchemaTypes(live);
    // One boolean, not a 2,000-line diff: the fix is always the same command.
    expect({ upToDate: committed === fresh, fix: 'npm run client:generate' }).toEqual({ upToDate: true, fix: 'npm run client:generate' });
  });

  it('calls the API with types from the contract (Node, global fetch)', async () => {
    const { createCheckoutClient } = await import('../../../client/src/index.ts');
    const seen: number[] = [];
    const api = createCheckoutClient({ baseUrl: f.baseUrl, token: () => undefined, onExchange: (e) => seen.push(e.status ?? 0) });
    const { data } = await api.GET('/v1/products/{sku}', { params: { path: { sku: 'AUD-DAC-04' } } });
    expect(data).toMatchObject({ sku: 'AUD-DAC-04', price: { amount: expect.any(Number), currency: 'USD' } });
    const missing = await api.GET('/v1/orders/{id}', { params: { path: { id: crypto.randomUUID() } } });
    expect(missing.response.status).toBe(401);
    expect(missing.error).toMatchObject({ code: 'unauthorized' });
    expect(seen).toEqual([200, 401]);
  });
});
