// Persistence of reconciliation: runs (upsert by id, so a resumed run keeps its window),
// findings (unique per run, kind, reference and order; an open finding from an earlier run
// is re-observed, not raised again), and the queries that load our side of a window.
import { raw, type EntityManager } from '@mikro-orm/postgresql';
import { PaymentEvent } from '../payments/entities.ts';
import { ReconciliationFinding, ReconciliationRun } from './entities.ts';
import { findingKey, type FindingDraft, type OurOrder, type OurPayment, type RepairAction } from './classify.ts';
import { isUuid, type OrderStatus, type PaymentStatus } from '../contracts/index.ts';

export interface RunWindow {
  runId: string;
  windowStart: string; // ISO
  windowEnd: string; // ISO
  resumed: boolean;
}

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(',');

/** Creates the run row (or returns the existing one: a resumed run keeps its window). */
export async function beginRun(em: EntityManager, r: { runId: string; trigger: 'schedule' | 'manual'; lookbackMs: number; now?: Date }): Promise<RunWindow> {
  const now = r.now ?? new Date();
  const prev = await em.findOne(ReconciliationRun, { status: 'COMPLETED', id: { $ne: r.runId } }, { fields: ['windowEnd'], orderBy: { windowEnd: 'desc' }, disableIdentityMap: true });
  const prevEnd = prev?.windowEnd.getTime();
  // Overlap with the previous window so that late changes near its end are seen again.
  const start = new Date(Math.min(prevEnd ?? now.getTime(), now.getTime()) - r.lookbackMs);
  const inserted = await em.createQueryBuilder(ReconciliationRun)
    .insert({ id: r.runId, trigger: r.trigger, status: 'RUNNING', windowStart: start, windowEnd: now })
    .onConflict('id').ignore()
    .execute('run');
  const row = await em.findOneOrFail(ReconciliationRun, { id: r.runId }, { fields: ['windowStart', 'windowEnd', 'status'], disableIdentityMap: true });
  const resumed = inserted.affectedRows === 0;
  if (resumed && row.status !== 'RUNNING') {
    await em.nativeUpdate(ReconciliationRun, { id: r.runId }, { status: 'RUNNING', error: null, finishedAt: null });
  }
  return { runId: r.runId, windowStart: row.windowStart.toISOString(), windowEnd: row.windowEnd.toISOString(), resumed };
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
  // Hand-written: a two-table read model (left join plus a correlated exists over the timeline)
  // with an OR of five conditions; the query builder would only wrap the same SQL in fragments.
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
  const ids = orderIds.filter(isUuid);
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    // The same hand-written read model as loadOurWindow (see there).
    const rows = await em.getConnection().execute<OrderPaymentRow[]>(`${ORDER_PAYMENT_SELECT} where o.id in (${placeholders(chunk.length)})`, chunk);
    out.push(...rows.map(toRecord));
  }
  return out;
}

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
  const ids = orderIds.filter(isUuid);
  const collect = async (property: 'orderId' | 'providerReference', values: string[]) => {
    for (let i = 0; i < values.length; i += 500) {
      const chunk = values.slice(i, i + 500);
      // The payload as Postgres prints it (jsonb::text): only the ids in it matter.
      const rows: { orderId: string | null; providerReference: string | null; providerEventId: string; payload: string | null }[] = await em
        .createQueryBuilder(PaymentEvent)
        .select(['orderId', 'providerReference', 'providerEventId', raw('payload::text as payload')])
        .where({ [property]: { $in: chunk } })
        .execute('all');
      for (const r of rows) {
        const mentioned = [r.providerEventId, ...(r.payload?.match(PROVIDER_IDS) ?? [])];
        for (const m of mentioned) {
          add(r.orderId, m);
          add(r.providerReference, m);
        }
      }
    }
  };
  await collect('orderId', ids);
  await collect('providerReference', references);
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

const FINDING_FIELDS = ['runId', 'kind', 'orderId', 'providerReference', 'action', 'actionOutcome', 'needsHuman', 'details', 'resolvedAt'] as const;
// Nullable entity properties are typed `T | null | undefined`; a loaded row holds null.
type FindingRow = {
  id: number; runId: string; kind: string; orderId?: string | null; providerReference?: string | null; action: string;
  actionOutcome?: string | null; needsHuman: boolean; details?: Record<string, unknown> | null; resolvedAt?: Date | null;
};

const rowToSaved = (r: FindingRow, isNew: boolean): SavedFinding => ({
  id: r.id, runId: r.runId, isNew, kind: r.kind, action: r.action as RepairAction, actionOutcome: r.actionOutcome ?? null, needsHuman: r.needsHuman,
  orderId: r.orderId ?? null, providerReference: r.providerReference ?? null, details: r.details ?? null,
});

/**
 * Saves this run's findings. A discrepancy already open from an earlier run is returned as
 * that earlier finding (not raised again); re-saving after a crash hits the unique key.
 */
