// The same provider contract against real Stripe test mode. Runs only with
// STRIPE_SECRET_KEY=sk_test_… (a real key) and STRIPE_API_BASE=stripe; otherwise it is
// skipped with the reason printed, so the offline suite stays green.
import { describe, it } from '@jest/globals';
import { loadConfig } from '../../../src/infra/config.ts';
import { createStripeProvider } from '../../../src/payments/stripe-provider.ts';
import { definePaymentProviderContract } from './provider-contract.ts';

const key = process.env.STRIPE_SECRET_KEY ?? '';
const live = /^sk_test_[A-Za-z0-9]{20,}$/.test(key) && key !== 'sk_test_sandbox' && process.env.STRIPE_API_BASE === 'stripe';

if (!live) {
  console.warn('[payments] real-Stripe contract tests skipped: set STRIPE_SECRET_KEY to a real sk_test_ key and STRIPE_API_BASE=stripe to run them.');
  describe('Stripe provider against real Stripe (test mode)', () => {
    it.skip('needs STRIPE_SECRET_KEY=sk_test_… and STRIPE_API_BASE=stripe', () => undefined);
  });
} else {
  const config = loadConfig({ STRIPE_SECRET_KEY: key, STRIPE_API_BASE: 'stripe', STRIPE_MAX_NETWORK_RETRIES: '2', STRIPE_TIMEOUT_MS: '20000' });
  const provider = createStripeProvider(config.stripe);
  describe('Stripe provider against real Stripe (test mode)', () => {
    definePaymentProviderContract({ provider: () => provider });
  });
}
