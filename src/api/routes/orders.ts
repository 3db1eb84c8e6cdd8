// /v1/orders: create (idempotent, update-with-start), read (ETag, long-poll), list, cancel,
// timeline. Handlers parse → call → respond; Temporal work is in order-commands.ts.
import type { Request, Response } from 'express';
import { AppError } from '../../infra/errors.ts';
import type { Metrics } from '../../infra/metrics.ts';
import { etagOf, orderViewFor, type OrderReadModel, type OrderRecord, type OrderResource } from '../../orders/read-model.ts';
import { decodeCursor, encodeCursor } from '../../catalog/service.ts';
import { hasRole, principalOf, requireRole, type Principal } from '../middleware/auth.ts';
import { parseOr400 } from '../middleware/problem.ts';
import type { OrderChangeHub } from '../order-changes.ts';
import type { OrderCommands } from '../order-commands.ts';
import { CancelBody, CreateOrderBody, EventListQuery, IDEMPOTENCY_KEY_PATTERN, OrderListQuery, PREFER_WAIT_MAX_SECONDS } from '../schemas.ts';
import { UUID_PATTERN, isSettled } from '../../contracts/index.ts';
import { RouteBindings } from '../routing.ts';
import type { RouteName } from './table.ts';

export interface OrderRouteDeps {
  readModel: OrderReadModel;
  commands: OrderCommands;
  changes: OrderChangeHub;
  metrics: Metrics;
  /** Per-customer limiter for order creation (runs after authentication). */
  createLimiter: import('express').RequestHandler;
}

/**
 * `Prefer: wait=N` (RFC 7240). N above the cap is served as the cap (reported in
 * Preference-Applied); a malformed preference is ignored, as RFC 7240 asks.
 */
export function preferWait(req: Request): number | undefined {
  const header = req.get('prefer');
  if (!header) return undefined;
  for (const part of header.split(/[,;]/)) {
    const m = /^\s*wait\s*=\s*"?(\d{1,6})"?\s*$/i.exec(part);
    if (m) return Math.min(Number(m[1]), PREFER_WAIT_MAX_SECONDS);
  }
  return undefined;
}

/** Weak comparison per RFC 9110 §13.1.2 (If-None-Match). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => bare(t) === bare(etag));
}

/** Someone else's order is a 404, never a 403: existence is not revealed. */
function canSee(p: Principal, record: OrderRecord): boolean {
  return record.order.customerId === p.sub || hasRole(p, 'ops', 'finance');
}

/** What this caller sees of an order (and what its ETag hashes). */
const viewOf = (p: Principal, order: OrderResource): OrderResource => orderViewFor(order, { sub: p.sub, ops: hasRole(p, 'ops') });

