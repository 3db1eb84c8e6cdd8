// Background webhook delivery, signed exactly like Stripe (`Stripe-Signature: t=…,v1=…`,
// HMAC-SHA256 of `${t}.${payload}`). Pending events live in the events table, so a
// restarted sandbox resumes delivery; failures back off exponentially.
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { SandboxStore } from './store.ts';

export function signPayload(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export interface DeliveryOptions {
  url?: string;
  secret: string;
  /** First retry delay; doubles per attempt up to maxDelayMs. */
  retryBaseMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  timeoutMs: number;
  logger?: Logger;
}

export class WebhookDelivery {
  private readonly store: SandboxStore;
  private readonly opts: DeliveryOptions;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private closed = false;
  private readonly inflight = new Set<AbortController>();

  constructor(store: SandboxStore, opts: DeliveryOptions) {
    this.store = store;
    this.opts = opts;
  }

  /** Asks for a delivery pass soon; never blocks the caller. */
  kick(): void {
    if (this.closed || !this.opts.url) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((err) => this.opts.logger?.warn({ err }, 'webhook delivery pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), Math.max(0, Math.min(delayMs, 2_147_000_000)));
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    const t = this.store.t('events');
    for (;;) {
      if (this.closed) return;
      // Lease a batch so that another sandbox process on the same schema skips it.
      const batch = await this.store.pool.query(
        `update ${t} set next_attempt_at = now() + interval '60 seconds'
          where id in (select id from ${t} where delivery = 'pending' and next_attempt_at <= now() order by seq limit 20 for update skip locked)
          returning id, data, attempts, seq`,
      );
      if (!batch.rowCount) break;
      const rows = batch.rows.sort((a, b) => Number(a.seq) - Number(b.seq));
      for (const row of rows) {
        if (this.closed) return;
        const error = await this.send(row.data);
        if (!error) {
          await this.store.pool.query(`update ${t} set delivery = 'delivered', delivered_at = now(), attempts = attempts + 1, last_error = null where id = $1`, [row.id]);
        } else {
          const attempts = row.attempts + 1;
          const delay = Math.min(this.opts.retryBaseMs * 2 ** (attempts - 1), this.opts.maxDelayMs);
          const gaveUp = attempts >= this.opts.maxAttempts;
          await this.store.pool.query(
            `update ${t} set attempts = $2, last_error = $3, delivery = $4, next_attempt_at = now() + ($5 || ' milliseconds')::interval where id = $1`,
            [row.id, attempts, error, gaveUp ? 'failed' : 'pending', String(delay)],
          );
          this.opts.logger?.debug({ eventId: row.id, attempts, error }, gaveUp ? 'webhook delivery gave up' : 'webhook delivery failed; will retry');
        }
      }
    }
    const next = await this.store.pool.query(`select extract(epoch from (min(next_attempt_at) - now())) * 1000 as ms from ${t} where delivery = 'pending'`);
    const ms = next.rows[0]?.ms;
    if (ms !== null && ms !== undefined) this.schedule(Number(ms) + 5);
  }

  /** Returns undefined on a 2xx, else a short reason. */
  private async send(event: Record<string, unknown>): Promise<string | undefined> {
    const payload = JSON.stringify(event, null, 2);
    const ac = new AbortController();
    this.inflight.add(ac);
    const timeout = setTimeout(() => ac.abort(), this.opts.timeoutMs);
    try {
      const res = await fetch(this.opts.url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)', 'stripe-signature': signPayload(payload, this.opts.secret) },
        body: payload,
        signal: ac.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      return err instanceof Error ? `${err.name}: ${(err.cause as Error | undefined)?.message ?? err.message}` : String(err);
    } finally {
      clearTimeout(timeout);
      this.inflight.delete(ac);
    }
  }

  /** Waits until no delivery pass is running (tests: "everything pending has been tried"). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const ac of this.inflight) ac.abort();
    await this.running?.catch(() => undefined);
  }
}
