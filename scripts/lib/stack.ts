// What `npm run dev` runs, derived from the validated config: one entry per process with
// its command, environment, ports and readiness check. Pure (no I/O) so it can be tested.
import { isAbsolute, join } from 'node:path';
import type { Config } from '../../src/infra/config.ts';
import type { PortClaim } from './net.ts';
import type { ChildSpec } from './supervisor.ts';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../src/contracts/index.ts';

export const WORKER_POOLS = ['checkout', 'inventory', 'payments', 'orders'] as const;
export type PoolName = (typeof WORKER_POOLS)[number];
/** Names accepted by `--skip` ("workers" = all four pools). */
export const SKIPPABLE = ['temporal', 'sandbox', 'api', 'workers', ...WORKER_POOLS] as const;
/**
 * Most replicas of one pool `--scale` starts: replica r of a pool takes metrics ports
 * base + 10·(r−1) + its index, so eight stay clear of the next hundred (the SDK metrics base).
 */
export const MAX_REPLICAS = 8;

/** `--scale payments=3,inventory=2` (repeatable) → replicas per pool; throws a readable Error on bad input. */
export function parseScale(values: readonly string[]): Partial<Record<PoolName, number>> {
  const out: Partial<Record<PoolName, number>> = {};
  for (const item of values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z]+)=(\d+)$/.exec(item);
    if (!m) throw new Error(`"${item}" is not <pool>=<replicas> (e.g. payments=3)`);
    const [, pool, n] = m;
    if (!(WORKER_POOLS as readonly string[]).includes(pool)) throw new Error(`"${pool}" is not a worker pool (pools: ${WORKER_POOLS.join(', ')})`);
    const replicas = Number(n);
    if (replicas < 1 || replicas > MAX_REPLICAS) throw new Error(`${pool}=${n}: replicas must be 1 to ${MAX_REPLICAS}${replicas === 0 ? ` (to run none, use --skip ${pool})` : ''}`);
    if (out[pool as PoolName] !== undefined && out[pool as PoolName] !== replicas) throw new Error(`${pool} is given twice (${out[pool as PoolName]} and ${replicas})`);
    out[pool as PoolName] = replicas;
  }
  return out;
}

export type ReadyCheck = { kind: 'temporal' } | { kind: 'http'; url: string; anyStatus: boolean };

export type PlannedProcess = ChildSpec & {
  /** Source file the process runs (checked to exist before anything starts). */
  entry?: string;
  ready: ReadyCheck;
  /** Lines for the banner. */
  shows: string[];
};

export type StackPlan = {
  processes: PlannedProcess[];
  ports: PortClaim[];
  /** Temporal runs elsewhere (TEMPORAL_ADDRESS not local, or --skip temporal): only checked. */
  externalTemporal: boolean;
  temporalUi?: string;
  dataDir: string;
  skipped: string[];
};

/**
 * The dev server's SQLite store in WAL mode with normal sync: with the default rollback
 * journal and an fsync per write, every workflow of the machine queues behind one file lock
 * (measured: 5.5 → 14.2 skeleton workflows/s). A power cut may lose the last moments of
 * state; that is fine for a laptop. Production runs on a Temporal cluster (README).
 */
export const TEMPORAL_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

/**
 * Dynamic config of the dev server. Updates and multi-operations are on by default in server
 * ≥ 1.28; set explicitly because the API relies on them. One partition per task queue: a
 * single-node server gains nothing from four, and tasks landing on a partition without a
 * poller wait to be forwarded (measured: a skeleton workflow 21.7 → 29.5/s on this machine).
 */
export const TEMPORAL_DYNAMIC_CONFIG = [
  'frontend.enableUpdateWorkflowExecution=true',
  'frontend.enableExecuteMultiOperation=true',
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
];

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '0.0.0.0', '::1', '[::1]']);

export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  if (i < 0) return { host: address, port: 7233 };
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

export function isLocalAddress(address: string): boolean {
  return LOCAL_HOSTS.has(splitAddress(address).host);
}

type PlanInput = {
  config: Readonly<Config>;
  root: string;
  /** The parent environment handed down to every child (AUTH_JWT_SECRET etc. travel this way). */
  env: Record<string, string | undefined>;
  nodePath: string;
  temporalBin?: string;
  skip: ReadonlySet<string>;
  /** Replicas per pool (`--scale`); 1 when absent. */
  scale?: Partial<Record<PoolName, number>>;
};

