// The dev supervisor (scripts/lib/supervisor.ts) with real child processes: a crashed
// child comes back after a pause, loudly, while its neighbours keep running; one that
// keeps crashing is given up with a clear reason; one that never came up is not retried.
import { describe, expect, it } from '@jest/globals';
import { Supervisor, alive, type Child, type ChildSpec } from '../../scripts/lib/supervisor.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spec(name: string, code: string): ChildSpec {
  return { name, command: process.execPath, args: ['-e', code], env: { PATH: process.env.PATH }, cwd: process.cwd(), stopGraceMs: 2000, tier: 0 };
}

function harness(maxCrashes = 3) {
  let text = '';
  const gaveUp: { name: string; reason: string }[] = [];
  const supervisor = new Supervisor({
    colour: false,
    prefixWidth: 8,
    write: (t) => (text += t),
    restart: { backoffMs: (n) => 100 * n, maxCrashes, windowMs: 60_000 },
    onUnexpectedExit: (child: Child, reason) => gaveUp.push({ name: child.spec.name, reason }),
  });
  return { supervisor, gaveUp, output: () => text };
}

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(25);
  }
}

const STAYS_UP = 'setInterval(() => {}, 1000)';

describe('dev supervisor', () => {
  it('restarts a crashed child with a pause, says so, and leaves the others running', async () => {
    const h = harness();
    const steady = h.supervisor.start(spec('steady', STAYS_UP));
    const flaky = h.supervisor.start(spec('flaky', STAYS_UP));
    steady.restartable = true;
    flaky.restartable = true;
    try {
      const firstPid = flaky.pid;
      process.kill(firstPid, 'SIGKILL');
      await until(() => flaky.restarts === 1);
      expect(flaky.pid).not.toBe(firstPid);
      expect(alive(flaky.pid)).toBe(true);
      expect(alive(steady.pid)).toBe(true);
      expect(h.output()).toMatch(/flaky was killed by SIGKILL unexpectedly — restarting it in 0\.1 s/);
      expect(h.output()).toMatch(/flaky restarted \(pid \d+, restart 1\)/);
      expect(h.gaveUp).toEqual([]);
    } finally {
      await h.supervisor.stopAll();
    }
    expect(alive(steady.pid)).toBe(false);
    expect(alive(flaky.pid)).toBe(false);
  });

  it('gives up on a child that keeps crashing, with a clear reason, and only once', async () => {
    const h = harness(2);
    const steady = h.supervisor.start(spec('steady', STAYS_UP));
    const crasher = h.supervisor.start(spec('crasher', 'setTimeout(() => process.exit(3), 50)'));
    crasher.restartable = true;
    try {
      await until(() => h.gaveUp.length > 0);
      await sleep(500);
      expect(h.gaveUp).toEqual([{ name: 'crasher', reason: 'too many crashes' }]);
      expect(crasher.restarts).toBe(2);
      expect(h.output()).toMatch(/crasher exited with code 3 — 3 crashes within 60 s, giving up on it/);
      expect(alive(steady.pid)).toBe(true);
    } finally {
      await h.supervisor.stopAll();
    }
  });

  it('does not retry a child that died before it came up', async () => {
    const h = harness();
    const child = h.supervisor.start(spec('broken', 'process.exit(1)'));
    await until(() => h.gaveUp.length > 0);
    expect(h.gaveUp).toEqual([{ name: 'broken', reason: 'not restartable' }]);
    expect(child.restarts).toBe(0);
    await h.supervisor.stopAll();
  });
});
