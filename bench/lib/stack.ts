// The `npm run dev` stack on private ports for a benchmark: Temporal dev server (SQLite in
// WAL mode, as `npm run dev` runs it), sandbox, the four worker pools and the API, each its
// own process. Also reads the resident memory of each of those processes.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';

export const BENCH_SECRET = 'bench-secret-for-the-local-stack';

export const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});

export interface BenchStack {
  base: string;
  env: Record<string, string>;
  pid: number;
  log: () => string;
  stop: () => Promise<void>;
}

export async function startBenchStack(extraEnv: Record<string, string> = {}, dbName = 'checkout_bench_stack'): Promise<BenchStack> {
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
    DATABASE_URL: process.env.BENCH_STACK_DATABASE_URL ?? `postgres://postgres@127.0.0.1:5432/${dbName}`,
    REDIS_URL: 'redis://127.0.0.1:6379/6',
    AUTH_JWT_SECRET: BENCH_SECRET,
    RATE_LIMIT_ORDERS_PER_MINUTE: '1000000',
    RATE_LIMIT_REQUESTS_PER_MINUTE: '100000000',
    ...extraEnv,
  };
  process.stderr.write(`starting the stack (API ${base}, Temporal ${temporal}) …\n`);
  const child = spawn(process.execPath, ['scripts/dev.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the stack exited (${child.exitCode}):\n${log.slice(-3000)}`);
    if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) break;
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

/** Resident memory (MiB) of every process below `rootPid`, by what it runs. */
export function processRss(rootPid: number): Record<string, number> {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' }).trim().split('\n').map((l) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l)!;
    return { pid: Number(m[1]), ppid: Number(m[2]), rssKb: Number(m[3]), args: m[4] };
  });
  const inTree = new Set([rootPid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of rows) if (!inTree.has(r.pid) && inTree.has(r.ppid)) { inTree.add(r.pid); grew = true; }
  }
  const out: Record<string, number> = {};
  for (const r of rows) {
    if (!inTree.has(r.pid) || r.pid === rootPid) continue;
    const name = /workers\/(\w+)\.ts/.exec(r.args)?.[1] ?? (/src\/api\/main\.ts/.test(r.args) ? 'api' : /sandbox\/main\.ts/.test(r.args) ? 'sandbox' : /temporal/.test(r.args) ? 'temporal' : undefined);
    if (name) out[name] = Math.round((out[name] ?? 0) + r.rssKb / 1024);
  }
  return out;
}
