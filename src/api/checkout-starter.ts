// Starts the workflow of every accepted order — the outbox relay of intake.
//
//   kick(input)  right after the order row commits: start now, in the background, with
//                bounded concurrency (a burst of 1,000 accepts becomes a steady stream of
//                starts, not 1,000 simultaneous RPCs);
//   sweep        every second: orders still unstarted a few seconds after they were accepted
//                (this process crashed, Temporal was down, a start failed) are started from
//                their row. Every replica sweeps; a duplicate start is harmless (USE_EXISTING).
//
// A start that Temporal acknowledged is marked on the row (workflow_started_at), batched.
// Nothing is lost if a mark is lost: the next sweep starts it again and finds it running.
//
// Tracing: a kicked start runs in the context of the request that accepted the order, even
// when it waits in the queue, so the workflow joins the request's trace (a no-op when off).
import { context, type Context } from '@opentelemetry/api';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Config } from '../infra/config.ts';
import type { Logger } from '../infra/logger.ts';
import type { Metrics } from '../infra/metrics.ts';
import { startCheckout } from '../orders/checkout-start.ts';
import { markWorkflowsStarted, recordedOrderInput, unstartedOrders } from '../orders/intake.ts';
import type { CheckoutInput } from '../contracts/index.ts';

export interface CheckoutStarterOptions {
  /** Concurrent start RPCs (default 32). */
  concurrency?: number;
  /** Sweep period (default 1 s); 0 disables the timer (tests call sweep()). */
  sweepEveryMs?: number;
  /** An order is swept once unstarted for this long (default 3 s), so the kick goes first. */
  sweepAfterMs?: number;
  /** How long one start may take before it is left to the sweep (default 10 s). */
  startTimeoutMs?: number;
}

export interface CheckoutStarter {
  /** Starts the order's workflow soon; never throws. */
  kick(input: CheckoutInput): void;
  /** Starts now and waits (used when a caller needs the workflow, e.g. a cancel). */
  ensureStarted(orderId: string): Promise<boolean>;
  /** One relay pass; returns how many orders it started. */
  sweep(): Promise<number>;
  /** Stops the timer, lets in-flight starts finish (bounded) and writes the last marks. */
  stop(graceMs?: number): Promise<void>;
}

export function createCheckoutStarter(deps: { orm: MikroORM; temporal: Client; config: Readonly<Config>; logger: Logger; metrics?: Metrics }, opts: CheckoutStarterOptions = {}): CheckoutStarter {
  const { orm, temporal, logger, config } = deps;
  const concurrency = opts.concurrency ?? 32;
  const startTimeoutMs = opts.startTimeoutMs ?? 10_000;
  const sweepAfterMs = opts.sweepAfterMs ?? 3_000;
  const queue: { input: CheckoutInput; ctx: Context }[] = [];
  const queued = new Set<string>();
  let inFlight = 0;
  let toMark: string[] = [];
  let markTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let sweeping: Promise<number> | undefined;
  let lastWarn = 0;
  const idle: (() => void)[] = [];

  const withTimeouts = (input: CheckoutInput): CheckoutInput => ({
    paymentActionTimeout: config.checkout.paymentActionTimeout,
    captureRetryWindow: config.checkout.captureRetryWindow,
    ...input,
  });

  async function flushMarks(): Promise<void> {
    markTimer = undefined;
    const ids = toMark;
    toMark = [];
    if (!ids.length) return;
    try {
      await markWorkflowsStarted(orm.em.fork(), ids);
    } catch (err) {
      logger.warn({ err: (err as Error).message, orders: ids.length }, 'could not mark started workflows; the relay will start them again (harmless)');
    }
  }

  function mark(orderId: string): void {
    toMark.push(orderId);
    if (toMark.length >= 200) void flushMarks();
    else markTimer ??= setTimeout(() => void flushMarks(), 50);
  }

  async function startOne(input: CheckoutInput): Promise<boolean> {
    const end = deps.metrics?.workflowStarts.startTimer();
    try {
      await temporal.withDeadline(Date.now() + startTimeoutMs, () => startCheckout(temporal, withTimeouts(input)));
      end?.({ outcome: 'ok' });
      mark(input.orderId);
      return true;
    } catch (err) {
      end?.({ outcome: 'error' });
      if (Date.now() - lastWarn > 10_000) {
        lastWarn = Date.now();
        logger.warn({ err: (err as Error).message, orderId: input.orderId }, 'workflow start failed; the order is durable and the relay retries it');
      }
      return false;
    }
  }

  function pump(): void {
    while (inFlight < concurrency && queue.length) {
      const { input, ctx } = queue.shift()!;
      inFlight += 1;
      void context.with(ctx, () => startOne(input)).finally(() => {
        inFlight -= 1;
        queued.delete(input.orderId);
        pump();
        if (inFlight === 0 && !queue.length) idle.splice(0).forEach((f) => f());
      });
    }
  }

  function kick(input: CheckoutInput): void {
    if (stopped || queued.has(input.orderId)) return;
    queued.add(input.orderId);
    queue.push({ input, ctx: context.active() });
    pump();
  }

  async function ensureStarted(orderId: string): Promise<boolean> {
    const input = await recordedOrderInput(orm.em.fork(), orderId);
    if (!input) return false;
    return startOne(input);
  }

  async function sweepOnce(): Promise<number> {
    let ids: string[];
    try {
      ids = await unstartedOrders(orm.em.fork(), sweepAfterMs, 200);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'relay could not read unstarted orders; will retry');
      return 0;
    }
    let started = 0;
    for (const id of ids) {
      if (stopped) break;
      if (queued.has(id)) continue;
      const input = await recordedOrderInput(orm.em.fork(), id).catch(() => undefined);
      if (!input) continue;
      if (await startOne(input)) started += 1;
      else break; // Temporal is unreachable: try again at the next sweep
    }
    if (started) {
      deps.metrics?.workflowStartsRelayed.inc(started);
      logger.info({ started }, 'relay started workflows of orders whose first start was lost');
    }
    await flushMarks();
    return started;
  }

  const sweep = () => (sweeping ??= sweepOnce().finally(() => (sweeping = undefined)));
  const timer = (opts.sweepEveryMs ?? 1000) > 0 ? setInterval(() => void sweep(), opts.sweepEveryMs ?? 1000) : undefined;
  timer?.unref();

  return {
    kick,
    ensureStarted,
    sweep,
    async stop(graceMs = 10_000) {
      stopped = true;
      if (timer) clearInterval(timer);
      if (inFlight || queue.length) {
        await Promise.race([new Promise<void>((r) => idle.push(r)), new Promise((r) => setTimeout(r, graceMs).unref())]);
      }
      await sweeping?.catch(() => undefined);
      if (markTimer) clearTimeout(markTimer);
      await flushMarks();
    },
  };
}
