// The reconciliation rules, one drift at a time: what is a finding, what is repaired how,
// and what is healthy (matched or still in flight) and must not be touched.
import { describe, expect, it } from '@jest/globals';
import type { ProviderEvent, ProviderPaymentIntent, ProviderRefund } from '../../src/payments/provider.ts';
import {
  classify, findingKey, missingRefunds, paymentStatusCovers, reconciliationEventId,
  type ClassifyOptions, type FindingDraft, type OurOrder, type OurPayment, type ReconciliationCase,
} from '../../src/reconciliation/classify.ts';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const LONG_AGO = NOW - 10 * 60_000;
const opts: ClassifyOptions = { now: NOW, graceMs: 120_000, capturedPolicy: 'refund' };
const ORDER = '11111111-1111-5111-8111-111111111111';

const intent = (o: Partial<ProviderPaymentIntent> = {}): ProviderPaymentIntent => ({
  id: 'pi_1', status: 'requires_capture', amount: 1999, amountCapturable: 1999, amountReceived: 0, amountRefunded: 0,
  currency: 'USD', created: LONG_AGO / 1000, orderId: ORDER, ...o,
});
const order = (o: Partial<OurOrder> = {}): OurOrder => ({ id: ORDER, status: 'CONFIRMED', totalAmount: 1999, currency: 'USD', attention: null, updatedAt: LONG_AGO, ...o });
const payment = (o: Partial<OurPayment> = {}): OurPayment => ({
  orderId: ORDER, providerReference: 'pi_1', amount: 1999, currency: 'USD', status: 'AUTHORIZED', capturedAmount: 0, refundedAmount: 0, updatedAt: LONG_AGO, ...o,
});
const kase = (o: Partial<ReconciliationCase> = {}): ReconciliationCase => ({ orderId: ORDER, order: order(), payment: payment(), intent: intent(), refunds: [], events: [], ledgerIds: new Set(), ...o });
const refund = (o: Partial<ProviderRefund> = {}): ProviderRefund => ({ id: 're_1', paymentIntentId: 'pi_1', amount: 500, currency: 'USD', status: 'succeeded', created: LONG_AGO / 1000, ...o });

function only(c: ReconciliationCase, o: ClassifyOptions = opts): FindingDraft {
  const r = classify(c, o);
  if (r.outcome !== 'findings') throw new Error(`expected findings, got ${JSON.stringify(r)}`);
  expect(r.findings).toHaveLength(1);
  return r.findings[0];
}

