// `npm run bench`: the platform on its busiest day, each figure beside a baseline measured in
// the same run, on this machine. One run, one report: bench/report.md + bench/report.svg
// (and the raw numbers in bench/reports/platform.json).
//
//   R1 completed orders/s (closed loop)       ÷ skeleton workflows/s on the same Temporal server
//   R2 accept p99 at 70 % of capacity         ÷ GET /healthz p99 of the same API, same seconds
//   R3 flash sale: 1,000 concurrent POSTs, 100 customers, 100 units: answers, winners, drain
//   R4 POST → CONFIRMED (Prefer: wait) at 50 %  beside the skeleton's single-workflow latency
//   R5 GET /v1/orders/{id} at 500 req/s        ÷ /healthz p99; Temporal calls per poll; long-poll wake-up
//   R6 provider requests/s seen by the sandbox (peak second) vs the configured limit
//   R7 orders/s and accept p99 at 1×, 2×, 4× capacity; RSS of every process after N orders
//   R8 engine cost of a happy order from its history vs the history recorded before the change
//
//   node bench/platform.ts [--orders 10000] [--quick]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import { NativeConnection, Runtime, DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { Redis } from 'ioredis';
import pg from 'pg';
import { orderIdFor } from '../src/orders/ids.ts';
import { barChartSvg, markdownTable, round, summarize } from './lib/report.ts';
import { apiClient, byStatus, closedLoop, count, drain as drainOrders, loadAverage, openLoop, pendingCount as pendingOrders, say } from './lib/load.ts';
import { coresUsed, cpuSeconds, processRss, startBenchStack } from './lib/stack.ts';
import * as skeletonActivities from './skeleton/activities.ts';

const { values } = parseArgs({ options: { orders: { type: 'string', default: '10000' }, quick: { type: 'boolean', default: false } } });
const QUICK = values.quick;
const TARGET_ORDERS = Number(values.orders);
const SECONDS = QUICK ? 8 : 20;
const CLIENTS = 24;
const SKUS = ['OUT-BOTTLE-03', 'CMP-MOUSE-03', 'AUD-EARBUDS-02', 'HOM-LAMP-03'];
const BENCH_DIR = import.meta.dirname;

Runtime.install({ logger: new DefaultLogger('ERROR') });
const stack = await startBenchStack({}, 'checkout_bench_platform');
const { base, env } = stack;
const db = new pg.Pool({ connectionString: env.DATABASE_URL, max: 4 });
// Orders are placed and read through the typed client (client/), in its plain mode: fetch()
// gets the URL and init directly, no Request object per call (bench/client-overhead.ts).
const load = apiClient(base);
const { api, tokenOf, timed, bearer, healthz } = load;
const placeOrder = (customer: string, key: string, opts: { sku?: string; wait?: number; timeoutMs?: number } = {}) =>
  load.placeOrder(customer, key, opts.sku ?? SKUS[Math.floor(Math.random() * SKUS.length)], opts);
const drain = (label: string, timeoutMs?: number) => drainOrders(db, label, timeoutMs);


/** The Temporal server's own request counters (service_requests by operation). */
async function temporalServerRequests(metricsUrl: string | undefined): Promise<Record<string, number> | undefined> {
  if (!metricsUrl) return undefined;
  // Temporal's own metrics endpoint, not the checkout API: plain fetch.
  const text = await fetch(metricsUrl).then((r) => r.text(), () => '');
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^service_requests\{([^}]*)\} ([0-9.e+]+)$/.exec(line);
    if (!m) continue;
    const op = /operation="([^"]+)"/.exec(m[1])?.[1];
    if (op) out[op] = (out[op] ?? 0) + Number(m[2]);
  }
  return out;
}

