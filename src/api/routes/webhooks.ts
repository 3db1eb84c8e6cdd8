// POST /v1/webhooks/stripe. Mount BEFORE express.json(): the signature covers the raw bytes.
// The logic lives in src/payments/webhooks.ts; this maps its outcomes to HTTP.
import express from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Config } from '../../infra/config.ts';
import { AppError } from '../../infra/errors.ts';
import type { Logger } from '../../infra/logger.ts';
import type { Metrics } from '../../infra/metrics.ts';
import { createWebhookIntake } from '../../payments/webhooks.ts';
import { sendProblem } from '../middleware/problem.ts';
import { RouteBindings } from '../routing.ts';
import type { RouteName } from './table.ts';

export interface WebhookRouteDeps {
  orm: MikroORM;
  temporal: Client;
  config: Pick<Config, 'stripe'>;
  logger: Logger;
  metrics?: Pick<Metrics, 'webhooksReceived'>;
  /** How long to wait for Temporal to accept the signal before answering 503; default 5 s. */
  signalTimeoutMs?: number;
}

export function webhookRoutes(deps: WebhookRouteDeps): RouteBindings<RouteName> {
  const intake = createWebhookIntake({ orm: deps.orm, temporal: deps.temporal, webhookSecret: deps.config.stripe.webhookSecret, logger: deps.logger, metrics: deps.metrics, signalTimeoutMs: deps.signalTimeoutMs });
  const routes = new RouteBindings<RouteName>();
  routes.on('stripeWebhook', express.raw({ type: '*/*', limit: '1mb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const outcome = await intake.handle(raw, req.get('stripe-signature'));
    switch (outcome.kind) {
      case 'invalid_signature':
        sendProblem(req, res, new AppError(400, 'invalid_signature', 'The Stripe-Signature header is missing, stale or does not match the body.'));
        return;
      case 'invalid_event':
        sendProblem(req, res, new AppError(400, 'invalid_event', `The signed body is not a Stripe event this endpoint can read (${outcome.reason}).`));
        return;
      case 'temporal_unavailable':
        sendProblem(req, res, new AppError(503, 'temporal_unavailable', 'The event was recorded but could not be handed to its order yet; please retry.', { headers: { 'Retry-After': '5' } }));
        return;
      case 'duplicate':
        res.status(200).json({ received: true, duplicate: true });
        return;
      case 'signalled':
      case 'recorded':
        res.status(200).json({ received: true, ...(outcome.redelivery ? { duplicate: true } : {}) });
        return;
      case 'workflow_closed':
        res.status(200).json({ received: true, workflow: 'closed' });
        return;
      case 'unknown_order':
        res.status(200).json({ received: true, order: 'unknown' });
        return;
    }
  });
  return routes;
}
