// Bundles workflows/index.ts once and caches it on disk (keyed by a hash of the workflow
// sources and the SDK version): bundling costs seconds on this machine, so every Worker
// in the tests uses `workflowBundle: await testWorkflowBundle()`. A test-only workflow
// module (e.g. test/fast/saga-probe.workflow.ts) is bundled the same way under its own name.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { tracedBundlePath, workflowInterceptorModules } from '../../src/infra/tracing.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const WORKFLOWS_DIR = join(ROOT, 'workflows');
/** The contracts the workflow code imports from outside workflows/ (pure modules). */
const CONTRACTS_DIR = join(ROOT, 'src/contracts');
const tsFiles = (dir: string) => readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).sort().map((f) => join(dir, f));

function sourceHash(entry: string): string {
  const h = createHash('sha256');
  const files = [...tsFiles(WORKFLOWS_DIR), ...tsFiles(CONTRACTS_DIR), entry];
  for (const f of files) h.update(f).update('\0').update(readFileSync(f)).update('\0');
  h.update(JSON.parse(readFileSync(join(ROOT, 'node_modules/@temporalio/worker/package.json'), 'utf8')).version);
  return h.digest('hex').slice(0, 16);
}

const cached = new Map<string, Promise<{ codePath: string }>>();

export interface TestBundleOptions {
  /** Another workflows module (a test-only one) instead of workflows/index.ts… */
  entry?: string;
  /** …and the file name prefix of its bundles. */
  name?: string;
  /**
   * The variant with the OpenTelemetry workflow interceptors, at the path a worker with
   * tracing on derives from the plain one (tracedBundlePath), as in production.
   */
  traced?: boolean;
}

/** `{ codePath }` of a bundle of the current workflow code, built at most once per change. */
export function testWorkflowBundle(opts: TestBundleOptions = {}): Promise<{ codePath: string }> {
  const { entry = join(WORKFLOWS_DIR, 'index.ts'), name = 'test-workflow-bundle', traced = false } = opts;
  const key = `${name}\0${entry}\0${traced}`;
  const hit = cached.get(key);
  if (hit) return hit;
  const built = (async () => {
    const dir = join(ROOT, '.data');
    mkdirSync(dir, { recursive: true });
    const plain = join(dir, `${name}-${sourceHash(entry)}.js`);
    const codePath = traced ? tracedBundlePath(plain) : plain;
    if (!existsSync(codePath)) {
      const { code } = await bundleWorkflowCode({ workflowsPath: entry, logger: quietLogger, ...(traced ? { workflowInterceptorModules } : {}) });
      // Write then rename: another jest process may be writing the same file.
      const tmp = `${codePath}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, codePath);
      removeStaleBundles(dir, name, plain);
    }
    return { codePath };
  })();
  cached.set(key, built);
  return built;
}

/** Old bundles of one name (other workflow versions) untouched for an hour: no running suite still needs them. */
function removeStaleBundles(dir: string, name: string, keep: string): void {
  const stale = new RegExp(`^${name}-[0-9a-f]{16}(\\.traced)?\\.js$`);
  for (const f of readdirSync(dir)) {
    const path = join(dir, f);
    if (!stale.test(f) || path === keep || path === tracedBundlePath(keep)) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { force: true });
    } catch {
      // another process removed it first
    }
  }
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
