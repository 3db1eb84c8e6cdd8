// Bundles workflows/index.ts once at build time (production images): workers then start
// with WORKFLOW_BUNDLE_PATH=<out> instead of bundling at every start.
//   node scripts/bundle-workflows.ts [out=dist/workflow-bundle.js]
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../workers/runner.ts';

const out = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
const started = Date.now();
const quiet = () => undefined;
const loud = (message: string, meta?: unknown) => console.error(message, meta ?? '');
const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: loud, error: loud };
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger });
await mkdir(dirname(out), { recursive: true });
await writeFile(out, code);
console.log(`workflow bundle: ${out} (${Math.round(code.length / 1024)} KiB, ${Date.now() - started} ms)`);
