// Persistence of reconciliation: runs (upsert by id, so a resumed run keeps its window),
// findings (unique per run, kind, reference and order; an open finding from an earlier run
// is re-observed, not raised again), and the queries that load our side of a window.
import type { EntityManager } from '@mikro-orm/postgresql';
import { findingKey, type FindingDraft, type OurOrder, type OurPayment, type RepairAction } from './classify.ts';
import type { OrderStatus, PaymentStatus } from '../contracts/index.ts';

export interface RunWindow {
  runId: string;
  windowStart: string; // ISO
  windowEnd: string; // ISO
  resumed: boolean;
}

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(',');

/** Creates the run row (or returns the existing one: a resumed run keeps its window). */
export async function beginRun(em: EntityManager, r: { runId: string; trigger: 'schedule' | 'manual'; lookbackMs: number; now?: Date }): Promise<RunWindow> {
  const conn = em.getConnection();
  const now = r.now ?? new Date();
  const [prev] = await conn.execute<{ window_end: Date | null }[]>(
    "select max(window_end) as window_end from reconciliation_runs where status = 'COMPLETED' and id <> ?", [r.runId]);
  const prevEnd = prev?.window_end ? new Date(prev.window_end).getTime() : undefined;
  // Overlap with the previous window so that late changes near its end are seen again.
  const start = new Date(Math.min(prevEnd ?? now.getTime(), now.getTime()) - r.lookbackMs);
  const inserted = await conn.execute<{ id: string }[]>(
    `insert into reconciliation_runs (id, trigger, status, window_start, window_end) values (?, ?, 'RUNNING', ?, ?)
     on conflict (id) do nothing returning id`, [r.runId, r.trigger, start, now]);
  const [row] = await conn.execute<{ window_start: Date; window_end: Date; status: string }[]>(
    'select window_start, window_end, status from reconciliation_runs where id = ?', [r.runId]);
  if (inserted.length === 0 && row.status !== 'RUNNING') {
    await conn.execute("update reconciliation_runs set status = 'RUNNING', error = null, finished_at = null where id = ?", [r.runId]);
  }
  return { runId: r.runId, windowStart: new Date(row.window_start).toISOString(), windowEnd: new Date(row.window_end).toISOString(), resumed: inserted.length === 0 };
}

type OrderPaymentRow = {
  id: string; status: OrderStatus; total_amount: number; currency: string; attention: string | null; updated_at: Date; cancel_requested: boolean;
  p_reference: string | null; p_amount: number | null; p_currency: string | null; p_status: PaymentStatus | null;
  p_captured: number | null; p_refunded: number | null; p_updated_at: Date | null;
};

export interface OurRecord {
  order: OurOrder;
  payment?: OurPayment;
}

const ORDER_PAYMENT_SELECT = `select o.id, o.status, o.total_amount, o.currency, o.attention, o.updated_at,
    exists (select 1 from order_events e where e.order_id = o.id and e.type = 'cancel_requested') as cancel_requested,
    p.provider_reference as p_reference, p.amount as p_amount, p.currency as p_currency, p.status as p_status,
    p.captured_amount as p_captured, p.refunded_amount as p_refunded, p.updated_at as p_updated_at
  from orders o left join payments p on p.order_id = o.id`;

function toRecord(r: OrderPaymentRow): OurRecord {
  return {
    order: { id: r.id, status: r.status, totalAmount: r.total_amount, currency: r.currency.trim(), attention: r.attention, updatedAt: new Date(r.updated_at).getTime(), cancelRequested: r.cancel_requested },
    payment: r.p_status
      ? {
        orderId: r.id, providerReference: r.p_reference, amount: r.p_amount ?? 0, currency: (r.p_currency ?? r.currency).trim(), status: r.p_status,
        capturedAmount: r.p_captured ?? 0, refundedAmount: r.p_refunded ?? 0, updatedAt: new Date(r.p_updated_at ?? r.updated_at).getTime(),
      }
      : undefined,
  };
}

/**
 * Our orders (with their payment) that belong to the window: created or changed in it, or
 * still owing a capture (confirmed, not captured — whatever their age), or named by an
 * open finding. The provider side is matched against these.
 */
export async function loadOurWindow(em: EntityManager, windowStart: Date): Promise<OurRecord[]> {
  const rows = await em.getConnection().execute<OrderPaymentRow[]>(
    `${ORDER_PAYMENT_SELECT}
     where o.created_at >= ? or o.updated_at >= ? or p.updated_at >= ?
        or (o.status = 'CONFIRMED' and (p.status is null or p.status not in ('CAPTURED', 'REFUNDED')))
        or o.id in (select f.order_id from reconciliation_findings f where f.resolved_at is null and f.order_id is not null)`,
    [windowStart, windowStart, windowStart]);
  return rows.map(toRecord);
}

