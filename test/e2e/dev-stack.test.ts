// `npm run dev` as a developer runs it: `node scripts/dev.ts` supervises the Temporal dev server,
// migrations + seed, the sandbox, one process per worker pool and the API, on ports of our own.
// One order goes through the real stack; SIGTERM then stops everything (exit 0, every port free,
// no process left). A busy API port makes it refuse to start with a message naming the port,
// before anything else was started.
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { createCheckoutClient } from '../../client/src/index.ts';
import { tcpOpen } from '../../scripts/lib/net.ts';
import { alive } from '../../scripts/lib/supervisor.ts';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/env.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'dev-stack-test-secret-0123456789';
const POOLS = 4;

type Ports = { api: number; sandbox: number; temporal: number; ui: number; metricsBase: number; temporalMetricsBase: number };
type DevRun = { child: ChildProcess; dataDir: string; ports: Ports; output: () => string; exited: Promise<number | null>; pids: Set<number> };

const runs: DevRun[] = [];
const blockers: Server[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen({ port, host: '0.0.0.0', exclusive: true }, () => resolve(s));
  });
}

/** Free ports: single ones and blocks of 5 consecutive (metrics bases: API + 4 pools). All held until every one is chosen. */
async function freePorts(): Promise<Ports> {
  const held: Server[] = [];
  const one = async () => {
    const s = (await listen(0))!;
    held.push(s);
    return (s.address() as { port: number }).port;
  };
  const block = async (n: number) => {
    for (;;) {
      const base = await one();
      const rest: Server[] = [];
      for (let i = 1; i < n; i++) {
        const s = base + i < 65536 ? await listen(base + i) : undefined;
        if (!s) break;
        rest.push(s);
      }
      held.push(...rest);
      if (rest.length === n - 1) return base;
    }
  };
  try {
    return { api: await one(), sandbox: await one(), temporal: await one(), ui: await one(), metricsBase: await block(POOLS + 1), temporalMetricsBase: await block(POOLS + 1) };
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  }
}

function allPorts(p: Ports): number[] {
  const range = (b: number) => Array.from({ length: POOLS + 1 }, (_, i) => b + i);
  return [p.api, p.sandbox, p.temporal, p.ui, ...range(p.metricsBase), ...range(p.temporalMetricsBase)];
}

