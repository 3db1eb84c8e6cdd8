// The reconciliation workflow's contract: its input and its summary.

export interface ReconciliationInput {
  runId: string;
  trigger: 'schedule' | 'manual';
  /** Window overlap with the previous run, ms. */
  lookbackMs?: number;
  capturedPolicy?: 'refund' | 'confirm';
  /** Cases changed more recently than this are in flight: not findings, not touched (default 2 min). */
  graceMs?: number;
}

export interface ReconciliationSummary {
  runId: string;
  status: 'COMPLETED' | 'FAILED';
  checked: number;
  matched: number;
  findings: number;
  needsHuman: number;
}

/** The reconciliation workflow's signature, for typed starts from the API and tests. */
export type ReconciliationWorkflow = (input: ReconciliationInput) => Promise<ReconciliationSummary>;
