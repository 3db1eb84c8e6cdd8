// Placeholder: the reconciliation workflow is being written (issue 6).
import type { ReconciliationInput, ReconciliationSummary } from './contracts.ts';

export async function reconciliation(_input: ReconciliationInput): Promise<ReconciliationSummary> {
  throw new Error('not implemented yet');
}
