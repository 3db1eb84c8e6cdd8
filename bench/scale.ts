// `npm run bench:scale`: do the worker pools scale on their own? One run on the `npm run dev`
// stack, with the payments and inventory pools run as worker processes this script starts and
// stops itself, so that each phase has its own number of replicas. Writes bench/scale.md,
// bench/scale.svg and the raw numbers to bench/reports/scale.json.
//
//   S1 payments-bound: 200 ms provider latency, PAYMENTS_SLOTS activity slot(s) per payments
//      worker, a steady open-loop load above one worker's capacity; 1, 2, 4 payments workers
//      (inventory, orders, checkout: one each). Completed orders/s, time-to-CONFIRMED p50/p99.
//   S2 inventory-bound: every answer Postgres sends the inventory workers is held back (a TCP
//      proxy, outside product code) and inventory has one slot per worker; payments has room.
//      1/1, then 2 payments workers, then 2 inventory workers.
//   S4 churn: three payments workers; a fourth joins a third of the way in, one of the first
//      three is SIGTERMed at two thirds. Nothing may be lost and confirmations may not stall.
//   S3 (last: a lowered queue rate lingers up to a minute) the queue-wide provider limit: four
//      payments workers against a provider limit of 10 req/s, from which they derive
//      PAYMENTS_MAX_PER_SECOND = 4 activities/s.
//   In every phase: payments activities started per second (histories) vs PAYMENTS_MAX_PER_SECOND,
//   the sandbox's own busiest second vs its limit, each queue's backlog (DescribeTaskQueue),
//   CPU cores per process — the evidence for what limits it.
//
//   node bench/scale.ts [--quick] [--seconds N] [--rate R] [--inventory-delay MS]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import { paymentsRateFor } from '../src/infra/config.ts';
import { faultProxy } from '../test/chaos/services.ts';
import { barChartSvg, markdownTable, round, summarize } from './lib/report.ts';
import { apiClient, byStatus, drain, loadAverage, openLoop, say, sleep, uncapturedCount } from './lib/load.ts';
import { coresUsed, cpuSeconds, startBenchStack, startPoolProcess, type PoolProcess } from './lib/stack.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    rate: { type: 'string' },
    'inventory-delay': { type: 'string' },
    /** Only rewrite bench/scale.md and .svg from bench/reports/scale.json (no run). */
    render: { type: 'boolean', default: false },
  },
});
const QUICK = values.quick;
/** Length of each phase's load. */
const SECONDS = Number(values.seconds ?? (QUICK ? 10 : 20));
/** Injected provider latency (every sandbox request). */
const LATENCY_MS = 200;
/** Activity slots per payments worker in S1 (WORKER_MAX_CONCURRENT_ACTIVITIES of that process). */
const PAYMENTS_SLOTS = 1;
/** S1's offered load: above one payments worker's capacity, a little above four workers' too. */
const RATE_S1 = Number(values.rate ?? 8);
/** S2: every Postgres answer to the inventory workers is held this long. */
const INVENTORY_DELAY_MS = Number(values['inventory-delay'] ?? 50);
/** S3: the provider's request limit; the workers derive PAYMENTS_MAX_PER_SECOND from it (10 → 4 activities/s). */
const S3_PROVIDER_LIMIT = 10;
const BENCH_DIR = import.meta.dirname;
if (![SECONDS, RATE_S1, INVENTORY_DELAY_MS].every((x) => Number.isFinite(x) && x > 0)) throw new Error('--seconds, --rate and --inventory-delay take positive numbers');

if (values.render) {
  writeReportFiles(JSON.parse(readFileSync(join(BENCH_DIR, 'reports', 'scale.json'), 'utf8')));
  process.exit(0);
}

const stack = await startBenchStack({
  // The reconciliation schedule would add provider reads of its own to the counts.
  RECONCILIATION_SCHEDULE_ENABLED: 'false',
  WORKER_SHUTDOWN_GRACE: '10s',
  ...(process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL } : {}),
}, 'checkout_bench_scale', ['--skip', 'payments,inventory']);
const { env } = stack;
const db = new pg.Pool({ connectionString: env.DATABASE_URL, max: 4 });
const api = apiClient(stack.base);
const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
const namespace = env.TEMPORAL_NAMESPACE ?? 'default';
const sandbox = (path: string, body?: unknown) => fetch(`${env.STRIPE_API_BASE}/_sandbox${path}`, {
  method: body === undefined ? 'GET' : 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
}).then((r) => r.json()) as Promise<any>;

