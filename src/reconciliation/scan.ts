// One pass over a window: page through the provider's intents, refunds and events, load
// our orders/payments/ledger for the same window, build one case per intent (or per order
// without one) and classify it. Pure data out; the findings are saved by the caller.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ListWindow, Page, PaymentProvider, ProviderEvent, ProviderPaymentIntent, ProviderRefund } from '../payments/provider.ts';
import { PaymentProviderError } from '../payments/provider.ts';
import { classify, type ClassifyOptions, type FindingDraft, type ReconciliationCase } from './classify.ts';
import { loadLedgerIds, loadOrders, loadOurWindow, type OurRecord } from './store.ts';

const MAX_PAGES = 1000; // 100k objects per kind and run: a hard stop against a runaway cursor

/** All pages of one provider list for the window. */
export async function listAll<T extends { id: string }>(list: (w: ListWindow) => Promise<Page<T>>, window: { createdGte: number; createdLt: number }): Promise<T[]> {
  const out: T[] = [];
  let startingAfter: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await list({ ...window, limit: 100, startingAfter });
    out.push(...r.data);
    if (!r.hasMore || r.data.length === 0) break;
    startingAfter = r.nextCursor ?? r.data[r.data.length - 1].id;
  }
  return out;
}

/** retrieve(), with "no such intent" as undefined (other errors propagate and the activity retries). */
export async function retrieveOrUndefined(provider: PaymentProvider, id: string): Promise<ProviderPaymentIntent | undefined> {
  try {
    return await provider.retrieve(id);
  } catch (err) {
    if (err instanceof PaymentProviderError && (err.httpStatus === 404 || err.code === 'resource_missing')) return undefined;
    throw err;
  }
}

export interface ScannedCase {
  key: string;
  case: ReconciliationCase;
  result: ReturnType<typeof classify>;
}

export interface ScanResult {
  cases: ScannedCase[];
  checked: number;
  matched: number;
  inFlight: number;
  findings: FindingDraft[];
  /** Orders and references judged in this run (matched or with findings; not in flight). */
  examined: { orderIds: string[]; references: string[] };
}

function groupBy<T>(items: T[], key: (t: T) => string | undefined): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    if (!k) continue;
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

export async function scanWindow(
  em: EntityManager,
  provider: PaymentProvider,
  window: { start: Date; end: Date },
  opts: ClassifyOptions,
): Promise<ScanResult> {
  const w = { createdGte: Math.floor(window.start.getTime() / 1000), createdLt: Math.ceil(window.end.getTime() / 1000) + 1 };
  const [intentsListed, refunds, events] = await Promise.all([
    listAll((x) => provider.listPaymentIntents(x), w),
    listAll<ProviderRefund>((x) => provider.listRefunds(x), w),
    listAll<ProviderEvent>((x) => provider.listEvents(x), w),
  ]);
  const intents = new Map<string, ProviderPaymentIntent>(intentsListed.map((i) => [i.id, i]));

  const ours = new Map<string, OurRecord>((await loadOurWindow(em, window.start)).map((r) => [r.order.id, r]));
  const missingOrders = [...new Set(intentsListed.map((i) => i.orderId).filter((id): id is string => !!id && !ours.has(id)))];
  for (const r of await loadOrders(em, missingOrders)) ours.set(r.order.id, r);

  // Intents the listing did not return (created before the window) but that we or a refund name.
  const wanted = new Set<string>();
  for (const r of ours.values()) if (r.payment?.providerReference && !intents.has(r.payment.providerReference)) wanted.add(r.payment.providerReference);
  for (const r of refunds) if (!intents.has(r.paymentIntentId)) wanted.add(r.paymentIntentId);
  for (const id of wanted) {
    const i = await retrieveOrUndefined(provider, id);
    if (i) intents.set(i.id, i);
  }

  const refundsByIntent = groupBy(refunds, (r) => r.paymentIntentId);
  const eventsByIntent = groupBy(events, (e) => e.paymentIntentId);
  const ordersByRef = new Map<string, OurRecord>();
  for (const r of ours.values()) if (r.payment?.providerReference) ordersByRef.set(r.payment.providerReference, r);

  const allOrderIds = [...new Set([...ours.keys(), ...[...intents.values()].map((i) => i.orderId).filter((x): x is string => !!x)])];
  const ledger = await loadLedgerIds(em, allOrderIds, [...intents.keys()]);
  const ledgerFor = (orderId: string | undefined, ref: string | undefined) => new Set([...(orderId ? ledger.get(orderId) ?? [] : []), ...(ref ? ledger.get(ref) ?? [] : [])]);

  const cases: ScannedCase[] = [];
  const coveredOrders = new Set<string>();
  for (const intent of intents.values()) {
    const rec = (intent.orderId ? ours.get(intent.orderId) : undefined) ?? ordersByRef.get(intent.id);
    const orderId = rec?.order.id ?? intent.orderId;
    if (rec && (!rec.payment?.providerReference || rec.payment.providerReference === intent.id)) coveredOrders.add(rec.order.id);
    const c: ReconciliationCase = {
      orderId, order: rec?.order, payment: rec?.payment, intent,
      refunds: refundsByIntent.get(intent.id) ?? [], events: eventsByIntent.get(intent.id) ?? [], ledgerIds: ledgerFor(orderId, intent.id),
    };
    cases.push({ key: intent.id, case: c, result: classify(c, opts) });
  }
  for (const rec of ours.values()) {
    if (coveredOrders.has(rec.order.id)) continue;
    const c: ReconciliationCase = { orderId: rec.order.id, order: rec.order, payment: rec.payment, refunds: [], events: [], ledgerIds: ledgerFor(rec.order.id, undefined) };
    cases.push({ key: rec.order.id, case: c, result: classify(c, opts) });
  }

  let matched = 0;
  let inFlight = 0;
  const findings: FindingDraft[] = [];
  const examined = { orderIds: [] as string[], references: [] as string[] };
  for (const s of cases) {
    if (s.result.outcome === 'in_flight') {
      inFlight++;
      continue;
    }
    if (s.case.orderId) examined.orderIds.push(s.case.orderId);
    if (s.case.intent) examined.references.push(s.case.intent.id);
    if (s.result.outcome === 'matched') matched++;
    else findings.push(...s.result.findings);
  }
  return { cases, checked: cases.length, matched, inFlight, findings, examined };
}

/** Loads one case afresh (for the check right before a repair moves money). */
export async function loadCase(em: EntityManager, provider: PaymentProvider, ref: { orderId: string | null; paymentIntentId: string | null }): Promise<ReconciliationCase> {
  const rec = ref.orderId ? (await loadOrders(em, [ref.orderId]))[0] : undefined;
  const intentId = ref.paymentIntentId ?? rec?.payment?.providerReference ?? undefined;
  const intent = intentId ? await retrieveOrUndefined(provider, intentId) : undefined;
  const orderId = rec?.order.id ?? intent?.orderId ?? undefined;
  return { orderId, order: rec?.order, payment: rec?.payment, intent, refunds: [], events: [], ledgerIds: new Set() };
}
