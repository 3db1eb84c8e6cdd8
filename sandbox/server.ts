// The payment sandbox: a small, stateful, Stripe-compatible HTTP server for the subset
// of the API we use (PaymentIntents with manual capture, refunds, events, signed
// webhooks), with Stripe's idempotency semantics and switchable faults. The real
// `stripe` SDK talks to it through its host/port/protocol options.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import * as z from 'zod';
import { redactUrl } from '../src/infra/config.ts';
import { challengeRoutes } from './challenge.ts';
import { WebhookDelivery } from './delivery.ts';
import { Faults, faultSchema } from './faults.ts';
import {
  SandboxApiError, TEST_PAYMENT_METHODS, expandList, intParam, invalidParam, missingParam, newId, requestHash, stringMap, unexpectedState,
} from './objects.ts';
import { SandboxStore, type ListQuery } from './store.ts';

export interface SandboxOptions {
  /** 0 = any free port. */
  port: number;
  host?: string;
  databaseUrl: string;
  /** Postgres schema holding the sandbox's state (created at start). */
  schema?: string;
  /** Where events are POSTed; unset = no webhook endpoint (events are only listed). */
  webhookUrl?: string;
  webhookSecret: string;
  /** Uncaptured authorizations become canceled (reason 'automatic') after this; default 7 days. */
  authorizationExpiryMs?: number;
  /** First webhook retry delay (doubles per attempt, capped at 60 s); default 1000. */
  webhookRetryBaseMs?: number;
  /** Attempts before an event's delivery is marked failed; default 12. */
  webhookMaxAttempts?: number;
  /** Like Stripe's per-account limit (test mode ≈ 25/s): more /v1 requests per second → 429. Unset = unlimited. */
  rateLimitPerSecond?: number;
  /** Empty the sandbox's tables at start (tests); default false — a restart keeps everything. */
  fresh?: boolean;
  logger?: Logger;
}

export interface Sandbox {
  /** Base URL, e.g. http://127.0.0.1:12111 — use as STRIPE_API_BASE. */
  url: string;
  port: number;
  store: SandboxStore;
  faults: Faults;
  delivery: WebhookDelivery;
  close(): Promise<void>;
}

type Json = Record<string, any>;
type Body = Record<string, unknown>;
const DAY_MS = 86_400_000;

const CREATE_PARAMS = new Set(['amount', 'currency', 'capture_method', 'confirm', 'payment_method', 'automatic_payment_methods', 'metadata', 'description', 'customer', 'expand', 'payment_method_types', 'receipt_email', 'statement_descriptor', 'statement_descriptor_suffix', 'return_url', 'off_session', 'setup_future_usage', 'confirmation_method']);

function rejectUnknown(body: Body, allowed: Set<string>): void {
  for (const k of Object.keys(body)) {
    if (!allowed.has(k)) throw new SandboxApiError(400, { type: 'invalid_request_error', code: 'parameter_unknown', param: k, message: `Received unknown parameter: ${k}` }, false);
  }
}

function listQuery(q: Json, extra: ListQuery['where'] = []): ListQuery {
  const limit = intParam(q, 'limit', { min: 1 }) ?? 10;
  if (limit > 100) throw invalidParam('limit', 'This value must be less than or equal to 100.');
  const out: ListQuery = { limit, where: extra };
  const created = q.created;
  if (created !== undefined) {
    if (typeof created === 'object' && created !== null) {
      for (const [k, prop] of [['gte', 'createdGte'], ['gt', 'createdGt'], ['lte', 'createdLte'], ['lt', 'createdLt']] as const) {
        const v = intParam(created as Body, k);
        if (v !== undefined) out[prop] = v;
      }
    } else {
      const v = intParam(q, 'created')!;
      out.createdGte = v;
      out.createdLte = v;
    }
  }
  if (typeof q.starting_after === 'string' && q.starting_after) out.startingAfter = q.starting_after;
  if (typeof q.ending_before === 'string' && q.ending_before) out.endingBefore = q.ending_before;
  return out;
}