/** Our records for specific orders (those named by provider intents outside our window). */
export async function loadOrders(em: EntityManager, orderIds: string[]): Promise<OurRecord[]> {
  const out: OurRecord[] = [];
  const ids = orderIds.filter((id) => UUID.test(id));
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await em.getConnection().execute<OrderPaymentRow[]>(`${ORDER_PAYMENT_SELECT} where o.id in (${placeholders(chunk.length)})`, chunk);
    out.push(...rows.map(toRecord));
  }
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PROVIDER_IDS = /\b(?:re|evt|pi|ch)_[A-Za-z0-9]+/g;

/**
 * Everything our ledger knows by id, per order and per provider reference: provider event
 * ids plus any provider object id mentioned in a row's payload (e.g. the refund id of our
 * own refund call).
 */
export async function loadLedgerIds(em: EntityManager, orderIds: string[], references: string[]): Promise<Map<string, Set<string>>> {
  const byKey = new Map<string, Set<string>>();
  const add = (k: string | null, v: string) => {
    if (!k) return;
    let s = byKey.get(k);
    if (!s) byKey.set(k, (s = new Set()));
    s.add(v);
  };
  const ids = orderIds.filter((id) => UUID.test(id));
  const conn = em.getConnection();
  const collect = async (column: 'order_id' | 'provider_reference', values: string[]) => {
    for (let i = 0; i < values.length; i += 500) {
      const chunk = values.slice(i, i + 500);
      const rows = await conn.execute<{ order_id: string | null; provider_reference: string | null; provider_event_id: string; payload: string | null }[]>(
        `select order_id, provider_reference, provider_event_id, payload::text as payload from payment_events where ${column} in (${placeholders(chunk.length)})`, chunk);
      for (const r of rows) {
        const mentioned = [r.provider_event_id, ...(r.payload?.match(PROVIDER_IDS) ?? [])];
        for (const m of mentioned) {
          add(r.order_id, m);
          add(r.provider_reference, m);
        }
      }
    }
  };
  await collect('order_id', ids);
  await collect('provider_reference', references);
  return byKey;
}

export interface SavedFinding {
  id: number;
  runId: string;
  isNew: boolean;
  kind: string;
  action: RepairAction;
  actionOutcome: string | null;
  needsHuman: boolean;
  orderId: string | null;
  providerReference: string | null;
  details: Record<string, unknown> | null;
}

type FindingRow = {
  id: string | number; run_id: string; kind: string; order_id: string | null; provider_reference: string | null; action: RepairAction;
  action_outcome: string | null; needs_human: boolean; details: Record<string, unknown> | null; resolved_at: Date | null;
};

const rowToSaved = (r: FindingRow, isNew: boolean): SavedFinding => ({
  id: Number(r.id), runId: r.run_id, isNew, kind: r.kind, action: r.action, actionOutcome: r.action_outcome, needsHuman: r.needs_human,
  orderId: r.order_id, providerReference: r.provider_reference, details: r.details,
});

/**
 * Saves this run's findings. A discrepancy already open from an earlier run is returned as
 * that earlier finding (not raised again); re-saving after a crash hits the unique key.
 */
export async function saveFindings(em: EntityManager, runId: string, drafts: FindingDraft[]): Promise<SavedFinding[]> {
  const conn = em.getConnection();
  const open = await conn.execute<FindingRow[]>(
    'select id, run_id, kind, order_id, provider_reference, action, action_outcome, needs_human, details, resolved_at from reconciliation_findings where resolved_at is null and run_id <> ?', [runId]);
  const openByKey = new Map(open.map((r) => [findingKey({ kind: r.kind as FindingDraft['kind'], orderId: r.order_id, providerReference: r.provider_reference }), r]));
  const out: SavedFinding[] = [];
  for (const d of drafts) {
    const earlier = openByKey.get(findingKey(d));
    if (earlier) {
      out.push(rowToSaved(earlier, false));
      continue;
    }
    // Unique per (run, kind, reference, order) — also when order_id is null (an intent
    // without an order), which the table's unique constraint alone would not catch.
    const inserted = await conn.execute<{ id: string }[]>(
      `insert into reconciliation_findings (run_id, kind, order_id, provider_reference, our_amount, provider_amount, currency, our_status, provider_status, action, needs_human, details)
       select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
       where not exists (select 1 from reconciliation_findings where run_id = ? and kind = ? and order_id is not distinct from ?::uuid and provider_reference is not distinct from ?)
       on conflict do nothing returning id`,
      [runId, d.kind, d.orderId, d.providerReference, d.ourAmount, d.providerAmount, d.currency, d.ourStatus, d.providerStatus, d.action, d.needsHuman, JSON.stringify(d.details),
        runId, d.kind, d.orderId, d.providerReference]);
    const [row] = await conn.execute<FindingRow[]>(
      `select id, run_id, kind, order_id, provider_reference, action, action_outcome, needs_human, details, resolved_at from reconciliation_findings
       where run_id = ? and kind = ? and order_id is not distinct from ?::uuid and provider_reference is not distinct from ?`,
      [runId, d.kind, d.orderId, d.providerReference]);
    if (row.resolved_at) continue; // repaired before the crash
    out.push(rowToSaved(row, inserted.length > 0));
  }
  return out;
}

