// The saga helper: undo steps registered as the checkout makes progress, run newest-first.
// Compensations are retried until they succeed and are never swallowed: after a bounded
// round of activity attempts the order is flagged (onStuck), then the round is retried on
// a long timer — or at once when ops send retryCompensationSignal (nudge()).
import { ActivityFailure, condition, log, patched } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { CompensationRecord } from '../src/contracts/index.ts';

export type CompensationKind = CompensationRecord['kind'];

interface Undo {
  kind: CompensationKind;
  run: () => Promise<void>;
}

export interface CompensateHooks {
  /** Called once per compensation that exhausted a round of attempts. */
  onStuck: (kind: CompensationKind, error: string) => Promise<void>;
  /** Called after every compensation finally succeeded, if any got stuck before. */
  onRecovered: () => Promise<void>;
  /** A counter that ops bump (retryCompensationSignal) to retry immediately. */
  nudges: () => number;
  /** How long to wait between rounds once stuck. */
  retryEvery: Duration;
}

export class Saga {
  private stack: Undo[] = [];
  /** A compensation got stuck (onStuck ran) and no run has completed since (onRecovered owed). */
  private stuckSinceRecovered = false;
  /** Shared with the query state, so ops can see each compensation's progress. */
  readonly records: CompensationRecord[];

  constructor(records: CompensationRecord[]) {
    this.records = records;
  }

  /** Registers (or replaces) the undo for a step — BEFORE the step when its outcome can be unknown. */
  add(kind: CompensationKind, run: () => Promise<void>): void {
    this.drop(kind);
    this.stack.push({ kind, run });
  }

  drop(kind: CompensationKind): void {
    this.stack = this.stack.filter((u) => u.kind !== kind);
  }

  get pending(): CompensationKind[] {
    return this.stack.map((u) => u.kind);
  }

  /** Runs every registered undo, newest first; returns only when all have succeeded. */
  async compensate(hooks: CompensateHooks): Promise<void> {
    let stuck = false;
    for (const undo of [...this.stack].reverse()) {
      // A run interrupted midway (the workflow was cancelled while waiting to retry) left its
      // record unfinished: carry on with it rather than showing a stale 'failed' beside it.
      let record = this.records.find((r) => r.kind === undo.kind && r.outcome !== 'done');
      if (record) record.outcome = 'pending';
      else {
        record = { kind: undo.kind, outcome: 'pending', attempts: 0 };
        this.records.push(record);
      }
      for (;;) {
        record.attempts += 1;
        try {
          await undo.run();
          record.outcome = 'done';
          delete record.lastError;
          break;
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          record.outcome = 'failed';
          record.lastError = (err.cause?.message ?? err.message).slice(0, 500);
          log.error('compensation failed; will retry', { kind: undo.kind, attempts: record.attempts, error: record.lastError });
          if (!stuck) {
            stuck = true;
            this.stuckSinceRecovered = true;
            await hooks.onStuck(undo.kind, record.lastError);
          }
          const seen = hooks.nudges();
          await condition(() => hooks.nudges() !== seen, hooks.retryEvery);
          record.outcome = 'pending';
        }
      }
      this.drop(undo.kind);
    }
    // An earlier run that got stuck and was interrupted (workflow cancelled) owes the recovery
    // too: its flag must not outlive the undos. Older runs forgot it; patched keeps them replayable.
    if (stuck || (this.stuckSinceRecovered && patched('2026-12-recover-after-interrupted-compensation'))) {
      this.stuckSinceRecovered = false;
      await hooks.onRecovered();
    }
  }
}