function startDev(ports: Ports): DevRun {
  const dataDir = mkdtempSync(join(tmpdir(), 'dev-stack-test-'));
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_OPTIONS: '', // not jest's --experimental-vm-modules
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    PORT: String(ports.api),
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    TEMPORAL_UI_PORT: String(ports.ui),
    SANDBOX_PORT: String(ports.sandbox),
    SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${ports.api}/v1/webhooks/stripe`,
    STRIPE_API_BASE: `http://127.0.0.1:${ports.sandbox}`,
    DEV_DATA_DIR: dataDir,
    DEV_METRICS_PORT_BASE: String(ports.metricsBase),
    DEV_TEMPORAL_METRICS_PORT_BASE: String(ports.temporalMetricsBase),
    DEV_STOP_GRACE: '5s',
    WORKER_SHUTDOWN_GRACE: '3s',
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    AUTH_JWT_SECRET: SECRET,
    AUTH_JWT_ALGORITHM: 'HS256',
    AUTH_JWT_ISSUER: undefined,
    AUTH_JWT_AUDIENCE: undefined,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, [join(ROOT, 'scripts/dev.ts')], { cwd: ROOT, env, detached: false, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
  const run: DevRun = { child, dataDir, ports, output: () => out, exited, pids: new Set() };
  runs.push(run);
  return run;
}

/** Records the children dev.ts started (its state file), so afterAll can kill their groups whatever happens. */
function recordChildren(run: DevRun): number[] {
  try {
    const state = JSON.parse(readFileSync(join(run.dataDir, 'dev-stack.json'), 'utf8')) as { children: { pid: number }[] };
    for (const c of state.children) run.pids.add(c.pid);
  } catch {
    /* not written yet / already removed */
  }
  return [...run.pids];
}

async function until<T>(what: string, run: DevRun, fn: () => Promise<T | false | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    if (run.child.exitCode !== null) throw new Error(`dev.ts exited (${run.child.exitCode}) while waiting for ${what}:\n${run.output().slice(-4000)}`);
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${run.output().slice(-4000)}`);
    await sleep(250);
  }
}

async function exitWithin(run: DevRun, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([run.exited, new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), ms); })]);
  clearTimeout(timer);
  if (code === 'timeout') throw new Error(`dev.ts did not exit within ${ms / 1000} s:\n${run.output().slice(-4000)}`);
  return code;
}

async function listening(ports: number[]): Promise<number[]> {
  const open = await Promise.all(ports.map(async (p) => ((await tcpOpen('127.0.0.1', p, 500)) ? p : 0)));
  return open.filter(Boolean);
}

afterAll(async () => {
  for (const run of runs) {
    recordChildren(run);
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    for (const pid of run.pids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(run.dataDir, { recursive: true, force: true });
  }
  await Promise.all(blockers.map((s) => new Promise((r) => s.close(r))));
});

describe('npm run dev (scripts/dev.ts)', () => {
  it('starts the whole stack, takes an order to CONFIRMED + CAPTURED, and SIGTERM stops every process', async () => {
    const t0 = Date.now();
    const ports = await freePorts();
    const run = startDev(ports);
    // The typed client (client/); a customer's one follows once the stack is up.
    const baseUrl = `http://127.0.0.1:${ports.api}`;
    const api = createCheckoutClient({ baseUrl });

    const ready = await until('GET /readyz → 200', run, async () => {
      const { data, response } = await api.GET('/readyz', { signal: AbortSignal.timeout(2000) });
      return response.status === 200 && data;
    }, 60_000);
    expect(ready).toMatchObject({ checks: { postgres: { status: 'ok' }, redis: { status: 'ok' }, temporal: { status: 'ok' } } });
    const tReady = Date.now() - t0;
    // The API is the last process started; the banner follows once it is ready.
    await until('the banner', run, async () => run.output().includes('Checkout platform is up'), 10_000);
    expect(recordChildren(run).length).toBe(7); // temporal, sandbox, 4 pools, api

    expect((await api.GET('/openapi.json')).response.status).toBe(200);
    // The workers' metrics ports and the sandbox are not the checkout API: plain fetch.
    for (let i = 1; i <= POOLS; i++) {
      const res = await fetch(`http://127.0.0.1:${ports.metricsBase + i}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('process_cpu_seconds_total');
    }
    expect((await fetch(`http://127.0.0.1:${ports.sandbox}/`)).status).toBeGreaterThan(0);

    // One order through the real stack, with a token like `npm run token` mints.
    const token = await new SignJWT({ roles: ['customer'] }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(`dev-stack-${randomUUID()}`).setIssuedAt().setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));
    const customer = createCheckoutClient({ baseUrl, token: () => token });
    const created = await customer.POST('/v1/orders', {
      params: { header: { 'idempotency-key': randomUUID(), prefer: 'wait=15' } },
      body: { items: [{ sku: 'CMP-KEYBOARD-02', quantity: 2 }], paymentMethod: 'pm_card_visa' },
      signal: AbortSignal.timeout(25_000),
    });
    expect({ http: created.response.status, status: created.data?.status }).toEqual({ http: 201, status: 'CONFIRMED' });
    const settled = await until('payment CAPTURED', run, async () => {
      const { data: o } = await customer.GET('/v1/orders/{id}', { params: { path: { id: created.data!.id } } });
      return o?.payment.status === 'CAPTURED' && o;
    }, 15_000);
    expect(settled.payment.status).toBe('CAPTURED');
    const tOrder = Date.now() - t0;

    // SIGTERM: every child stopped, dev.ts exits 0, every port free, no process left.
    const pids = recordChildren(run);
    run.child.kill('SIGTERM');
    const code = await exitWithin(run, 30_000);
    const tStop = Date.now() - t0;
    expect({ code, tail: code === 0 ? '' : run.output().slice(-3000) }).toEqual({ code: 0, tail: '' });
    expect(run.output()).toContain('stopped (7 processes)');
    expect(await listening(allPorts(ports))).toEqual([]);
    expect(pids.filter(alive)).toEqual([]);
    process.stdout.write(`dev-stack timings: ready ${tReady} ms, order captured ${tOrder} ms, stopped ${tStop} ms\n`);
  }, 100_000);

  it('refuses to start when the API port is taken, naming the port, and starts nothing else', async () => {
    const ports = await freePorts();
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((r) => blocker.listen(ports.api, '127.0.0.1', r));
    const run = startDev(ports);
    const code = await exitWithin(run, 20_000);
    expect(code).not.toBe(0);
    expect(run.output()).toMatch(new RegExp(`port ${ports.api} \\(API, set by PORT\\) is already in use`));
    expect(recordChildren(run)).toEqual([]);
    expect(await listening([ports.temporal, ports.ui, ports.sandbox, ports.metricsBase + 1, ports.temporalMetricsBase + 1])).toEqual([]);
  }, 30_000);
});
