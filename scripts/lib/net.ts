// Network checks for the dev stack: is a port free (and who holds it), is something answering yet.
import { execFile } from 'node:child_process';
import { createServer, Socket } from 'node:net';

export type PortClaim = { port: number; label: string; variable: string };
export type BusyPort = PortClaim & { owner?: string };

/** A port the kernel just handed out on 127.0.0.1 (free now; for private test and bench stacks). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** True when nothing listens on `port` (IPv4 wildcard bind; on Linux this also collides with 127.0.0.1 and dual-stack listeners). */
export function portIsFree(port: number, host = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** "pid 123 (node …)" for the process listening on `port`, if `ss` can tell. */
export function portOwner(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('ss', ['-Hltnp', `sport = :${port}`], { timeout: 2000 }, (err, stdout) => {
      if (err) return resolve(undefined);
      const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(stdout);
      resolve(m ? `pid ${m[2]} (${m[1]})` : stdout.trim() ? 'another process' : undefined);
    });
  });
}

/** Every claimed port that is already taken, plus claims that collide with each other. */
export async function busyPorts(claims: PortClaim[]): Promise<{ busy: BusyPort[]; clashes: string[] }> {
  const clashes: string[] = [];
  const seen = new Map<number, PortClaim>();
  for (const c of claims) {
    const other = seen.get(c.port);
    if (other) clashes.push(`${c.variable} and ${other.variable} both resolve to port ${c.port} (${c.label} / ${other.label})`);
    else seen.set(c.port, c);
  }
  const busy: BusyPort[] = [];
  for (const c of seen.values()) {
    if (c.port === 0) continue;
    if (!(await portIsFree(c.port))) busy.push({ ...c, owner: await portOwner(c.port) });
  }
  return { busy, clashes };
}

/** Resolves when a TCP connection to host:port succeeds, false on refusal/timeout. */
export function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/** HTTP status of GET url, or 0 when nothing answers. */
export async function httpStatus(url: string, timeoutMs = 2000): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}

export class WaitAborted extends Error {}

/**
 * Polls `ready` until it returns true. Gives up after `timeoutMs` (throws with `what` in the
 * message) or as soon as `abort()` returns a reason (e.g. the process being waited for died).
 */
export async function waitUntil(what: string, ready: () => Promise<boolean>, opts: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const reason = opts.abort?.();
    if (reason) throw new WaitAborted(reason);
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`${what} was not ready after ${Math.round(opts.timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}
