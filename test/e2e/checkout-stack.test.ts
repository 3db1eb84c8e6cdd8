// The in-process stack (test/helpers/stack.ts) runs real checkouts end to end: real
// Temporal dev server, Postgres, Redis, the sandbox through the real Stripe SDK.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

describe('test stack: in-process workers, real services', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('confirms and captures a paid order', async () => {
    const { handle, recorded } = await stack.startOrder({ lines: [{ sku: 'AUD-HEADPHONES-01', quantity: 1 }], aftercareWindow: '1s' });
    expect(recorded).toMatchObject({ status: 'PENDING', totalAmount: 12900, currency: 'USD' });
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'CAPTURED' });
    const [intent] = await stack.sandbox.intents({ orderId: recorded.orderId });
    expect(intent).toMatchObject({ status: 'succeeded', amount_received: 12900 });
  });
});