// The inventory workers reach Postgres through a proxy that can hold each answer back.
const pgUrl = new URL(env.DATABASE_URL);
const pgProxy = await faultProxy(`${pgUrl.hostname}:${pgUrl.port || 5432}`);
const slowPgUrl = Object.assign(new URL(env.DATABASE_URL), { host: pgProxy.address }).toString();

type Pool = 'payments' | 'inventory';
type PoolSetting = { replicas: number; env: Record<string, string> };
const running: Record<Pool, { env: string; procs: PoolProcess[] }> = { payments: { env: '', procs: [] }, inventory: { env: '', procs: [] } };
/** Brings a pool to `replicas` processes with `env` (processes with another env are replaced). */
async function setPool(pool: Pool, s: PoolSetting): Promise<void> {
  const r = running[pool];
  const key = JSON.stringify(s.env);
  if (r.env !== key) {
    await Promise.all(r.procs.splice(0).map((p) => p.stop('SIGTERM')));
    r.env = key;
  }
  await Promise.all(r.procs.splice(s.replicas).map((p) => p.stop('SIGTERM')));
  const more = s.replicas - r.procs.length;
  if (more > 0) r.procs.push(...(await Promise.all(Array.from({ length: more }, () => startPoolProcess(env, pool, s.env)))));
}

const QUEUES = [['payments', 2], ['inventory', 2], ['orders', 2], ['checkout', 1]] as const;
const longish = (v: unknown) => (v == null ? 0 : typeof v === 'object' && 'toNumber' in (v as object) ? (v as { toNumber(): number }).toNumber() : Number(v));
/** Approximate backlog of each queue (activity tasks; workflow tasks for checkout), as DescribeTaskQueue reports it. */
async function backlogs(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await Promise.all(QUEUES.map(async ([queue, type]) => {
    const res = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: queue, kind: 1 }, taskQueueType: type, reportStats: true }).catch(() => undefined);
    out[queue] = longish(res?.stats?.approximateBacklogCount);
  }));
  return out;
}

/** Samples the backlogs every second until stopped; returns mean and max per queue. */
function sampleBacklogs(): () => Promise<Record<string, { mean: number; max: number; last: number }>> {
  const samples: Record<string, number>[] = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      samples.push(await backlogs());
      await sleep(1000);
    }
  })();
  return async () => {
    on = false;
    await loop;
    return Object.fromEntries(QUEUES.map(([q]) => {
      const xs = samples.map((s) => s[q] ?? 0);
      return [q, { mean: round(xs.reduce((a, b) => a + b, 0) / (xs.length || 1), 1), max: Math.max(0, ...xs), last: xs[xs.length - 1] ?? 0 }];
    }));
  };
}

let skus: string[] = [];

interface Phase {
  name: string;
  payments: number;
  inventory: number;
  offered: number;
  seconds: number;
  accepted: number;
  answers: Record<string, number>;
  /** Orders CONFIRMED and captured, per second from the first order offered to the last capture. */
  completedPerSecond: number;
  toConfirmed: ReturnType<typeof summarize>;
  statuses: Record<string, number>;
  /** The sandbox's busiest second (requests), against the provider's limit. */
  providerPeakPerSecond: number;
  providerRequests: number;
  providerLimit: number;
  /** Payments activities started in the busiest second (from the histories), against PAYMENTS_MAX_PER_SECOND. */
  paymentsTasksPeakPerSecond: number;
  /** …and per second while the phase was saturated (steadyRate). */
  paymentsTasksPerSecond: number;
  paymentsMaxPerSecond: number;
  /** Payments activities run by each worker identity (payments@pid). */
  tasksByWorker: Record<string, number>;
  backlog: Record<string, { mean: number; max: number; last: number }>;
  cores: Record<string, number>;
  /** % of the whole machine's CPU busy during the load (every process, ours or not). */
  hostBusy: number;
  drainSeconds: number;
  /** Longest time with orders in flight and no order becoming CONFIRMED or captured (s). */
  longestStall: number;
  events?: string[];
}

const toMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? longish(t.seconds) * 1000 + (t.nanos ?? 0) / 1e6 : NaN);

