// The sandbox as a process (sandbox/main.ts): starts from config, logs its URL, stops
// cleanly on SIGTERM, and says plainly why when it cannot start.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { TEST_DATABASE_URL } from '../../helpers/env.ts';

const MAIN = fileURLToPath(new URL('../../../sandbox/main.ts', import.meta.url));

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: TEST_DATABASE_URL, SANDBOX_DATABASE_SCHEMA: 'sandbox_process_test', SANDBOX_WEBHOOK_URL: '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (re: RegExp, ms = 15_000): Promise<RegExpExecArray> => {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(out);
      if (m) return m;
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${re} in output:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, exited, waitFor, output: () => out };
}

describe('sandbox process', () => {
  it('serves on the configured port and stops cleanly on SIGTERM', async () => {
    const p = run({ SANDBOX_PORT: '0' });
    const [, url] = await p.waitFor(/payment sandbox ready at (http:\/\/[\d.]+:\d+)/);
    const health = await fetch(`${url}/_sandbox/health`);
    expect(health.status).toBe(200);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(/"msg":"stopped"/);
  });

  it('exits 1 with a clear message when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const p = run({ SANDBOX_PORT: String((blocker.address() as AddressInfo).port) });
      expect(await p.exited).toBe(1);
      expect(p.output()).toMatch(/already in use/);
    } finally {
      blocker.close();
    }
  });

  it('exits 1 with a clear message when Postgres is unreachable', async () => {
    const p = run({ SANDBOX_PORT: '0', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/Is Postgres running/);
  });
});
