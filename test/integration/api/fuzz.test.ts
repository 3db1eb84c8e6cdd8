// Schema-driven fuzzing of the whole API (what schemathesis does, as a fast-check property so
// it runs in-process in seconds): requests generated from /openapi.json for every operation
// and every role — mostly valid, sometimes junk — must never get a 500, and every answer
// must be documented for its operation and match its schema.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { apiDocument } from '../../../src/api/app.ts';
import { startApiFixture, type ApiFixture, type Role } from '../../helpers/api.ts';
import { createArbitraries, type GeneratedRequest } from '../../helpers/openapi-arbitraries.ts';
import { createOpenApiChecker } from '../../helpers/openapi-check.ts';

let f: ApiFixture;
const tokens: Partial<Record<Role, string>> = {};
const doc = apiDocument() as unknown as Parameters<typeof createArbitraries>[0];
const check = createOpenApiChecker();
const { anyRequest } = createArbitraries(doc);

beforeAll(async () => {
  f = await startApiFixture({ env: { RATE_LIMIT_ORDERS_PER_MINUTE: '100000', RATE_LIMIT_REQUESTS_PER_MINUTE: '100000' } });
  for (const role of ['customer', 'ops', 'finance'] as const) tokens[role] = await f.token(`fuzz-${role}`, role);
}, 120_000);
afterAll(async () => {
  await f?.stop();
}, 60_000);

async function send(r: GeneratedRequest) {
  const qs = new URLSearchParams(r.query).toString();
  const url = `${r.path}${qs ? `?${qs}` : ''}`;
  let req = f.http()[r.method.toLowerCase() as 'get' | 'post' | 'put'](url);
  for (const [k, v] of Object.entries(r.headers)) req = req.set(k, v);
  if (r.role !== 'none') req = req.set('Authorization', `Bearer ${tokens[r.role]}`);
  if (r.body !== undefined) req = req.set('Content-Type', 'application/json').send(JSON.stringify(r.body));
  return req;
}

const seen = new Map<string, number>();
const operations = new Set<string>();

describe('fuzzing the API from its own OpenAPI document', () => {
  it('no request gets a 500, and every answer is documented and matches its schema', async () => {
    // Webhooks need a signature over the body (their bad inputs have their own tests).
    const requests = anyRequest((template) => template === '/v1/webhooks/stripe');
    await fc.assert(
      fc.asyncProperty(requests, async (r) => {
        const res = await send(r);
        const key = `${res.status}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        operations.add(`${r.method} ${r.template}`);
        const problems = check.problems(r.method, r.path, res);
        expect({ request: `${r.method} ${r.path}`, status: res.status >= 500 && res.status !== 503 ? res.status : 'ok', problems }).toEqual({ request: `${r.method} ${r.path}`, status: 'ok', problems: [] });
      }),
      { numRuns: 2000, endOnFailure: true },
    );
    process.stdout.write(`fuzzed ${[...seen.values()].reduce((a, b) => a + b, 0)} requests over ${operations.size} operations; statuses ${JSON.stringify(Object.fromEntries([...seen].sort()))}\n`);
    // The generator reaches success paths too, not only refusals.
    expect([...seen.keys()].some((k) => k.startsWith('2'))).toBe(true);
  }, 300_000);
});
