// The Temporal dev server alone, with a knob or without: a fresh server (SQLite in WAL mode,
// as `npm run dev` runs it, or in memory), the skeleton workflow's workers in this process,
// then 30 sequential workflows (latency) and 24 clients for 10 s (throughput). Run it twice to
// compare, e.g. the task-queue partitions:
//
//   node bench/engine-knobs.ts
//   node bench/engine-knobs.ts -- --dynamic-config-value matching.numTaskqueueReadPartitions=1 \
//                                  --dynamic-config-value matching.numTaskqueueWritePartitions=1
//
// Options: --workflow skeleton|one|empty (5, 1 or 0 no-op activities), --memory (no file),
// --history (print one history's event gaps in ms: where the time goes between events).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { resolveBinary } from '../scripts/lib/binaries.ts';
import { TEMPORAL_SQLITE_PRAGMAS } from '../scripts/lib/stack.ts';
import { freePort } from '../scripts/lib/net.ts';
import * as activities from './skeleton/activities.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { workflow: { type: 'string', default: 'skeleton' }, memory: { type: 'boolean', default: false }, history: { type: 'boolean', default: false } },
});
const say = (m: string) => process.stderr.write(`${m}\n`);

Runtime.install({ logger: new DefaultLogger('ERROR') });
const [port, uiPort] = [await freePort(), await freePort()];
const dir = mkdtempSync(join(tmpdir(), 'engine-knobs-'));
const store = values.memory ? [] : ['--db-filename', join(dir, 'temporal.db'), ...TEMPORAL_SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p])];
const server = spawn(resolveBinary('temporal'), ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--headless', '--log-level', 'error', ...store, ...positionals], { stdio: 'ignore' });
try {
  say(`server on ${port} (${values.memory ? 'in memory' : 'SQLite, WAL'}) ${positionals.join(' ')}`);
  let connection: Connection | undefined;
  for (let i = 0; i < 150 && !connection; i++) {
    connection = await Connection.connect({ address: `127.0.0.1:${port}` }).then(async (c) => (await c.workflowService.getSystemInfo({}), c), () => undefined);
    if (!connection) await new Promise((r) => setTimeout(r, 200));
  }
  if (!connection) throw new Error('the Temporal dev server did not answer in 30 s');
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./skeleton/workflows.ts', import.meta.url)), logger: new DefaultLogger('ERROR') });
  const workers = [
    await Worker.create({ connection: native, taskQueue: 'skeleton', workflowBundle }),
    ...(await Promise.all(['skeleton-a', 'skeleton-b', 'skeleton-c'].map((taskQueue) => Worker.create({ connection: native, taskQueue, activities })))),
  ];
  const runs = workers.map((w) => w.run());
  const one = async (workflowId = randomUUID()) => {
    const t0 = performance.now();
    await client.workflow.execute(values.workflow!, { taskQueue: 'skeleton', workflowId });
    return performance.now() - t0;
  };
  say('warm-up (10 workflows), then 30 sequential');
  for (let i = 0; i < 10; i++) await one();
  const latencies: number[] = [];
  for (let i = 0; i < 30; i++) latencies.push(await one());
  latencies.sort((a, b) => a - b);
  say('24 clients for 10 s');
  const end = performance.now() + 10_000;
  let done = 0;
  await Promise.all(Array.from({ length: 24 }, async () => {
    while (performance.now() < end) {
      await one();
      done += 1;
    }
  }));
  console.log(JSON.stringify({ workflow: values.workflow, store: values.memory ? 'memory' : 'sqlite-wal', args: positionals, p50Ms: Math.round(latencies[14]), p90Ms: Math.round(latencies[26]), workflowsPerSecond: Math.round(done) / 10 }));
  if (values.history) {
    const id = randomUUID();
    await one(id);
    let previous = 0;
    for (const e of (await client.workflow.getHandle(id).fetchHistory()).events ?? []) {
      const t = Number(e.eventTime!.seconds) * 1000 + Math.round((e.eventTime!.nanos ?? 0) / 1e6);
      console.log(`${String(e.eventType).padStart(3)} +${previous ? t - previous : 0} ms`);
      previous = t;
    }
  }
  for (const w of workers) w.shutdown();
  await Promise.all(runs);
  await connection.close();
  await native.close();
} finally {
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
