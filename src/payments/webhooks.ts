// Stripe webhook intake: verify the signature on the raw body, record the event in the
// payment_events ledger (unique per provider event id → duplicates are harmless), and hand
// it to the order's workflow as a PaymentUpdate signal — only when the workflow waits for
// one: its payment REQUIRES_ACTION (3-D Secure). Every other event is recorded and nothing
// more (the workflow learns the outcome of its own calls from the calls themselves, and
// reconciliation reads the ledger); a signal costs the workflow a whole task. When we do
// signal, we answer 2xx only once Temporal accepted it, so Stripe keeps retrying while
// Temporal is down; processed_at is set only after signalling, so a retried delivery of an
// unprocessed event signals again.
// This code never writes order status: the workflow decides (and never moves backwards).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { raw, type MikroORM } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import * as z from 'zod';
import type { Logger } from '../infra/logger.ts';
import type { Metrics } from '../infra/metrics.ts';
import { Payment, PaymentEvent } from './entities.ts';
import { isUuid, orderWorkflowId, paymentUpdateSignal, type PaymentUpdate } from '../contracts/index.ts';

export const WEBHOOK_PROVIDER = 'stripe';
/** Stripe's own default: a signature older than this is refused (replay protection). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
const SIGNAL_DEADLINE_MS = 5_000;

export interface WebhookIntakeDeps {
  orm: MikroORM;
  temporal: Client;
  webhookSecret: string;
  logger: Logger;
  metrics?: Pick<Metrics, 'webhooksReceived'>;
  /** How long to wait for Temporal to accept the signal before answering 503; default 5 s. */
  signalTimeoutMs?: number;
}

export type WebhookOutcome =
  /** Bad, missing or stale signature: nothing was recorded. */
  | { kind: 'invalid_signature'; reason: string }
  /** Validly signed but not a Stripe event we can read (null, a number, no type, no data…): nothing was recorded. */
  | { kind: 'invalid_event'; reason: string }
  /** Already recorded and handed over earlier. */
  | { kind: 'duplicate'; eventId: string }
  /** Recorded and the workflow accepted the signal. */
  | { kind: 'signalled'; eventId: string; orderId: string; redelivery: boolean }
  /** Recorded; the order's workflow is not waiting for the provider, so it is not signalled. */
  | { kind: 'recorded'; eventId: string; orderId: string; redelivery: boolean }
  /** Recorded; the workflow no longer runs (or never ran): left unprocessed for reconciliation. */
  | { kind: 'workflow_closed'; eventId: string; orderId: string }
  /** Recorded without an order (no metadata.order_id or not one of ours): for reconciliation. */
  | { kind: 'unknown_order'; eventId: string }
  /** Recorded but Temporal did not take the signal: answer 503 so that Stripe retries. */
  | { kind: 'temporal_unavailable'; eventId: string; orderId: string; error: string };

type StripeObject = Record<string, unknown> & { id?: string; object?: string; metadata?: Record<string, string> };

/**
 * The part of an event this intake reads, checked after the signature: a signed body is
 * authentic, not necessarily well formed, and the fields below reach SQL and the workflow.
 */
const eventShape = z.looseObject({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  data: z.looseObject({
    object: z.looseObject({
      id: z.string().min(1).max(255).optional(),
      object: z.string().max(255).optional(),
      payment_intent: z.string().max(255).nullable().optional(),
      status: z.string().max(255).nullable().optional(),
      metadata: z.record(z.string(), z.string()).nullable().optional(),
    }),
  }),
});

function malformed(event: unknown): string | undefined {
  const parsed = eventShape.safeParse(event);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  return `${issue.path.join('.') || '(event)'}: ${issue.message}`;
}

