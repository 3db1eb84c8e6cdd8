// Admission control for POST /v1/orders: when more orders are in flight (accepted, still
// PENDING) than the platform should queue, a new order is refused with 429 over_capacity
// and Retry-After BEFORE anything is written or started. Replays of accepted orders are
// never refused (the route checks for them first).
//
// The in-flight count comes from Postgres (a partial index makes it cheap), refreshed every
// `refreshMs`; orders this replica accepted since the last refresh are added on top, so a
// burst cannot slip through between refreshes. With several API replicas the bound is soft
// by at most (replicas − 1) × the accepts of one refresh period.
import type { MikroORM } from '@mikro-orm/postgresql';
import { Order } from '../orders/entities.ts';
import { AppError } from '../infra/errors.ts';
import type { Logger } from '../infra/logger.ts';
import type { Metrics } from '../infra/metrics.ts';

export interface Admission {
  /** Throws 429 over_capacity when the platform is saturated. */
  check(): void;
  /** Counts an order this replica just accepted. */
  accepted(): void;
  refresh(): Promise<void>;
  stop(): void;
}

export function createAdmission(deps: { orm: MikroORM; maxInFlight: number; logger: Logger; metrics?: Metrics }, opts: { refreshMs?: number } = {}): Admission {
  const { orm, maxInFlight, logger } = deps;
  let pending = 0;
  let acceptedSince = 0;
  let lastAt = Date.now();
  /** Settled orders per second, smoothed: the basis of Retry-After. */
  let drainPerSecond = 0;
  let refreshing: Promise<void> | undefined;
  let lastWarn = 0;

  async function refreshOnce(): Promise<void> {
    const acceptedBefore = acceptedSince;
    try {
      const next = await orm.em.fork().count(Order, { status: 'PENDING' });
      const now = Date.now();
      const dt = (now - lastAt) / 1000;
      if (dt > 0) {
        const settled = Math.max(0, pending + acceptedBefore - next);
        drainPerSecond = drainPerSecond === 0 ? settled / dt : 0.7 * drainPerSecond + 0.3 * (settled / dt);
      }
      pending = next;
      acceptedSince -= acceptedBefore;
      lastAt = now;
      deps.metrics?.ordersInFlight.set(pending);
    } catch (err) {
      // Keep the last view: a database hiccup must not open (or close) the gate by itself.
      if (Date.now() - lastWarn > 30_000) {
        lastWarn = Date.now();
        logger.warn({ err: (err as Error).message }, 'admission control could not count in-flight orders; using the last count');
      }
    }
  }
  const refresh = () => (refreshing ??= refreshOnce().finally(() => (refreshing = undefined)));
  const timer = setInterval(() => void refresh(), opts.refreshMs ?? 250);
  timer.unref();
  void refresh();

  return {
    check() {
      if (maxInFlight <= 0) return;
      const inFlight = pending + acceptedSince;
      if (inFlight < maxInFlight) return;
      deps.metrics?.admissionRefused.inc();
      // How long until the queue is back under 90 % of the bound, at the current drain rate.
      const excess = inFlight - Math.floor(maxInFlight * 0.9);
      const retryAfter = Math.min(30, Math.max(1, Math.ceil(excess / Math.max(drainPerSecond, 1))));
      throw new AppError(429, 'over_capacity',
        `The checkout is at capacity (${inFlight} orders in progress). Nothing was created; retry the same request with the same Idempotency-Key after ${retryAfter} s.`,
        { headers: { 'Retry-After': String(retryAfter) } });
    },
    accepted() {
      acceptedSince += 1;
    },
    refresh,
    stop: () => clearInterval(timer),
  };
}
