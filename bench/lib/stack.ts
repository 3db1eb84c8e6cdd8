// The `npm run dev` stack on private ports for a benchmark: Temporal dev server (SQLite in
// WAL mode, as `npm run dev` runs it), sandbox, the four worker pools and the API, each its
// own process. Also reads the resident memory of each of those processes.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { createCheckoutClient } from '../../client/src/index.ts';
import { dropDatabase } from '../../src/infra/database.ts';
import { freePort } from '../../scripts/lib/net.ts';

export const BENCH_SECRET = 'bench-secret-for-the-local-stack';

export interface BenchStack {
  base: string;
  env: Record<string, string>;
  pid: number;
  log: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts the stack on a database of its own, emptied first: orders left PENDING by an earlier,
 * interrupted run (their Temporal state is gone with its data directory) would otherwise count
 * as in flight forever.
 */
export async function startBenchStack(extraEnv: Record<string, string> = {}, dbName = 'checkout_bench_stack', devArgs: string[] = []): Promise<BenchStack> {
  const databaseUrl = process.env.BENCH_STACK_DATABASE_URL ?? `postgres://postgres@127.0.0.1:5432/${dbName}`;
  await dropDatabase(databaseUrl);
  const [api, temporal, ui, sandbox] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const metricsBase = 19100 + Math.floor(Math.random() * 400) * 10;
  const sdkMetricsBase = 24100 + Math.floor(Math.random() * 400) * 10;
  const dataDir = mkdtempSync(join(tmpdir(), 'checkout-bench-'));
  const base = `http://127.0.0.1:${api}`;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    LOG_LEVEL: 'warn',
    PORT: String(api),
    TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
    TEMPORAL_UI_PORT: String(ui),
    SANDBOX_PORT: String(sandbox),
    STRIPE_API_BASE: `http://127.0.0.1:${sandbox}`,
    SANDBOX_WEBHOOK_URL: `${base}/v1/webhooks/stripe`,
    DEV_DATA_DIR: dataDir,
    DEV_METRICS_PORT_BASE: String(metricsBase),
    DEV_TEMPORAL_METRICS_PORT_BASE: String(sdkMetricsBase),
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.BENCH_STACK_REDIS_URL ?? 'redis://127.0.0.1:6379/6',
    AUTH_JWT_SECRET: BENCH_SECRET,
    RATE_LIMIT_ORDERS_PER_MINUTE: '1000000',
    RATE_LIMIT_REQUESTS_PER_MINUTE: '100000000',
    ...extraEnv,
  };
  process.stderr.write(`starting the stack (API ${base}, Temporal ${temporal}) …\n`);
  const child = spawn(process.execPath, ['scripts/dev.ts', ...devArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  const readyBy = Date.now() + 150_000;
  const client = createCheckoutClient({ baseUrl: base });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the stack exited (${child.exitCode}):\n${log.slice(-3000)}`);
    if (await client.GET('/readyz').then((r) => r.response.ok, () => false)) break;
    if (Date.now() > readyBy) {
      await stop();
      throw new Error(`the stack was not ready in 150 s:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stderr.write('stack ready\n');
  return { base, env, pid: child.pid!, log: () => log, stop };
}

export const benchToken = (sub: string, roles: string[] = ['customer']) =>
  new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('2h').sign(new TextEncoder().encode(BENCH_SECRET));

type PsRow = { pid: number; ppid: number; rssKb: number; args: string };

function ps(): PsRow[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' }).trim().split('\n').map((l) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l)!;
    return { pid: Number(m[1]), ppid: Number(m[2]), rssKb: Number(m[3]), args: m[4] };
  });
}

const roleOf = (args: string) =>
  /workers\/(\w+)\.ts/.exec(args)?.[1] ?? (/src\/api\/main\.ts/.test(args) ? 'api' : /sandbox\/main\.ts/.test(args) ? 'sandbox' : /temporal/.test(args) ? 'temporal' : undefined);

/**
 * CPU seconds used so far by each process of the stack (below `rootPid`, and worker processes
 * this benchmark started itself), by Postgres and Redis (all their processes) and by this load
 * generator: diff two readings for a phase.
 */
export function cpuSeconds(rootPid: number): Record<string, number> {
  const rows = ps();
  const inTree = new Set([...descendants(rows, rootPid), ...descendants(rows, process.pid)]);
  const out: Record<string, number> = {};
  const add = (k: string, pid: number) => (out[k] = (out[k] ?? 0) + ticks(pid) / 100);
  for (const r of rows) {
    if (r.pid === process.pid) add('load generator', r.pid);
    else if (inTree.has(r.pid) && r.pid !== rootPid) {
      const role = roleOf(r.args);
      if (role) add(role, r.pid);
    } else if (/^postgres/.test(r.args)) add('postgres', r.pid);
    else if (/redis-server/.test(r.args)) add('redis', r.pid);
  }
  return out;
}

/** utime + stime of a process in clock ticks (100 per second on Linux), 0 once it is gone. */
function ticks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** CPU cores used per process between two readings taken `seconds` apart. */
export function coresUsed(before: Record<string, number>, after: Record<string, number>, seconds: number): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, Math.round(((after[k] - (before[k] ?? 0)) / seconds) * 100) / 100]));
}

function descendants(rows: PsRow[], rootPid: number): Set<number> {
  const inTree = new Set([rootPid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of rows) if (!inTree.has(r.pid) && inTree.has(r.ppid)) { inTree.add(r.pid); grew = true; }
  }
  return inTree;
}

/** Resident memory (MiB) of every process below `rootPid`, by what it runs. */
export function processRss(rootPid: number): Record<string, number> {
  const rows = ps();
  const inTree = descendants(rows, rootPid);
  const out: Record<string, number> = {};
  for (const r of rows) {
    if (!inTree.has(r.pid) || r.pid === rootPid) continue;
    const name = roleOf(r.args);
    if (name) out[name] = Math.round((out[name] ?? 0) + r.rssKb / 1024);
  }
  return out;
}

export interface PoolProcess {
  pool: string;
  pid: number;
  /** prom-client /metrics and /healthz of the process. */
  metricsUrl: string;
  /** The Temporal SDK's Prometheus endpoint of the process. */
  sdkMetricsUrl: string;
  /** Sends the signal (SIGTERM = drain, then exit) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * One more worker process of `pool` beside a bench stack (which was started with that pool in
 * --skip), on the stack's Temporal, Postgres, Redis and sandbox, with `extraEnv` on top (slots,
 * provider rate, a slower DATABASE_URL…). Resolves once its /healthz answers 200 (polling).
 */
export async function startPoolProcess(stackEnv: Record<string, string>, pool: string, extraEnv: Record<string, string> = {}): Promise<PoolProcess> {
  const [metricsPort, sdkPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'workers', `${pool}.ts`)], {
    env: { ...stackEnv, WORKER_POOLS: pool, METRICS_PORT: String(metricsPort), TEMPORAL_METRICS_PORT: String(sdkPort), ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-3000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  const readyBy = Date.now() + 60_000;
  while (!(await fetch(`${metricsUrl}/healthz`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null || Date.now() > readyBy) {
      child.kill('SIGKILL');
      throw new Error(`${pool} worker did not become ready (exit ${child.exitCode}):\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    pool, pid: child.pid!, metricsUrl, sdkMetricsUrl: `http://127.0.0.1:${sdkPort}/metrics`,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