export async function saveFindings(em: EntityManager, runId: string, drafts: FindingDraft[]): Promise<SavedFinding[]> {
  const open = await em.find(ReconciliationFinding, { resolvedAt: null, runId: { $ne: runId } }, { fields: FINDING_FIELDS, disableIdentityMap: true });
  const openByKey = new Map(open.map((r) => [findingKey({ kind: r.kind as FindingDraft['kind'], orderId: r.orderId ?? null, providerReference: r.providerReference ?? null }), r]));
  const out: SavedFinding[] = [];
  for (const d of drafts) {
    const earlier = openByKey.get(findingKey(d));
    if (earlier) {
      out.push(rowToSaved(earlier, false));
      continue;
    }
    // Unique per (run, kind, reference, order) — also when order_id is null (an intent
    // without an order), which the table's unique constraint alone would not catch.
    // Hand-written: a guarded insert (insert … select … where not exists, null-safe through
    // `is not distinct from`) is one statement; the query builder has no insert-select-where.
    const inserted = await em.getConnection().execute<{ id: string }[]>(
      `insert into reconciliation_findings (run_id, kind, order_id, provider_reference, our_amount, provider_amount, currency, our_status, provider_status, action, needs_human, details)
       select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
       where not exists (select 1 from reconciliation_findings where run_id = ? and kind = ? and order_id is not distinct from ?::uuid and provider_reference is not distinct from ?)
       on conflict do nothing returning id`,
      [runId, d.kind, d.orderId, d.providerReference, d.ourAmount, d.providerAmount, d.currency, d.ourStatus, d.providerStatus, d.action, d.needsHuman, JSON.stringify(d.details),
        runId, d.kind, d.orderId, d.providerReference]);
    // A null in the filter is `is null`: the same row as the guard's `is not distinct from`.
    const row = await em.findOneOrFail(ReconciliationFinding, { runId, kind: d.kind, orderId: d.orderId, providerReference: d.providerReference }, { fields: FINDING_FIELDS, disableIdentityMap: true });
    if (row.resolvedAt) continue; // repaired before the crash
    out.push(rowToSaved(row, inserted.length > 0));
  }
  return out;
}

/**
 * Open findings about cases this run examined (and did not raise again) are resolved: the
 * discrepancy is gone (repaired by us, by the checkout or by a human).
 */
export async function resolveVanished(em: EntityManager, runId: string, examined: { orderIds: string[]; references: string[] }, stillOpenIds: number[]): Promise<number> {
  const open = await em.find(ReconciliationFinding, { resolvedAt: null }, { fields: ['orderId', 'providerReference'], disableIdentityMap: true });
  const orders = new Set(examined.orderIds);
  const refs = new Set(examined.references);
  const keep = new Set(stillOpenIds);
  const ids = open
    .filter((f) => !keep.has(f.id) && ((f.orderId && orders.has(f.orderId)) || (f.providerReference && refs.has(f.providerReference))))
    .map((f) => f.id);
  if (!ids.length) return 0;
  await em.createQueryBuilder(ReconciliationFinding)
    .update({ resolvedAt: raw('now()'), details: raw(`coalesce(details, '{}'::jsonb) || jsonb_build_object('resolvedByRun', ?::text)`, [runId]) })
    .where({ id: { $in: ids }, resolvedAt: null })
    .execute('run');
  return ids.length;
}

export async function findingById(em: EntityManager, id: number): Promise<(SavedFinding & { resolvedAt: Date | null }) | undefined> {
  const r = await em.findOne(ReconciliationFinding, { id }, { fields: FINDING_FIELDS, disableIdentityMap: true });
  return r ? { ...rowToSaved(r, false), resolvedAt: r.resolvedAt ?? null } : undefined;
}

/** Records what a repair did. `resolved` closes the finding; `needsHuman` escalates it. */
export async function recordRepair(em: EntityManager, f: { findingId: number; outcome: string; resolved: boolean; needsHuman?: boolean; details?: Record<string, unknown> }): Promise<void> {
  // One statement, each column computed from its current value (no read-modify-write).
  await em.createQueryBuilder(ReconciliationFinding)
    .update({
      actionOutcome: f.outcome,
      needsHuman: raw('needs_human or ?', [f.needsHuman ?? false]),
      resolvedAt: f.resolved ? raw('coalesce(resolved_at, now())') : raw('resolved_at'),
      details: raw(`coalesce(details, '{}'::jsonb) || ?::jsonb`, [JSON.stringify({ ...(f.details ?? {}), lastOutcome: f.outcome })]),
    })
    .where({ id: f.findingId })
    .execute('run');
}

export interface RunCounts {
  checked: number;
  matched: number;
  findings: number;
  needsHuman: number;
}

/** Marks the run finished. findings = new in this run; needsHuman = open findings needing a human. */
export async function finishRun(em: EntityManager, runId: string, status: 'COMPLETED' | 'FAILED', counts: Pick<RunCounts, 'checked' | 'matched'> | undefined, error?: string): Promise<RunCounts> {
  const findings = await em.count(ReconciliationFinding, { runId });
  const needsHuman = await em.count(ReconciliationFinding, { needsHuman: true, resolvedAt: null });
  await em.createQueryBuilder(ReconciliationRun)
    .update({
      status, findingsCount: findings, needsHuman, error: error ?? null, finishedAt: raw('now()'),
      ...(counts ? { checked: counts.checked, matched: counts.matched } : {}),
    })
    .where({ id: runId })
    .execute('run');
  const row = await em.findOne(ReconciliationRun, { id: runId }, { fields: ['checked', 'matched'], disableIdentityMap: true });
  return { checked: row?.checked ?? 0, matched: row?.matched ?? 0, findings, needsHuman };
}

/** Age (s) of the oldest unresolved finding that needs a human; 0 when none. */
export async function oldestUnresolvedAgeSeconds(em: EntityManager): Promise<number> {
  const r: { age: string | null } | undefined = await em.createQueryBuilder(ReconciliationFinding)
    .select(raw('extract(epoch from now() - min(created_at)) as age'))
    .where({ needsHuman: true, resolvedAt: null })
    .execute('get');
  return r?.age ? Math.max(0, Math.round(Number(r.age))) : 0;
}

export async function saveRunProgress(em: EntityManager, runId: string, counts: { checked: number; matched: number }): Promise<void> {
  await em.nativeUpdate(ReconciliationRun, { id: runId }, { checked: counts.checked, matched: counts.matched });
}