/** `metadata['order_id']:'x' AND status:'requires_capture'` — the subset of Stripe's search language we need. */
function parseSearch(query: string): { metadata: [string, string][]; status?: string } {
  const out: { metadata: [string, string][]; status?: string } = { metadata: [] };
  const clauses = query.split(/\s+AND\s+/i).map((s) => s.trim()).filter(Boolean);
  if (!clauses.length) throw invalidParam('query', 'The search query is empty.', 'parameter_invalid_string');
  for (const clause of clauses) {
    const meta = /^metadata\[\s*(['"])(.+?)\1\s*\]\s*:\s*(['"])(.*)\3$/.exec(clause);
    const status = /^status\s*:\s*(['"])(.*)\1$/.exec(clause);
    if (meta) out.metadata.push([meta[2], meta[4]]);
    else if (status) out.status = status[2];
    else throw invalidParam('query', `Unsupported search clause in the sandbox: ${clause}`, 'parameter_invalid_string');
  }
  return out;
}

const listBody = (url: string, data: Json[], hasMore: boolean) => ({ object: 'list', data, has_more: hasMore, url });

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const log = opts.logger;
  const store = new SandboxStore({
    databaseUrl: opts.databaseUrl,
    schema: opts.schema ?? 'sandbox',
    authorizationExpiryMs: opts.authorizationExpiryMs ?? 7 * DAY_MS,
    hasWebhookEndpoint: Boolean(opts.webhookUrl),
  });
  try {
    await store.migrate();
    if (opts.fresh) await store.reset();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new Error(`payment sandbox: cannot prepare its Postgres schema at ${redactUrl(opts.databaseUrl)}: ${(err as Error).message}`, { cause: err });
  }
  const faults = new Faults();
  let searchLagMs = 0;
  let rateLimitPerSecond = opts.rateLimitPerSecond ?? 0;
  const window = { second: 0, count: 0 };
  /** Requests per wall-clock second (every /v1 request, refused ones included): what the provider saw. */
  const traffic = { total: 0, rateLimited: 0, perSecond: new Map<number, number>() };
  const countRequest = () => {
    const second = Math.floor(Date.now() / 1000);
    traffic.total += 1;
    traffic.perSecond.set(second, (traffic.perSecond.get(second) ?? 0) + 1);
    if (traffic.perSecond.size > 3600) traffic.perSecond.delete(traffic.perSecond.keys().next().value!);
  };
  /** Fixed one-second window, as coarse as Stripe's documented limits. */
  const overLimit = () => {
    if (!rateLimitPerSecond) return false;
    const second = Math.floor(Date.now() / 1000);
    if (second !== window.second) Object.assign(window, { second, count: 0 });
    window.count += 1;
    return window.count > rateLimitPerSecond;
  };
  const delivery = new WebhookDelivery(store, {
    url: opts.webhookUrl,
    secret: opts.webhookSecret,
    retryBaseMs: opts.webhookRetryBaseMs ?? 1000,
    maxDelayMs: 60_000,
    maxAttempts: opts.webhookMaxAttempts ?? 12,
    timeoutMs: 10_000,
    logger: log,
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  app.set('etag', false);

  // ---- Stripe API (/v1) -------------------------------------------------------
  const api = express.Router();
  api.use((req, res, next) => {
    res.setHeader('Request-Id', newId('req'));
    res.setHeader('Stripe-Version', '2026-10-28.endive');
    const auth = req.get('authorization') ?? '';
    if (!/^Bearer (sk|rk)_(test|live)_\S+$/.test(auth)) {
      res.status(401).json({ error: { type: 'invalid_request_error', message: 'You did not provide a valid API key. Provide your secret key as a Bearer token.' } });
      return;
    }
    countRequest();
    if (overLimit()) {
      traffic.rateLimited += 1;
      res.status(429).json({ error: { type: 'invalid_request_error', code: 'rate_limit', message: `Too many requests hit the API too quickly (more than ${rateLimitPerSecond} per second).` } });
      return;
    }
    const decision = faults.decide(req.method, req.path === '/' ? req.baseUrl : `${req.baseUrl}${req.path}`);
    res.locals.drop = decision.drop;
    res.locals.storeError = decision.storeError;
    const go = () => {
      if (decision.respond === 500) {
        res.status(500).json({ error: { type: 'api_error', message: 'An unknown error occurred (sandbox fault injection).' } });
      } else if (decision.respond === 429) {
        res.status(429).json({ error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests hit the API too quickly (sandbox fault injection).' } });
      } else next();
    };
    if (decision.latencyMs > 0) setTimeout(go, decision.latencyMs);
    else go();
  });
  api.use(express.urlencoded({ extended: true, limit: '1mb', type: () => true }));

  /** Sends the answer, or — with a drop fault — commits but never answers (lost response). */
  const send = (res: Response, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.locals.drop) {
      log?.debug('sandbox fault: dropping the response after commit');
      res.socket?.destroy();
      return;
    }
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.status(status).json(body);
  };

  /**
   * Stripe idempotency: the first result per key (errors included) is stored and replayed;
   * the same key with other parameters is an idempotency_error. The key row is inserted in
   * the operation's own transaction, so a concurrent request with the same key waits on
   * the unique index and then replays the committed result — never a second object.
   */
  const idempotent = (handler: (c: import('pg').PoolClient, body: Body, key: string | undefined, req: Request) => Promise<{ status: number; body: Json }>) =>
    async (req: Request, res: Response) => {
      const key = req.get('idempotency-key') || undefined;
      const body = (req.body ?? {}) as Body;
      const hash = requestHash(req.method, req.originalUrl.split('?')[0], body);
      let replay: { status: number; body: Json } | undefined;
      let mismatch = false;
      const result = await store.tx(async (c) => {
        if (key) {
          const ins = await c.query(`insert into ${store.t('idempotency_keys')} (key, request_hash, method, path) values ($1, $2, $3, $4) on conflict (key) do nothing`, [key, hash, req.method, req.originalUrl.split('?')[0]]);
          if (!ins.rowCount) {
            const prev = await c.query(`select request_hash, status, body from ${store.t('idempotency_keys')} where key = $1`, [key]);
            if (prev.rows[0].request_hash !== hash) mismatch = true;
            else replay = { status: prev.rows[0].status, body: prev.rows[0].body };
            return undefined;
          }
        }
        let out: { status: number; body: Json };
        try {
          out = await handler(c, body, key, req);
        } catch (err) {
          if (err instanceof SandboxApiError && err.persist) out = { status: err.status, body: { error: err.body } };
          else throw err;
        }
        // Stripe stores a 500 that happened while executing, whatever the operation did meanwhile.
        if (res.locals.storeError) out = { status: 500, body: { error: { type: 'api_error', message: 'An unknown error occurred (sandbox fault injection, stored for the idempotency key).' } } };
        if (key) await c.query(`update ${store.t('idempotency_keys')} set status = $2, body = $3 where key = $1`, [key, out.status, out.body]);
        return out;
      });
      if (mismatch) {
        throw new SandboxApiError(400, { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.` }, false);
      }
      if (replay) {
        send(res, replay.status, replay.body, { 'Idempotent-Replayed': 'true', 'Idempotency-Key': key! });
        return;
      }
      delivery.kick();
      send(res, result!.status, result!.body, key ? { 'Idempotency-Key': key } : {});
    };

  api.post('/payment_intents', idempotent(async (c, body, key, req) => {
    rejectUnknown(body, CREATE_PARAMS);
    const amount = intParam(body, 'amount', { required: true, min: 1 })!;
    if (amount < 50) throw new SandboxApiError(400, { type: 'invalid_request_error', code: 'amount_too_small', param: 'amount', message: 'Amount must be at least 50 cents' }, false);
    const currency = body.currency;
    if (currency === undefined) throw missingParam('currency');
    if (typeof currency !== 'string' || !/^[a-zA-Z]{3}$/.test(currency)) throw invalidParam('currency', `Invalid currency: ${String(currency)}.`, 'parameter_invalid_string');
    const captureMethod = body.capture_method ?? 'automatic';
    if (captureMethod !== 'manual' && captureMethod !== 'automatic' && captureMethod !== 'automatic_async') throw invalidParam('capture_method', 'Invalid capture_method', 'parameter_invalid_string');
    const confirm = body.confirm === 'true' || body.confirm === true;
    const paymentMethod = typeof body.payment_method === 'string' && body.payment_method ? body.payment_method : undefined;
    if (paymentMethod && !TEST_PAYMENT_METHODS[paymentMethod]) {
      throw new SandboxApiError(400, { type: 'invalid_request_error', code: 'resource_missing', param: 'payment_method', message: `No such PaymentMethod: '${paymentMethod}'` }, false);
    }
    if (confirm && !paymentMethod) throw new SandboxApiError(400, { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', param: 'payment_method', message: "You cannot confirm this PaymentIntent because it's missing a payment method." }, false);
    const row = await store.createIntent(c, {
      amount,
      currency: currency.toLowerCase(),
      captureMethod: captureMethod === 'manual' ? 'manual' : 'automatic',
      paymentMethod,
      confirm,
      metadata: stringMap(body.metadata, 'metadata'),
      description: typeof body.description === 'string' ? body.description : undefined,
      customer: typeof body.customer === 'string' ? body.customer : undefined,
      idempotencyKey: key,
      challengeBaseUrl: `${req.protocol}://${req.get('host')}`,
    });
    return { status: 200, body: store.view(row, expandList(body.expand).includes('latest_charge')) };
  }));

  api.post('/payment_intents/:id/capture', idempotent(async (c, body, key, req) => {
    rejectUnknown(body, new Set(['amount_to_capture', 'expand', 'metadata', 'final_capture']));
    const row = await store.capture(c, String(req.params.id), intParam(body, 'amount_to_capture', { min: 1 }), key);
    return { status: 200, body: store.view(row, expandList(body.expand).includes('latest_charge')) };
  }));

  api.post('/payment_intents/:id/cancel', idempotent(async (c, body, key, req) => {
    rejectUnknown(body, new Set(['cancellation_reason', 'expand']));
    const reason = typeof body.cancellation_reason === 'string' && body.cancellation_reason ? body.cancellation_reason : undefined;
    const row = await store.cancel(c, String(req.params.id), reason, key);
    return { status: 200, body: store.view(row, expandList(body.expand).includes('latest_charge')) };
  }));

  api.post('/payment_intents/:id/confirm', idempotent(async () => {
    throw unexpectedState('The sandbox confirms PaymentIntents only at creation (confirm=true).');
  }));

  api.post('/refunds', idempotent(async (c, body, key) => {
    rejectUnknown(body, new Set(['payment_intent', 'charge', 'amount', 'reason', 'metadata', 'expand']));
    let intentId = typeof body.payment_intent === 'string' && body.payment_intent ? body.payment_intent : undefined;
    if (!intentId && typeof body.charge === 'string' && body.charge) {
      const found = await c.query(`select id from ${store.t('payment_intents')} where charge->>'id' = $1`, [body.charge]);
      if (!found.rowCount) throw new SandboxApiError(404, { type: 'invalid_request_error', code: 'resource_missing', param: 'charge', message: `No such charge: '${body.charge}'` }, false);
      intentId = found.rows[0].id as string;
    }
    if (!intentId) throw missingParam('payment_intent');
    const refund = await store.createRefund(c, {
      paymentIntent: intentId,
      amount: intParam(body, 'amount', { min: 1 }),
      reason: typeof body.reason === 'string' ? body.reason : undefined,
      metadata: stringMap(body.metadata, 'metadata'),
      idempotencyKey: key,
    });
    return { status: 200, body: refund };
  }));

  api.get('/payment_intents/search', async (req, res) => {
    await store.expireDue();
    const q = req.query as Json;
    if (typeof q.query !== 'string') throw missingParam('query');
    const parsed = parseSearch(q.query);
    const limit = intParam(q, 'limit', { min: 1 }) ?? 10;
    const offset = typeof q.page === 'string' && /^page_\d+$/.test(q.page) ? Number(q.page.slice(5)) : 0;
    const params: unknown[] = [];
    const where = parsed.metadata.map(([k, v]) => {
      params.push(k, v);
      return `data->'metadata'->>$${params.length - 1} = $${params.length}`;
    });
    if (parsed.status) {
      params.push(parsed.status);
      where.push(`status = $${params.length}`);
    }
    if (searchLagMs > 0) {
      // Like Stripe's search index, which trails writes (up to about a minute).
      params.push(Date.now() - searchLagMs);
      where.push(`created_ms <= $${params.length}`);
    }
    params.push(limit + 1, offset);
    const r = await store.pool.query(
      `select * from ${store.t('payment_intents')} ${where.length ? `where ${where.join(' and ')}` : ''} order by created desc, seq desc limit $${params.length - 1} offset $${params.length}`,
      params,
    );
    const expand = expandList(q.expand).includes('data.latest_charge');
    const data = r.rows.slice(0, limit).map((row) => store.view(store.toRow(row), expand));
    const hasMore = r.rows.length > limit;
    send(res, 200, { object: 'search_result', data, has_more: hasMore, next_page: hasMore ? `page_${offset + limit}` : null, url: '/v1/payment_intents/search' });
  });

  api.get('/payment_intents', async (req, res) => {
    await store.expireDue();
    const q = req.query as Json;
    const { rows, hasMore } = await store.list('payment_intents', listQuery(q));
    const expand = expandList(q.expand).includes('data.latest_charge');
    send(res, 200, listBody('/v1/payment_intents', rows.map((r) => store.view(store.toRow(r), expand)), hasMore));
  });

  api.get('/payment_intents/:id', async (req, res) => {
    await store.expireDue();
    const row = await store.getIntent(store.pool, String(req.params.id));
    send(res, 200, store.view(row, expandList((req.query as Json).expand).includes('latest_charge')));
  });

  api.get('/refunds', async (req, res) => {
    const q = req.query as Json;
    const where = typeof q.payment_intent === 'string' ? [{ column: 'payment_intent' as const, value: q.payment_intent }] : [];
    const { rows, hasMore } = await store.list('refunds', listQuery(q, where));
    send(res, 200, listBody('/v1/refunds', rows.map((r) => r.data), hasMore));
  });

  api.get('/refunds/:id', async (req, res) => {
    send(res, 200, await store.getRefund(store.pool, String(req.params.id)));
  });

  api.get('/events', async (req, res) => {
    await store.expireDue();
    const q = req.query as Json;
    const where = typeof q.type === 'string' ? [{ column: 'type' as const, value: q.type }] : [];
    const { rows, hasMore } = await store.list('events', listQuery(q, where));
    send(res, 200, listBody('/v1/events', rows.map((r) => r.data), hasMore));
  });

  api.get('/events/:id', async (req, res) => {
    const r = await store.pool.query(`select data from ${store.t('events')} where id = $1`, [req.params.id]);
    if (!r.rowCount) throw new SandboxApiError(404, { type: 'invalid_request_error', code: 'resource_missing', param: 'id', message: `No such event: '${req.params.id}'` });
    send(res, 200, r.rows[0].data);
  });

  api.use((req, res) => {
    res.status(404).json({ error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${req.originalUrl}). The payment sandbox implements only part of the Stripe API.` } });
  });

  app.use('/v1', api);

  // ---- Sandbox administration (/_sandbox): never faulted, no API key --------------
  const admin = express.Router();
  admin.use(express.json({ limit: '100kb' }));
  admin.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  /** Traffic as the provider saw it: totals and requests per second (the last hour). */
  admin.get('/stats', (_req, res) => {
    const seconds = [...traffic.perSecond.entries()].sort((a, b) => a[0] - b[0]);
    res.json({
      requests: traffic.total,
      rateLimited: traffic.rateLimited,
      rateLimitPerSecond: rateLimitPerSecond || null,
      peakPerSecond: seconds.reduce((m, [, n]) => Math.max(m, n), 0),
      perSecond: seconds.map(([t, n]) => ({ at: new Date(t * 1000).toISOString(), requests: n })),
    });
  });
  admin.delete('/stats', (_req, res) => {
    Object.assign(traffic, { total: 0, rateLimited: 0 });
    traffic.perSecond.clear();
    res.json({});
  });
  admin.get('/faults', (_req, res) => {
    res.json(faults.current);
  });
  admin.post('/faults', (req, res) => {
    faults.set(faultSchema.parse(req.body ?? {}));
    res.json(faults.current);
  });
  admin.delete('/faults', (_req, res) => {
    faults.clear();
    res.json({});
  });
  admin.get('/webhooks', async (_req, res) => {
    const counts = await store.pool.query(`select delivery, count(*)::int as n from ${store.t('events')} group by delivery`);
    res.json({ enabled: store.webhooksEnabled, url: opts.webhookUrl ?? null, deliveries: Object.fromEntries(counts.rows.map((r) => [r.delivery, r.n])) });
  });
  admin.post('/webhooks', (req, res) => {
    const { enabled } = z.strictObject({ enabled: z.boolean() }).parse(req.body ?? {});
    store.webhooksEnabled = enabled;
    res.json({ enabled });
  });
  /** Re-queues events for delivery (e.g. the ones suppressed earlier). */
  admin.post('/events/redeliver', async (req, res) => {
    const { ids, orderId } = z.strictObject({ ids: z.array(z.string()).optional(), orderId: z.string().optional() }).parse(req.body ?? {});
    const r = await store.pool.query(
      `update ${store.t('events')} set delivery = 'pending', attempts = 0, next_attempt_at = now()
        where delivery <> 'none' and ($1::text[] is null or id = any($1)) and ($2::text is null or order_id = $2) returning id`,
      [ids ?? null, orderId ?? null],
    );
    delivery.kick();
    res.json({ requeued: r.rowCount });
  });
  admin.post('/config', (req, res) => {
    const cfg = z.strictObject({
      authorizationExpiryMs: z.number().int().min(0).optional(),
      searchLagMs: z.number().int().min(0).optional(),
      rateLimitPerSecond: z.number().int().min(0).optional(),
    }).parse(req.body ?? {});
    if (cfg.authorizationExpiryMs !== undefined) store.authorizationExpiryMs = cfg.authorizationExpiryMs;
    if (cfg.searchLagMs !== undefined) searchLagMs = cfg.searchLagMs;
    if (cfg.rateLimitPerSecond !== undefined) rateLimitPerSecond = cfg.rateLimitPerSecond;
    res.json({ authorizationExpiryMs: store.authorizationExpiryMs, searchLagMs, rateLimitPerSecond });
  });
  /** Forgets idempotency keys, as Stripe does after 24 h (all of them, or those starting with `prefix`). */
  admin.post('/idempotency_keys/forget', async (req, res) => {
    const { prefix } = z.strictObject({ prefix: z.string().optional() }).parse(req.body ?? {});
    const r = await store.pool.query(`delete from ${store.t('idempotency_keys')} where $1::text is null or starts_with(key, $1)`, [prefix ?? null]);
    res.json({ forgotten: r.rowCount });
  });
  admin.post('/reset', async (_req, res) => {
    await store.reset();
    faults.clear();
    searchLagMs = 0;
    store.webhooksEnabled = true;
    res.json({ ok: true });
  });
  admin.post('/payment_intents/:id/authenticate', async (req, res) => {
    const { outcome } = z.strictObject({ outcome: z.enum(['succeed', 'fail']) }).parse(req.body ?? {});
    const row = await store.tx((c) => store.authenticate(c, String(req.params.id), outcome));
    delivery.kick();
    res.json(store.view(row, true));
  });
  /** Intents (charge expanded) with their refunds; filter by order_id. For tests and invariant checks. */
  admin.get('/payment_intents', async (req, res) => {
    await store.expireDue();
    const orderId = typeof req.query.order_id === 'string' ? req.query.order_id : undefined;
    const rows = orderId
      ? await store.intentsByOrder(orderId)
      : (await store.pool.query(`select * from ${store.t('payment_intents')} order by seq desc limit 1000`)).rows.map((r) => store.toRow(r));
    const refunds = await store.refundsOf(rows.map((r) => r.id));
    res.json({
      data: rows.map((r) => ({
        ...store.view(r, true),
        amount_refunded: (r.charge?.amount_refunded as number | undefined) ?? 0,
        refunds: refunds.filter((f) => f.payment_intent === r.id),
      })),
    });
  });
  admin.get('/events', async (req, res) => {
    const q = req.query as Json;
    const r = await store.pool.query(
      `select id, type, created, payment_intent, order_id, delivery, attempts, last_error, delivered_at, data from ${store.t('events')}
        where ($1::text is null or order_id = $1) and ($2::text is null or payment_intent = $2) and ($3::text is null or type = $3) order by seq limit 2000`,
      [typeof q.order_id === 'string' ? q.order_id : null, typeof q.payment_intent === 'string' ? q.payment_intent : null, typeof q.type === 'string' ? q.type : null],
    );
    res.json({ data: r.rows.map((e) => ({ ...e, created: Number(e.created) })) });
  });
  admin.get('/state', async (_req, res) => {
    await store.expireDue();
    const intents = await store.pool.query(`select status, count(*)::int as n from ${store.t('payment_intents')} group by status`);
    const refunds = await store.pool.query(`select count(*)::int as n, coalesce(sum((data->>'amount')::int), 0)::int as amount from ${store.t('refunds')}`);
    const events = await store.pool.query(`select delivery, count(*)::int as n from ${store.t('events')} group by delivery`);
    res.json({
      paymentIntents: Object.fromEntries(intents.rows.map((r) => [r.status, r.n])),
      refunds: refunds.rows[0],
      events: Object.fromEntries(events.rows.map((r) => [r.delivery, r.n])),
      faults: faults.current,
      webhooks: { enabled: store.webhooksEnabled, url: opts.webhookUrl ?? null },
      authorizationExpiryMs: store.authorizationExpiryMs,
      searchLagMs,
      rateLimitPerSecond,
    });
  });
  app.use('/_sandbox', challengeRoutes(store, delivery), admin);
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (err instanceof SandboxApiError) {
      res.status(err.status).json({ error: err.body });
    } else if (err instanceof z.ZodError) {
      res.status(400).json({ error: { type: 'invalid_request_error', message: z.prettifyError(err) } });
    } else if ((err as { type?: string }).type === 'entity.parse.failed' || (err as { status?: number }).status === 400) {
      res.status(400).json({ error: { type: 'invalid_request_error', message: 'Invalid request body.' } });
    } else if ((err as { status?: number }).status === 413) {
      res.status(413).json({ error: { type: 'invalid_request_error', message: 'Request body too large.' } });
    } else {
      log?.error({ err, path: req.path }, 'sandbox internal error');
      res.status(500).json({ error: { type: 'api_error', message: 'The payment sandbox hit an internal error.' } });
    }
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, opts.host ?? '127.0.0.1');
    s.once('listening', () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'EADDRINUSE' ? `port ${opts.port} is already in use` : err.message;
      reject(new Error(`payment sandbox: cannot listen on ${opts.host ?? '127.0.0.1'}:${opts.port}: ${reason}`, { cause: err }));
    });
  }).catch(async (err) => {
    await store.close().catch(() => undefined);
    throw err;
  });
  server.keepAliveTimeout = 5000;
  const port = (server.address() as AddressInfo).port;
  const host = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // Events left pending by an earlier run are delivered now.
  delivery.kick();
  log?.info({ url, schema: store.schema, webhookUrl: opts.webhookUrl }, 'payment sandbox listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    store,
    faults,
    delivery,
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 2000).unref();
        });
        await delivery.close();
        await store.close();
      })();
      return closing;
    },
  };
}
