// Helpers for the tests of deployment files (compose, Prometheus, Kubernetes): YAML parsing
// and finding the real command-line checkers, with a clear message when one is missing.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import yaml from 'js-yaml';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
export const readYaml = <T = any>(path: string): T => yaml.load(read(path)) as T;
export const readYamlAll = (text: string): any[] => yaml.loadAll(text).filter((d) => d != null);

/** Absolute path of an executable on PATH, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** Runs a checker; returns its combined output and exit status instead of throwing. */
export function run(cmd: string, args: string[], cwd = ROOT): { status: number; output: string } {
  try {
    const output = execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    return { status: 0, output };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string; message: string };
    return { status: e.status ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message };
  }
}
