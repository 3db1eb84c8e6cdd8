// payment.action (docs/design.md §4) is read defensively: the pages work with an API that exposes it
// and with one that does not yet (then only payment.reference is there).
import { describe, expect, it } from '@jest/globals';
import { paymentActionOf, type Order } from '../../client/src/index.ts';

const order = (payment: Record<string, unknown>) => ({ id: 'x', status: 'AWAITING_PAYMENT_ACTION', payment }) as unknown as Order;

describe('paymentActionOf', () => {
  it('returns the authenticate action with its client secret and optional redirect URL', () => {
    expect(paymentActionOf(order({ status: 'REQUIRES_ACTION', action: { type: 'authenticate', clientSecret: 'pi_1_secret_2' } }))).toEqual({ type: 'authenticate', clientSecret: 'pi_1_secret_2' });
    expect(paymentActionOf(order({ status: 'REQUIRES_ACTION', action: { type: 'authenticate', clientSecret: 'pi_1_secret_2', redirectUrl: 'https://x/3ds' } })))
      .toEqual({ type: 'authenticate', clientSecret: 'pi_1_secret_2', redirectUrl: 'https://x/3ds' });
  });

  it('is undefined when the order has no (or an unknown) action', () => {
    expect(paymentActionOf(order({ status: 'REQUIRES_ACTION', reference: 'pi_1' }))).toBeUndefined();
    expect(paymentActionOf(order({ status: 'REQUIRES_ACTION', action: { type: 'redirect', url: 'x' } }))).toBeUndefined();
    expect(paymentActionOf(order({ status: 'REQUIRES_ACTION', action: { type: 'authenticate' } }))).toBeUndefined();
  });
});