/** Engine cost of one workflow history: events, workflow tasks and billable actions (Temporal Cloud's sense). */
function engineCost(history: temporal.api.history.v1.IHistory) {
  const events = history.events ?? [];
  // Up to the aftercare timer: what one happy order costs before it idles for 30 days.
  const cut = events.findIndex((e) => e.timerStartedEventAttributes);
  const upTo = cut >= 0 ? events.slice(0, cut + 1) : events;
  const m = (pred: (e: (typeof events)[number]) => unknown) => upTo.filter(pred).length;
  const actions = {
    start: 1,
    activities: m((e) => e.activityTaskScheduledEventAttributes),
    signals: m((e) => e.workflowExecutionSignaledEventAttributes),
    updates: m((e) => e.workflowExecutionUpdateAcceptedEventAttributes),
    timers: m((e) => e.timerStartedEventAttributes),
    upserts: m((e) => e.upsertWorkflowSearchAttributesEventAttributes),
    markers: m((e) => e.markerRecordedEventAttributes),
  };
  return { events: upTo.length, workflowTasks: m((e) => e.workflowTaskCompletedEventAttributes), actions, totalActions: Object.values(actions).reduce((a, b) => a + b, 0) };
}

const report: Record<string, unknown> = { loadAverageAtStart: loadAverage(), machine: '2 cores, 24 GiB; every process of the stack, Postgres, Redis and the load generator share them', quick: QUICK };
try {
  const ops = await tokenOf('bench-ops', ['ops', 'finance']);
  for (const sku of SKUS) await api.PUT('/v1/admin/inventory/{sku}', { params: { path: { sku } }, headers: bearer(ops), body: { warehouse: 'AMS-1', onHand: 1_000_000 } });
  const rssStart0 = processRss(stack.pid);
  say('warm-up (30 orders)');
  await Promise.all(Array.from({ length: 30 }, (_, i) => placeOrder(`warm-${i % 6}`, `warm-${randomUUID()}`, { wait: 30 })));
  await drain('warm-up');

  // ---- Baselines: the skeleton on the same Temporal server -----------------------------------
  say('R1 baseline: skeleton workflows (5 no-op activities on 3 queues, plain start, no upserts)');
  const nativeConn = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  const clientConn = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  const temporalClient = new Client({ connection: clientConn });
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./skeleton/workflows.ts', import.meta.url)), logger: new DefaultLogger('ERROR') });
  const skWorkers = [
    await Worker.create({ connection: nativeConn, taskQueue: 'skeleton', workflowBundle }),
    ...(await Promise.all(['skeleton-a', 'skeleton-b', 'skeleton-c'].map((q) => Worker.create({ connection: nativeConn, taskQueue: q, activities: skeletonActivities })))),
  ];
  const skRuns = skWorkers.map((w) => w.run());
  const runSkeleton = async () => {
    const t0 = performance.now();
    await temporalClient.workflow.execute('skeleton', { taskQueue: 'skeleton', workflowId: `skeleton-${randomUUID()}` });
    return performance.now() - t0;
  };
  for (let i = 0; i < 10; i++) await runSkeleton();
  const skSingle = summarize(await Promise.all(Array.from({ length: 1 }, async () => {
    const xs: number[] = [];
    for (let i = 0; i < 30; i++) xs.push(await runSkeleton());
    return xs;
  })).then((a) => a.flat()));
  const cpuSk0 = cpuSeconds(stack.pid);
  const sk = await closedLoop(CLIENTS, SECONDS, () => runSkeleton());
  const skCores = coresUsed(cpuSk0, cpuSeconds(stack.pid), sk.seconds);
  const skeletonPerSecond = sk.results.length / sk.seconds;
  say(`  skeleton: ${round(skeletonPerSecond, 1)} wf/s (single workflow p50 ${skSingle.p50} ms)`);
  for (const w of skWorkers) w.shutdown();
  await Promise.all(skRuns);

  // ---- R1: completed orders/s, closed loop ------------------------------------------------------
  say(`R1: ${CLIENTS} clients, each POST with Prefer: wait=30 back to back, ${SECONDS * 1.5} s`);
  const cpuR10 = cpuSeconds(stack.pid);
  const r1 = await closedLoop(CLIENTS, SECONDS * 1.5, (c, i) => placeOrder(`r1-${c}`, `r1-${c}-${i}-${randomUUID()}`, { wait: 30 }));
  const r1Cores = coresUsed(cpuR10, cpuSeconds(stack.pid), r1.seconds);
  const completed = count(r1.results, (r) => r.status === 201 && r.body?.status === 'CONFIRMED');
  const ordersPerSecond = completed / r1.seconds;
  const capacity = Math.max(1, ordersPerSecond);
  say(`  ${round(ordersPerSecond, 2)} completed orders/s (answers ${JSON.stringify(byStatus(r1.results))})`);
  await drain('R1');
  report.R1 = { skeletonPerSecond, ordersPerSecond, ratio: ordersPerSecond / skeletonPerSecond, answers: byStatus(r1.results), clients: CLIENTS, seconds: r1.seconds, coresSkeleton: skCores, coresProduct: r1Cores };
  say(`  cores used — skeleton: ${JSON.stringify(skCores)}; product: ${JSON.stringify(r1Cores)}`);

  // ---- R2: accept p99 at 70 % vs /healthz p99 in the same seconds ------------------------------
  const r2Rate = 0.7 * capacity;
  say(`R2: open loop ${round(r2Rate, 1)} orders/s for ${SECONDS} s + GET /healthz 20/s`);
  const [r2Orders, r2Health] = await Promise.all([
    openLoop(r2Rate, SECONDS, (i) => placeOrder(`r2-${i % 20}`, `r2-${i}-${randomUUID()}`), 'R2 orders'),
    openLoop(20, SECONDS, healthz, 'R2 healthz'),
  ]);
  const r2a = summarize(r2Orders.filter((r) => r.status === 202).map((r) => r.ms));
  const r2h = summarize(r2Health.filter((r) => r.status === 200).map((r) => r.ms));
  await drain('R2');
  report.R2 = { rate: r2Rate, accept: r2a, healthz: r2h, ratio: r2a.p99 / r2h.p99, answers: byStatus(r2Orders) };

  // ---- R4: POST → CONFIRMED at 50 % ---------------------------------------------------------------
  const r4Rate = 0.5 * capacity;
  say(`R4: open loop ${round(r4Rate, 1)} orders/s for ${SECONDS} s, each with Prefer: wait=30`);
  const r4Orders = await openLoop(r4Rate, SECONDS, (i) => placeOrder(`r4-${i % 20}`, `r4-${i}-${randomUUID()}`, { wait: 30 }), 'R4');
  const r4Confirmed = r4Orders.filter((r) => r.status === 201 && r.body?.status === 'CONFIRMED');
  const r4 = summarize(r4Confirmed.map((r) => r.ms));
  await drain('R4');
  report.R4 = { rate: r4Rate, toConfirmed: r4, skeletonSingle: skSingle, answers: byStatus(r4Orders) };

  // ---- R5: reads at 500 req/s; Temporal calls per poll; long-poll wake-up ------------------------
  say('R5: GET /v1/orders/{id} at 500 req/s for 10 s + GET /healthz 20/s');
  const metricsUrl = /Temporal Metrics:\s+(http\S+)/.exec(stack.log())?.[1]?.replace('localhost', '127.0.0.1');
  const readers = r4Confirmed.slice(0, 20);
  const readerTokens = await Promise.all(readers.map((r) => tokenOf(r.customer)));
  const before = await temporalServerRequests(metricsUrl);
  const [reads, r5Health] = await Promise.all([
    openLoop(500, QUICK ? 4 : 10, (i) => timed((signal) => api.GET('/v1/orders/{id}', { params: { path: { id: readers[i % readers.length].body.id } }, headers: bearer(readerTokens[i % readers.length]), signal })), 'R5 reads'),
    openLoop(20, QUICK ? 4 : 10, healthz, 'R5 healthz'),
  ]);
  const after = await temporalServerRequests(metricsUrl);
  // What a read of an order could ask Temporal (nothing else runs meanwhile: the previous phase drained).
  const QUERY_OPS = ['QueryWorkflow', 'DescribeWorkflowExecution', 'GetWorkflowExecutionHistory', 'ListWorkflowExecutions', 'CountWorkflowExecutions', 'PollWorkflowExecutionUpdate'];
  const temporalCalls = before && after ? QUERY_OPS.reduce((s, op) => s + (after[op] ?? 0) - (before[op] ?? 0), 0) : undefined;
  const r5r = summarize(reads.filter((r) => r.status === 200).map((r) => r.ms));
  const r5h = summarize(r5Health.filter((r) => r.status === 200).map((r) => r.ms));

  say('R5: long-poll wake-up after a change (30 orders, the change seen on Redis by this process too)');
  const sub = new Redis(env.REDIS_URL);
  const lastChange = new Map<string, number>();
  await sub.psubscribe(`${env.REDIS_KEY_PREFIX ?? 'checkout:'}order-changed:*`);
  sub.on('pmessage', (_p, channel) => lastChange.set(channel.slice(channel.lastIndexOf(':') + 1), performance.now()));
  const wakes: number[] = [];
  await Promise.all(Array.from({ length: 3 }, async (_, c) => {
    for (let i = 0; i < 10; i++) {
      const customer = `r5w-${c}`;
      const token = await tokenOf(customer);
      const placed = await placeOrder(customer, `r5w-${c}-${i}-${randomUUID()}`);
      let etag = placed.etag!;
      for (let n = 0; n < 10; n++) {
        const sent = performance.now();
        const r = await timed((signal) => api.GET('/v1/orders/{id}', { params: { path: { id: placed.body.id }, header: { 'if-none-match': etag, prefer: 'wait=10' } }, headers: bearer(token), signal }));
        const arrived = performance.now();
        if (r.status !== 200) break;
        // Only a change published while the request was waiting measures the wake-up.
        const changedAt = lastChange.get(placed.body.id);
        if (changedAt !== undefined && changedAt > sent) wakes.push(arrived - changedAt);
        etag = r.etag!;
        if (r.body.status === 'CONFIRMED' && r.body.payment.status === 'CAPTURED') break;
      }
    }
  }));
  sub.disconnect();
  await drain('R5');
  report.R5 = { reads: r5r, healthz: r5h, ratio: r5r.p99 / r5h.p99, readAnswers: byStatus(reads), temporalCallsPerPoll: temporalCalls === undefined ? null : temporalCalls / reads.length, wakeUp: summarize(wakes) };

  // ---- R3: the flash sale ---------------------------------------------------------------------------
  const flashSku = `BENCH-FLASH-${Date.now()}`;
  await api.PUT('/v1/admin/products/{sku}', { params: { path: { sku: flashSku } }, headers: bearer(ops), body: { name: 'Flash sale item', description: 'only 100', price: { amount: 4999, currency: 'USD' }, category: 'home', brand: 'acme', active: true } });
  await api.PUT('/v1/admin/inventory/{sku}', { params: { path: { sku: flashSku } }, headers: bearer(ops), body: { warehouse: 'AMS-1', onHand: 100 } });
  await Promise.all(Array.from({ length: 100 }, (_, i) => tokenOf(`flash-${i}`)));
  say('R3: 1,000 concurrent POSTs from 100 customers for 100 units');
  const flashT0 = Date.now();
  const flash = await Promise.all(Array.from({ length: 1000 }, (_, i) => placeOrder(`flash-${i % 100}`, `flash-${flashSku}-${i}`, { sku: flashSku, timeoutMs: 60_000 })));
  const flashAnswered = (Date.now() - flashT0) / 1000;
  const flashDrain = await drain('R3', 900_000);
  const flashRows = (await db.query(`select o.id, o.status from orders o join order_items i on i.order_id = o.id where i.sku = $1`, [flashSku])).rows as { id: string; status: string }[];
  const acceptedIds = new Set(flash.filter((r) => r.status === 202).map((r) => r.body.id));
  const refusedIds = flash.filter((r) => r.status !== 202).map((r) => orderIdFor(r.customer, r.key));
  const level = (await db.query('select on_hand, reserved from inventory_levels where sku = $1', [flashSku])).rows[0];
  report.R3 = {
    answers: byStatus(flash),
    acceptP99: summarize(flash.map((r) => r.ms)).p99,
    secondsToAnswerAll: flashAnswered,
    secondsToDrain: flashDrain + flashAnswered,
    confirmed: count(flashRows, (r) => r.status === 'CONFIRMED'),
    rejected: count(flashRows, (r) => r.status === 'REJECTED'),
    otherStatuses: count(flashRows, (r) => r.status !== 'CONFIRMED' && r.status !== 'REJECTED'),
    ordersWithout202: count(flashRows, (r) => !acceptedIds.has(r.id)),
    refusedButExisting: count(refusedIds, (id) => flashRows.some((r) => r.id === id)),
    stockAfter: level,
  };

  // ---- R7: 1×, 2×, 4× the capacity --------------------------------------------------------------------
  const r7: Record<string, unknown>[] = [];
  for (const x of [1, 2, 4]) {
    const rate = x * capacity;
    say(`R7: ${x}× capacity = ${round(rate, 1)} orders/s offered for ${SECONDS} s`);
    const t0 = new Date();
    const rs = await openLoop(rate, SECONDS, (i) => placeOrder(`r7-${x}-${i % 40}`, `r7-${x}-${i}-${randomUUID()}`, { timeoutMs: 10_000 }), `R7 ${x}×`);
    const t1 = new Date();
    const settledIn = Number((await db.query("select count(*) as n from orders where settled_at between $1 and $2 and status = 'CONFIRMED'", [t0, t1])).rows[0].n);
    const peakInFlight = await pendingOrders(db);
    const drainS = await drain(`R7 ${x}×`, 900_000);
    r7.push({ load: `${x}×`, offered: rate, answers: byStatus(rs), timeouts: count(rs, (r) => r.status === 0), acceptP99: summarize(rs.filter((r) => r.status === 202).map((r) => r.ms)).p99, completedPerSecond: settledIn / ((t1.getTime() - t0.getTime()) / 1000), inFlightAtEnd: peakInFlight, drainSeconds: drainS });
  }

  // ---- soak to N orders, then RSS -----------------------------------------------------------------------
  const rssBefore = processRss(stack.pid);
  if (load.placed < TARGET_ORDERS) {
    say(`soak: ${TARGET_ORDERS - load.placed} more orders (closed loop, ${CLIENTS} clients) to reach ${TARGET_ORDERS}`);
    let left = TARGET_ORDERS - load.placed;
    await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; left > 0; i++) {
        left -= 1;
        await placeOrder(`soak-${c}`, `soak-${c}-${i}-${randomUUID()}`, { wait: 30 });
        if (left % 500 === 0) say(`  soak: ${left} to go`);
      }
    }));
    await drain('soak');
  }
  const rssAfter = processRss(stack.pid);
  report.R7 = { phases: r7, rss: { start: rssStart0, beforeSoak: rssBefore, after: rssAfter, ordersPlaced: load.placed } };

  // ---- R6: provider traffic as the sandbox saw it ----------------------------------------------------
  // The payment sandbox's own endpoint, not the checkout API: plain fetch.
  const stats = await fetch(`${env.STRIPE_API_BASE}/_sandbox/stats`).then((r) => r.json()) as { requests: number; rateLimited: number; rateLimitPerSecond: number | null; peakPerSecond: number };
  report.R6 = { peakPerSecond: stats.peakPerSecond, limit: stats.rateLimitPerSecond, requests: stats.requests, rateLimited: stats.rateLimited };

  // ---- R8: engine cost of one happy order -----------------------------------------------------------
  const happyId = r4Confirmed[0]?.body.id as string;
  const happy = engineCost(await temporalClient.workflow.getHandle(`order-${happyId}`).fetchHistory());
  const before8 = engineCost(historyFromJSON(JSON.parse(readFileSync(join(BENCH_DIR, '..', 'test', 'workflow', 'histories', 'checkout-happy.json'), 'utf8'))));
  report.R8 = { now: happy, before: before8 };
  report.loadAverageAtEnd = loadAverage();
  await clientConn.close();
  await nativeConn.close();

  writeReportFiles(report);
} finally {
  await db.end().catch(() => undefined);
  await stack.stop();
}