/**
 * Open findings about cases this run examined (and did not raise again) are resolved: the
 * discrepancy is gone (repaired by us, by the checkout or by a human).
 */
export async function resolveVanished(em: EntityManager, runId: string, examined: { orderIds: string[]; references: string[] }, stillOpenIds: number[]): Promise<number> {
  const open = await em.getConnection().execute<{ id: string; order_id: string | null; provider_reference: string | null }[]>(
    'select id, order_id, provider_reference from reconciliation_findings where resolved_at is null');
  const orders = new Set(examined.orderIds);
  const refs = new Set(examined.references);
  const keep = new Set(stillOpenIds);
  const ids = open
    .filter((f) => !keep.has(Number(f.id)) && ((f.order_id && orders.has(f.order_id)) || (f.provider_reference && refs.has(f.provider_reference))))
    .map((f) => Number(f.id));
  if (!ids.length) return 0;
  await em.getConnection().execute(
    `update reconciliation_findings set resolved_at = now(), details = coalesce(details, '{}'::jsonb) || jsonb_build_object('resolvedByRun', ?::text)
     where id in (${placeholders(ids.length)}) and resolved_at is null`, [runId, ...ids]);
  return ids.length;
}

export async function findingById(em: EntityManager, id: number): Promise<(SavedFinding & { resolvedAt: Date | null }) | undefined> {
  const [r] = await em.getConnection().execute<FindingRow[]>(
    'select id, run_id, kind, order_id, provider_reference, action, action_outcome, needs_human, details, resolved_at from reconciliation_findings where id = ?', [id]);
  return r && { ...rowToSaved(r, false), resolvedAt: r.resolved_at };
}

/** Records what a repair did. `resolved` closes the finding; `needsHuman` escalates it. */
export async function recordRepair(em: EntityManager, f: { findingId: number; outcome: string; resolved: boolean; needsHuman?: boolean; details?: Record<string, unknown> }): Promise<void> {
  await em.getConnection().execute(
    `update reconciliation_findings set action_outcome = ?, needs_human = needs_human or ?,
       resolved_at = case when ? then coalesce(resolved_at, now()) else resolved_at end,
       details = coalesce(details, '{}'::jsonb) || ?::jsonb
     where id = ?`,
    [f.outcome, f.needsHuman ?? false, f.resolved, JSON.stringify({ ...(f.details ?? {}), lastOutcome: f.outcome }), f.findingId]);
}

export interface RunCounts {
  checked: number;
  matched: number;
  findings: number;
  needsHuman: number;
}

/** Marks the run finished. findings = new in this run; needsHuman = open findings needing a human. */
export async function finishRun(em: EntityManager, runId: string, status: 'COMPLETED' | 'FAILED', counts: Pick<RunCounts, 'checked' | 'matched'> | undefined, error?: string): Promise<RunCounts> {
  const conn = em.getConnection();
  const [{ n: findings }] = await conn.execute<{ n: string }[]>('select count(*) as n from reconciliation_findings where run_id = ?', [runId]);
  const [{ n: needsHuman }] = await conn.execute<{ n: string }[]>('select count(*) as n from reconciliation_findings where needs_human and resolved_at is null');
  await conn.execute(
    `update reconciliation_runs set status = ?, checked = coalesce(?, checked), matched = coalesce(?, matched), findings_count = ?, needs_human = ?,
       error = ?, finished_at = now() where id = ?`,
    [status, counts?.checked ?? null, counts?.matched ?? null, Number(findings), Number(needsHuman), error ?? null, runId]);
  const [row] = await conn.execute<{ checked: number; matched: number }[]>('select checked, matched from reconciliation_runs where id = ?', [runId]);
  return { checked: row?.checked ?? 0, matched: row?.matched ?? 0, findings: Number(findings), needsHuman: Number(needsHuman) };
}

/** Age (s) of the oldest unresolved finding that needs a human; 0 when none. */
export async function oldestUnresolvedAgeSeconds(em: EntityManager): Promise<number> {
  const [r] = await em.getConnection().execute<{ age: string | null }[]>(
    'select extract(epoch from now() - min(created_at)) as age from reconciliation_findings where needs_human and resolved_at is null');
  return r?.age ? Math.max(0, Math.round(Number(r.age))) : 0;
}

export async function saveRunProgress(em: EntityManager, runId: string, counts: { checked: number; matched: number }): Promise<void> {
  await em.getConnection().execute('update reconciliation_runs set checked = ?, matched = ? where id = ?', [counts.checked, counts.matched, runId]);
}
