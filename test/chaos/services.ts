// Private Postgres, Redis and Temporal instances for `npm run chaos`: the faults that stop a
// whole service must never touch the machine's shared ones. Each lives in a temporary
// directory on a spare loopback port and can be stopped and started again on its state.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveBinary } from '../../scripts/lib/binaries.ts';
import { freePort } from '../../scripts/lib/net.ts';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../src/contracts/index.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


export interface Service {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its files. */
  destroy(): Promise<void>;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} did not come up in ${ms / 1000} s`);
    await sleep(200);
  }
}

/** SIGKILL (a crash, not a shutdown) and wait until the process is gone. */
async function crash(c: ChildProcess | undefined): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await gone;
}

/** Postgres from the installed binaries (initdb + pg_ctl), run as the postgres user when we are root. */
export async function privatePostgres(database: string): Promise<Service> {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions.length) throw new Error('no Postgres binaries under /usr/lib/postgresql (install the postgresql package)');
  const bin = (name: string) => join('/usr/lib/postgresql', versions[0], 'bin', name);
  const dir = mkdtempSync(join(tmpdir(), 'checkout-chaos-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout.toString());
    const gid = Number(spawnSync('id', ['-g', 'postgres']).stdout.toString());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const run = (cmd: string, args: string[]) => {
    const r = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' }) : spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  };
  const port = await freePort();
  const data = join(dir, 'data');
  run(bin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200`;
  const start = async () => run(bin('pg_ctl'), ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  const stop = async () => run(bin('pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  await start();
  run(bin('createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', database]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    start,
    stop,
    destroy: async () => {
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** redis-server without persistence on a spare port; stop = SIGKILL (a crash, not a shutdown). */
export async function privateRedis(): Promise<Service> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const up = () => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG';
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await until('private Redis', up);
  };
  const stop = async () => {
    await crash(child);
    child = undefined;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}/0`, start, stop, destroy: stop };
}

/** The Temporal dev server on a file, so that a restart finds every workflow where it was. */
export async function privateTemporal(): Promise<Service & { address: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'checkout-chaos-temporal-'));
  const port = await freePort();
  const bin = resolveBinary('temporal', process.env.TEMPORAL_CLI_PATH);
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', join(dir, 'temporal.db'),
    '--log-level', 'error', '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'];
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_DEFINITIONS)) args.push('--search-attribute', `${name}=${type}`);
  let child: ChildProcess | undefined;
  const listening = () => new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(true));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
  const start = async () => {
    child = spawn(bin, args, { stdio: 'ignore' });
    await until('private Temporal', listening, 60_000);
    await sleep(2000); // the frontend listens before the namespace is served
  };
  const stop = async () => {
    await crash(child);
    child = undefined;
  };
  await start();
  return {
    address: `127.0.0.1:${port}`,
    url: `127.0.0.1:${port}`,
    start,
    stop,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The API as its own process (src/api/main.ts), so that a fault can SIGKILL it with requests in flight. */
export async function apiProcess(env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const main = new URL('../../src/api/main.ts', import.meta.url).pathname;
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(process.execPath, [main], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'error', HOST: '127.0.0.1', PORT: String(port), RECONCILIATION_SCHEDULE_ENABLED: 'false', ...env } });
    await until('API process', () => fetch(`${url}/healthz`).then((r) => r.ok, () => false));
  };
  const stop = async () => {
    await crash(child);
    child = undefined;
  };
  await start();
  return { url, start, stop, destroy: stop };
}

/**
 * A TCP proxy for one upstream (workers → Temporal, a worker → Postgres) that can misbehave:
 * reset every open connection, stall all traffic for a while (bytes held, sockets left open),
 * or hold every answer from the upstream for `delayMs` (a slower network or server: each round
 * trip of a request/response protocol takes that much longer).
 */
export async function faultProxy(upstream: string): Promise<{ address: string; resetAll(): void; stall(ms: number): Promise<void>; delay(ms: number): void; close(): Promise<void> }> {
  const { createServer: createTcpServer, connect } = await import('node:net');
  const [host, port] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.slice(upstream.lastIndexOf(':') + 1))];
  const pairs = new Set<{ a: import('node:net').Socket; b: import('node:net').Socket }>();
  let stalledUntil = 0;
  let answerDelayMs = 0;
  const server = createTcpServer((a) => {
    const b = connect(port, host);
    const pair = { a, b };
    pairs.add(pair);
    const pipe = (from: import('node:net').Socket, to: import('node:net').Socket) => from.on('data', (chunk) => {
      const wait = Math.max(stalledUntil - Date.now(), from === b ? answerDelayMs : 0);
      if (wait <= 0) {
        to.write(chunk);
        return;
      }
      from.pause();
      setTimeout(() => {
        to.write(chunk);
        from.resume();
      }, wait);
    });
    pipe(a, b);
    pipe(b, a);
    const end = () => {
      pairs.delete(pair);
      a.destroy();
      b.destroy();
    };
    a.on('error', end).on('close', end);
    b.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    resetAll: () => {
      for (const { a, b } of pairs) {
        a.resetAndDestroy();
        b.resetAndDestroy();
      }
    },
    delay: (ms) => {
      answerDelayMs = ms;
    },
    stall: async (ms) => {
      stalledUntil = Date.now() + ms;
      await sleep(ms);
    },
    close: async () => {
      for (const { a, b } of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * Private Postgres, Redis and Temporal, the test database migrated on them, and the API
 * fixture (no worker pools: the scenarios run those as processes) on top. The helpers read
 * TEST_DATABASE_URL / TEST_REDIS_URL at import, so they are set first and imported after.
 * `started` is filled as each service comes up, so a caller can clean up after a failure.
 */
export async function startPrivateStack(opts: { paymentActionTimeout: string; started: Service[] }) {
  const [postgres, redis, temporal] = await Promise.all([privatePostgres('checkout_chaos'), privateRedis(), privateTemporal()]);
  opts.started.push(postgres, redis, temporal);
  process.env.TEST_DATABASE_URL = postgres.url;
  process.env.TEST_REDIS_URL = redis.url;
  const { default: prepareDatabase } = await import('../helpers/global-setup.ts');
  await prepareDatabase();
  const { startApiFixture } = await import('../helpers/api.ts');
  const f = await startApiFixture({
    pools: [],
    temporalAddress: temporal.address,
    env: { PAYMENT_ACTION_TIMEOUT: opts.paymentActionTimeout, RATE_LIMIT_ORDERS_PER_MINUTE: '100000', RATE_LIMIT_REQUESTS_PER_MINUTE: '100000' },
  });
  return { postgres, redis, temporal, f };
}