/** When each payments activity of these orders started, and on which worker (from the workflow histories). */
async function paymentsTaskStarts(orderIds: string[]): Promise<{ at: number; identity: string }[]> {
  const out: { at: number; identity: string }[] = [];
  for (let i = 0; i < orderIds.length; i += 16) {
    await Promise.all(orderIds.slice(i, i + 16).map(async (id) => {
      const res = await connection.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId: `order-${id}` }, maximumPageSize: 500 });
      const events = res.history?.events ?? [];
      const onPayments = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name === 'payments').map((e) => longish(e.eventId)));
      for (const e of events) {
        const a = e.activityTaskStartedEventAttributes;
        if (a && onPayments.has(longish(a.scheduledEventId))) out.push({ at: toMs(e.eventTime), identity: a.identity ?? '?' });
      }
    }));
  }
  return out;
}

/**
 * Events per second between the 10th and the 90th percentile of their times (ms): the rate
 * once the pipeline is full and before its tail, i.e. the service rate when the load was above
 * it and the offered rate when it was not.
 */
function steadyRate(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  if (t.length < 10) return t.length / Math.max(1, (t[t.length - 1] - t[0]) / 1000);
  const [i, j] = [Math.floor(t.length * 0.1), Math.floor(t.length * 0.9)];
  return (j - i) / ((t[j] - t[i]) / 1000);
}

/** The most of `times` (ms) that fall in one wall-clock second. */
function peakPerSecond(times: number[]): number {
  const perSecond = new Map<number, number>();
  for (const t of times) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
  return Math.max(0, ...perSecond.values());
}

/**
 * Offers `rate` orders/s for `seconds` (open loop), then waits until every order is settled and
 * its payment captured, on the same workers. Completed orders/s = orders captured ÷ time from
 * the first order offered to the last capture: the pools' capacity when the load is above it,
 * the offered rate when it is not. Time-to-CONFIRMED is measured for every order offered, from
 * its acceptance (so it includes the time it spent queued).
 */
/** Something done to the pools while a phase's load runs, `at` seconds in; resolves to what happened. */
type Action = { at: number; run: () => Promise<string> };

/** Host-wide CPU: [busy, total] jiffies since boot (every process on the machine, ours or not). */
function hostCpu(): [number, number] {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return [total - idle, total];
}