function writeReportFiles(r: Record<string, any>): void {
  const R1 = r.R1, R2 = r.R2, R3 = r.R3, R4 = r.R4, R5 = r.R5, R6 = r.R6, R7 = r.R7, R8 = r.R8;
  const ok = (b: boolean) => (b ? 'met' : '**not met**');
  const rows = [
    ['R1', 'completed orders/s ÷ skeleton wf/s', `${round(R1.ordersPerSecond, 2)} orders/s`, `${round(R1.skeletonPerSecond, 2)} wf/s`, `×${round(R1.ratio, 2)}`, '≥ 0.8', ok(R1.ratio >= 0.8)],
    ['R2', `accept p99 at 70 % (${round(R2.rate, 1)}/s) ÷ /healthz p99`, `${R2.accept.p99} ms`, `${R2.healthz.p99} ms`, `×${round(R2.ratio, 2)}`, '≤ 3', ok(R2.ratio <= 3)],
    ['R3', 'flash sale 1,000 POSTs / 100 units', `${JSON.stringify(R3.answers)}; ${R3.confirmed} confirmed, ${R3.rejected} rejected, ${R3.otherStatuses} other; ${R3.refusedButExisting} orders behind a refusal`, '100 units', `drained in ${round(R3.secondsToDrain, 1)} s`, '0 × 5xx, exactly 100', ok(!Object.keys(R3.answers).some((s) => Number(s) >= 500 || s === '0') && R3.confirmed === 100 && R3.otherStatuses === 0 && R3.refusedButExisting === 0 && R3.ordersWithout202 === 0)],
    ['R4', `POST → CONFIRMED at 50 % (${round(R4.rate, 1)}/s)`, `p50 ${R4.toConfirmed.p50} ms, p99 ${R4.toConfirmed.p99} ms`, `skeleton alone p50 ${R4.skeletonSingle.p50} ms, p99 ${R4.skeletonSingle.p99} ms`, `×${round(R4.toConfirmed.p50 / R4.skeletonSingle.p50, 2)} (p50)`, 'p50 ≤ 150, p99 ≤ 600', ok(R4.toConfirmed.p50 <= 150 && R4.toConfirmed.p99 <= 600)],
    ['R5', 'GET order at 500 req/s: p99 ÷ /healthz p99', `${R5.reads.p99} ms (${R5.temporalCallsPerPoll ?? 'n/a'} Temporal calls/poll)`, `${R5.healthz.p99} ms`, `×${round(R5.ratio, 2)}`, 'p99 ≤ 10 ms, 0 calls', ok(R5.reads.p99 <= 10 && (R5.temporalCallsPerPoll ?? 0) === 0)],
    ['R5', 'long-poll wake-up after a change', `p50 ${R5.wakeUp.p50} ms, p99 ${R5.wakeUp.p99} ms (n=${R5.wakeUp.n})`, '—', '—', '≤ 50 ms', ok(R5.wakeUp.p99 <= 50)],
    ['R6', 'provider requests/s at the sandbox (peak second)', `${R6.peakPerSecond}/s, ${R6.rateLimited} refused`, `limit ${R6.limit}/s`, `×${round(R6.peakPerSecond / (R6.limit || 1), 2)}`, '≤ limit', ok(R6.peakPerSecond <= (R6.limit ?? Infinity) && R6.rateLimited === 0)],
    ...R7.phases.map((p: any) => ['R7', `offered ${p.load} (${round(p.offered, 1)}/s)`, `${round(p.completedPerSecond, 2)} completed/s; accept p99 ${p.acceptP99} ms; ${JSON.stringify(p.answers)}`, `${round(R1.ordersPerSecond, 2)} orders/s (R1)`, `in flight ${p.inFlightAtEnd}, drained in ${round(p.drainSeconds, 1)} s`, 'graceful', ok(p.timeouts === 0 && !Object.keys(p.answers).some((s: string) => Number(s) >= 500))]),
    ['R8', 'engine cost of a happy order', `${R8.now.events} events, ${R8.now.workflowTasks} tasks, ${R8.now.totalActions} actions`, `${R8.before.events} events, ${R8.before.workflowTasks} tasks, ${R8.before.totalActions} actions`, `×${round(R8.now.events / R8.before.events, 2)} events`, '≤ 36, ≤ 6, ≤ 10', ok(R8.now.events <= 36 && R8.now.workflowTasks <= 6 && R8.now.totalActions <= 10)],
  ];
  const rss = R7.rss;
  const rssRows = Object.keys(rss.after).sort().map((p) => [p, rss.start[p] ?? '—', rss.beforeSoak[p] ?? '—', rss.after[p]]);
  const md = `# Platform benchmark

\`npm run bench\` (\`node bench/platform.ts${QUICK ? ' --quick' : ''}\`), ${new Date().toISOString().slice(0, 16)}Z, on this 2-core machine: the
\`npm run dev\` stack (Temporal dev server on SQLite in WAL mode, sandbox, four worker pools, API —
each its own process), Postgres, Redis and this load generator all share the two cores. Each
figure sits beside a baseline measured in the same run. Load average before the run
${r.loadAverageAtStart}, after ${r.loadAverageAtEnd} (the run's own load included).

${markdownTable(['row', 'measure', 'measured', 'baseline (same run)', 'ratio / note', 'target', 'result'], rows)}

R1 — where the two cores went (cores used per process during each closed loop; the skeleton's
workers run inside the load generator):

${markdownTable(['process', 'skeleton', 'product'], [...new Set([...Object.keys(R1.coresSkeleton), ...Object.keys(R1.coresProduct)])].sort().map((k) => [k, R1.coresSkeleton[k] ?? 0, R1.coresProduct[k] ?? 0]))}

R7 — resident memory (MiB) after warm-up, before the soak, and after ${rss.ordersPlaced} orders:

${markdownTable(['process', 'start', 'before soak', 'after'], rssRows)}

R8 — actions counted from the history (start, activities scheduled, signals, updates, timers,
upserts — the SDK's TemporalChangeVersion upsert for the patch included — and markers), up to the
aftercare timer: now ${JSON.stringify(R8.now.actions)}; before ${JSON.stringify(R8.before.actions)}
(baseline: the happy-path history recorded before the change, test/workflow/histories/checkout-happy.json).

![ratios](./report.svg)
`;
  writeFileSync(join(BENCH_DIR, 'report.md'), md);
  writeFileSync(join(BENCH_DIR, 'report.svg'), barChartSvg('Measured ÷ baseline (same run)', '×', [
    { label: 'R1 orders/s ÷ skeleton wf/s', value: round(R1.ratio, 2) },
    { label: 'R2 accept p99 ÷ healthz p99', value: round(R2.ratio, 2) },
    { label: 'R4 confirm p50 ÷ skeleton p50', value: round(R4.toConfirmed.p50 / R4.skeletonSingle.p50, 2) },
    { label: 'R5 read p99 ÷ healthz p99', value: round(R5.ratio, 2) },
    { label: 'R6 provider peak ÷ limit', value: round(R6.peakPerSecond / (R6.limit || 1), 2) },
    { label: 'R8 events now ÷ before', value: round(R8.now.events / R8.before.events, 2) },
  ]));
  mkdirSync(join(BENCH_DIR, 'reports'), { recursive: true });
  writeFileSync(join(BENCH_DIR, 'reports', 'platform.json'), `${JSON.stringify(r, null, 2)}\n`);
  console.log(md);
}