export function orderRoutes(deps: OrderRouteDeps): RouteBindings<RouteName> {
  const routes = new RouteBindings<RouteName>();
  const { readModel, commands, changes, metrics } = deps;

  async function load(req: Request, res: Response): Promise<OrderRecord> {
    const id = String(req.params.id);
    if (!UUID_PATTERN.test(id)) throw new AppError(404, 'not_found', 'The order does not exist.');
    const record = await readModel.get(id.toLowerCase());
    if (!record || !canSee(principalOf(res), record)) throw new AppError(404, 'not_found', 'The order does not exist.');
    res.locals.orderId = record.order.id;
    return record;
  }

  const abortOnClose = (res: Response) => {
    const ctrl = new AbortController();
    res.once('close', () => ctrl.abort());
    return ctrl.signal;
  };

  const sendOrder = (res: Response, status: number, record: OrderRecord) => {
    const order = viewOf(principalOf(res), record.order);
    res.setHeader('ETag', etagOf(order));
    res.setHeader('Cache-Control', 'private, no-cache');
    res.status(status).json(order);
  };

  routes.on('createOrder', requireRole('customer'), deps.createLimiter, async (req, res) => {
    const p = principalOf(res);
    const key = req.get('idempotency-key');
    if (key === undefined || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw new AppError(400, 'idempotency_key_required', 'Send an Idempotency-Key header of 1–255 printable ASCII characters (e.g. a UUID).');
    }
    const body = parseOr400(CreateOrderBody, req.body, 'body');
    const wait = preferWait(req);
    const created = await commands.create(p.sub, key, body, res.locals.requestId);
    const replayed = created.replayed;
    let record = created.record;
    res.locals.orderId = record.order.id;
    if (replayed) {
      res.setHeader('Idempotent-Replayed', 'true');
      metrics.idempotentReplays.inc();
    } else {
      metrics.ordersAccepted.inc();
    }
    if (wait !== undefined) {
      res.setHeader('Preference-Applied', `wait=${wait}`);
      if (!isSettled(record.order.status) && wait > 0) {
        const id = record.order.id;
        record = (await changes.waitFor(id, wait * 1000, async () => {
          const r = await readModel.get(id);
          return r && isSettled(r.order.status) ? r : undefined;
        }, abortOnClose(res))) ?? (await readModel.get(id)) ?? record;
      }
    }
    res.setHeader('Location', `/v1/orders/${record.order.id}`);
    sendOrder(res, wait !== undefined && isSettled(record.order.status) ? 201 : 202, record);
  });

  routes.on('listOrders', async (req, res) => {
    const p = principalOf(res);
    const q = parseOr400(OrderListQuery, req.query, 'query');
    const privileged = hasRole(p, 'ops', 'finance');
    if (q.customerId !== undefined && !privileged && q.customerId !== p.sub) {
      throw new AppError(403, 'forbidden', 'Only ops or finance may list other customers’ orders.');
    }
    const after = q.cursor
      ? (() => {
          const [createdAt, id] = decodeCursor(q.cursor, (c) => c.length === 2 && typeof c[0] === 'string' && !Number.isNaN(Date.parse(c[0])) && typeof c[1] === 'string' && UUID_PATTERN.test(c[1]));
          return { createdAt: createdAt as string, id: id as string };
        })()
      : undefined;
    const { records, hasMore } = await readModel.list({ customerId: privileged ? q.customerId : p.sub, status: q.status, limit: q.limit, after });
    const last = records[records.length - 1];
    res.json({ data: records.map((r) => viewOf(p, r.order)), nextCursor: hasMore && last ? encodeCursor([last.createdAtKey, last.order.id]) : null });
  });

  routes.on('getOrder', async (req, res) => {
    let record = await load(req, res);
    const viewer = principalOf(res);
    const etagFor = (r: OrderRecord) => etagOf(viewOf(viewer, r.order));
    const ifNoneMatch = req.get('if-none-match');
    const wait = preferWait(req);
    if (ifNoneMatch && wait !== undefined) {
      res.setHeader('Preference-Applied', `wait=${wait}`);
      if (etagMatches(ifNoneMatch, etagFor(record)) && wait > 0) {
        const id = record.order.id;
        record = (await changes.waitFor(id, wait * 1000, async () => {
          const r = await readModel.get(id);
          return r && !etagMatches(ifNoneMatch, etagFor(r)) ? r : undefined;
        }, abortOnClose(res))) ?? record;
      }
    }
    if (etagMatches(ifNoneMatch, etagFor(record))) {
      res.setHeader('ETag', etagFor(record));
      res.setHeader('Cache-Control', 'private, no-cache');
      res.status(304).end();
      return;
    }
    sendOrder(res, 200, record);
  });

  routes.on('cancelOrder', async (req, res) => {
    const p = principalOf(res);
    const record = await load(req, res);
    const body = parseOr400(CancelBody, req.body ?? {}, 'body');
    const asOps = hasRole(p, 'ops');
    if (!asOps && !(hasRole(p, 'customer') && record.order.customerId === p.sub)) {
      throw new AppError(403, 'forbidden', 'Only the customer who placed the order or ops may cancel it.');
    }
    await commands.cancel(record, { actor: p.sub, role: asOps ? 'ops' : 'customer', reason: body.reason });
    const fresh = (await readModel.get(record.order.id)) ?? record;
    sendOrder(res, 202, fresh);
  });

  routes.on('orderEvents', async (req, res) => {
    const record = await load(req, res);
    const q = parseOr400(EventListQuery, req.query, 'query');
    const afterId = q.cursor ? (decodeCursor(q.cursor, (c) => c.length === 1 && Number.isSafeInteger(c[0]) && (c[0] as number) >= 0)[0] as number) : undefined;
    const p = principalOf(res);
    // Ops and finance see the whole timeline; the owner sees what concerns them.
    const { data, hasMore } = await readModel.events(record.order.id, { limit: q.limit, afterId, customer: hasRole(p, 'ops', 'finance') ? undefined : p.sub });
    const last = data[data.length - 1];
    res.json({ data: data.map(({ id: _id, ...e }) => e), nextCursor: hasMore && last ? encodeCursor([last.id]) : null });
  });

  return routes;
}