async function phase(name: string, rate: number, seconds: number, limits: { provider: number; activities: number }, actions: Action[] = []): Promise<Phase> {
  const pools = { payments: running.payments.procs.length, inventory: running.inventory.procs.length };
  say(`${name}: ${pools.payments} payments × ${pools.inventory} inventory worker(s), ${round(rate, 1)} orders/s offered for ${seconds} s`);
  const t0 = new Date();
  const cpu0 = cpuSeconds(stack.pid);
  const host0 = hostCpu();
  const stopSampling = sampleBacklogs();
  const events: string[] = [];
  const script = Promise.all(actions.map(async (a) => {
    await sleep(a.at * 1000);
    const e = await a.run();
    const line = `${e} (at ${round((Date.now() - t0.getTime()) / 1000, 1)} s)`;
    say(`  ${name}: ${line}`);
    events.push(line);
  }));
  const rs = await openLoop(rate, seconds, (i) => api.placeOrder(`${name}-${i % 40}`, `${name}-${i}-${randomUUID()}`, skus[i % skus.length], { timeoutMs: 15_000 }), name);
  await script;
  const t1 = new Date();
  const cores = coresUsed(cpu0, cpuSeconds(stack.pid), (t1.getTime() - t0.getTime()) / 1000);
  const host1 = hostCpu();
  const hostBusy = round((100 * (host1[0] - host0[0])) / Math.max(1, host1[1] - host0[1]), 0);
  const backlog = await stopSampling();
  const drainSeconds = await drain(db, name, 900_000, uncapturedCount);
  const ids = rs.filter((r) => r.status === 202).map((r) => r.body.id as string);
  const rows = (await db.query(`select o.status, extract(epoch from o.created_at) * 1000 as created,
      (select extract(epoch from min(e.at)) * 1000 from order_events e where e.order_id = o.id and e.status = 'CONFIRMED') as confirmed,
      case when p.status = 'CAPTURED' then extract(epoch from p.updated_at) * 1000 end as captured
    from orders o left join payments p on p.order_id = o.id where o.id = any($1::uuid[])`, [ids])).rows.map((r) => ({ status: r.status as string, created: Number(r.created), confirmed: r.confirmed == null ? NaN : Number(r.confirmed), captured: r.captured == null ? NaN : Number(r.captured) }));
  const captured = rows.filter((r) => Number.isFinite(r.captured));
  const moments = rows.flatMap((r) => [r.confirmed, r.captured]).filter(Number.isFinite).sort((a, b) => a - b);
  let longestStall = 0;
  for (let i = 0, prev = t0.getTime(); i < moments.length; prev = moments[i], i++) longestStall = Math.max(longestStall, (moments[i] - prev) / 1000);
  const starts = await paymentsTaskStarts(ids);
  const stats = await sandbox('/stats');
  const seen = (stats.perSecond as { at: string; requests: number }[]).filter((x) => Date.parse(x.at) >= t0.getTime() - 1000);
  const p: Phase = {
    name, ...pools, offered: rate, seconds, accepted: ids.length, answers: byStatus(rs),
    completedPerSecond: round(steadyRate(captured.map((r) => r.captured)), 2),
    toConfirmed: summarize(rows.map((r) => r.confirmed - r.created).filter(Number.isFinite)),
    statuses: rows.reduce<Record<string, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {}),
    providerPeakPerSecond: Math.max(0, ...seen.map((x) => x.requests)), providerRequests: seen.reduce((a, x) => a + x.requests, 0), providerLimit: limits.provider,
    paymentsTasksPeakPerSecond: peakPerSecond(starts.map((x) => x.at)), paymentsTasksPerSecond: round(steadyRate(starts.map((x) => x.at)), 2), paymentsMaxPerSecond: limits.activities,
    tasksByWorker: starts.reduce<Record<string, number>>((m, x) => ({ ...m, [x.identity]: (m[x.identity] ?? 0) + 1 }), {}),
    backlog, cores, hostBusy, drainSeconds: round(drainSeconds, 1), longestStall: round(longestStall, 2), ...(events.length ? { events } : {}),
  };
  say(`  ${name}: ${p.completedPerSecond} completed orders/s; to CONFIRMED p50 ${p.toConfirmed.p50} ms p99 ${p.toConfirmed.p99} ms; provider peak ${p.providerPeakPerSecond} req/s (limit ${p.providerLimit}), payments tasks peak ${p.paymentsTasksPeakPerSecond}/s (limit ${p.paymentsMaxPerSecond}); backlog means ${Object.entries(backlog).map(([q, b]) => `${q} ${b.mean}`).join(', ')}`);
  return p;
}

/** What held a phase back, from its own numbers. */
function limitOf(p: Phase): string {
  const totalCores = round(Object.values(p.cores).reduce((a, b) => a + b, 0), 2);
  const cpu = p.hostBusy >= 85 ? `; and the machine: its CPU was ${p.hostBusy} % busy, ${totalCores} of its 2 cores used by the stack${totalCores < 1.5 ? ', the rest by other processes' : ''}` : '';
  if (p.completedPerSecond >= 0.9 * p.offered) return `the offered load (${round(p.completedPerSecond, 2)} of ${round(p.offered, 1)} orders/s completed)${cpu}`;
  if (p.paymentsTasksPeakPerSecond >= p.paymentsMaxPerSecond) return `the payments queue's rate (PAYMENTS_MAX_PER_SECOND ${p.paymentsMaxPerSecond}: ${p.paymentsTasksPeakPerSecond} payments activities started in the busiest second)${cpu}`;
  const [queue, b] = Object.entries(p.backlog).sort((x, y) => y[1].mean - x[1].mean)[0];
  return b.mean >= 2 ? `the ${queue} pool (its queue held the largest backlog: mean ${b.mean}, max ${b.max} tasks)${cpu}` : `unclear — no queue held a backlog${cpu}`;
}

const payments = (replicas: number, slots = PAYMENTS_SLOTS, providerLimit?: number): PoolSetting => ({
  replicas, env: { WORKER_MAX_CONCURRENT_ACTIVITIES: String(slots), ...(providerLimit ? { SANDBOX_RATE_LIMIT_PER_SECOND: String(providerLimit) } : {}) },
});
const inventory = (replicas: number, slots: number, slow: boolean): PoolSetting => ({
  replicas, env: { WORKER_MAX_CONCURRENT_ACTIVITIES: String(slots), ...(slow ? { DATABASE_URL: slowPgUrl } : {}) },
});
/** The provider's limit and the payments queue's rate the workers derive from it (src/infra/config.ts). */
const limitsFor = (provider: number) => ({ provider, activities: paymentsRateFor(provider) });
const DEFAULT_LIMITS = limitsFor(Number(env.SANDBOX_RATE_LIMIT_PER_SECOND ?? 100));