describe('reconciliation classification', () => {
  it('a confirmed, captured order whose ledger agrees is matched', () => {
    const c = kase({ intent: intent({ status: 'succeeded', amountReceived: 1999, amountCapturable: 0 }), payment: payment({ status: 'CAPTURED', capturedAmount: 1999 }) });
    expect(classify(c, opts)).toEqual({ outcome: 'matched' });
  });

  it('healthy in-flight orders are not findings: PENDING, or changed within the grace period', () => {
    expect(classify(kase({ order: order({ status: 'PENDING' }) }), opts).outcome).toBe('in_flight');
    expect(classify(kase({ order: order({ updatedAt: NOW - 30_000 }) }), opts).outcome).toBe('in_flight');
    expect(classify(kase({ order: undefined, payment: undefined, intent: intent({ created: (NOW - 5_000) / 1000 }) }), opts).outcome).toBe('in_flight');
    // waiting for 3-D Secure and the provider agrees: matched
    const waiting = kase({ order: order({ status: 'AWAITING_PAYMENT_ACTION' }), payment: payment({ status: 'REQUIRES_ACTION' }), intent: intent({ status: 'requires_action' }) });
    expect(classify(waiting, opts)).toEqual({ outcome: 'matched' });
  });

  it('orphan_authorization: an authorization with no order, or whose order failed, is voided', () => {
    const unknown = only(kase({ order: undefined, payment: undefined }));
    expect(unknown).toMatchObject({ kind: 'orphan_authorization', action: 'void', needsHuman: false, orderId: ORDER, providerReference: 'pi_1', providerStatus: 'requires_capture', ourStatus: 'UNKNOWN_ORDER' });
    for (const status of ['REJECTED', 'PAYMENT_FAILED', 'CANCELLED'] as const) {
      expect(only(kase({ order: order({ status }) }))).toMatchObject({ kind: 'orphan_authorization', action: 'void' });
    }
    // a second (duplicate) intent for a live order is an orphan too
    const dup = only(kase({ intent: intent({ id: 'pi_2' }) }));
    expect(dup).toMatchObject({ kind: 'orphan_authorization', providerReference: 'pi_2' });
    // without an order id there is no key of ours to act under: a human decides
    expect(only(kase({ orderId: undefined, order: undefined, payment: undefined, intent: intent({ orderId: undefined }) }))).toMatchObject({ kind: 'orphan_authorization', action: 'none', needsHuman: true });
  });

  it('captured_without_confirmed_order: refunds by default, confirms through the workflow when the policy says so and the order is live', () => {
    const captured = intent({ status: 'succeeded', amountReceived: 1999, amountCapturable: 0 });
    expect(only(kase({ intent: captured, order: order({ status: 'PAYMENT_FAILED' }) }))).toMatchObject({ kind: 'captured_without_confirmed_order', action: 'refund', details: expect.objectContaining({ outstanding: 1999 }) });
    expect(only(kase({ intent: captured, order: undefined, payment: undefined }))).toMatchObject({ kind: 'captured_without_confirmed_order', action: 'refund' });
    const live = only(kase({ intent: captured, order: order({ status: 'AWAITING_PAYMENT_ACTION' }), payment: payment({ status: 'REQUIRES_ACTION' }) }), { ...opts, capturedPolicy: 'confirm' });
    expect(live).toMatchObject({ kind: 'captured_without_confirmed_order', action: 'signal_workflow' });
    // a cancelled order refunded in full is fine
    const refunded = intent({ status: 'succeeded', amountReceived: 1999, amountRefunded: 1999 });
    expect(classify(kase({ intent: refunded, order: order({ status: 'CANCELLED' }), payment: payment({ status: 'REFUNDED', capturedAmount: 1999, refundedAmount: 1999 }) }), opts)).toEqual({ outcome: 'matched' });
  });

  it('confirmed_not_captured: retries the capture; an expired authorization goes to a human and flags the order', () => {
    expect(only(kase())).toMatchObject({ kind: 'confirmed_not_captured', action: 'capture', needsHuman: false });
    const expired = classify(kase({ intent: intent({ status: 'canceled', cancellationReason: 'automatic' }) }), opts);
    if (expired.outcome !== 'findings') throw new Error('expected findings');
    expect(expired.findings[0]).toMatchObject({ kind: 'confirmed_not_captured', action: 'flag_order', needsHuman: true, providerStatus: 'canceled' });
    // and our payments row, still AUTHORIZED, is brought to VOIDED in the ledger
    expect(expired.findings[1]).toMatchObject({ kind: 'ledger_missing_event', action: 'backfill_ledger', details: expect.objectContaining({ paymentStatus: { ours: 'AUTHORIZED', provider: 'VOIDED' } }) });
  });

  it('amount_mismatch / currency_mismatch: a human decides, nothing moves', () => {
    const amount = classify(kase({ payment: payment({ amount: 999 }) }), opts);
    expect(amount.outcome === 'findings' && amount.findings.map((f) => [f.kind, f.action, f.needsHuman])).toEqual([['amount_mismatch', 'none', true]]);
    const currency = classify(kase({ intent: intent({ currency: 'EUR' }) }), opts);
    expect(currency.outcome === 'findings' && currency.findings.map((f) => f.kind)).toEqual(['currency_mismatch']);
  });

  it('ledger_missing_refund: a provider refund our ledger does not know is backfilled', () => {
    const c = kase({
      intent: intent({ status: 'succeeded', amountReceived: 1999, amountRefunded: 500 }),
      payment: payment({ status: 'CAPTURED', capturedAmount: 1999 }),
      refunds: [refund()],
    });
    const f = only(c);
    expect(f).toMatchObject({ kind: 'ledger_missing_refund', action: 'backfill_ledger', ourAmount: 0, providerAmount: 500, details: { refunds: [expect.objectContaining({ id: 're_1', amount: 500 })] } });
    // once our refunded amount agrees, nothing is missing, whatever the ledger calls it
    expect(missingRefunds({ ...c, payment: payment({ status: 'CAPTURED', capturedAmount: 1999, refundedAmount: 500 }) })).toEqual([]);
    expect(missingRefunds({ ...c, ledgerIds: new Set(['re_1']) })).toEqual([]);
  });

  it('ledger_missing_event: our payments row lags the provider (e.g. a lost capture response)', () => {
    const c = kase({ intent: intent({ status: 'succeeded', amountReceived: 1999 }), payment: payment({ status: 'AUTHORIZED' }) });
    expect(only(c)).toMatchObject({ kind: 'ledger_missing_event', action: 'backfill_ledger', details: expect.objectContaining({ paymentStatus: { ours: 'AUTHORIZED', provider: 'CAPTURED' } }) });
    // an event whose effect we already recorded through our own call is not a discrepancy
    const evt: ProviderEvent = { id: 'evt_1', type: 'payment_intent.succeeded', created: LONG_AGO / 1000, paymentIntentId: 'pi_1', object: { status: 'succeeded', amount_received: 1999 } };
    const recorded = kase({ intent: intent({ status: 'succeeded', amountReceived: 1999 }), payment: payment({ status: 'CAPTURED', capturedAmount: 1999 }), events: [evt] });
    expect(classify(recorded, opts)).toEqual({ outcome: 'matched' });
  });

  it('missed_webhook: 3-D Secure completed at the provider while the order waits → signal the workflow', () => {
    const c = kase({ order: order({ status: 'AWAITING_PAYMENT_ACTION' }), payment: payment({ status: 'REQUIRES_ACTION' }) });
    const f = only(c);
    expect(f).toMatchObject({ kind: 'missed_webhook', action: 'signal_workflow' });
    expect(f.details.update).toEqual({ providerEventId: reconciliationEventId('pi_1', 'requires_capture'), type: 'payment_intent.amount_capturable_updated', paymentIntentId: 'pi_1', providerStatus: 'requires_capture', failureCode: undefined });
    expect(reconciliationEventId('pi_1', 'requires_capture')).toBe('reconciliation:pi_1:requires_capture');
    const failed = only(kase({ order: order({ status: 'AWAITING_PAYMENT_ACTION' }), payment: payment({ status: 'REQUIRES_ACTION' }), intent: intent({ status: 'requires_payment_method', lastPaymentError: { code: 'card_declined', declineCode: 'generic_decline' } }) }));
    expect(failed.details.update).toMatchObject({ providerStatus: 'requires_payment_method', type: 'payment_intent.payment_failed', failureCode: 'generic_decline' });
  });

  it('payment status coverage follows the state machine; finding identity ignores the run', () => {
    expect(paymentStatusCovers('CAPTURED', 'AUTHORIZED')).toBe(true);
    expect(paymentStatusCovers('REFUNDED', 'REQUIRES_ACTION')).toBe(true);
    expect(paymentStatusCovers('AUTHORIZED', 'CAPTURED')).toBe(false);
    expect(paymentStatusCovers('VOIDED', 'CAPTURED')).toBe(false);
    expect(findingKey({ kind: 'missed_webhook', orderId: ORDER, providerReference: 'pi_1' })).toBe(`missed_webhook|${ORDER}|pi_1`);
  });
});
