// The fault-injection driver behind `npm run chaos` and its bounded twin in `npm test`.
// A steady mixed load of checkouts goes through the real HTTP API (happy, several lines over
// both warehouses, declined, 3-D Secure completed and abandoned, out of stock, customer
// cancel) while one fault is injected and healed; then every accepted order must settle and
// docs/design.md §7 must hold (test/helpers/invariants.ts against Postgres and the sandbox's own
// records). Clients behave like good clients: on a 5xx, 429 or timeout they retry with the
// same Idempotency-Key, so an answer they never saw cannot make a second order.
import { randomUUID } from 'node:crypto';
import { POOLS } from '../../workers/runner.ts';
import type { ApiFixture } from '../helpers/api.ts';
import { checkInvariants } from '../helpers/invariants.ts';
import { spawnWorker, type WorkerProcess } from '../helpers/stack.ts';
import type { Service } from './services.ts';
import type { PoolName } from '../../src/contracts/index.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SETTLED = ['CONFIRMED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED'];

export type OrderKind = 'happy' | 'two-warehouses' | 'declined' | '3ds-completed' | '3ds-abandoned' | 'out-of-stock' | 'customer-cancel';
const KINDS: OrderKind[] = ['happy', 'two-warehouses', 'declined', '3ds-completed', 'happy', '3ds-abandoned', 'out-of-stock', 'customer-cancel'];

/** Stock the load draws on: plenty in both warehouses, and one product sold out. */
const PLENTY = ['AUD-EARBUDS-02', 'AUD-HEADPHONES-01', 'AUD-SPEAKER-03'];
const SOLD_OUT = 'AUD-TURNTABLE-05';
/** The hot product of the race: a handful of units for many buyers. */
const HOT = 'AUD-DAC-04';
const HOT_UNITS = 5;

export interface ChaosStack {
  f: ApiFixture;
  workers: Map<PoolName, WorkerProcess>;
  /** Extra environment for every worker process this driver starts. */
  workerEnv: Record<string, string>;
  /** Private instances (npm run chaos) for the faults that stop a whole service. */
  services?: { postgres?: Service; redis?: Service; temporal?: Service; api?: Service };
  /** Where the load is sent (default: the in-process API of the fixture). */
  apiUrl?: string;
}

export interface Scenario {
  name: string;
  /**
   * What is done to the stack; it runs while the load runs and must heal what it broke.
   * Orders it placed itself (if any) are returned, to be checked like the load's.
   */
  inject: (s: ChaosStack, log: (line: string) => void) => Promise<string[] | void>;
  /** Send the load to the API process (services.api) instead of the in-process API. */
  viaApiProcess?: boolean;
}

export interface ScenarioResult {
  scenario: string;
  attempted: number;
  accepted: number;
  settled: number;
  /** Requests that never got an answer that created an order (the client gave up). */
  refused: number;
  violations: string[];
  longestOrderMs: number;
  drainMs: number;
  acceptP50Ms: number;
  acceptMaxMs: number;
  statuses: Record<string, number>;
  durationMs: number;
}

export interface LoadOptions {
  ordersPerSecond: number;
  /** How long the load runs; the fault is injected one second in. */
  loadMs: number;
  /** How long accepted orders may take to settle after the load stopped. */
  settleTimeoutMs: number;
  /** Per-request client timeout before it retries with the same key. */
  requestTimeoutMs?: number;
}

interface Attempt {
  key: string;
  kind: OrderKind;
  orderId?: string;
  acceptedAfterMs?: number;
  lastStatus?: number;
}

export async function startWorkers(s: ChaosStack, pools: readonly PoolName[] = POOLS): Promise<void> {
  for (const pool of pools) s.workers.set(pool, await spawnWorker(s.f.stack, pool, s.workerEnv));
}

export async function killWorker(s: ChaosStack, pool: PoolName, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  await s.workers.get(pool)?.kill(signal);
  s.workers.delete(pool);
}

