// npm test — the whole suite (unit, workflow, integration, e2e) against real Postgres,
// Redis and Temporal servers. Runs jest in band (the suites share one database) and
// ends with one plain line: "N passed, N failed".
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const report = join(tmpdir(), `checkout-jest-${process.pid}.json`);
const args = ['node_modules/jest/bin/jest.js', '--runInBand', '--json', `--outputFile=${report}`, ...process.argv.slice(2)];
const child = spawn(process.execPath, args, {
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --disable-warning=ExperimentalWarning`.trim() },
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  let passed = 0;
  let failed = 0;
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed = r.numPassedTests;
    failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
    rmSync(report, { force: true });
  } catch {
    failed = Math.max(failed, 1);
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(code ?? (signal ? 1 : 0));
});
