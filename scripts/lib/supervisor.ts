// Starts child processes in their own process groups, shows their output prefixed and
// rendered, and stops them in reverse start order: SIGTERM to the group, wait, SIGKILL.
// A child marked restartable that dies on its own is started again after a growing pause,
// loudly, while the others keep running; too many crashes in a row and we give up on it.
import { spawn, type ChildProcess } from 'node:child_process';
import { dim, lineSplitter, paint, PROCESS_COLOURS, renderLine } from './pretty.ts';

export type ChildSpec = {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  /** How long a SIGTERM may take before the group is SIGKILLed. */
  stopGraceMs: number;
  /** Children start tier by tier (ascending) and stop in the reverse order; one tier stops in parallel. */
  tier: number;
};

export type Child = {
  spec: ChildSpec;
  /** The current process (a restart replaces pid, exited and exit). */
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** Set once we asked it to stop: its exit is then expected. */
  stopping: boolean;
  /** Restart it when it dies on its own (set once it has come up; a failed start stays fatal). */
  restartable: boolean;
  /** Unexpected exits of this child inside the current crash window. */
  crashes: number[];
  restarts: number;
};

export type RestartPolicy = {
  /** Pause before restart n (1-based). */
  backoffMs: (n: number) => number;
  /** More than this many crashes within windowMs and the child is given up. */
  maxCrashes: number;
  windowMs: number;
};

type Options = {
  colour: boolean;
  write: (text: string) => void;
  /** Called when a child exits without having been asked to and will not be restarted. */
  onUnexpectedExit: (child: Child, reason: 'not restartable' | 'too many crashes') => void;
  /** Called after a crashed child was started again (its pid changed). */
  onRestart?: (child: Child) => void;
  restart?: RestartPolicy;
  prefixWidth: number;
};

function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the whole group is gone already
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Supervisor {
  private readonly list: Child[] = [];
  private readonly opts: Options;
  private colourIndex = 0;
  constructor(opts: Options) {
    this.opts = opts;
  }

  get children(): readonly Child[] {
    return this.list;
  }

  /** Writes a supervisor line with the same prefix layout as the children. */
  say(text: string): void {
    this.opts.write(`${dim(`${'dev'.padEnd(this.opts.prefixWidth)} │`, this.opts.colour)} ${text}\n`);
  }

  start(spec: ChildSpec): Child {
    const colour = PROCESS_COLOURS[this.colourIndex++ % PROCESS_COLOURS.length];
    const prefix = `${paint(`${spec.name.padEnd(this.opts.prefixWidth)} │`, colour, this.opts.colour)} `;
    const child: Child = { spec, pid: -1, exited: new Promise(() => undefined), stopping: false, restartable: false, crashes: [], restarts: 0 };
    this.spawnInto(child, prefix);
    this.list.push(child);
    return child;
  }

  private spawnInto(child: Child, prefix: string): void {
    const { spec } = child;
    // detached: the child leads a new process group, so a stop reaches everything it spawned,
    // and a Ctrl-C in the terminal reaches only us — we stop the children in order.
    const proc: ChildProcess = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = (line: string) => this.opts.write(`${prefix}${renderLine(line, this.opts.colour)}\n`);
    const stdout = lineSplitter(out);
    const stderr = lineSplitter(out);
    proc.stdout!.on('data', stdout.push);
    proc.stderr!.on('data', stderr.push);
    child.pid = proc.pid ?? -1;
    child.exit = undefined;
    child.exited = new Promise((resolve) => {
      proc.once('error', (err) => {
        out(`failed to start: ${err.message}`);
        resolve({ code: 127, signal: null });
      });
      proc.once('close', (code, signal) => {
        stdout.flush();
        stderr.flush();
        resolve({ code, signal });
      });
    });
    const pid = child.pid;
    void child.exited.then((exit) => {
      child.exit = exit;
      if (pid > 0) killGroup(pid, 'SIGKILL'); // stragglers of a dead leader
      if (!child.stopping) void this.crashed(child, prefix);
    });
  }

  private async crashed(child: Child, prefix: string): Promise<void> {
    const policy = this.opts.restart;
    const how = child.exit?.signal ? `was killed by ${child.exit.signal}` : `exited with code ${child.exit?.code}`;
    if (!policy || !child.restartable) return this.opts.onUnexpectedExit(child, 'not restartable');
    const now = Date.now();
    child.crashes = [...child.crashes.filter((t) => now - t < policy.windowMs), now];
    if (child.crashes.length > policy.maxCrashes) {
      this.say(`✖ ${child.spec.name} ${how} — ${child.crashes.length} crashes within ${Math.round(policy.windowMs / 1000)} s, giving up on it`);
      return this.opts.onUnexpectedExit(child, 'too many crashes');
    }
    const wait = policy.backoffMs(child.crashes.length);
    this.say(`✖ ${child.spec.name} ${how} unexpectedly — restarting it in ${(wait / 1000).toFixed(1)} s (crash ${child.crashes.length} of ${policy.maxCrashes} allowed within ${Math.round(policy.windowMs / 1000)} s; the rest keeps running)`);
    await sleep(wait);
    if (child.stopping) return;
    child.restarts += 1;
    this.spawnInto(child, prefix);
    this.say(`↻ ${child.spec.name} restarted (pid ${child.pid}, restart ${child.restarts})`);
    this.opts.onRestart?.(child);
  }

  private async stopOne(child: Child): Promise<void> {
    child.stopping = true;
    if (child.exit || child.pid <= 0) return;
    killGroup(child.pid, 'SIGTERM');
    const inTime = await Promise.race([child.exited.then(() => true), sleep(child.spec.stopGraceMs).then(() => false)]);
    if (!inTime) {
      this.say(`${child.spec.name} did not stop within ${Math.round(child.spec.stopGraceMs / 1000)} s — sending SIGKILL`);
      killGroup(child.pid, 'SIGKILL');
      await Promise.race([child.exited, sleep(5000)]);
    }
  }

  /** Stops every child: highest tier first, each tier in parallel. Safe to call more than once. */
  async stopAll(): Promise<void> {
    const tiers = [...new Set(this.list.map((c) => c.spec.tier))].sort((a, b) => b - a);
    for (const tier of tiers) {
      await Promise.all(this.list.filter((c) => c.spec.tier === tier).map((c) => this.stopOne(c)));
    }
  }

  /** Immediate SIGKILL of every group (second Ctrl-C). */
  killAll(): void {
    for (const c of this.list) {
      c.stopping = true;
      if (c.pid > 0) killGroup(c.pid, 'SIGKILL');
    }
  }
}

/** True while a process with this pid exists (signal 0 probes without affecting it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
