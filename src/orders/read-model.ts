// The Order resource (docs/design.md §4) built from orders + order_items + payments, the order
// list and the timeline. Read-only: the rows are written by the orders/payments activities.
import { createHash } from 'node:crypto';
import type { FilterQuery, InferEntity, MikroORM } from '@mikro-orm/postgresql';
import { OrderEvent } from './entities.ts';
import type { OrderStatus, PaymentStatus, RecordedOrder } from '../contracts/index.ts';
import type { PaymentAction } from '../payments/money-calls.ts';

export interface Money {
  amount: number;
  currency: string;
}

export interface OrderResource {
  id: string;
  customerId: string;
  status: OrderStatus;
  items: { sku: string; name: string; quantity: number; unitPrice: Money; lineTotal: Money }[];
  total: Money;
  /** `action`: how the customer completes 3-D Secure, while the payment requires it (owner and ops only — see the routes). */
  payment: { status: PaymentStatus; reference?: string; action?: PaymentAction };
  failure?: { code: string; message: string };
  createdAt: string;
  updatedAt: string;
}


export interface OrderEventResource {
  type: string;
  status: OrderStatus;
  at: string;
  reason?: string;
  actor?: string;
}

/** Order as stored, plus what the API needs for idempotency and paging. */
export interface OrderRecord {
  order: OrderResource;
  idempotencyKey: string;
  requestFingerprint: string;
  /** Exact (microsecond) created_at, for keyset paging. */
  createdAtKey: string;
}

type OrderRow = {
  id: string;
  customer_id: string;
  status: OrderStatus;
  currency: string;
  total_amount: number;
  failure_code: string | null;
  failure_message: string | null;
  idempotency_key: string;
  request_fingerprint: string;
  created_at: Date | string;
  updated_at: Date | string;
  created_key: string;
  payment_status: PaymentStatus | null;
  payment_reference: string | null;
  payment_action?: PaymentAction | null;
};
type ItemRow = { order_id: string; sku: string; name: string; quantity: number; unit_price_amount: number; currency: string };

const iso = (d: Date | string) => new Date(d).toISOString();

// Hand-written: the order read model (a hot path) is one statement: the order, its payment
// (left join) and its lines as one json_agg column, so one round trip per page of orders.
const SELECT_ORDERS = `
  select o.id, o.customer_id, o.status, o.currency, o.total_amount, o.failure_code, o.failure_message,
         o.idempotency_key, o.request_fingerprint, o.created_at, o.updated_at,
         to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_key,
         p.status as payment_status, p.provider_reference as payment_reference,
         case when p.status = 'REQUIRES_ACTION' then
           (select e.payload->'action' from payment_events e where e.order_id = o.id and e.payload->'action' is not null order by e.id desc limit 1)
         end as payment_action,
         -- The lines ride along as JSON: one round trip per read, not two.
         coalesce((select json_agg(json_build_object('sku', i.sku, 'name', i.name, 'quantity', i.quantity,
                                                     'unit_price_amount', i.unit_price_amount, 'currency', i.currency) order by i.line_no)
                     from order_items i where i.order_id = o.id), '[]'::json) as items
    from orders o left join payments p on p.order_id = o.id`;

/** The one place the Order resource is shaped (the ETag hashes this exact JSON). */
function toResource(r: Omit<OrderRow, 'idempotency_key' | 'request_fingerprint' | 'created_key'>, items: Omit<ItemRow, 'order_id'>[]): OrderResource {
  const currency = r.currency.trim();
  return {
    id: r.id,
    customerId: r.customer_id,
    status: r.status,
    items: items.map((it) => ({
      sku: it.sku,
      name: it.name,
      quantity: it.quantity,
      unitPrice: { amount: it.unit_price_amount, currency: it.currency.trim() },
      lineTotal: { amount: it.unit_price_amount * it.quantity, currency: it.currency.trim() },
    })),
    total: { amount: r.total_amount, currency },
    payment: {
      status: r.payment_status ?? 'PENDING',
      ...(r.payment_reference ? { reference: r.payment_reference } : {}),
      ...(r.payment_status === 'REQUIRES_ACTION' && r.payment_action ? { action: r.payment_action } : {}),
    },
    ...(r.failure_code ? { failure: { code: r.failure_code, message: r.failure_message ?? r.failure_code } } : {}),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

/** The resource of an order intake just wrote (PENDING, nothing paid): the same JSON a read returns. */
export function recordedToResource(o: RecordedOrder, createdAt: Date): OrderRecord {
  const order = toResource(
    { id: o.orderId, customer_id: o.customerId, status: o.status, currency: o.currency, total_amount: o.totalAmount, failure_code: null, failure_message: null,
      created_at: createdAt, updated_at: createdAt, payment_status: null, payment_reference: null },
    o.lines.map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unit_price_amount: l.unitPrice.amount, currency: l.unitPrice.currency })),
  );
  return { order, idempotencyKey: '', requestFingerprint: o.requestFingerprint, createdAtKey: createdAt.toISOString() };
}

