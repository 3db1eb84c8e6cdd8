// What ops see of a running checkout in the Temporal Web UI: the search attributes they filter
// on (kept in step with the workflow's state) and the one-line "current details" story.
// Workflow code: deterministic, no I/O.
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { SA, type CheckoutState } from '../src/contracts/index.ts';

/** `$1,234.50`, `€12.00`, or `12.00 CHF` for a currency without a symbol here. */
export function formatMoney(amount: number, currency: string): string {
  const major = (amount / 100).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const symbol = ({ USD: '$', EUR: '€', GBP: '£' } as Record<string, string>)[currency.toUpperCase()];
  return symbol ? `${symbol}${major}` : `${major} ${currency.toUpperCase()}`;
}

/** `14:05 UTC` of an epoch-ms instant. */
export const hhmm = (ms: number) => `${new Date(ms).toISOString().slice(11, 16)} UTC`;

/**
 * The search attributes of one checkout. `lean` runs (2026-12-lean-checkout) upsert only the
 * pairs whose value differs from what the index holds (the start indexed OrderId and
 * CustomerId, which never change); older runs upsert the whole set every time.
 */
export function checkoutVisibility(state: CheckoutState, customerId: string, lean: boolean) {
  // What the index holds now: the start's attributes, then every upsert.
  const indexed = new Map<string, unknown>();
  for (const key of Object.values(SA)) {
    const v = workflowInfo().typedSearchAttributes.get(key as typeof SA.OrderId);
    if (v !== undefined) indexed.set(key.name, v);
  }
  /** Every attribute the workflow keeps indexed, as its state says now. */
  const attributes = (): SearchAttributeUpdatePair[] => {
    const pairs: SearchAttributeUpdatePair[] = [
      { key: SA.OrderId, value: state.orderId },
      { key: SA.CustomerId, value: customerId },
      { key: SA.OrderStatus, value: state.status },
      { key: SA.PaymentStatus, value: state.paymentStatus },
    ];
    if (state.total) pairs.push({ key: SA.OrderTotal, value: state.total.amount });
    if (state.paymentReference) pairs.push({ key: SA.PaymentReference, value: state.paymentReference });
    pairs.push({ key: SA.NeedsAttention, value: state.attention ?? null });
    return pairs;
  };
  return {
    /** Brings the index in line with the state. */
    publish(): void {
      if (!lean) return upsertSearchAttributes(attributes());
      const changed = attributes().filter((p) => p.key !== SA.OrderId && p.key !== SA.CustomerId && (indexed.get(p.key.name) ?? null) !== (p.value ?? null));
      if (!changed.length) return;
      for (const p of changed) indexed.set(p.key.name, p.value ?? null);
      upsertSearchAttributes(changed);
    },
    /** Moves the state to `step` and tells the Web UI what is happening in a sentence. */
    story(step: CheckoutState['step'], details: string): void {
      state.step = step;
      setCurrentDetails(details);
    },
    /** The order's total, formatted for humans ('' until recorded). */
    totalText: (): string => (state.total ? formatMoney(state.total.amount, state.total.currency) : ''),
  };
}
