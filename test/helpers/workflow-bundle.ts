// Bundles workflows/index.ts once and caches it on disk (keyed by a hash of the workflow
// sources and the SDK version): bundling costs seconds on this machine, so every Worker
// in the tests uses `workflowBundle: await testWorkflowBundle()`.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { tracedBundlePath, workflowInterceptorModules } from '../../src/infra/tracing.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const WORKFLOWS_DIR = join(ROOT, 'workflows');
/** Pure modules the workflow code imports from outside workflows/. */
const EXTRA_SOURCES = [join(ROOT, 'src/orders/status.ts')];

function sourceHash(): string {
  const h = createHash('sha256');
  const files = [
    ...readdirSync(WORKFLOWS_DIR, { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).sort().map((f) => join(WORKFLOWS_DIR, f)),
    ...EXTRA_SOURCES,
  ];
  for (const f of files) h.update(f).update('\0').update(readFileSync(f)).update('\0');
  h.update(JSON.parse(readFileSync(join(ROOT, 'node_modules/@temporalio/worker/package.json'), 'utf8')).version);
  return h.digest('hex').slice(0, 16);
}

const cached = new Map<boolean, Promise<{ codePath: string }>>();

/**
 * `{ codePath }` of a bundle of the current workflow code, built at most once per change.
 * `traced`: the variant with the OpenTelemetry workflow interceptors, at the path a worker
 * with tracing on derives from the plain one (tracedBundlePath), as in production.
 */
export function testWorkflowBundle(opts: { traced?: boolean } = {}): Promise<{ codePath: string }> {
  const traced = opts.traced ?? false;
  let bundle = cached.get(traced);
  if (!bundle) {
    bundle = (async () => {
      const dir = join(ROOT, '.data');
      mkdirSync(dir, { recursive: true });
      const plain = join(dir, `test-workflow-bundle-${sourceHash()}.js`);
      const codePath = traced ? tracedBundlePath(plain) : plain;
      if (!existsSync(codePath)) {
        const { code } = await bundleWorkflowCode({ workflowsPath: join(WORKFLOWS_DIR, 'index.ts'), logger: quietLogger, ...(traced ? { workflowInterceptorModules } : {}) });
        // Write then rename: another jest process may be writing the same file.
        const tmp = `${codePath}.${process.pid}.tmp`;
        writeFileSync(tmp, code);
        renameSync(tmp, codePath);
        removeStaleBundles(dir, codePath, plain);
      }
      return { codePath };
    })();
    cached.set(traced, bundle);
  }
  return bundle;
}

/** Old bundles (other workflow versions) untouched for an hour: no running suite still needs them. */
function removeStaleBundles(dir: string, ...keep: string[]): void {
  for (const f of readdirSync(dir)) {
    const path = join(dir, f);
    if (!f.startsWith('test-workflow-bundle-') || keep.includes(path) || keep.some((k) => path === tracedBundlePath(k))) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { force: true });
    } catch {
      // another process removed it first
    }
  }
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
