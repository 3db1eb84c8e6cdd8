// Real Temporal servers for tests, from the binaries scripts/setup.sh installs (the SDK
// cannot download them offline): a local dev server (visibility, search attributes, real
// time) and the time-skipping test server (timers jump ahead; no visibility).
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { resolveBinary } from '../../scripts/lib/binaries.ts';
import { TEMPORAL_SQLITE_PRAGMAS } from '../../scripts/lib/stack.ts';
import protos from '@temporalio/proto';
import { dataConverterFor } from '../../src/infra/payload-codec.ts';
import { testConfig } from './env.ts';
import { SA, SEARCH_ATTRIBUTE_DEFINITIONS } from '../../src/contracts/index.ts';

/** The data converter of every test client and worker: payloads encrypted as in production. */
export const testDataConverter = () => dataConverterFor(testConfig().codec);

export const SEARCH_ATTRIBUTE_KEYS = Object.values(SA);

/** Keeps worker chatter (state changes, "no activities registered") out of test output. */
export function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger((process.env.TEST_TEMPORAL_LOG_LEVEL as 'ERROR') ?? 'ERROR') });
  } catch {
    // already installed in this process (another suite in the same jest worker)
  }
}

/** A local dev server (in-memory, no UI) on a free port, with every custom search attribute registered. */
export function startLocalTemporal(opts: { extraArgs?: string[]; dbFilename?: string } = {}): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    client: { dataConverter: testDataConverter() },
    server: {
      executable: { type: 'existing-path', path: resolveBinary('temporal', process.env.TEMPORAL_CLI_PATH) },
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      log: { format: 'pretty', level: 'error' },
      ...(opts.dbFilename ? { dbFilename: opts.dbFilename } : {}),
      // On a file the store runs like `npm run dev`'s (WAL, normal sync); in memory there is no journal.
      extraArgs: [...(opts.dbFilename ? TEMPORAL_SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]) : []), ...(opts.extraArgs ?? [])],
    },
  });
}

/** The time-skipping test server: `env.sleep('1h')` and workflow timers advance instantly. */
export async function startTimeSkippingTemporal(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    client: { dataConverter: testDataConverter() },
    server: { executable: { type: 'existing-path', path: resolveBinary('temporal-test-server', process.env.TEMPORAL_TEST_SERVER_PATH) } },
  });
  // The test server knows no custom search attributes until told (the workflow upserts them).
  const { IndexedValueType } = protos.temporal.api.enums.v1;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.entries(SEARCH_ATTRIBUTE_DEFINITIONS).map(([name, type]) => [name, type === 'Int' ? IndexedValueType.INDEXED_VALUE_TYPE_INT : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  return env;
}
