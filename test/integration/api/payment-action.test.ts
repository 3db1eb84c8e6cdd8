// Issue 11, finding 4: a real client can complete 3-D Secure. The owner's view (and ops') of
// an order waiting for authentication carries payment.action — the client secret Stripe.js
// needs and, from the sandbox, the URL of its challenge page; nobody else sees it. Real stack:
// API, Temporal dev server, every worker pool, the sandbox (webhooks included).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { assertInvariants } from '../../helpers/invariants.ts';
import { eventually, orderBody, startApiFixture, type ApiFixture } from '../../helpers/api.ts';

let f: ApiFixture;
let alice: string;
let ops: string;
let finance: string;

beforeAll(async () => {
  f = await startApiFixture();
  [alice, ops, finance] = await Promise.all([f.token('alice', 'customer'), f.token('olga', 'ops'), f.token('fin', 'finance')]);
}, 120_000);
afterAll(async () => f?.stop());

const bearer = (t: string) => `Bearer ${t}`;
const getOrder = (token: string, id: string) => f.http().get(`/v1/orders/${id}`).set('Authorization', bearer(token));

describe('finding 4: payment.action lets the owner complete 3-D Secure', () => {
  it('finding 4: the owner (and ops) get clientSecret + the challenge page; finance does not; completing the page confirms the order', async () => {
    const res = await f.http().post('/v1/orders').set('Authorization', bearer(alice)).set('Idempotency-Key', 'action-3ds').set('Prefer', 'wait=15')
      .send(orderBody([{ sku: 'AUD-EARBUDS-02', quantity: 1 }], 'pm_card_authenticationRequired')).expect(201);
    expect(res.body.status).toBe('AWAITING_PAYMENT_ACTION');
    const pi = res.body.payment.reference as string;
    expect(res.body.payment).toEqual({
      status: 'REQUIRES_ACTION', reference: pi,
      action: { type: 'authenticate', clientSecret: expect.stringMatching(new RegExp(`^${pi}_secret_`)), redirectUrl: `${f.stack.sandbox.url}/_sandbox/3ds/${pi}` },
    });
    // The client secret is the provider's own.
    const [intent] = await f.stack.sandbox.intents({ orderId: res.body.id });
    expect((await f.stack.provider.retrieve(intent.id)).clientSecret).toBe(res.body.payment.action.clientSecret);

    expect((await getOrder(ops, res.body.id).expect(200)).body.payment.action).toEqual(res.body.payment.action);
    const asFinance = await getOrder(finance, res.body.id).expect(200);
    expect(asFinance.body.payment).toEqual({ status: 'REQUIRES_ACTION', reference: pi });
    const listed = await f.http().get('/v1/orders').query({ customerId: 'alice' }).set('Authorization', bearer(finance)).expect(200);
    expect(listed.body.data.find((o: { id: string }) => o.id === res.body.id).payment.action).toBeUndefined();

    // A person (here: the test) completes the challenge on the page the action points to.
    const page = await fetch(res.body.payment.action.redirectUrl);
    expect(page.status).toBe(200);
    const done = await fetch(res.body.payment.action.redirectUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'outcome=succeed', redirect: 'manual' });
    expect(done.status).toBeLessThan(400);
    const confirmed = await eventually(async () => {
      const r = await getOrder(alice, res.body.id);
      return r.body.status === 'CONFIRMED' && r.body.payment.status === 'CAPTURED' ? r : undefined;
    });
    expect(confirmed.body.payment.action).toBeUndefined();
    await assertInvariants({ orm: f.stack.orm, sandbox: f.stack.sandbox, orderIds: [res.body.id] });
  });
});