/** The order as this caller may see it: `payment.action` (a client secret) only for the owner and ops. */
export function orderViewFor(order: OrderResource, viewer: { sub: string; ops: boolean }): OrderResource {
  if (!order.payment.action || viewer.ops || viewer.sub === order.customerId) return order;
  const { action: _action, ...payment } = order.payment;
  return { ...order, payment };
}

/** Strong ETag: a hash of the exact JSON representation, so it changes exactly when the body does. */
export const etagOf = (order: OrderResource): string => `"${createHash('sha256').update(JSON.stringify(order)).digest('base64url').slice(0, 27)}"`;

/** Timeline rows for staff only: attention flags and the ops audit trail. */
export const INTERNAL_EVENT_TYPES = ['attention_flagged', 'attention_cleared', 'ops_action'];

export function createOrderReadModel(orm: MikroORM) {
  const conn = () => orm.em.getConnection();

  function withItems(rows: (OrderRow & { items: Omit<ItemRow, 'order_id'>[] | string })[]): OrderRecord[] {
    return rows.map((r) => {
      const items = typeof r.items === 'string' ? (JSON.parse(r.items) as Omit<ItemRow, 'order_id'>[]) : r.items;
      const order = toResource(r, items);
      return { order, idempotencyKey: r.idempotency_key, requestFingerprint: r.request_fingerprint, createdAtKey: r.created_key };
    });
  }

  return {
    async get(orderId: string): Promise<OrderRecord | undefined> {
      const rows = await conn().execute<(OrderRow & { items: Omit<ItemRow, 'order_id'>[] })[]>(`${SELECT_ORDERS} where o.id = ?`, [orderId]);
      return withItems(rows)[0];
    },

    async findByIdempotencyKey(customerId: string, key: string): Promise<OrderRecord | undefined> {
      const rows = await conn().execute<(OrderRow & { items: Omit<ItemRow, 'order_id'>[] })[]>(`${SELECT_ORDERS} where o.customer_id = ? and o.idempotency_key = ?`, [customerId, key]);
      return withItems(rows)[0];
    },

    /** Newest first; keyset paging on (created_at, id). */
    async list(q: { customerId?: string; status?: OrderStatus; limit: number; after?: { createdAt: string; id: string } }): Promise<{ records: OrderRecord[]; hasMore: boolean }> {
      const where: string[] = [];
      const params: unknown[] = [];
      if (q.customerId !== undefined) {
        where.push('o.customer_id = ?');
        params.push(q.customerId);
      }
      if (q.status) {
        where.push('o.status = ?');
        params.push(q.status);
      }
      if (q.after) {
        where.push('(o.created_at, o.id) < (?::timestamptz, ?::uuid)');
        params.push(q.after.createdAt, q.after.id);
      }
      const rows = await conn().execute<(OrderRow & { items: Omit<ItemRow, 'order_id'>[] })[]>(
        `${SELECT_ORDERS} ${where.length ? `where ${where.join(' and ')}` : ''} order by o.created_at desc, o.id desc limit ?`,
        [...params, q.limit + 1],
      );
      return { records: withItems(rows.slice(0, q.limit)), hasMore: rows.length > q.limit };
    },

    /** The timeline, oldest first; keyset paging on the event id. */
    /**
     * The timeline, oldest first. `customer` = the order's owner is reading: internal rows
     * (attention flags, ops audit rows) are left out, and the reason and actor of what staff
     * or reconciliation did are not shown — only the customer's own words and the system's.
     */
    async events(orderId: string, q: { limit: number; afterId?: number; customer?: string }): Promise<{ data: (OrderEventResource & { id: number })[]; hasMore: boolean }> {
      const where: FilterQuery<InferEntity<typeof OrderEvent>> = { orderId };
      if (q.customer !== undefined) where.type = { $nin: INTERNAL_EVENT_TYPES };
      if (q.afterId !== undefined) where.id = { $gt: q.afterId };
      const rows = await orm.em.fork().find(OrderEvent, where, {
        fields: ['type', 'status', 'at', 'reason', 'actor'], orderBy: { id: 'asc' }, limit: q.limit + 1, disableIdentityMap: true,
      });
      const shown = (actor: string | null | undefined) => q.customer === undefined || actor == null || actor === 'system' || actor === q.customer;
      return {
        data: rows.slice(0, q.limit).map((r) => ({
          id: r.id,
          type: r.type,
          status: r.status as OrderStatus,
          at: iso(r.at),
          ...(r.reason && shown(r.actor) ? { reason: r.reason } : {}),
          ...(r.actor && shown(r.actor) ? { actor: r.actor } : {}),
        })),
        hasMore: rows.length > q.limit,
      };
    },
  };
}

export type OrderReadModel = ReturnType<typeof createOrderReadModel>;
