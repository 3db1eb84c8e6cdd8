// Load generation shared by the benchmarks that drive the API of a bench stack: HTTP calls
// with timings, orders as a customer places them, open and closed loops, waiting for the
// orders in flight to settle, and progress lines on stderr.
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { createCheckoutClient } from '../../client/src/index.ts';
import { benchToken } from './stack.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A progress line on stderr, stamped with the time of day. */
export const say = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
export const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

export type Res = { status: number; ms: number; body: any; etag?: string; error?: string };

export const count = <T>(xs: T[], pred: (x: T) => boolean) => xs.filter(pred).length;
export const byStatus = (rs: Res[]) => rs.reduce<Record<string, number>>((m, r) => ({ ...m, [String(r.status)]: (m[String(r.status)] ?? 0) + 1 }), {});

/** What every call of the typed client answers. */
type Answer = { response: Response; data?: unknown; error?: unknown };

/**
 * A client of one API: the typed client (client/) in its plain mode — fetch() gets the URL and
 * init directly, no Request object per call (bench/client-overhead.ts) — with timed calls,
 * cached bench tokens and orders (counted in `placed`).
 */
export function apiClient(base: string) {
  const api = createCheckoutClient({ baseUrl: base, plain: true });
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (sub: string, roles?: string[]) => {
    const k = `${sub}:${roles?.join(',') ?? ''}`;
    if (!tokens.has(k)) tokens.set(k, benchToken(sub, roles));
    return tokens.get(k)!;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  /** Times one call of the typed client, body read and parsed included; no answer (network error, timeout) is status 0. */
  async function timed(send: (signal: AbortSignal) => Promise<Answer>, timeoutMs = 35_000): Promise<Res> {
    const t0 = performance.now();
    try {
      const { response, data, error } = await send(AbortSignal.timeout(timeoutMs));
      return { status: response.status, ms: performance.now() - t0, body: data ?? error, etag: response.headers.get('etag') ?? undefined };
    } catch (err) {
      return { status: 0, ms: performance.now() - t0, body: undefined, error: (err as Error).name };
    }
  }

  const client = {
    placed: 0,
    api,
    tokenOf,
    bearer,
    timed,
    healthz: () => timed((signal) => api.GET('/healthz', { signal })),
    /** PUT /v1/admin/inventory/{sku}: `onHand` units in warehouse AMS-1 (as ops). */
    setStock: async (sku: string, onHand: number, opsToken: string) => timed((signal) => api.PUT('/v1/admin/inventory/{sku}', { params: { path: { sku } }, headers: bearer(opsToken), body: { warehouse: 'AMS-1', onHand }, signal })),
    /** POST /v1/orders for one unit of `sku` (Prefer: wait=`wait` when given). */
    async placeOrder(customer: string, key: string, sku: string, opts: { wait?: number; timeoutMs?: number } = {}): Promise<Res & { customer: string; key: string }> {
      client.placed += 1;
      const token = await tokenOf(customer);
      const r = await timed((signal) => api.POST('/v1/orders', {
        params: { header: { 'idempotency-key': key, ...(opts.wait ? { prefer: `wait=${opts.wait}` } : {}) } },
        headers: bearer(token),
        body: { items: [{ sku, quantity: 1 }], paymentMethod: 'pm_card_visa' },
        signal,
      }), opts.timeoutMs);
      return { ...r, customer, key };
    },
  };
  return client;
}

/** Fires fn at a fixed rate for `seconds` (open loop: a slow answer does not slow the arrivals). */
export async function openLoop<T>(rate: number, seconds: number, fn: (i: number) => Promise<T>, label: string): Promise<T[]> {
  const total = Math.max(1, Math.round(rate * seconds));
  const start = performance.now();
  const out: Promise<T>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    out.push(fn(i));
    if (i % Math.max(1, Math.round(rate * 5)) === 0) say(`  ${label}: ${i}/${total} sent`);
  }
  return Promise.all(out);
}

/** `clients` loops calling fn back to back for `seconds`; returns results that finished inside the window. */
export async function closedLoop<T>(clients: number, seconds: number, fn: (client: number, i: number) => Promise<T>): Promise<{ results: T[]; seconds: number }> {
  const end = performance.now() + seconds * 1000;
  const results: T[] = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; performance.now() < end; i++) {
      const r = await fn(c, i);
      if (performance.now() <= end) results.push(r);
    }
  }));
  return { results, seconds: (Math.min(performance.now(), end) - t0) / 1000 };
}

export const pendingCount = async (db: pg.Pool) => Number((await db.query("select count(*) as n from orders where status = 'PENDING'")).rows[0].n);
/** Orders still PENDING, or CONFIRMED with the payment not yet captured. */
export const uncapturedCount = async (db: pg.Pool) => Number((await db.query(`select count(*) as n from orders o left join payments p on p.order_id = o.id
  where o.status = 'PENDING' or (o.status = 'CONFIRMED' and p.status = 'AUTHORIZED')`)).rows[0].n);

/** Waits until no order is PENDING (or, with `inFlight`, until it counts 0; progress on stderr); returns the seconds it took. */
export async function drain(db: pg.Pool, label: string, timeoutMs = 600_000, inFlight: (db: pg.Pool) => Promise<number> = pendingCount): Promise<number> {
  const t0 = performance.now();
  for (let last = -1, saidAt = 0; ;) {
    const n = await inFlight(db);
    if (n === 0) return (performance.now() - t0) / 1000;
    // A line when the count changed, at most every 3 s.
    if (n !== last && performance.now() - saidAt >= 3000) {
      say(`  ${label}: ${n} orders still in flight`);
      last = n;
      saidAt = performance.now();
    }
    if (performance.now() - t0 > timeoutMs) throw new Error(`${label}: ${n} orders did not settle in ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}
