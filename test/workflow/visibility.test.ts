// The Web UI as the ops console: on a real local dev server (visibility needs it; the
// time-skipping server has none) orders are found by every custom search attribute, and the
// values follow the order (PENDING → CONFIRMED, payment AUTHORIZED → CAPTURED, reference set).
// The ready-made queries in docs/temporal-ui.md are run as written, and the cluster
// registration script adds the attributes to a fresh namespace idempotently.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@temporalio/client';
import { registerSearchAttributes } from '../../scripts/temporal-search-attributes.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { SEARCH_ATTRIBUTE_DEFINITIONS, getStateQuery, markManualReviewUpdate, type CheckoutState } from '../../src/contracts/index.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 90_000);
afterAll(async () => stack?.stop());

/** Workflow ids matching a visibility query (what the Web UI's filter shows). */
async function ids(query: string, client: Client = stack.client): Promise<string[]> {
  const out: string[] = [];
  for await (const wf of client.workflow.list({ query })) out.push(wf.workflowId);
  return out.sort();
}

/** Polls a query until `accept` holds (visibility is eventually consistent, ~1 s). */
async function until(query: string, accept: (ids: string[]) => boolean, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = await ids(query);
    if (accept(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`visibility query never matched: ${query} (last: ${JSON.stringify(last)})`);
}

describe('search attributes in visibility (local dev server)', () => {
  it('finds an order by each attribute, and the values change with the order', async () => {
    // Slow provider calls (authorize and capture) hold the order in each state long enough to list it.
    await stack.sandbox.setFaults({ latencyMs: 2500, matching: { method: 'POST', path: '/v1/payment_intents' } });
    const customerId = `cust-vis-${Date.now()}`;
    try {
      const { handle, input, recorded } = await stack.startOrder({ customerId, lines: [{ sku: 'CMP-KEYBOARD-02', quantity: 1 }] });
      const wfId = handle.workflowId;
      const orderId = input.orderId;

      // While authorizing: PENDING, payment PENDING, no reference yet.
      await until(`OrderId="${orderId}" AND OrderStatus="PENDING"`, (r) => r.includes(wfId));
      expect(await ids(`CustomerId="${customerId}"`)).toEqual([wfId]);
      expect(await ids(`OrderTotal=${recorded.totalAmount} AND CustomerId="${customerId}"`)).toEqual([wfId]);
      expect(await ids(`OrderId="${orderId}" AND PaymentReference IS NULL`)).toEqual([wfId]);

      // Confirmed while the capture call is still in flight: CONFIRMED + AUTHORIZED.
      await until(`OrderId="${orderId}" AND OrderStatus="CONFIRMED" AND PaymentStatus="AUTHORIZED"`, (r) => r.includes(wfId));
      expect(await ids(`OrderId="${orderId}" AND OrderStatus="PENDING"`)).toEqual([]);

      // Captured: the reference is searchable and equals the provider's PaymentIntent id.
      await until(`OrderId="${orderId}" AND PaymentStatus="CAPTURED"`, (r) => r.includes(wfId));
      const state: CheckoutState = await handle.query(getStateQuery);
      expect(state.paymentReference).toMatch(/^pi_/);
      expect(await ids(`PaymentReference="${state.paymentReference}"`)).toEqual([wfId]);
      const desc = await handle.describe();
      expect(desc.searchAttributes).toMatchObject({
        OrderId: [orderId], CustomerId: [customerId], OrderStatus: ['CONFIRMED'], PaymentStatus: ['CAPTURED'],
        OrderTotal: [recorded.totalAmount], PaymentReference: [state.paymentReference],
      });
      const [row] = await stack.orm.em.getConnection().execute('select status from payments where order_id = ?', [orderId]);
      expect(row).toEqual({ status: 'CAPTURED' });

      // NeedsAttention appears when a human must look (here: manual review).
      expect(await ids(`OrderId="${orderId}" AND NeedsAttention IS NOT NULL`)).toEqual([]);
      await handle.executeUpdate(markManualReviewUpdate, { args: [{ actor: 'ops-vis', reason: 'visibility test' }] });
      await until('NeedsAttention="manual_review"', (r) => r.includes(wfId));
      // The stuck-order query does not list a confirmed order.
      const now = new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
      expect(await ids(`WorkflowType="checkout" AND ExecutionStatus="Running" AND OrderStatus="PENDING" AND StartTime < "${now}"`)).not.toContain(wfId);
    } finally {
      await stack.sandbox.clearFaults();
    }
  }, 60_000);

  it('lists every order of a customer, and a declined one under PAYMENT_FAILED', async () => {
    const customerId = `cust-vis2-${Date.now()}`;
    const ok = await stack.startOrder({ customerId, lines: [{ sku: 'HOM-LAMP-03', quantity: 1 }] });
    const declined = await stack.startOrder({ customerId, paymentMethod: 'pm_card_chargeDeclined', lines: [{ sku: 'HOM-LAMP-03', quantity: 1 }] });
    await declined.handle.result();
    await until(`CustomerId="${customerId}"`, (r) => r.length === 2);
    await until(`CustomerId="${customerId}" AND OrderStatus="PAYMENT_FAILED"`, (r) => r.length === 1 && r[0] === declined.handle.workflowId);
    expect(await ids(`CustomerId="${customerId}" AND ExecutionStatus="Completed"`)).toEqual([declined.handle.workflowId]);
    await until(`CustomerId="${customerId}" AND OrderStatus="CONFIRMED"`, (r) => r.includes(ok.handle.workflowId));
  }, 40_000);

  it('every ready-made query in docs/temporal-ui.md is valid on the dev server', async () => {
    const doc = readFileSync(new URL('../../docs/temporal-ui.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Ready-made queries'), doc.indexOf('## Acting on an order'));
    const queries = [...section.matchAll(/^\|[^|]+\| `([^`]+)`/gm)].map((m) => m[1]).filter((q) => !q.startsWith('temporal '));
    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const q of queries) {
      await expect(ids(q)).resolves.toEqual(expect.any(Array));
    }
    // The documented GROUP BY (run through the CLI) is a count query.
    const grouped = await stack.client.workflow.count('WorkflowType="checkout" GROUP BY ExecutionStatus');
    expect(grouped.groups.length).toBeGreaterThan(0);
  });

  it('npm run temporal:search-attributes registers every attribute on a fresh namespace, idempotently', async () => {
    const namespace = `ops-sa-${Date.now()}`;
    const conn = stack.client.connection;
    await conn.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: 86_400 as never } });
    // A namespace becomes usable within a moment of registration.
    const first = await (async () => {
      for (let i = 0; ; i++) {
        try {
          return await registerSearchAttributes(conn as never, namespace);
        } catch (err) {
          if (i > 25) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    })();
    expect(first.added.sort()).toEqual(Object.keys(SEARCH_ATTRIBUTE_DEFINITIONS).sort());
    const second = await registerSearchAttributes(conn as never, namespace);
    expect(second).toEqual({ added: [], existing: Object.keys(SEARCH_ATTRIBUTE_DEFINITIONS) });
    const listed = await conn.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(listed.customAttributes ?? {})).toEqual(expect.arrayContaining(Object.keys(SEARCH_ATTRIBUTE_DEFINITIONS)));
    // A type clash is refused rather than silently ignored.
    await expect(registerSearchAttributes(conn as never, namespace, { OrderTotal: 'Keyword' })).rejects.toThrow(/OrderTotal is Int, expected Keyword/);
  });
});
