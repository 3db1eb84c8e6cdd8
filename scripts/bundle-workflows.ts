// Bundles workflows/index.ts once at build time (production images): workers then start
// with WORKFLOW_BUNDLE_PATH=<out> instead of bundling at every start.
//   node scripts/bundle-workflows.ts [out=dist/workflow-bundle.js]
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../workers/runner.ts';

const out = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
const started = Date.now();
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined });
await mkdir(dirname(out), { recursive: true });
await writeFile(out, code);
console.log(`workflow bundle: ${out} (${Math.round(code.length / 1024)} KiB, ${Date.now() - started} ms)`);
