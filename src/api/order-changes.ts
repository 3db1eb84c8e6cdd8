// Waiting for an order to change (Prefer: wait=N, long-poll). Wake-ups come from Redis
// pub/sub on orderChannel(...) — published by the orders activities after each commit — over
// ONE shared subscriber connection; a slow Postgres re-check is the safety net for missed
// or unpublished notifications (Redis down). Temporal is never polled per request.
import type { Redis } from 'ioredis';
import type { Config } from '../infra/config.ts';
import type { Logger } from '../infra/logger.ts';
import { orderChannel } from '../infra/redis.ts';

export const RECHECK_MS = 1500;

export function createOrderChangeHub(deps: { redisSub?: Redis; config: Pick<Config, 'redis'>; logger: Logger; recheckMs?: number }) {
  const listeners = new Map<string, Set<() => void>>();
  const sub = deps.redisSub;
  const recheckMs = deps.recheckMs ?? RECHECK_MS;
  const onMessage = (channel: string) => listeners.get(channel)?.forEach((fn) => fn());
  sub?.on('message', onMessage);

  function listen(orderId: string, fn: () => void): () => void {
    const channel = orderChannel(deps.config.redis, orderId);
    let set = listeners.get(channel);
    if (!set) {
      set = new Set();
      listeners.set(channel, set);
      sub?.subscribe(channel).catch((err) => deps.logger.debug({ err: (err as Error).message, orderId }, 'order subscription failed; relying on re-checks'));
    }
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && listeners.get(channel) === set) {
        listeners.delete(channel);
        sub?.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  /**
   * Re-evaluates `check` on every notification for the order and at least every recheckMs,
   * until it returns a value or the deadline passes (then undefined). Aborts early with `signal`.
   */
  async function waitFor<T>(orderId: string, timeoutMs: number, check: () => Promise<T | undefined>, signal?: AbortSignal): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    let wake: (() => void) | undefined;
    let notified: boolean;
    const stop = listen(orderId, () => {
      notified = true;
      wake?.();
    });
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        notified = false;
        const value = await check();
        if (value !== undefined) return value;
        const left = deadline - Date.now();
        if (left <= 0 || signal?.aborted) return undefined;
        if (notified) continue; // a change landed while we were checking
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(recheckMs, left));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stop();
    }
  }

  return {
    waitFor,
    close(): void {
      sub?.off('message', onMessage);
      listeners.clear();
    },
  };
}

export type OrderChangeHub = ReturnType<typeof createOrderChangeHub>;