const report: Record<string, any> = { quick: QUICK, loadAverageAtStart: loadAverage(), startedAt: new Date().toISOString(), seconds: SECONDS, latencyMs: LATENCY_MS, paymentsSlots: PAYMENTS_SLOTS, rateS1: RATE_S1, inventoryDelayMs: INVENTORY_DELAY_MS };
try {
  const ops = await api.tokenOf('bench-ops', ['ops', 'finance']);
  skus = (await db.query("select sku from inventory_levels where warehouse = 'AMS-1' order by sku limit 24")).rows.map((r) => r.sku as string);
  if (skus.length < 8) throw new Error(`the demo catalog has only ${skus.length} stock rows in AMS-1`);
  for (const sku of skus) await api.setStock(sku, 1_000_000, ops);
  await sandbox('/faults', { latencyMs: LATENCY_MS });
  say(`${skus.length} SKUs stocked; provider latency ${LATENCY_MS} ms; starting the payments and inventory workers`);
  await Promise.all([setPool('payments', payments(1)), setPool('inventory', inventory(1, 4, false))]);
  say('warm-up (20 orders)');
  await openLoop(4, 5, (i) => api.placeOrder(`warm-${i % 5}`, `warm-${randomUUID()}`, skus[i % skus.length]), 'warm-up');
  await drain(db, 'warm-up', 300_000, uncapturedCount);

  // ---- S1: payments-bound -----------------------------------------------------------------------
  const s1: Phase[] = [];
  for (const n of [1, 2, 4]) {
    await setPool('payments', payments(n));
    s1.push(await phase(`S1-pay${n}`, RATE_S1, SECONDS, DEFAULT_LIMITS));
  }
  report.S1 = s1;

  // ---- S2: inventory-bound ----------------------------------------------------------------------
  pgProxy.delay(INVENTORY_DELAY_MS);
  const rateS2 = round(RATE_S1 / 2, 1);
  const s2: Phase[] = [];
  for (const [pay, inv] of [[1, 1], [2, 1], [1, 2]]) {
    await Promise.all([setPool('payments', payments(pay, 4)), setPool('inventory', inventory(inv, 1, true))]);
    s2.push(await phase(`S2-pay${pay}-inv${inv}`, rateS2, SECONDS, DEFAULT_LIMITS));
  }
  report.S2 = s2;
  pgProxy.delay(0);
  await setPool('inventory', inventory(1, 4, false));

  // ---- S4: a worker joins, another leaves, under load -------------------------------------------
  await setPool('payments', payments(3));
  const rateS4 = round(Math.min(RATE_S1, 0.75 * s1[2].completedPerSecond), 1);
  const secondsS4 = Math.max(20, SECONDS);
  const exits: (number | null)[] = [];
  report.S4 = await phase('S4-churn', rateS4, secondsS4, DEFAULT_LIMITS, [
    { at: secondsS4 * 0.2, run: async () => {
      const p = await startPoolProcess(env, 'payments', payments(1).env);
      running.payments.procs.push(p);
      return `a fourth payments worker (payments@${p.pid}) started polling`;
    } },
    { at: secondsS4 * 0.6, run: async () => {
      const p = running.payments.procs.shift()!;
      void p.stop('SIGTERM').then((code) => exits.push(code));
      return `SIGTERM to payments@${p.pid}`;
    } },
  ]);
  report.S4.exitCodes = exits;

  // ---- S3: the queue-wide provider limit on four workers (last: a lowered limit lingers) ----------
  const s3Limits = limitsFor(S3_PROVIDER_LIMIT);
  await sandbox('/config', { rateLimitPerSecond: s3Limits.provider });
  await setPool('payments', payments(4, 4, s3Limits.provider));
  // The server takes a changed rate from the workers' polls but applies it only at its next
  // refresh (once a minute; a queue's first rate applies at once): wait that out.
  for (let left = 65; left > 0; left -= 15) {
    say(`S3: ${left} s until the new queue rate (${s3Limits.activities} activities/s) surely applies`);
    await sleep(Math.min(15, left) * 1000);
  }
  report.S3 = await phase('S3-limit', 0.75 * s3Limits.activities, SECONDS, s3Limits);
  report.S3.rateLimited = (await sandbox('/stats')).rateLimited;
  report.loadAverageAtEnd = loadAverage();
  writeReportFiles(report);
} finally {
  await Promise.all((['payments', 'inventory'] as const).flatMap((pool) => running[pool].procs.map((p) => p.stop('SIGTERM'))));
  await pgProxy.close().catch(() => undefined);
  await connection.close().catch(() => undefined);
  await db.end().catch(() => undefined);
  await stack.stop();
}