/** Stock for the load: plenty for most products, none for the sold-out one. */
export async function prepareStock(s: ChaosStack): Promise<void> {
  const conn = s.f.stack.orm.em.getConnection();
  await conn.execute(`update inventory_levels set on_hand = reserved + 100000 where sku in (${PLENTY.map(() => '?').join(', ')})`, PLENTY);
  await conn.execute('update inventory_levels set on_hand = reserved where sku = ?', [SOLD_OUT]);
  await s.f.stack.redis.flushdb(); // cached availability
}

function bodyFor(kind: OrderKind, n: number) {
  const sku = PLENTY[n % PLENTY.length];
  switch (kind) {
    case 'two-warehouses':
      // More than AMS-1 alone holds for one line is not needed: two lines of different products
      // make the allocator touch both warehouses' levels.
      return { items: [{ sku, quantity: 1 }, { sku: PLENTY[(n + 1) % PLENTY.length], quantity: 2 }], paymentMethod: 'pm_card_visa' };
    case 'declined':
      return { items: [{ sku, quantity: 1 }], paymentMethod: 'pm_card_chargeDeclined' };
    case '3ds-completed':
    case '3ds-abandoned':
      return { items: [{ sku, quantity: 1 }], paymentMethod: 'pm_card_authenticationRequired' };
    case 'out-of-stock':
      return { items: [{ sku: SOLD_OUT, quantity: 1 }], paymentMethod: 'pm_card_visa' };
    default:
      return { items: [{ sku, quantity: 1 }], paymentMethod: 'pm_card_visa' };
  }
}

