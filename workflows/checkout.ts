// Placeholder: the checkout saga is being written (issue 4).
import type { CheckoutInput } from './contracts.ts';

export async function checkout(_input: CheckoutInput): Promise<void> {
  throw new Error('not implemented yet');
}
