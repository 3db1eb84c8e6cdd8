// Bundles workflows/index.ts once at build time (production images): workers then start
// with WORKFLOW_BUNDLE_PATH=<out> instead of bundling at every start. Writes a second bundle,
// <out>.traced.js, with the OpenTelemetry workflow interceptors in it: workers with tracing on
// (OTEL_TRACES_EXPORTER=otlp) load that one (src/infra/tracing.ts).
//   node scripts/bundle-workflows.ts [out=dist/workflow-bundle.js]
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../workers/runner.ts';
import { tracedBundlePath, workflowInterceptorModules } from '../src/infra/tracing.ts';

const out = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
const started = Date.now();
const quiet = () => undefined;
const loud = (message: string, meta?: unknown) => console.error(message, meta ?? '');
const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: loud, error: loud };
await mkdir(dirname(out), { recursive: true });
for (const [path, traced] of [[out, false], [tracedBundlePath(out), true]] as const) {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger, ...(traced ? { workflowInterceptorModules } : {}) });
  await writeFile(path, code);
  console.log(`workflow bundle: ${path} (${Math.round(code.length / 1024)} KiB, ${Date.now() - started} ms)`);
}
