// Reading activity failures in workflow code, and the failures the checkout raises itself.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** The `type` of an activity's ApplicationFailure (e.g. 'OutOfStock', 'PaymentDeclined'). */
export function failureType(err: unknown): string | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.type ?? undefined : undefined;
}

/** `details[0]` of an activity's ApplicationFailure. */
export function failureDetails<T>(err: unknown): T | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? (err.cause.details?.[0] as T | undefined) : undefined;
}

/** The message worth showing: the activity's own, not Temporal's wrapper. */
export function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure) return err.cause?.message ?? err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Rejects a cancel request (update validator): the order cannot be cancelled now. */
export function notCancellable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'OrderNotCancellable', nonRetryable: true });
}
