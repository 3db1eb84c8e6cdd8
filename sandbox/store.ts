// The sandbox's state in its own Postgres schema (separate component: plain `pg`, no app
// entities). PaymentIntents (with their one charge), refunds, events and the
// idempotency-key table. Every mutating operation runs inside a transaction given by
// the caller and locks the PaymentIntent row, so concurrent captures/refunds serialise.
import pg from 'pg';
import {
  SandboxApiError, TEST_PAYMENT_METHODS, invalidParam, newId, noSuch, nowSeconds, unexpectedState,
  type IntentStatus,
} from './objects.ts';

export type Db = pg.PoolClient | pg.Pool;
type Json = Record<string, any>;

export interface IntentRow {
  id: string;
  order_id: string | null;
  status: IntentStatus;
  created: number;
  created_ms: number;
  data: Json;
  charge: Json | null;
}

export interface ListQuery {
  createdGte?: number;
  createdGt?: number;
  createdLte?: number;
  createdLt?: number;
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
  where?: { column: 'order_id' | 'payment_intent' | 'type'; value: string }[];
}

const CANCELABLE: IntentStatus[] = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];

export class SandboxStore {
  readonly pool: pg.Pool;
  readonly schema: string;
  /** How long an uncaptured authorization lives before Stripe cancels it ('automatic'). */
  authorizationExpiryMs: number;
  /** Whether new events are queued for webhook delivery (false = "missed webhooks"). */
  webhooksEnabled = true;
  readonly hasWebhookEndpoint: boolean;

