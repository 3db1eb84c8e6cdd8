// What finance reads: reconciliation runs with their findings, open findings, and the
// payment ledger (payment_events joined with payments and orders). Keyset pagination with
// opaque cursors; every list answers { data, nextCursor }.
import type { EntityManager, FilterQuery, InferEntity } from '@mikro-orm/postgresql';
import { ReconciliationFinding, ReconciliationRun } from './entities.ts';

export interface FindingView {
  id: number;
  runId: string;
  kind: string;
  orderId: string | null;
  providerReference: string | null;
  ourAmount: number | null;
  providerAmount: number | null;
  currency: string | null;
  ourStatus: string | null;
  providerStatus: string | null;
  action: string;
  actionOutcome: string | null;
  needsHuman: boolean;
  details: Record<string, unknown> | null;
  createdAt: string;
  resolvedAt: string | null;
}

export interface RunView {
  id: string;
  trigger: string;
  status: string;
  checked: number;
  matched: number;
  findingsCount: number;
  needsHuman: number;
  window: { start: string; end: string };
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface LedgerEntryView {
  id: number;
  orderId: string | null;
  provider: string;
  providerEventId: string;
  type: string;
  source: string;
  providerReference: string | null;
  amount: number | null;
  currency: string | null;
  status: string | null;
  createdAt: string;
  payment: { status: string; amount: number; capturedAmount: number; refundedAmount: number } | null;
  order: { status: string; customerId: string; totalAmount: number } | null;
}

export interface Paged<T> {
  data: T[];
  nextCursor: string | null;
}

const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);
const trim = (s: string | null | undefined) => (s == null ? null : s.trim());