function writeReportFiles(r: Record<string, any>): void {
  const S1 = r.S1 as Phase[], S2 = r.S2 as Phase[], S3 = r.S3 as Phase & { rateLimited: number }, S4 = r.S4 as Phase & { exitCodes: (number | null)[] };
  const ok = (b: boolean) => (b ? 'met' : '**not met**');
  const x = (a: Phase, b: Phase) => round(a.completedPerSecond / (b.completedPerSecond || Infinity), 2);
  const sumCores = (p: Phase) => round(Object.values(p.cores).reduce((a, b) => a + b, 0), 2);
  const row = (p: Phase) => [p.name, p.payments, p.inventory, round(p.offered, 1), p.completedPerSecond, p.toConfirmed.p50, p.toConfirmed.p99,
    `${p.paymentsTasksPerSecond} (${p.paymentsTasksPeakPerSecond}) / ${p.paymentsMaxPerSecond}`, `${p.providerPeakPerSecond} / ${p.providerLimit}`,
    Object.entries(p.backlog).map(([q, b]) => `${q} ${b.mean} (${b.max})`).join(', '), `${sumCores(p)} (${p.hostBusy} %)`, limitOf(p)];
  const header = ['phase', 'payments workers', 'inventory workers', 'offered orders/s', 'completed orders/s', 'to CONFIRMED p50 ms', 'p99 ms',
    'payments tasks/s steady (busiest s) / PAYMENTS_MAX_PER_SECOND', 'provider requests busiest s / provider limit', 'backlog mean (max) per queue', 'stack cores (host CPU busy)', 'what limits it'];
  const all = [...S1, ...S2, S4, S3];
  const lost = (p: Phase) => p.accepted - (p.statuses.CONFIRMED ?? 0);
  const s4Workers = Object.entries(S4.tasksByWorker);
  const checks = [
    ['S1 1 → 2 payments workers', `×${x(S1[1], S1[0])}`, '≥ 1.8', ok(x(S1[1], S1[0]) >= 1.8)],
    ['S1 1 → 4 payments workers', `×${x(S1[2], S1[0])}`, `≥ 3.2 until another limit: ${limitOf(S1[2])}`, ok(x(S1[2], S1[0]) >= 3.2)],
    ['S2 a second payments worker (inventory slow)', `×${x(S2[1], S2[0])}`, 'does not help (< 1.2)', ok(x(S2[1], S2[0]) < 1.2)],
    ['S2 a second inventory worker (inventory slow)', `×${x(S2[2], S2[0])}`, 'helps (≥ 1.5)', ok(x(S2[2], S2[0]) >= 1.5)],
    ['payments activities per second ≤ PAYMENTS_MAX_PER_SECOND (steady), busiest wall-clock second ≤ 2 × (the server\'s token bucket holds one second\'s worth)', all.map((p) => `${p.name} ${p.paymentsTasksPerSecond} (${p.paymentsTasksPeakPerSecond})/${p.paymentsMaxPerSecond}`).join(', '), '≤ limit; ≤ 2 × limit', ok(all.every((p) => p.paymentsTasksPerSecond <= 1.1 * p.paymentsMaxPerSecond && p.paymentsTasksPeakPerSecond <= 2 * p.paymentsMaxPerSecond))],
    ['provider requests per second (the sandbox\'s own count) ≤ the provider limit PAYMENTS_MAX_PER_SECOND is derived from, every second of every phase', all.map((p) => `${p.name} ${p.providerPeakPerSecond}/${p.providerLimit}`).join(', '), `≤ limit, none refused (refused: ${S3.rateLimited})`, ok(all.every((p) => p.providerPeakPerSecond <= p.providerLimit) && S3.rateLimited === 0)],
    ['S4 a worker added and one SIGTERMed under load', `${lost(S4)} of ${S4.accepted} orders not CONFIRMED; exit code of the SIGTERMed worker ${S4.exitCodes.join(', ') || '—'}; longest gap between confirmations/captures ${S4.longestStall} s; payments tasks per worker ${s4Workers.map(([w, n]) => `${w} ${n}`).join(', ')}`, 'none lost, no gap ≥ 2 s, every worker took tasks', ok(lost(S4) === 0 && S4.longestStall < 2 && S4.exitCodes.every((c) => c === 0) && s4Workers.length >= 4)],
  ];
  const busy = Number(String(r.loadAverageAtStart).split(' ')[0]) > 2 || all.some((p) => p.hostBusy >= 85 && sumCores(p) < 1.5);
  const md = `# Worker pools scaling on their own

\`npm run bench:scale\` (\`node bench/scale.ts${r.quick ? ' --quick' : ''}\`), ${String(r.startedAt ?? new Date().toISOString()).slice(0, 16)}Z, on this 2-core machine (load average
before ${r.loadAverageAtStart}, after ${r.loadAverageAtEnd}, the run's own load included).
${busy ? `
**The machine was busy with other work during this run** (load average above its 2 cores, or the
host CPU saturated while the stack itself used less than 1.5 cores): the throughput figures say
what this stack got of a shared machine, not what the pools can do. Run it again on a quiet machine
(\`npm run bench:scale\`) before reading the scaling ratios.
` : ''}
The \`npm run dev\` stack without its payments and inventory workers: the benchmark runs those
itself (\`workers/payments.ts\`, \`workers/inventory.ts\`), as many as each phase needs. The payment
sandbox answers every request after ${r.latencyMs} ms. An order takes three provider requests on the
payments queue: authorize (one request) and capture (read, then capture), so ${3 * r.latencyMs} ms of a payments
activity slot. In S1 each payments worker has ${r.paymentsSlots} slot(s) (\`WORKER_MAX_CONCURRENT_ACTIVITIES\` of that
process): one worker completes at most ${round((1000 / (3 * r.latencyMs)) * r.paymentsSlots, 2)} orders/s, and ${r.rateS1} orders/s are offered.
S2 holds every answer Postgres sends the inventory workers for ${r.inventoryDelayMs} ms (a TCP proxy in front of
Postgres, outside product code), with one slot per inventory worker and four per payments worker.
S4 runs three payments workers, starts a fourth a third of the way in and SIGTERMs one of the
first three at two thirds. S3 runs four payments workers (four slots each) against a provider
limit of 10 requests/s, from which the workers derive PAYMENTS_MAX_PER_SECOND = 4 activities/s.

Each phase offers its load for ${r.seconds} s (S4: at least 20 s; open loop), then waits until every order is
CONFIRMED and captured on the same workers. Completed orders/s = captures per second between the
10th and the 90th percentile of the phase's capture times (pipeline filled, tail excluded): the
pools' capacity when the offered load is above it, the offered load when it is not.
Time-to-CONFIRMED runs from acceptance, so it includes the time an order waited in a queue.
Payments tasks per second come from the workflow histories (ActivityTaskStarted of every payments
activity), steady (same percentile window) and in the busiest wall-clock second. Provider requests
per second are the sandbox's own count (\`/_sandbox/stats\`). PAYMENTS_MAX_PER_SECOND counts
activities, not requests: the workers derive it as 90 % of the provider's request limit, halved
because capture makes two requests (docs/scaling.md), so the sandbox's count is checked against
the provider limit it protects. Backlogs are DescribeTaskQueue's approximate backlog, sampled
every second while the load runs. Host CPU busy counts every process on the machine.

${markdownTable(header, all.map(row))}

${markdownTable(['check', 'measured', 'target', 'result'], checks)}

S4: ${(S4.events ?? []).join('; ')}.

![completed orders/s per phase](./scale.svg)

Raw numbers, CPU cores per process in each phase included: \`bench/reports/scale.json\`. How to
read them and tune each pool: [docs/scaling.md](../docs/scaling.md).
`;
  writeFileSync(join(BENCH_DIR, 'scale.md'), md);
  writeFileSync(join(BENCH_DIR, 'scale.svg'), barChartSvg('Completed orders/s per phase', 'orders/s', all.map((p) => ({ label: `${p.name} (${p.payments} pay, ${p.inventory} inv)`, value: p.completedPerSecond }))));
  mkdirSync(join(BENCH_DIR, 'reports'), { recursive: true });
  writeFileSync(join(BENCH_DIR, 'reports', 'scale.json'), `${JSON.stringify(r, null, 2)}\n`);
  console.log(md);
}
