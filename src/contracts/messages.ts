// Signals, queries and updates of the checkout and reconciliation workflows.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancelRequest, CancelResult, CheckoutState, OpsAction, PaymentUpdate, RecordedOrder } from './checkout.ts';

export const getStateQuery = defineQuery<CheckoutState>('getState');
/** Completes once the order row exists; used by update-with-start so the API answers with the recorded order. */
export const orderRecordedUpdate = defineUpdate<RecordedOrder>('orderRecorded');
export const cancelOrderUpdate = defineUpdate<CancelResult, [CancelRequest]>('cancelOrder');
export const paymentUpdateSignal = defineSignal<[PaymentUpdate]>('paymentUpdate');
/** Ops: retry compensations that gave up, re-drive a capture, flag for manual review. */
export const retryCompensationSignal = defineSignal<[OpsAction]>('retryCompensation');
export const redriveCaptureSignal = defineSignal<[OpsAction]>('redriveCapture');
export const markManualReviewUpdate = defineUpdate<CheckoutState, [OpsAction]>('markManualReview');
