// Benchmark: orders through the real multi-process stack (the `npm run dev` processes:
// Temporal dev server, sandbox, four worker pools, API) on private ports.
//   baseline  — GET /healthz: the HTTP floor of this API on this machine, same run.
//   accept    — POST /v1/orders answered 202 (order row committed; the workflow starts after).
//   settle    — what a client sees from POST until the order is settled, two ways:
//                 "Prefer: wait=30"  one request, woken by Redis pub/sub when it settles
//                 "poll every 500ms" POST, then GET until settled (the common client loop)
//
//   node bench/checkout.ts [--orders 40] [--concurrency 4]
import { parseArgs } from 'node:util';
import { createCheckoutClient, type Order } from '../client/src/index.ts';
import { markdownTable, progress, round, summarize, writeReport } from './lib/report.ts';
import { benchToken, startBenchStack } from './lib/stack.ts';

const { values } = parseArgs({ options: { orders: { type: 'string', default: '40' }, concurrency: { type: 'string', default: '4' } } });
const ORDERS = Number(values.orders);
const CONCURRENCY = Number(values.concurrency);
const SKUS = ['OUT-BOTTLE-03', 'CMP-MOUSE-03', 'AUD-EARBUDS-02', 'HOM-LAMP-03'];
const SETTLED = ['CONFIRMED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED', 'AWAITING_PAYMENT_ACTION'];

const stack = await startBenchStack();
const { base } = stack;
const stopStack = stack.stop;
// The typed client (client/), plain mode: no Request object per call (bench/client-overhead.ts).
const api = createCheckoutClient({ baseUrl: base, plain: true });

try {
  const token = (sub: string) => benchToken(sub);
  const run = `${Date.now()}`;

  // Warm-up: bundle caches, connections, JIT.
  for (let i = 0; i < 3; i++) await placeOrder(`${run}-warm-${i}`, 'wait');

  // Baseline: the HTTP floor.
  const health: number[] = [];
  await pool(200, CONCURRENCY, async () => {
    const t0 = performance.now();
    await api.GET('/healthz');
    health.push(performance.now() - t0);
  }, 'GET /healthz');

  const accept: number[] = [];
  const settleWait: number[] = [];
  const settlePoll: number[] = [];
  let requestsWait = 0;
  let requestsPoll = 0;
  // The two client styles are interleaved so both see the same load and the same warm-up.
  await pool(2 * ORDERS, CONCURRENCY, async (i) => {
    const mode = i % 2 === 0 ? 'wait' : 'poll';
    const r = await placeOrder(`${run}-${mode}-${i}`, mode);
    accept.push(r.acceptMs);
    (mode === 'wait' ? settleWait : settlePoll).push(r.settleMs);
    if (mode === 'wait') requestsWait += r.requests;
    else requestsPoll += r.requests;
  }, 'orders (Prefer: wait and polling, interleaved)');

  const h = summarize(health);
  const a = summarize(accept);
  const w = summarize(settleWait);
  const p = summarize(settlePoll);
  const rows = [
    ['GET /healthz (baseline)', h.n, h.p50, h.p95, h.p99, '1'],
    ['POST /v1/orders → 202 (accepted)', a.n, a.p50, a.p95, a.p99, '1'],
    ['accept → settled, Prefer: wait=30', w.n, w.p50, w.p95, w.p99, round(requestsWait / ORDERS, 1)],
    ['accept → settled, poll every 500 ms', p.n, p.p50, p.p95, p.p99, round(requestsPoll / ORDERS, 1)],
  ];
  const md = `${ORDERS} orders per client style (1 unit, pm_card_visa), ${CONCURRENCY} clients at a time, against the multi-process stack of \`npm run dev\` on this machine (2 cores shared by Temporal, Postgres, Redis, 6 Node processes and the load generator).\n\n${markdownTable(['measure', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'HTTP requests / order'], rows)}\n\n**Accepting an order costs ×${round(a.p50 / h.p50, 1)} the HTTP floor at p50 (${a.p50} ms vs ${h.p50} ms): the order row is committed before the 202; its workflow starts right after. Time to see the settled order at p50: ${w.p50} ms waiting vs ${p.p50} ms polling (ratio ×${round(w.p50 / p.p50, 2)}), with ${round(requestsWait / ORDERS, 1)} request(s) instead of ${round(requestsPoll / ORDERS, 1)}.**`;
  const files = writeReport('checkout', {
    title: 'Checkout through the multi-process stack',
    markdown: md,
    json: { orders: ORDERS, concurrency: CONCURRENCY, healthz: h, accept: a, settleWait: w, settlePoll: p, requestsPerOrder: { wait: requestsWait / ORDERS, poll: requestsPoll / ORDERS } },
    chart: { title: 'p50 latency (ms)', unit: 'ms', bars: [{ label: 'GET /healthz (baseline)', value: h.p50 }, { label: 'POST /v1/orders → 202', value: a.p50 }, { label: 'settled, Prefer: wait', value: w.p50 }, { label: 'settled, polling 500 ms', value: p.p50 }] },
  });
  console.log(md);
  console.log(`\nreport: ${files.join(', ')}`);

  async function placeOrder(key: string, mode: 'wait' | 'poll') {
    const headers = { authorization: `Bearer ${await token(`bench-${key}`)}` };
    const t0 = performance.now();
    let acceptMs = NaN;
    const placed = await api.POST('/v1/orders', {
      params: { header: { 'idempotency-key': key, ...(mode === 'wait' ? { prefer: 'wait=30' } : {}) } },
      headers,
      body: { items: [{ sku: SKUS[Math.floor(Math.random() * SKUS.length)], quantity: 1 }], paymentMethod: 'pm_card_visa' },
      // Accepted = the answer's status line and headers are in, as fetch() resolves (the body is read after).
      middleware: [{ onResponse: () => { acceptMs = performance.now() - t0; } }],
    });
    if (!placed.data) throw new Error(`POST /v1/orders → ${placed.response.status}: ${JSON.stringify(placed.error)}`);
    let order: Order = placed.data;
    let requests = 1;
    while (!SETTLED.includes(order.status)) {
      if (mode === 'wait') throw new Error(`order ${order.id} not settled after Prefer: wait=30`);
      await new Promise((r) => setTimeout(r, 500));
      const read = await api.GET('/v1/orders/{id}', { params: { path: { id: order.id } }, headers });
      if (!read.data) throw new Error(`GET /v1/orders/${order.id} → ${read.response.status}: ${JSON.stringify(read.error)}`);
      order = read.data;
      requests += 1;
    }
    if (order.status !== 'CONFIRMED') throw new Error(`order ${order.id} ended ${order.status}`);
    return { acceptMs, settleMs: performance.now() - t0, requests };
  }
} finally {
  await stopStack();
}

async function pool(total: number, concurrency: number, task: (i: number) => Promise<void>, label: string) {
  let next = 0;
  let done = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      await task(i);
      done += 1;
      if (done % Math.max(1, Math.floor(total / 10)) === 0 || done === total) progress(label, done, total);
    }
  }));
}
