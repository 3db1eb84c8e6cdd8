// The PaymentProvider contract, run against the sandbox (always) and against real
// Stripe test mode (only with a real sk_test_ key). Not a test file itself: the
// *.test.ts files call definePaymentProviderContract with their own setup.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { PaymentProviderError, type PaymentProvider } from '../../../src/payments/provider.ts';

export interface ContractContext {
  provider: () => PaymentProvider;
}

const order = () => ({ orderId: randomUUID(), customerId: 'cus-contract' });
const authorizeReq = (o: { orderId: string; customerId: string }, paymentMethod = 'pm_card_visa', amount = 2599) => ({
  ...o,
  amount,
  currency: 'USD',
  paymentMethod,
  idempotencyKey: `order-${o.orderId}:authorize`,
});

async function providerError(p: Promise<unknown>): Promise<PaymentProviderError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(PaymentProviderError);
  return err as PaymentProviderError;
}

export function definePaymentProviderContract(ctx: ContractContext): void {
  describe('authorize', () => {
    it('pm_card_visa authorizes a manual-capture PaymentIntent tagged with the order', async () => {
      const o = order();
      const out = await ctx.provider().authorize(authorizeReq(o));
      expect(out.kind).toBe('authorized');
      if (out.kind !== 'authorized') return;
      expect(out.intent).toMatchObject({ status: 'requires_capture', amount: 2599, amountCapturable: 2599, amountReceived: 0, currency: 'USD', orderId: o.orderId, amountRefunded: 0 });
    });

    it('the same idempotency key returns the same PaymentIntent', async () => {
      const o = order();
      const a = await ctx.provider().authorize(authorizeReq(o));
      const b = await ctx.provider().authorize(authorizeReq(o));
      expect(a.kind).toBe('authorized');
      expect(b.kind === 'authorized' && a.kind === 'authorized' && b.intent.id === a.intent.id).toBe(true);
    });

    it('the same key with different parameters is an idempotency error (not retryable)', async () => {
      const o = order();
      await ctx.provider().authorize(authorizeReq(o));
      const err = await providerError(ctx.provider().authorize(authorizeReq(o, 'pm_card_visa', 9999)));
      expect(err).toMatchObject({ code: 'idempotency_error', retryable: false });
    });

    it('pm_card_chargeDeclined is declined as payment_declined (generic_decline)', async () => {
      const out = await ctx.provider().authorize(authorizeReq(order(), 'pm_card_chargeDeclined'));
      expect(out).toMatchObject({ kind: 'declined', code: 'payment_declined', declineCode: 'generic_decline' });
    });

    it('pm_card_chargeDeclinedInsufficientFunds is declined as insufficient_funds', async () => {
      const out = await ctx.provider().authorize(authorizeReq(order(), 'pm_card_chargeDeclinedInsufficientFunds'));
      expect(out).toMatchObject({ kind: 'declined', code: 'insufficient_funds', declineCode: 'insufficient_funds' });
    });

    it('a replayed decline is the same decline', async () => {
      const o = order();
      const a = await ctx.provider().authorize(authorizeReq(o, 'pm_card_chargeDeclined'));
      const b = await ctx.provider().authorize(authorizeReq(o, 'pm_card_chargeDeclined'));
      expect(b).toMatchObject({ kind: 'declined', code: 'payment_declined' });
      expect(a.kind === 'declined' && b.kind === 'declined' && a.intent?.id === b.intent?.id).toBe(true);
    });

    it('pm_card_authenticationRequired needs customer action', async () => {
      const out = await ctx.provider().authorize(authorizeReq(order(), 'pm_card_authenticationRequired'));
      expect(out.kind).toBe('requires_action');
      expect(out.kind === 'requires_action' && out.intent.status).toBe('requires_action');
    });
  });

  describe('capture, void, refund', () => {
    const authorized = async (amount = 5000) => {
      const o = order();
      const out = await ctx.provider().authorize(authorizeReq(o, 'pm_card_visa', amount));
      if (out.kind !== 'authorized') throw new Error(`expected authorized, got ${out.kind}`);
      return { ...o, id: out.intent.id };
    };

    it('captures the full amount once; a repeated capture with the same key is the same result', async () => {
      const pi = await authorized();
      const key = `order-${pi.orderId}:capture`;
      const a = await ctx.provider().capture(pi.id, { idempotencyKey: key });
      expect(a).toMatchObject({ status: 'succeeded', amountReceived: 5000, amountCapturable: 0 });
      const b = await ctx.provider().capture(pi.id, { idempotencyKey: key });
      expect(b).toMatchObject({ id: pi.id, status: 'succeeded', amountReceived: 5000 });
    });

    it('captures part of the amount (amount_to_capture)', async () => {
      const pi = await authorized();
      const a = await ctx.provider().capture(pi.id, { amount: 3000, idempotencyKey: `order-${pi.orderId}:capture` });
      expect(a).toMatchObject({ status: 'succeeded', amountReceived: 3000 });
    });

    it('capturing a second time with a new key → payment_intent_unexpected_state', async () => {
      const pi = await authorized();
      await ctx.provider().capture(pi.id, { idempotencyKey: `order-${pi.orderId}:capture` });
      const err = await providerError(ctx.provider().capture(pi.id, { idempotencyKey: `order-${pi.orderId}:capture-2` }));
      expect(err).toMatchObject({ code: 'payment_intent_unexpected_state', retryable: false, httpStatus: 400 });
    });

    it('void cancels the authorization; capture of a canceled intent → payment_intent_unexpected_state', async () => {
      const pi = await authorized();
      const v = await ctx.provider().void(pi.id, { idempotencyKey: `order-${pi.orderId}:void` });
      expect(v).toMatchObject({ status: 'canceled', amountCapturable: 0 });
      const err = await providerError(ctx.provider().capture(pi.id, { idempotencyKey: `order-${pi.orderId}:capture` }));
      expect(err).toMatchObject({ code: 'payment_intent_unexpected_state', retryable: false });
    });

    it('void of a captured intent → payment_intent_unexpected_state', async () => {
      const pi = await authorized();
      await ctx.provider().capture(pi.id, { idempotencyKey: `order-${pi.orderId}:capture` });
      const err = await providerError(ctx.provider().void(pi.id, { idempotencyKey: `order-${pi.orderId}:void` }));
      expect(err).toMatchObject({ code: 'payment_intent_unexpected_state', retryable: false });
    });

    it('refunds partially then fully; refunding more than captured fails; retrieve shows the refunded sum', async () => {
      const pi = await authorized();
      await ctx.provider().capture(pi.id, { idempotencyKey: `order-${pi.orderId}:capture` });
      const r1 = await ctx.provider().refund(pi.id, { amount: 1000, idempotencyKey: `order-${pi.orderId}:refund-1`, orderId: pi.orderId });
      expect(r1).toMatchObject({ paymentIntentId: pi.id, amount: 1000, currency: 'USD', status: 'succeeded', orderId: pi.orderId });
      const tooMuch = await providerError(ctx.provider().refund(pi.id, { amount: 4001, idempotencyKey: `order-${pi.orderId}:refund-2` }));
      expect(tooMuch.retryable).toBe(false);
      const r2 = await ctx.provider().refund(pi.id, { idempotencyKey: `order-${pi.orderId}:refund-3` });
      expect(r2.amount).toBe(4000);
      expect(await ctx.provider().retrieve(pi.id)).toMatchObject({ status: 'succeeded', amountReceived: 5000, amountRefunded: 5000 });
      const again = await providerError(ctx.provider().refund(pi.id, { idempotencyKey: `order-${pi.orderId}:refund-4` }));
      expect(again.retryable).toBe(false);
    });

    it('refund of an uncaptured intent fails (not retryable)', async () => {
      const pi = await authorized();
      const err = await providerError(ctx.provider().refund(pi.id, { idempotencyKey: `order-${pi.orderId}:refund` }));
      expect(err.retryable).toBe(false);
    });

    it('retrieve of an unknown intent → resource_missing', async () => {
      const err = await providerError(ctx.provider().retrieve('pi_doesnotexist000000000000'));
      expect(err).toMatchObject({ code: 'resource_missing', retryable: false });
    });
  });
}