export function planStack({ config, root, env, nodePath, temporalBin, skip, scale = {} }: PlanInput): StackPlan {
  const dataDir = isAbsolute(config.dev.dataDir) ? config.dev.dataDir : join(root, config.dev.dataDir);
  const { host: tHost, port: tPort } = splitAddress(config.temporal.address);
  const externalTemporal = skip.has('temporal') || !isLocalAddress(config.temporal.address);
  const useSandbox = config.stripe.apiBase !== undefined && !skip.has('sandbox');
  const sandboxUrl = `http://127.0.0.1:${config.sandbox.port}`;
  const apiUrl = `http://127.0.0.1:${config.http.port}`;

  // Values every child must agree on, passed explicitly so the stack is consistent even when
  // only some of them were set (e.g. SANDBOX_PORT without STRIPE_API_BASE).
  const common: Record<string, string | undefined> = {
    ...env,
    NODE_ENV: config.env,
    DATABASE_URL: config.database.url,
    REDIS_URL: config.redis.url,
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_NAMESPACE: config.temporal.namespace,
    ...(useSandbox ? { STRIPE_API_BASE: sandboxUrl } : {}),
  };
  const node = (file: string) => ({ command: nodePath, args: [join(root, file)], entry: file, cwd: root });

  const processes: PlannedProcess[] = [];
  const ports: PortClaim[] = [];
  let temporalUi: string | undefined;

  if (!externalTemporal) {
    if (!temporalBin) throw new Error('planStack: temporalBin is required when the Temporal dev server is started');
    temporalUi = `http://127.0.0.1:${config.temporal.uiPort}`;
    const args = ['server', 'start-dev', '--ip', tHost === 'localhost' ? '127.0.0.1' : tHost, '--port', String(tPort), '--ui-port', String(config.temporal.uiPort),
      '--db-filename', join(dataDir, 'temporal.db'), '--log-format', 'json', '--log-level', 'error', '--ui-disable-news-fetch',
      // Payloads are encrypted: the Web UI asks the API's codec endpoint to show them decoded.
      '--ui-codec-endpoint', `${apiUrl}/codec`];
    if (config.temporal.namespace !== 'default') args.push('--namespace', config.temporal.namespace);
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_DEFINITIONS)) args.push('--search-attribute', `${name}=${type}`);
    for (const kv of TEMPORAL_DYNAMIC_CONFIG) args.push('--dynamic-config-value', kv);
    for (const pragma of TEMPORAL_SQLITE_PRAGMAS) args.push('--sqlite-pragma', pragma);
    processes.push({ name: 'temporal', command: temporalBin, args, cwd: root, env: { ...env }, stopGraceMs: config.dev.stopGraceMs, tier: 0,
      ready: { kind: 'temporal' }, shows: [`Temporal gRPC   ${config.temporal.address} (namespace ${config.temporal.namespace})`, `Temporal Web UI ${temporalUi}`] });
    ports.push({ port: tPort, label: 'Temporal gRPC', variable: 'TEMPORAL_ADDRESS' }, { port: config.temporal.uiPort, label: 'Temporal Web UI', variable: 'TEMPORAL_UI_PORT' });
  }

  if (useSandbox) {
    processes.push({ name: 'sandbox', ...node('sandbox/main.ts'), stopGraceMs: config.dev.stopGraceMs, tier: 1,
      env: { ...common, SANDBOX_PORT: String(config.sandbox.port), SANDBOX_WEBHOOK_URL: env.SANDBOX_WEBHOOK_URL || `${apiUrl}/v1/webhooks/stripe` },
      ready: { kind: 'http', url: `${sandboxUrl}/`, anyStatus: true }, shows: [`Payment sandbox ${sandboxUrl} (Stripe-compatible; webhooks → ${apiUrl}/v1/webhooks/stripe)`] });
    ports.push({ port: config.sandbox.port, label: 'payment sandbox', variable: 'SANDBOX_PORT' });
  }

  WORKER_POOLS.forEach((pool, i) => {
    if (skip.has('workers') || skip.has(pool)) return;
    const replicas = scale[pool] ?? 1;
    for (let r = 1; r <= replicas; r++) {
      const name = r === 1 ? pool : `${pool}-${r}`;
      const offset = 10 * (r - 1) + i + 1;
      const metricsPort = config.dev.metricsPortBase + offset;
      const temporalMetricsPort = config.dev.temporalMetricsPortBase + offset;
      processes.push({ name, ...node(`workers/${pool}.ts`), tier: 2,
        // Workers drain in-flight activities for WORKER_SHUTDOWN_GRACE; give them that plus a margin.
        stopGraceMs: config.worker.shutdownGraceMs + 5000,
        env: { ...common, WORKER_POOLS: pool, METRICS_PORT: String(metricsPort), TEMPORAL_METRICS_PORT: String(temporalMetricsPort) },
        ready: { kind: 'http', url: `http://127.0.0.1:${metricsPort}/healthz`, anyStatus: false },
        shows: [`${`${name} pool`.padEnd(16)}task queue "${pool}"${replicas > 1 ? ` (replica ${r} of ${replicas})` : ''} · metrics http://127.0.0.1:${metricsPort}/metrics · SDK metrics http://127.0.0.1:${temporalMetricsPort}/metrics`] });
      ports.push({ port: metricsPort, label: `${name} worker metrics`, variable: `DEV_METRICS_PORT_BASE+${offset}` },
        { port: temporalMetricsPort, label: `${name} worker Temporal SDK metrics`, variable: `DEV_TEMPORAL_METRICS_PORT_BASE+${offset}` });
    }
  });

  if (!skip.has('api')) {
    const temporalMetricsPort = config.dev.temporalMetricsPortBase;
    processes.push({ name: 'api', ...node('src/api/main.ts'), tier: 3,
      // Long polls (Prefer: wait ≤ 30 s) are ended by the API's own shutdown; this is the backstop.
      stopGraceMs: Math.max(config.dev.stopGraceMs, 10_000),
      env: { ...common, PORT: String(config.http.port), METRICS_PORT: String(config.dev.metricsPortBase), TEMPORAL_METRICS_PORT: String(temporalMetricsPort) },
      ready: { kind: 'http', url: `${apiUrl}/readyz`, anyStatus: false },
      shows: [`API             ${apiUrl}`, `API docs        ${apiUrl}/docs  (OpenAPI: ${apiUrl}/openapi.json)`, `API metrics     ${apiUrl}/metrics`,
        `Demo storefront ${apiUrl}/demo`, `Finance console ${apiUrl}/console/finance`] });
    ports.push({ port: config.http.port, label: 'API', variable: 'PORT' }, { port: config.dev.metricsPortBase, label: 'API metrics (if served separately)', variable: 'DEV_METRICS_PORT_BASE' }, { port: temporalMetricsPort, label: 'API Temporal SDK metrics', variable: 'DEV_TEMPORAL_METRICS_PORT_BASE' });
  }

  return { processes, ports, externalTemporal, temporalUi, dataDir, skipped: [...skip] };
}