export const encodeCursor = (parts: (string | number)[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
export function decodeCursor(cursor: string | undefined, arity: number): (string | number)[] | undefined {
  if (!cursor) return undefined;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === arity && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v;
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
}

export class InvalidCursorError extends Error {
  constructor() {
    super('The cursor is not valid.');
    this.name = 'InvalidCursorError';
  }
}

type Finding = InferEntity<typeof ReconciliationFinding>;
const toFinding = (r: Finding): FindingView => ({
  id: r.id, runId: r.runId, kind: r.kind, orderId: r.orderId ?? null, providerReference: r.providerReference ?? null, ourAmount: r.ourAmount ?? null,
  providerAmount: r.providerAmount ?? null, currency: trim(r.currency), ourStatus: r.ourStatus ?? null, providerStatus: r.providerStatus ?? null, action: r.action,
  actionOutcome: r.actionOutcome ?? null, needsHuman: r.needsHuman, details: r.details ?? null, createdAt: iso(r.createdAt)!, resolvedAt: iso(r.resolvedAt),
});

type Run = InferEntity<typeof ReconciliationRun>;
const toRun = (r: Run): RunView => ({
  id: r.id, trigger: r.trigger, status: r.status, checked: r.checked, matched: r.matched, findingsCount: r.findingsCount, needsHuman: r.needsHuman,
  window: { start: iso(r.windowStart)!, end: iso(r.windowEnd)! }, startedAt: iso(r.startedAt)!, finishedAt: iso(r.finishedAt), error: r.error ?? null,
});

export async function getRun(em: EntityManager, id: string): Promise<(RunView & { findings: FindingView[] }) | undefined> {
  const run = await em.findOne(ReconciliationRun, { id }, { disableIdentityMap: true });
  if (!run) return undefined;
  const findings = await em.find(ReconciliationFinding, { runId: id }, { orderBy: { id: 'asc' }, disableIdentityMap: true });
  return { ...toRun(run), findings: findings.map(toFinding) };
}

export async function listRuns(em: EntityManager, q: { limit: number; cursor?: string }): Promise<Paged<RunView>> {
  const c = decodeCursor(q.cursor, 2);
  const qb = em.createQueryBuilder(ReconciliationRun).select('*').orderBy({ startedAt: 'desc', id: 'desc' }).limit(q.limit + 1);
  // A row-value comparison: the keyset the (started_at desc, id desc) order pages by.
  if (c) qb.where('(started_at, id) < (?::timestamptz, ?::uuid)', c);
  const rows: Run[] = await qb.execute('all');
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { data: page.map(toRun), nextCursor: rows.length > q.limit && last ? encodeCursor([new Date(last.startedAt).toISOString(), last.id]) : null };
}

export async function listFindings(em: EntityManager, q: { open?: boolean; needsHuman?: boolean; kind?: string; orderId?: string; runId?: string; limit: number; cursor?: string }): Promise<Paged<FindingView>> {
  const where: FilterQuery<Finding> = {};
  if (q.open !== undefined) where.resolvedAt = q.open ? null : { $ne: null };
  if (q.needsHuman !== undefined) where.needsHuman = q.needsHuman;
  if (q.kind) where.kind = q.kind;
  if (q.orderId) where.orderId = q.orderId;
  if (q.runId) where.runId = q.runId;
  const c = decodeCursor(q.cursor, 1);
  if (c) where.id = { $lt: Number(c[0]) };
  const rows = await em.find(ReconciliationFinding, where, { orderBy: { id: 'desc' }, limit: q.limit + 1, disableIdentityMap: true });
  const page = rows.slice(0, q.limit);
  return { data: page.map(toFinding), nextCursor: rows.length > q.limit ? encodeCursor([page[page.length - 1].id]) : null };
}

export interface LedgerQuery {
  orderId?: string;
  providerReference?: string;
  type?: string;
  source?: string;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

type LedgerRow = {
  id: string; order_id: string | null; provider: string; provider_event_id: string; type: string; source: string; provider_reference: string | null;
  amount: number | null; currency: string | null; status: string | null; created_at: Date;
  p_status: string | null; p_amount: number | null; p_captured: number | null; p_refunded: number | null;
  o_status: string | null; o_customer: string | null; o_total: number | null;
};

/** The ledger, oldest first (finance reads it like a bank statement). */
export async function listLedger(em: EntityManager, q: LedgerQuery): Promise<Paged<LedgerEntryView>> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.orderId) { where.push('e.order_id = ?'); params.push(q.orderId); }
  if (q.providerReference) { where.push('e.provider_reference = ?'); params.push(q.providerReference); }
  if (q.type) { where.push('e.type = ?'); params.push(q.type); }
  if (q.source) { where.push('e.source = ?'); params.push(q.source); }
  if (q.from) { where.push('e.created_at >= ?'); params.push(q.from); }
  if (q.to) { where.push('e.created_at < ?'); params.push(q.to); }
  const c = decodeCursor(q.cursor, 1);
  if (c) { where.push('e.id > ?'); params.push(Number(c[0])); }
  // Hand-written: a three-table read model (the ledger with its payment and order beside each row).
  const rows = await em.getConnection().execute<LedgerRow[]>(
    `select e.id, e.order_id, e.provider, e.provider_event_id, e.type, e.source, e.provider_reference, e.amount, e.currency, e.status, e.created_at,
       p.status as p_status, p.amount as p_amount, p.captured_amount as p_captured, p.refunded_amount as p_refunded,
       o.status as o_status, o.customer_id as o_customer, o.total_amount as o_total
     from payment_events e left join payments p on p.order_id = e.order_id left join orders o on o.id = e.order_id
     ${where.length ? `where ${where.join(' and ')}` : ''} order by e.id limit ?`, [...params, q.limit + 1]);
  const page = rows.slice(0, q.limit);
  return {
    data: page.map((r) => ({
      id: Number(r.id), orderId: r.order_id, provider: r.provider, providerEventId: r.provider_event_id, type: r.type, source: r.source,
      providerReference: r.provider_reference, amount: r.amount, currency: trim(r.currency), status: r.status, createdAt: iso(r.created_at)!,
      payment: r.p_status ? { status: r.p_status, amount: r.p_amount ?? 0, capturedAmount: r.p_captured ?? 0, refundedAmount: r.p_refunded ?? 0 } : null,
      order: r.o_status ? { status: r.o_status, customerId: r.o_customer!, totalAmount: r.o_total ?? 0 } : null,
    })),
    nextCursor: rows.length > q.limit ? encodeCursor([Number(page[page.length - 1].id)]) : null,
  };
}