  constructor(opts: { databaseUrl: string; schema: string; authorizationExpiryMs: number; hasWebhookEndpoint: boolean; poolMax?: number }) {
    if (!/^[a-z_][a-z0-9_]*$/.test(opts.schema)) throw new Error(`invalid sandbox schema name "${opts.schema}"`);
    this.schema = opts.schema;
    this.authorizationExpiryMs = opts.authorizationExpiryMs;
    this.hasWebhookEndpoint = opts.hasWebhookEndpoint;
    this.pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolMax ?? 10, connectionTimeoutMillis: 5000 });
    // An idle client losing its connection must not crash the process.
    this.pool.on('error', () => undefined);
  }

  t(name: string): string {
    return `"${this.schema}".${name}`;
  }

  /** Creates the schema and tables (idempotent; an advisory lock makes concurrent starts safe). */
  async migrate(): Promise<void> {
    await this.tx(async (c) => {
      await c.query('select pg_advisory_xact_lock(hashtext($1))', [`sandbox-schema:${this.schema}`]);
      await c.query(`
        create schema if not exists "${this.schema}";
        create table if not exists ${this.t('payment_intents')} (
          id text primary key,
          seq bigserial not null unique,
          order_id text,
          status text not null,
          created bigint not null,
          created_ms bigint not null,
          data jsonb not null,
          charge jsonb
        );
        create index if not exists payment_intents_order_idx on ${this.t('payment_intents')} (order_id);
        create index if not exists payment_intents_created_idx on ${this.t('payment_intents')} (created desc, seq desc);
        create index if not exists payment_intents_status_idx on ${this.t('payment_intents')} (status, created_ms);
        create table if not exists ${this.t('refunds')} (
          id text primary key,
          seq bigserial not null unique,
          payment_intent text not null,
          created bigint not null,
          data jsonb not null
        );
        create index if not exists refunds_intent_idx on ${this.t('refunds')} (payment_intent);
        create table if not exists ${this.t('events')} (
          id text primary key,
          seq bigserial not null unique,
          created bigint not null,
          type text not null,
          payment_intent text,
          order_id text,
          data jsonb not null,
          delivery text not null,
          attempts integer not null default 0,
          next_attempt_at timestamptz,
          last_error text,
          delivered_at timestamptz
        );
        create index if not exists events_delivery_idx on ${this.t('events')} (delivery, next_attempt_at);
        create index if not exists events_order_idx on ${this.t('events')} (order_id);
        create table if not exists ${this.t('idempotency_keys')} (
          key text primary key,
          request_hash text not null,
          method text not null,
          path text not null,
          status integer,
          body jsonb,
          created_at timestamptz not null default now()
        );
      `);
      // Stripe keeps keys for 24 hours.
      await c.query(`delete from ${this.t('idempotency_keys')} where created_at < now() - interval '24 hours'`);
    });
  }

  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    // pg emits 'error' on a checked-out client whose connection drops between two queries;
    // unheard, that event kills the process. The next query fails and the caller sees it.
    let lost: Error | undefined;
    const onError = (err: Error) => { lost = err; };
    c.on('error', onError);
    try {
      await c.query('begin');
      const out = await fn(c);
      await c.query('commit');
      return out;
    } catch (err) {
      await c.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      c.off('error', onError);
      // A broken client goes back destroyed, not into the idle list.
      c.release(lost);
    }
  }

  async reset(): Promise<void> {
    await this.pool.query(`truncate ${['payment_intents', 'refunds', 'events', 'idempotency_keys'].map((n) => this.t(n)).join(', ')}`);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  // ---- events -------------------------------------------------------------

  async emit(c: Db, type: string, object: Json, ctx: { paymentIntent?: string; orderId?: string | null; idempotencyKey?: string }): Promise<void> {
    const id = newId('evt');
    const created = nowSeconds();
    const event = {
      id,
      object: 'event',
      api_version: '2026-10-28.endive',
      created,
      data: { object },
      livemode: false,
      pending_webhooks: this.hasWebhookEndpoint && this.webhooksEnabled ? 1 : 0,
      request: { id: ctx.idempotencyKey ? newId('req') : null, idempotency_key: ctx.idempotencyKey ?? null },
      type,
    };
    const delivery = !this.hasWebhookEndpoint ? 'none' : this.webhooksEnabled ? 'pending' : 'suppressed';
    await c.query(
      `insert into ${this.t('events')} (id, created, type, payment_intent, order_id, data, delivery, next_attempt_at) values ($1, $2, $3, $4, $5, $6, $7, now())`,
      [id, created, type, ctx.paymentIntent ?? null, ctx.orderId ?? null, event, delivery],
    );
  }

  // ---- payment intents ----------------------------------------------------

  async createIntent(c: pg.PoolClient, p: {
    amount: number; currency: string; captureMethod: 'manual' | 'automatic'; paymentMethod?: string; confirm: boolean;
    metadata: Record<string, string>; description?: string; customer?: string; idempotencyKey?: string;
    /** Where this sandbox is reached (scheme://host:port): 3-D Secure redirects to its challenge page. */
    challengeBaseUrl?: string;
  }): Promise<IntentRow> {
    const id = newId('pi');
    const createdMs = Date.now();
    const created = Math.floor(createdMs / 1000);
    const data: Json = {
      id,
      object: 'payment_intent',
      amount: p.amount,
      amount_capturable: 0,
      amount_received: 0,
      automatic_payment_methods: { allow_redirects: 'never', enabled: true },
      canceled_at: null,
      cancellation_reason: null,
      capture_method: p.captureMethod,
      client_secret: `${id}_secret_${newId('s').slice(2, 18)}`,
      confirmation_method: 'automatic',
      created,
      currency: p.currency,
      customer: p.customer ?? null,
      description: p.description ?? null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: p.metadata,
      next_action: null,
      payment_method: p.paymentMethod ?? null,
      payment_method_types: ['card'],
      status: p.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    };
    const row: IntentRow = { id, order_id: p.metadata.order_id ?? null, status: data.status, created, created_ms: createdMs, data, charge: null };
    const ctx = { paymentIntent: id, orderId: row.order_id, idempotencyKey: p.idempotencyKey };
    if (!p.confirm || !p.paymentMethod) {
      await this.insertIntent(c, row);
      await this.emit(c, 'payment_intent.created', this.view(row), ctx);
      return row;
    }
    // Confirmation happens within the create call; events carry the resulting state.
    const pm = TEST_PAYMENT_METHODS[p.paymentMethod];
    let eventType: string;
    let decline: SandboxApiError | undefined;
    if (pm.outcome === 'authenticate') {
      this.setStatus(row, 'requires_action');
      // Like a Stripe redirect-based authentication: the customer opens this sandbox's challenge page.
      row.data.next_action = p.challengeBaseUrl
        ? { type: 'redirect_to_url', redirect_to_url: { url: `${p.challengeBaseUrl}/_sandbox/3ds/${id}`, return_url: null } }
        : { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: `https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=${id}` } };
      eventType = 'payment_intent.requires_action';
    } else if (pm.outcome === 'decline') {
      row.charge = this.newCharge(row, 'failed');
      row.data.latest_charge = row.charge.id;
      row.charge.failure_code = 'card_declined';
      row.charge.failure_message = pm.message;
      this.setStatus(row, 'requires_payment_method');
      row.data.last_payment_error = { type: 'card_error', code: 'card_declined', decline_code: pm.declineCode, message: pm.message, charge: row.charge.id, payment_method: { id: p.paymentMethod, object: 'payment_method', type: 'card' } };
      eventType = 'payment_intent.payment_failed';
      decline = new SandboxApiError(402, { type: 'card_error', code: 'card_declined', decline_code: pm.declineCode, message: pm.message!, charge: row.charge.id, payment_intent: this.view(row), doc_url: 'https://stripe.com/docs/error-codes/card-declined' });
    } else {
      eventType = this.authorized(row);
    }
    await this.insertIntent(c, row);
    await this.emit(c, 'payment_intent.created', this.view(row), ctx);
    await this.emit(c, eventType, this.view(row), ctx);
    if (decline) throw decline;
    return row;
  }

  /** The card was authorized: hold the funds (manual capture) or take them (automatic). Returns the event type. */
  private authorized(row: IntentRow): string {
    row.charge ??= this.newCharge(row, 'succeeded');
    row.data.latest_charge = row.charge.id;
    row.data.next_action = null;
    row.data.last_payment_error = null;
    if (row.data.capture_method === 'manual') {
      this.setStatus(row, 'requires_capture');
      row.data.amount_capturable = row.data.amount;
      return 'payment_intent.amount_capturable_updated';
    }
    this.setStatus(row, 'succeeded');
    row.data.amount_received = row.data.amount;
    Object.assign(row.charge, { captured: true, amount_captured: row.data.amount });
    return 'payment_intent.succeeded';
  }

  private newCharge(row: IntentRow, status: 'succeeded' | 'failed'): Json {
    const pm = TEST_PAYMENT_METHODS[row.data.payment_method as string];
    return {
      id: newId('ch'),
      object: 'charge',
      amount: row.data.amount,
      amount_captured: 0,
      amount_refunded: 0,
      captured: false,
      created: nowSeconds(),
      currency: row.data.currency,
      failure_code: null,
      failure_message: null,
      livemode: false,
      metadata: row.data.metadata,
      paid: status === 'succeeded',
      payment_intent: row.id,
      payment_method: row.data.payment_method,
      payment_method_details: { type: 'card', card: { brand: pm?.brand ?? 'visa', last4: pm?.last4 ?? '4242' } },
      refunded: false,
      status,
    };
  }

  private setStatus(row: IntentRow, status: IntentStatus): void {
    row.status = status;
    row.data.status = status;
  }

  /** The API view of an intent; `latest_charge` expanded when asked for. */
  view(row: IntentRow, expandCharge = false): Json {
    return expandCharge && row.charge ? { ...row.data, latest_charge: row.charge } : { ...row.data };
  }

  private async insertIntent(c: Db, row: IntentRow): Promise<void> {
    await c.query(
      `insert into ${this.t('payment_intents')} (id, order_id, status, created, created_ms, data, charge) values ($1, $2, $3, $4, $5, $6, $7)`,
      [row.id, row.order_id, row.status, row.created, row.created_ms, row.data, row.charge],
    );
  }

  private async saveIntent(c: Db, row: IntentRow): Promise<void> {
    await c.query(`update ${this.t('payment_intents')} set status = $2, data = $3, charge = $4 where id = $1`, [row.id, row.status, row.data, row.charge]);
  }

  private fromDb(r: Json): IntentRow {
    return { ...r, created: Number(r.created), created_ms: Number(r.created_ms) } as IntentRow;
  }

  /** Loads (and, in a transaction, locks) an intent; applies a due expiry first. */
  async getIntent(c: Db, id: string, opts: { lock?: boolean; param?: string } = {}): Promise<IntentRow> {
    const res = await c.query(`select * from ${this.t('payment_intents')} where id = $1${opts.lock ? ' for update' : ''}`, [id]);
    if (!res.rowCount) throw noSuch('payment_intent', id, opts.param ?? 'intent');
    const row = this.fromDb(res.rows[0]);
    if (opts.lock) await this.expireIfDue(c, row);
    return row;
  }

  private isExpired(row: IntentRow): boolean {
    return row.status === 'requires_capture' && Date.now() - row.created_ms >= this.authorizationExpiryMs;
  }

  private async expireIfDue(c: Db, row: IntentRow): Promise<boolean> {
    if (!this.isExpired(row)) return false;
    this.setStatus(row, 'canceled');
    Object.assign(row.data, { amount_capturable: 0, cancellation_reason: 'automatic', canceled_at: nowSeconds() });
    await this.saveIntent(c, row);
    await this.emit(c, 'payment_intent.canceled', this.view(row), { paymentIntent: row.id, orderId: row.order_id });
    return true;
  }

  /** Lazily cancels every authorization past its expiry (called before reads). */
  async expireDue(): Promise<number> {
    const due = await this.pool.query(`select id from ${this.t('payment_intents')} where status = 'requires_capture' and created_ms <= $1 limit 500`, [Date.now() - this.authorizationExpiryMs]);
    let n = 0;
    for (const { id } of due.rows) {
      await this.tx(async (c) => {
        const res = await c.query(`select * from ${this.t('payment_intents')} where id = $1 for update skip locked`, [id]);
        if (res.rowCount && (await this.expireIfDue(c, this.fromDb(res.rows[0])))) n += 1;
      });
    }
    return n;
  }

  async capture(c: pg.PoolClient, id: string, amountToCapture: number | undefined, idempotencyKey?: string): Promise<IntentRow> {
    const row = await this.getIntent(c, id, { lock: true });
    if (row.status !== 'requires_capture') {
      throw unexpectedState(`This PaymentIntent could not be captured because it has a status of ${row.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`);
    }
    const capturable = row.data.amount_capturable as number;
    const amount = amountToCapture ?? capturable;
    if (amount > capturable) {
      throw new SandboxApiError(400, { type: 'invalid_request_error', code: 'amount_too_large', param: 'amount_to_capture', message: `The amount to capture (${amount}) is greater than the amount capturable (${capturable}).` });
    }
    this.setStatus(row, 'succeeded');
    Object.assign(row.data, { amount_received: amount, amount_capturable: 0 });
    Object.assign(row.charge!, { captured: true, amount_captured: amount });
    await this.saveIntent(c, row);
    const ctx = { paymentIntent: row.id, orderId: row.order_id, idempotencyKey };
    await this.emit(c, 'payment_intent.succeeded', this.view(row), ctx);
    await this.emit(c, 'charge.captured', { ...row.charge }, ctx);
    return row;
  }

  async cancel(c: pg.PoolClient, id: string, reason: string | undefined, idempotencyKey?: string): Promise<IntentRow> {
    const row = await this.getIntent(c, id, { lock: true });
    if (!CANCELABLE.includes(row.status)) {
      throw unexpectedState(`You cannot cancel this PaymentIntent because it has a status of ${row.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`);
    }
    const allowed = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'];
    if (reason !== undefined && !allowed.includes(reason)) throw invalidParam('cancellation_reason', `Invalid cancellation_reason: must be one of ${allowed.join(', ')}`, 'parameter_invalid_string');
    this.setStatus(row, 'canceled');
    Object.assign(row.data, { amount_capturable: 0, cancellation_reason: reason ?? null, canceled_at: nowSeconds(), next_action: null });
    await this.saveIntent(c, row);
    await this.emit(c, 'payment_intent.canceled', this.view(row), { paymentIntent: row.id, orderId: row.order_id, idempotencyKey });
    return row;
  }

  /** Simulates the customer completing (or failing) 3-D Secure. */
  async authenticate(c: pg.PoolClient, id: string, outcome: 'succeed' | 'fail'): Promise<IntentRow> {
    const row = await this.getIntent(c, id, { lock: true });
    if (row.status !== 'requires_action') throw unexpectedState(`This PaymentIntent has a status of ${row.status}; only a PaymentIntent with status requires_action can be authenticated.`);
    const ctx = { paymentIntent: row.id, orderId: row.order_id };
    if (outcome === 'succeed') {
      const type = this.authorized(row);
      await this.saveIntent(c, row);
      await this.emit(c, type, this.view(row), ctx);
    } else {
      this.setStatus(row, 'requires_payment_method');
      row.data.next_action = null;
      row.data.last_payment_error = {
        type: 'invalid_request_error',
        code: 'payment_intent_authentication_failure',
        message: 'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
        payment_method: { id: row.data.payment_method, object: 'payment_method', type: 'card' },
      };
      await this.saveIntent(c, row);
      await this.emit(c, 'payment_intent.payment_failed', this.view(row), ctx);
    }
    return row;
  }

  // ---- refunds --------------------------------------------------------------

  async createRefund(c: pg.PoolClient, p: { paymentIntent: string; amount?: number; reason?: string; metadata: Record<string, string>; idempotencyKey?: string }): Promise<Json> {
    const row = await this.getIntent(c, p.paymentIntent, { lock: true, param: 'payment_intent' });
    if (row.status !== 'succeeded' || !row.charge) {
      throw unexpectedState(`This PaymentIntent (${row.id}) does not have a successful charge to refund. Its status is ${row.status}.`);
    }
    const charge = row.charge;
    const remaining = (charge.amount_captured as number) - (charge.amount_refunded as number);
    if (remaining <= 0) {
      throw new SandboxApiError(400, { type: 'invalid_request_error', code: 'charge_already_refunded', message: `Charge ${charge.id} has already been refunded.` });
    }
    const amount = p.amount ?? remaining;
    if (amount > remaining) {
      throw new SandboxApiError(400, { type: 'invalid_request_error', code: 'amount_too_large', param: 'amount', message: `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})` });
    }
    const refund = {
      id: newId('re'),
      object: 'refund',
      amount,
      charge: charge.id,
      created: nowSeconds(),
      currency: row.data.currency,
      metadata: p.metadata,
      payment_intent: row.id,
      reason: p.reason ?? null,
      status: 'succeeded',
    };
    await c.query(`insert into ${this.t('refunds')} (id, payment_intent, created, data) values ($1, $2, $3, $4)`, [refund.id, row.id, refund.created, refund]);
    charge.amount_refunded = (charge.amount_refunded as number) + amount;
    charge.refunded = charge.amount_refunded === charge.amount_captured;
    await this.saveIntent(c, row);
    const ctx = { paymentIntent: row.id, orderId: row.order_id, idempotencyKey: p.idempotencyKey };
    await this.emit(c, 'refund.created', refund, ctx);
    await this.emit(c, 'charge.refunded', { ...charge }, ctx);
    return refund;
  }

  async getRefund(c: Db, id: string): Promise<Json> {
    const res = await c.query(`select data from ${this.t('refunds')} where id = $1`, [id]);
    if (!res.rowCount) throw noSuch('refund', id);
    return res.rows[0].data;
  }

  // ---- lists -----------------------------------------------------------------

  /** Stripe list semantics: newest first, `starting_after`/`ending_before` cursors by object id. */
  async list(table: 'payment_intents' | 'refunds' | 'events', q: ListQuery): Promise<{ rows: Json[]; hasMore: boolean }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.createdGte !== undefined) add('created >= ?', q.createdGte);
    if (q.createdGt !== undefined) add('created > ?', q.createdGt);
    if (q.createdLte !== undefined) add('created <= ?', q.createdLte);
    if (q.createdLt !== undefined) add('created < ?', q.createdLt);
    for (const w of q.where ?? []) add(`${w.column} = ?`, w.value);
    let order = 'created desc, seq desc';
    const cursor = q.startingAfter ?? q.endingBefore;
    if (cursor) {
      const found = await this.pool.query(`select created, seq from ${this.t(table)} where id = $1`, [cursor]);
      if (!found.rowCount) throw noSuch(table === 'payment_intents' ? 'payment_intent' : table.slice(0, -1), cursor, q.startingAfter ? 'starting_after' : 'ending_before');
      params.push(found.rows[0].created, found.rows[0].seq);
      const a = `$${params.length - 1}`;
      const b = `$${params.length}`;
      if (q.startingAfter) where.push(`(created, seq) < (${a}, ${b})`);
      else {
        where.push(`(created, seq) > (${a}, ${b})`);
        order = 'created asc, seq asc';
      }
    }
    params.push(q.limit + 1);
    const res = await this.pool.query(
      `select * from ${this.t(table)} ${where.length ? `where ${where.join(' and ')}` : ''} order by ${order} limit $${params.length}`,
      params,
    );
    const rows = res.rows.slice(0, q.limit);
    if (q.endingBefore) rows.reverse();
    return { rows, hasMore: res.rows.length > q.limit };
  }

  async intentsByOrder(orderId: string): Promise<IntentRow[]> {
    const res = await this.pool.query(`select * from ${this.t('payment_intents')} where order_id = $1 order by seq`, [orderId]);
    return res.rows.map((r) => this.fromDb(r));
  }

  async refundsOf(intentIds: string[]): Promise<Json[]> {
    if (!intentIds.length) return [];
    const res = await this.pool.query(`select data from ${this.t('refunds')} where payment_intent = any($1) order by seq`, [intentIds]);
    return res.rows.map((r) => r.data);
  }

  toRow(r: Json): IntentRow {
    return this.fromDb(r);
  }
}
