// npm run chaos — the whole fault-injection table. Starts private Postgres, Redis and
// Temporal (so that stopping them never touches the machine's shared services), the payment
// sandbox, the API and one process per worker pool; then, scenario by scenario, drives a
// mixed checkout load, injects the fault, heals it, waits for every accepted order to settle
// and checks docs/design.md §7. Prints the table and writes chaos/report.md and chaos/report.json.
//
//   npm run chaos                         # every scenario
//   npm run chaos -- --rate 3 --load 40   # orders per second, seconds of load per scenario
//   npm run chaos -- --only postgres      # scenarios whose name contains this
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { apiProcess, faultProxy, startPrivateStack, type Service } from './services.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '2' },
    load: { type: 'string', default: '30' },
    settle: { type: 'string', default: '240' },
    only: { type: 'string' },
    out: { type: 'string', default: `${ROOT}chaos` },
  },
});

const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const services: Service[] = [];
// Whatever happens, the private instances go away with us.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void Promise.allSettled(services.map((svc) => svc.destroy())).then(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  log('starting private Postgres, Redis and Temporal…');
  const { postgres, redis, temporal, f } = await startPrivateStack({ paymentActionTimeout: '10s', started: services });
  const d = await import('./driver.ts');
  // Workers reach Temporal through a TCP proxy that a scenario can make reset and stall.
  const proxy = await faultProxy(temporal.address);
  const api = await apiProcess({
    DATABASE_URL: postgres.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: f.stack.config.redis.keyPrefix, TEMPORAL_ADDRESS: temporal.address,
    STRIPE_API_BASE: f.stack.sandbox.url, STRIPE_WEBHOOK_SECRET: f.stack.config.stripe.webhookSecret, STRIPE_MAX_NETWORK_RETRIES: '0',
    PAYMENT_ACTION_TIMEOUT: '10s', RATE_LIMIT_ORDERS_PER_MINUTE: '100000', RATE_LIMIT_REQUESTS_PER_MINUTE: '100000',
  });
  services.push(api, { url: proxy.address, start: async () => undefined, stop: proxy.close, destroy: proxy.close });
  const s: import('./driver.ts').ChaosStack = {
    f, workers: new Map(), workerEnv: { LOG_LEVEL: 'error', TEMPORAL_ADDRESS: proxy.address }, services: { postgres, redis, temporal, api },
  };
  const results: import('./driver.ts').ScenarioResult[] = [];
  try {
    await d.startWorkers(s);
    await d.prepareStock(s);
    const scenarios = [
      d.killEachPool(3_000),
      d.allWorkersDown(30_000),
      d.serviceDown('temporal', 10_000, 'dev server killed, restarted on its file after'),
      d.serviceDown('postgres', 20_000, 'stopped (fast shutdown), started after'),
      d.serviceDown('redis', 15_000, 'killed, restarted after'),
      d.postgresConnectionsKilled(5, 2_000),
      d.providerFaults(20_000),
      d.webhooksLost(20_000),
      d.webhooksDelayed(300_000),
      d.hotSkuStorm(),
      d.apiKilled(5_000),
      d.temporalLinkFaults(proxy),
    ].filter((sc) => !args.only || sc.name.includes(args.only));
    const load = { ordersPerSecond: Number(args.rate), loadMs: Number(args.load) * 1000, settleTimeoutMs: Number(args.settle) * 1000, requestTimeoutMs: 10_000 };
    for (const scenario of scenarios) {
      log(`scenario: ${scenario.name}`);
      const r = await d.runScenario(s, scenario, load, log).catch((err: Error) => ({
        scenario: scenario.name, attempted: 0, accepted: 0, settled: 0, refused: 0, violations: [`the scenario failed: ${err.message}`],
        longestOrderMs: 0, drainMs: 0, acceptP50Ms: 0, acceptMaxMs: 0, statuses: {}, durationMs: 0,
      }));
      results.push(r);
      log(`  accepted ${r.accepted}, settled ${r.settled}, violations ${r.violations.length}, drain ${(r.drainMs / 1000).toFixed(1)} s, accept p50/max ${r.acceptP50Ms}/${r.acceptMaxMs} ms`);
      for (const v of r.violations.slice(0, 10)) log(`  ✖ ${v}`);
      await f.stack.sandbox.clearFaults().catch(() => undefined);
    }
  } finally {
    await Promise.all([...s.workers.values()].map((w) => w.kill('SIGTERM')));
    await f.stop().catch(() => undefined);
  }

  const table = d.renderTable(results);
  const total = results.reduce((n, r) => n + r.violations.length, 0);
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const md = [
    '# Chaos report',
    '',
    `\`npm run chaos -- --rate ${args.rate} --load ${args.load}\` · ${new Date().toISOString()} · ${minutes} min · ${results.length} scenarios · **${total} violations**`,
    '',
    'Load per scenario: a steady mix of checkouts (happy, two lines, declined, 3-D Secure completed and abandoned, out of stock, customer cancel) through the HTTP API; clients retry with the same Idempotency-Key on 5xx, 429 and timeouts. "accept p50 / max" is the time from the first POST to the 202/201 the client saw, retries included. Violations: docs/design.md §7 I1–I7, checked against Postgres and the sandbox\'s records.',
    '',
    table,
    '',
    ...results.flatMap((r) => (r.violations.length ? [`## ${r.scenario}`, '', ...r.violations.map((v) => `- ${v}`), ''] : [])),
  ].join('\n');
  mkdirSync(args.out!, { recursive: true });
  writeFileSync(`${args.out}/report.md`, `${md}\n`);
  writeFileSync(`${args.out}/report.json`, `${JSON.stringify({ at: new Date().toISOString(), minutes: Number(minutes), load: args, results }, null, 2)}\n`);
  process.stdout.write(`\n${table}\n\n${total} violations · ${minutes} min · report in ${args.out}/report.md\n`);
  return total === 0 && results.every((r) => r.settled === r.accepted) ? 0 : 1;
}

main()
  .then(async (code) => {
    for (const svc of services.reverse()) await svc.destroy().catch(() => undefined);
    process.exit(code);
  })
  .catch(async (err: unknown) => {
    process.stderr.write(`chaos run failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    for (const svc of services.reverse()) await svc.destroy().catch(() => undefined);
    process.exit(1);
  });