/** What the workflow gets from an event: the intent it concerns and its status afterwards. */
export function paymentUpdateFrom(event: Stripe.Event): PaymentUpdate | undefined {
  const o = event.data.object as unknown as StripeObject;
  const intentId = o.object === 'payment_intent' ? o.id : typeof o.payment_intent === 'string' ? o.payment_intent : undefined;
  if (!intentId) return undefined;
  let providerStatus = String(o.status ?? '');
  if (o.object === 'charge') providerStatus = o.refunded ? 'refunded' : o.captured ? 'succeeded' : providerStatus;
  if (o.object === 'refund') providerStatus = `refund_${providerStatus}`;
  const err = o.last_payment_error as { code?: string; decline_code?: string } | null | undefined;
  const update: PaymentUpdate = { providerEventId: event.id, type: event.type, paymentIntentId: intentId, providerStatus };
  const failureCode = err?.decline_code ?? err?.code;
  if (failureCode) update.failureCode = failureCode;
  return update;
}

export function createWebhookIntake(deps: WebhookIntakeDeps) {
  const { orm, temporal, logger } = deps;
  const count = (outcome: WebhookOutcome['kind']) => deps.metrics?.webhooksReceived.inc({ outcome });

  /** The parsed body when the signature holds (any JSON value: its shape is checked next). */
  function verify(rawBody: Buffer | string, signature: string | undefined): { ok: true; body: unknown } | { ok: false; reason: string } {
    if (!signature) return { ok: false, reason: 'missing Stripe-Signature header' };
    try {
      return { ok: true, body: Stripe.webhooks.constructEvent(rawBody, signature, deps.webhookSecret, SIGNATURE_TOLERANCE_SECONDS) };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * The order an event belongs to — metadata.order_id when it is one of ours, else the order
   * whose payment has this PaymentIntent (refunds made in the Stripe dashboard carry no
   * metadata) — and its payment's status, in one query.
   */
  async function orderOf(event: Stripe.Event, intentId: string | undefined): Promise<{ orderId: string; paymentStatus: string | null } | undefined> {
    const o = event.data.object as unknown as StripeObject;
    const claimed = o.metadata?.order_id;
    if (claimed && isUuid(claimed)) {
      // Hand-written: a left join from orders, so a known order is found before its payment row exists.
      const rows = await orm.em.getConnection().execute<{ id: string; status: string | null }[]>('select o.id, p.status from orders o left join payments p on p.order_id = o.id where o.id = ?', [claimed]);
      if (rows.length) return { orderId: rows[0].id, paymentStatus: rows[0].status };
    }
    if (!intentId) return undefined;
    const p = await orm.em.fork().findOne(Payment, { provider: WEBHOOK_PROVIDER, providerReference: intentId }, { fields: ['orderId', 'status'], disableIdentityMap: true });
    return p ? { orderId: p.orderId, paymentStatus: p.status } : undefined;
  }

  /**
   * Inserts the ledger row (already processed when nothing waits for it); returns whether it
   * is new and whether it was processed before.
   */
  async function record(event: Stripe.Event, orderId: string | undefined, processedNow: boolean): Promise<{ id: number; fresh: boolean; processed: boolean; orderId?: string }> {
    const o = event.data.object as unknown as StripeObject;
    const em = orm.em.fork();
    const currency = typeof o.currency === 'string' && o.currency.length === 3 ? o.currency.toUpperCase() : null;
    const reference = o.object === 'payment_intent' ? o.id : typeof o.payment_intent === 'string' ? o.payment_intent : (o.id ?? null);
    // A redelivered event hits the (provider, provider_event_id) unique key and inserts nothing.
    const inserted = await em.createQueryBuilder(PaymentEvent)
      .insert({
        orderId: orderId ?? null, provider: WEBHOOK_PROVIDER, providerEventId: event.id, type: event.type, source: 'webhook', providerReference: reference,
        amount: typeof o.amount === 'number' ? o.amount : null, currency, status: typeof o.status === 'string' ? o.status : null,
        payload: event as unknown as Record<string, unknown>, processedAt: processedNow ? raw('now()') : null,
      })
      .onConflict(['provider', 'providerEventId']).ignore()
      .execute('run');
    if (inserted.affectedRows > 0) return { id: Number((inserted.row as { id: string | number }).id), fresh: true, processed: false, orderId };
    const existing = await em.findOneOrFail(PaymentEvent, { provider: WEBHOOK_PROVIDER, providerEventId: event.id }, { fields: ['processedAt', 'orderId'], disableIdentityMap: true });
    return { id: existing.id, fresh: false, processed: existing.processedAt != null, orderId: existing.orderId ?? orderId };
  }

  async function handle(rawBody: Buffer | string, signature: string | undefined): Promise<WebhookOutcome> {
    const verified = verify(rawBody, signature);
    if (!verified.ok) {
      count('invalid_signature');
      logger.warn({ reason: verified.reason }, 'webhook refused: invalid signature');
      return { kind: 'invalid_signature', reason: verified.reason };
    }
    const shapeProblem = malformed(verified.body);
    if (shapeProblem) {
      count('invalid_event');
      logger.warn({ reason: shapeProblem }, 'webhook refused: signed but malformed event');
      return { kind: 'invalid_event', reason: shapeProblem };
    }
    const event = verified.body as Stripe.Event;
    const claimed = (event.data.object as unknown as StripeObject).metadata?.order_id;
    const update = paymentUpdateFrom(event);
    const target = await orderOf(event, update?.paymentIntentId);
    // Only a workflow waiting for 3-D Secure wants word from the provider. authorizePayment
    // writes REQUIRES_ACTION before the customer can see the challenge, so no completion
    // event can arrive before it.
    const wanted = Boolean(target && update && target.paymentStatus === 'REQUIRES_ACTION');
    const row = await record(event, target?.orderId, Boolean(target) && !wanted);
    const log = logger.child({ eventId: event.id, eventType: event.type, orderId: row.orderId });
    let outcome: WebhookOutcome;
    if (row.processed) {
      outcome = { kind: 'duplicate', eventId: event.id };
    } else if (!row.orderId) {
      if (!row.fresh) outcome = { kind: 'duplicate', eventId: event.id };
      else {
        log.warn({ claimedOrderId: claimed }, 'webhook for an unknown order recorded for reconciliation');
        outcome = { kind: 'unknown_order', eventId: event.id };
      }
    } else if (!wanted || !update) {
      // Nothing waits for it: the ledger row is all there is to do (processed as written,
      // or now, for a redelivery of an event that waited for a signal before).
      if (!row.fresh) await markProcessed(row.id);
      outcome = { kind: 'recorded', eventId: event.id, orderId: row.orderId, redelivery: !row.fresh };
    } else {
      outcome = await signal(event, update, row.id, row.orderId, !row.fresh, log);
    }
    count(outcome.kind);
    return outcome;
  }

  async function signal(event: Stripe.Event, update: PaymentUpdate, rowId: number, orderId: string, redelivery: boolean, log: Logger): Promise<WebhookOutcome> {
    try {
      await temporal.withDeadline(Date.now() + (deps.signalTimeoutMs ?? SIGNAL_DEADLINE_MS), () => temporal.workflow.getHandle(orderWorkflowId(orderId)).signal(paymentUpdateSignal, update));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        log.info('webhook for a closed or unknown workflow kept for reconciliation');
        return { kind: 'workflow_closed', eventId: event.id, orderId };
      }
      log.warn({ err }, 'webhook recorded but Temporal did not accept the signal; asking Stripe to retry');
      return { kind: 'temporal_unavailable', eventId: event.id, orderId, error: err instanceof Error ? err.message : String(err) };
    }
    await markProcessed(rowId);
    log.info('webhook handed to the checkout workflow');
    return { kind: 'signalled', eventId: event.id, orderId, redelivery };
  }

  async function markProcessed(rowId: number): Promise<void> {
    await orm.em.fork().nativeUpdate(PaymentEvent, { id: rowId, processedAt: null }, { processedAt: raw('now()') });
  }

  return { handle };
}
export type WebhookIntake = ReturnType<typeof createWebhookIntake>;
