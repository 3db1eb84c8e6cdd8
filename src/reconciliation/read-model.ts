// What finance reads: reconciliation runs with their findings, open findings, and the
// payment ledger (payment_events joined with payments and orders). Keyset pagination with
// opaque cursors; every list answers { data, nextCursor }.
import type { EntityManager } from '@mikro-orm/postgresql';

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

const iso = (d: Date | string | null): string | null => (d ? new Date(d).toISOString() : null);
const trim = (s: string | null) => (s === null ? null : s.trim());

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

type FindingRow = {
  id: string; run_id: string; kind: string; order_id: string | null; provider_reference: string | null; our_amount: number | null; provider_amount: number | null;
  currency: string | null; our_status: string | null; provider_status: string | null; action: string; action_outcome: string | null; needs_human: boolean;
  details: Record<string, unknown> | null; created_at: Date; resolved_at: Date | null;
};
const toFinding = (r: FindingRow): FindingView => ({
  id: Number(r.id), runId: r.run_id, kind: r.kind, orderId: r.order_id, providerReference: r.provider_reference, ourAmount: r.our_amount,
  providerAmount: r.provider_amount, currency: trim(r.currency), ourStatus: r.our_status, providerStatus: r.provider_status, action: r.action,
  actionOutcome: r.action_outcome, needsHuman: r.needs_human, details: r.details, createdAt: iso(r.created_at)!, resolvedAt: iso(r.resolved_at),
});

type RunRow = { id: string; trigger: string; status: string; checked: number; matched: number; findings_count: number; needs_human: number; window_start: Date; window_end: Date; started_at: Date; finished_at: Date | null; error: string | null };
const toRun = (r: RunRow): RunView => ({
  id: r.id, trigger: r.trigger, status: r.status, checked: r.checked, matched: r.matched, findingsCount: r.findings_count, needsHuman: r.needs_human,
  window: { start: iso(r.window_start)!, end: iso(r.window_end)! }, startedAt: iso(r.started_at)!, finishedAt: iso(r.finished_at), error: r.error,
});
const FINDING_COLUMNS = 'id, run_id, kind, order_id, provider_reference, our_amount, provider_amount, currency, our_status, provider_status, action, action_outcome, needs_human, details, created_at, resolved_at';

export async function getRun(em: EntityManager, id: string): Promise<(RunView & { findings: FindingView[] }) | undefined> {
  const conn = em.getConnection();
  const [run] = await conn.execute<RunRow[]>('select * from reconciliation_runs where id = ?', [id]);
  if (!run) return undefined;
  const findings = await conn.execute<FindingRow[]>(`select ${FINDING_COLUMNS} from reconciliation_findings where run_id = ? order by id`, [id]);
  return { ...toRun(run), findings: findings.map(toFinding) };
}

export async function listRuns(em: EntityManager, q: { limit: number; cursor?: string }): Promise<Paged<RunView>> {
  const c = decodeCursor(q.cursor, 2);
  const rows = await em.getConnection().execute<RunRow[]>(
    `select * from reconciliation_runs ${c ? 'where (started_at, id) < (?::timestamptz, ?::uuid)' : ''} order by started_at desc, id desc limit ?`,
    [...(c ?? []), q.limit + 1]);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { data: page.map(toRun), nextCursor: rows.length > q.limit && last ? encodeCursor([new Date(last.started_at).toISOString(), last.id]) : null };
}

export async function listFindings(em: EntityManager, q: { open?: boolean; needsHuman?: boolean; kind?: string; orderId?: string; runId?: string; limit: number; cursor?: string }): Promise<Paged<FindingView>> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.open !== undefined) where.push(q.open ? 'resolved_at is null' : 'resolved_at is not null');
  if (q.needsHuman !== undefined) { where.push('needs_human = ?'); params.push(q.needsHuman); }
  if (q.kind) { where.push('kind = ?'); params.push(q.kind); }
  if (q.orderId) { where.push('order_id = ?'); params.push(q.orderId); }
  if (q.runId) { where.push('run_id = ?'); params.push(q.runId); }
  const c = decodeCursor(q.cursor, 1);
  if (c) { where.push('id < ?'); params.push(Number(c[0])); }
  const rows = await em.getConnection().execute<FindingRow[]>(
    `select ${FINDING_COLUMNS} from reconciliation_findings ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit ?`, [...params, q.limit + 1]);
  const page = rows.slice(0, q.limit);
  return { data: page.map(toFinding), nextCursor: rows.length > q.limit ? encodeCursor([Number(page[page.length - 1].id)]) : null };
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
