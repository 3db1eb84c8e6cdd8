// Graceful shutdown: stop intake, drain, close — in the reverse order things were opened.
import type { Logger } from './logger.ts';

type Closer = { name: string; close: () => Promise<unknown> | unknown };

export class Lifecycle {
  private readonly closers: Closer[] = [];
  private stopping?: Promise<void>;
  private readonly log: Logger;
  constructor(log: Logger) {
    this.log = log;
  }

  /** Registers something to close at shutdown; closed last-in first-out. */
  onStop(name: string, close: Closer['close']): void {
    this.closers.push({ name, close });
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  stop(reason = 'stop'): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ reason }, 'shutting down');
      for (const c of [...this.closers].reverse()) {
        try {
          await c.close();
        } catch (err) {
          this.log.warn({ err, closer: c.name }, 'error while closing');
        }
      }
      this.log.info('stopped');
    })();
    return this.stopping;
  }

  /** SIGTERM/SIGINT → graceful stop, then exit. A second signal exits at once. */
  installSignalHandlers(exit: (code: number) => void = (code) => process.exit(code)): void {
    let signals = 0;
    const handler = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) exit(130);
      void this.stop(signal).then(() => exit(0), () => exit(1));
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  }
}

/** Prints a one-paragraph fatal message (no stack wall) and exits non-zero. */
export function fatal(log: Logger | undefined, message: string, err?: unknown): never {
  const detail = err instanceof Error ? err.message : err ? String(err) : '';
  if (log) log.fatal({ detail }, message);
  process.stderr.write(`\n✖ ${message}${detail ? `\n  cause: ${detail}` : ''}\n`);
  process.exit(1);
}