/** One client: places the order, retrying with the same key, then plays its part (3-D Secure, cancel). */
async function client(s: ChaosStack, token: string, attempt: Attempt, n: number, opts: LoadOptions, stopAt: number): Promise<void> {
  const started = Date.now();
  const body = JSON.stringify(bodyFor(attempt.kind, n));
  for (let i = 0; Date.now() < stopAt + opts.settleTimeoutMs / 2; i++) {
    try {
      const res = await fetch(`${s.apiUrl ?? s.f.baseUrl}/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': attempt.key },
        body,
        signal: AbortSignal.timeout(opts.requestTimeoutMs ?? 10_000),
      });
      attempt.lastStatus = res.status;
      if (res.status === 201 || res.status === 202) {
        attempt.orderId = ((await res.json()) as { id: string }).id;
        attempt.acceptedAfterMs = Date.now() - started;
        break;
      }
      await res.body?.cancel();
      // A definite no (e.g. 422) is final; 409 (the same key still in progress), 429 and 5xx are retried.
      if (res.status < 500 && res.status !== 429 && res.status !== 409) return;
    } catch {
      attempt.lastStatus = 0; // timeout or connection error: the answer is unknown, retry with the key
    }
    await sleep(Math.min(500 * 2 ** i, 4000));
  }
  if (!attempt.orderId) return;
  if (attempt.kind === 'customer-cancel') {
    await fetch(`${s.f.baseUrl}/v1/orders/${attempt.orderId}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' }).then((r) => r.body?.cancel(), () => undefined);
  }
  if (attempt.kind === '3ds-completed') {
    // The customer completes the challenge once the intent asks for it.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const [intent] = await s.f.stack.sandbox.intents({ orderId: attempt.orderId }).catch(() => []);
      if (intent?.status === 'requires_action') {
        await s.f.stack.sandbox.authenticate(intent.id, 'succeed').catch(() => undefined);
        return;
      }
      if (intent && intent.status !== 'requires_payment_method' && intent.status !== 'requires_confirmation') return;
      await sleep(300);
    }
  }
}

const percentile = (xs: number[], p: number) => {
  if (!xs.length) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/** Runs the load, injects the scenario's fault one second in, waits for every accepted order, checks the invariants. */
export async function runScenario(s: ChaosStack, scenario: Scenario, opts: LoadOptions, log: (line: string) => void = () => undefined): Promise<ScenarioResult> {
  const previousApi = s.apiUrl;
  if (scenario.viaApiProcess) s.apiUrl = service(s, 'api').url;
  try {
    return await drive(s, scenario, opts, log);
  } finally {
    s.apiUrl = previousApi;
  }
}

async function drive(s: ChaosStack, scenario: Scenario, opts: LoadOptions, log: (line: string) => void): Promise<ScenarioResult> {
  const t0 = Date.now();
  const token = await s.f.token(`chaos-${randomUUID().slice(0, 8)}`, 'customer');
  const attempts: Attempt[] = [];
  const clients: Promise<void>[] = [];
  const stopAt = t0 + opts.loadMs;
  const fault = sleep(1000).then(() => scenario.inject(s, log));
  const every = 1000 / opts.ordersPerSecond;
  for (let n = 0; Date.now() < stopAt; n++) {
    const attempt: Attempt = { key: `chaos-${randomUUID()}`, kind: KINDS[n % KINDS.length] };
    attempts.push(attempt);
    clients.push(client(s, token, attempt, n, opts, stopAt));
    await sleep(Math.max(0, t0 + (n + 1) * every - Date.now()));
  }
  const extra = (await fault) ?? [];
  await Promise.all(clients);
  const loadEnd = Date.now();

  const accepted = [...new Set([...attempts.filter((a) => a.orderId).map((a) => a.orderId!), ...extra])];
  const conn = s.f.stack.orm.em.getConnection();
  const statusOf = async () => {
    if (!accepted.length) return new Map<string, string>();
    const rows = await conn.execute<{ id: string; status: string }[]>(`select id, status from orders where id in (${accepted.map(() => '?').join(', ')})`, accepted);
    return new Map(rows.map((r) => [r.id, r.status]));
  };
  let statuses = await statusOf();
  const deadline = loadEnd + opts.settleTimeoutMs;
  while ([...accepted].some((id) => !SETTLED.includes(statuses.get(id) ?? '')) && Date.now() < deadline) {
    await sleep(500);
    statuses = await statusOf().catch(() => statuses);
  }
  const drainMs = Date.now() - loadEnd;
  const unsettled = accepted.filter((id) => !SETTLED.includes(statuses.get(id) ?? ''));

  const report = await checkInvariants({ orm: s.f.stack.orm, sandbox: s.f.stack.sandbox, orderIds: accepted });
  const violations = [...report.violations, ...unsettled.map((id) => `I6 order ${id}: accepted but ${statuses.get(id) ?? 'MISSING'} after ${Math.round(opts.settleTimeoutMs / 1000)} s`)];
  // I7: a request the client never saw succeed left no order behind.
  const given = attempts.filter((a) => !a.orderId).map((a) => a.key);
  if (given.length) {
    const ghosts = await conn.execute<{ idempotency_key: string; id: string }[]>(`select idempotency_key, id from orders where idempotency_key in (${given.map(() => '?').join(', ')})`, given);
    for (const g of ghosts) violations.push(`I7 key ${g.idempotency_key}: the client was never told, yet order ${g.id} exists`);
  }
  // One order per key, and it is the one the client was told about.
  const keys = attempts.map((a) => a.key);
  const byKey = keys.length
    ? await conn.execute<{ idempotency_key: string; ids: string[] }[]>(`select idempotency_key, array_agg(id::text) as ids from orders where idempotency_key in (${keys.map(() => '?').join(', ')}) group by idempotency_key`, keys)
    : [];
  const told = new Map(attempts.map((a) => [a.key, a.orderId]));
  for (const k of byKey) {
    if (k.ids.length > 1) violations.push(`I7 key ${k.idempotency_key}: ${k.ids.length} orders (${k.ids.join(', ')})`);
    else if (told.get(k.idempotency_key) && told.get(k.idempotency_key) !== k.ids[0]) violations.push(`I7 key ${k.idempotency_key}: the client was told ${told.get(k.idempotency_key)}, the database holds ${k.ids[0]}`);
  }
  const lifetimes = accepted.length
    ? await conn.execute<{ ms: number }[]>(
      `select extract(epoch from (max(e.at) - min(e.at))) * 1000 as ms from order_events e where e.order_id in (${accepted.map(() => '?').join(', ')}) group by e.order_id`, accepted)
    : [];
  const counts: Record<string, number> = {};
  for (const id of accepted) counts[statuses.get(id) ?? 'MISSING'] = (counts[statuses.get(id) ?? 'MISSING'] ?? 0) + 1;
  const latencies = attempts.filter((a) => a.acceptedAfterMs !== undefined).map((a) => a.acceptedAfterMs!);
  return {
    scenario: scenario.name,
    attempted: attempts.length,
    accepted: accepted.length,
    settled: accepted.length - unsettled.length,
    refused: attempts.filter((a) => !a.orderId).length,
    violations,
    longestOrderMs: Math.round(Math.max(0, ...lifetimes.map((l) => Number(l.ms)))),
    drainMs,
    acceptP50Ms: percentile(latencies, 50),
    acceptMaxMs: percentile(latencies, 100),
    statuses: counts,
    durationMs: Date.now() - t0,
  };
}

// ---- faults ---------------------------------------------------------------------------

/** SIGKILL each pool in turn while orders are in flight, and start it again. */
export const killEachPool = (downMs: number): Scenario => ({
  name: `SIGKILL each worker pool in turn (${downMs / 1000} s down each)`,
  inject: async (s, log) => {
    for (const pool of POOLS) {
      log(`  kill -9 ${pool}`);
      await killWorker(s, pool);
      await sleep(downMs);
      await startWorkers(s, [pool]);
    }
  },
});

/** Every worker gone for a while: intake must keep accepting (the orders wait in Postgres). */
export const allWorkersDown = (downMs: number): Scenario => ({
  name: `all workers down ${downMs / 1000} s`,
  inject: async (s, log) => {
    log('  kill -9 every pool');
    await Promise.all(POOLS.map((p) => killWorker(s, p)));
    await sleep(downMs);
    await startWorkers(s);
  },
});

/** Terminates every Postgres connection of the stack (API, workers, sandbox) a few times. */
export const postgresConnectionsKilled = (times: number, everyMs: number): Scenario => ({
  name: `Postgres connections killed ×${times}`,
  inject: async (s, log) => {
    const conn = s.f.stack.orm.em.getConnection();
    for (let i = 0; i < times; i++) {
      const [{ n }] = await conn.execute<{ n: number }[]>(
        'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
      log(`  terminated ${n} backends`);
      await sleep(everyMs);
    }
  },
});

/** The provider misbehaves: 500s, 429s, slow answers, and answers lost after the change was applied. */
export const providerFaults = (forMs: number): Scenario => ({
  name: 'provider 500s, 429s, latency, dropped responses; webhooks redelivered',
  inject: async (s, log) => {
    log('  sandbox faults on');
    await s.f.stack.sandbox.setFaults({ errorRate: 0.15, rateLimitRate: 0.1, dropAfterCommitRate: 0.1, latencyMs: 300 });
    const end = Date.now() + forMs;
    while (Date.now() < end) {
      await sleep(Math.min(2000, forMs));
      await s.f.stack.sandbox.redeliver({}).catch(() => 0); // duplicates, out of order
    }
    await s.f.stack.sandbox.clearFaults();
    log('  sandbox faults off');
  },
});

function service(s: ChaosStack, name: 'postgres' | 'redis' | 'temporal' | 'api'): Service {
  const svc = s.services?.[name];
  if (!svc) throw new Error(`this scenario needs a private ${name} (npm run chaos starts one)`);
  return svc;
}

/** A whole service stopped for a while and started again on its state; always restarted. */
export const serviceDown = (name: 'postgres' | 'redis' | 'temporal' | 'api', downMs: number, how: string): Scenario => ({
  name: `${name} ${how} ${downMs / 1000} s`,
  inject: async (s, log) => {
    const svc = service(s, name);
    log(`  ${name} down`);
    await svc.stop();
    try {
      await sleep(downMs);
    } finally {
      await svc.start();
      log(`  ${name} up`);
    }
  },
});

/** The API process killed with requests in flight and started again; clients retry with their keys. */
export const apiKilled = (downMs: number): Scenario => ({
  ...serviceDown('api', downMs, 'process SIGKILLed with requests in flight, restarted after'),
  viaApiProcess: true,
});

/** Resets and stalls on the TCP path between the workers and Temporal (workers must point at the proxy). */
export const temporalLinkFaults = (proxy: { resetAll(): void; stall(ms: number): Promise<void> }): Scenario => ({
  name: 'TCP faults between workers and Temporal (resets, 5 s stalls)',
  inject: async (_s, log) => {
    for (let i = 0; i < 3; i++) {
      log('  reset every worker↔Temporal connection');
      proxy.resetAll();
      await sleep(2000);
      log('  stall 5 s');
      await proxy.stall(5000);
    }
  },
});

/** Webhooks never delivered while the fault lasts (reconciliation and the workflow's own calls must cover). */
export const webhooksLost = (forMs: number): Scenario => ({
  name: `webhooks never delivered for ${forMs / 1000} s`,
  inject: async (s) => {
    await s.f.stack.sandbox.setWebhooks(false);
    try {
      await sleep(forMs);
    } finally {
      await s.f.stack.sandbox.setWebhooks(true);
    }
  },
});

/** Webhooks held back for a while, then all delivered at once, late and in a burst. */
export const webhooksDelayed = (forMs: number): Scenario => ({
  name: `webhooks delayed ${forMs / 1000} s, then delivered in a burst`,
  inject: async (s, log) => {
    await s.f.stack.sandbox.setWebhooks(false);
    try {
      await sleep(forMs);
    } finally {
      await s.f.stack.sandbox.setWebhooks(true);
      const n = await s.f.stack.sandbox.redeliver({});
      log(`  ${n} held-back events delivered late`);
    }
  },
});

/** 500 orders racing for a hot product, each key sent twice at once, while the inventory pool is killed. */
export const hotSkuStorm = (orders = 500, sendsPerKey = 2): Scenario => ({
  name: `${orders}-order race on a hot SKU, each key sent ${sendsPerKey}×, inventory pool SIGKILLed`,
  inject: async (s, log) => {
    const token = await s.f.token('chaos-storm', 'customer');
    const keys = Array.from({ length: orders }, () => `storm-${randomUUID()}`);
    await s.f.stack.orm.em.getConnection().execute('update inventory_levels set on_hand = reserved + ? where sku = ?', [HOT_UNITS, HOT]);
    const body = JSON.stringify({ items: [{ sku: HOT, quantity: 1 }], paymentMethod: 'pm_card_visa' });
    const send = (key: string) => fetch(`${s.f.baseUrl}/v1/orders`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key }, body,
    }).then(async (r) => ((await r.json().catch(() => ({}))) as { id?: string }).id, () => undefined);
    const storm = Promise.all(keys.flatMap((k) => Array.from({ length: sendsPerKey }, () => send(k))));
    await sleep(200);
    log('  kill -9 inventory');
    await killWorker(s, 'inventory');
    const ids = await storm;
    await startWorkers(s, ['inventory']);
    for (const k of keys) {
      const distinct = new Set(ids.filter((_, i) => keys[Math.floor(i / sendsPerKey)] === k && ids[i]));
      if (distinct.size > 1) throw new Error(`key ${k} answered ${distinct.size} different orders`);
    }
    return ids.filter((id): id is string => Boolean(id));
  },
});

export function renderTable(results: ScenarioResult[]): string {
  const head = '| scenario | orders accepted | settled | violations (must be 0) | longest order | time to drain | accept p50 / max | refused |';
  const rule = '|---|---:|---:|---:|---:|---:|---:|---:|';
  const rows = results.map((r) =>
    `| ${r.scenario} | ${r.accepted} | ${r.settled} | ${r.violations.length} | ${(r.longestOrderMs / 1000).toFixed(1)} s | ${(r.drainMs / 1000).toFixed(1)} s | ${r.acceptP50Ms} / ${r.acceptMaxMs} ms | ${r.refused} |`);
  return [head, rule, ...rows].join('\n');
}
