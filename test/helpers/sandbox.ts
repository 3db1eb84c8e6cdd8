// Test helpers for the payment sandbox: start one on port 0 against the test database,
// and a small typed client for its admin endpoints (faults, inspection, 3-D Secure).
// The client speaks HTTP, so it works as well against a sandbox in another process.
import type { Config } from '../../src/infra/config.ts';
import type { FaultConfig } from '../../sandbox/faults.ts';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/server.ts';
import { TEST_DATABASE_URL } from './env.ts';

export type { FaultConfig };
export const TEST_WEBHOOK_SECRET = 'whsec_test_sandbox_secret';

/** A PaymentIntent as the sandbox holds it: charge expanded, plus its refunds. */
export interface SandboxIntent {
  id: string;
  status: 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'requires_capture' | 'canceled' | 'succeeded';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  /** Sum of refunds (from the charge). */
  amount_refunded: number;
  currency: string;
  created: number;
  capture_method: string;
  cancellation_reason: string | null;
  metadata: Record<string, string>;
  last_payment_error: { code?: string; decline_code?: string; message?: string } | null;
  latest_charge: { id: string; amount_captured: number; amount_refunded: number; captured: boolean; refunded: boolean; status: string } | null;
  refunds: { id: string; amount: number; status: string; metadata: Record<string, string> }[];
}

export interface SandboxEventRecord {
  id: string;
  type: string;
  created: number;
  payment_intent: string | null;
  order_id: string | null;
  /** pending | delivered | failed | suppressed | none (no endpoint) */
  delivery: string;
  attempts: number;
  last_error: string | null;
  data: { id: string; type: string; data: { object: Record<string, any> } };
}

export interface SandboxClient {
  url: string;
  setFaults(faults: FaultConfig): Promise<void>;
  clearFaults(): Promise<void>;
  intents(filter?: { orderId?: string }): Promise<SandboxIntent[]>;
  /** I2: intents of the order that still hold or took money. */
  liveIntents(orderId: string): Promise<SandboxIntent[]>;
  events(filter?: { orderId?: string; paymentIntent?: string; type?: string }): Promise<SandboxEventRecord[]>;
  /** Simulates the customer completing or failing 3-D Secure. */
  authenticate(paymentIntentId: string, outcome: 'succeed' | 'fail'): Promise<SandboxIntent>;
  /** false = events are still recorded (and listed) but never delivered ("missed webhooks"). */
  setWebhooks(enabled: boolean): Promise<void>;
  redeliver(filter?: { ids?: string[]; orderId?: string }): Promise<number>;
  setAuthorizationExpiry(ms: number): Promise<void>;
  /** Makes search miss intents younger than this (Stripe's search index lag); 0 = consistent. */
  setSearchLag(ms: number): Promise<void>;
  /** Stripe-like request rate limit on /v1 (429 beyond it); 0 = unlimited. */
  setRateLimit(perSecond: number): Promise<void>;
  /** Forgets idempotency keys (Stripe forgets them after 24 h): a later call with the key is new. */
  forgetIdempotencyKeys(prefix?: string): Promise<number>;
  state(): Promise<Record<string, any>>;
  reset(): Promise<void>;
}

export function sandboxClient(url: string): SandboxClient {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/_sandbox${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`sandbox ${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const qs = (o: Record<string, string | undefined>) => {
    const p = new URLSearchParams(Object.entries(o).filter(([, v]) => v !== undefined) as [string, string][]);
    return p.size ? `?${p}` : '';
  };
  const client: SandboxClient = {
    url,
    setFaults: async (faults) => void (await call('POST', '/faults', faults)),
    clearFaults: async () => void (await call('DELETE', '/faults')),
    intents: async (f = {}) => (await call<{ data: SandboxIntent[] }>('GET', `/payment_intents${qs({ order_id: f.orderId })}`)).data,
    liveIntents: async (orderId) =>
      (await client.intents({ orderId })).filter((i) => ['requires_capture', 'succeeded', 'requires_action', 'processing'].includes(i.status)),
    events: async (f = {}) => (await call<{ data: SandboxEventRecord[] }>('GET', `/events${qs({ order_id: f.orderId, payment_intent: f.paymentIntent, type: f.type })}`)).data,
    authenticate: (id, outcome) => call<SandboxIntent>('POST', `/payment_intents/${encodeURIComponent(id)}/authenticate`, { outcome }),
    setWebhooks: async (enabled) => void (await call('POST', '/webhooks', { enabled })),
    redeliver: async (filter = {}) => (await call<{ requeued: number }>('POST', '/events/redeliver', filter)).requeued,
    setAuthorizationExpiry: async (ms) => void (await call('POST', '/config', { authorizationExpiryMs: ms })),
    setSearchLag: async (ms) => void (await call('POST', '/config', { searchLagMs: ms })),
    setRateLimit: async (perSecond) => void (await call('POST', '/config', { rateLimitPerSecond: perSecond })),
    forgetIdempotencyKeys: async (prefix) => (await call<{ forgotten: number }>('POST', '/idempotency_keys/forget', prefix === undefined ? {} : { prefix })).forgotten,
    state: () => call('GET', '/state'),
    reset: async () => void (await call('POST', '/reset')),
  };
  return client;
}

export interface TestSandbox extends SandboxClient {
  sandbox: Sandbox;
  port: number;
  /** Stripe config pointing the real SDK at this sandbox (for createStripeProvider). */
  stripeConfig(overrides?: Partial<Config['stripe']>): Config['stripe'];
  close(): Promise<void>;
}

/**
 * Starts a sandbox on an ephemeral port against the test database. `fresh` (default true)
 * empties its tables first, so earlier test files' intents and pending webhooks don't leak in.
 */
export async function startTestSandbox(opts: Partial<SandboxOptions> = {}): Promise<TestSandbox> {
  const sandbox = await startSandbox({
    port: 0,
    databaseUrl: TEST_DATABASE_URL,
    webhookSecret: TEST_WEBHOOK_SECRET,
    webhookRetryBaseMs: 200,
    fresh: true,
    ...opts,
  });
  return {
    ...sandboxClient(sandbox.url),
    sandbox,
    port: sandbox.port,
    stripeConfig: (overrides = {}) => ({
      secretKey: 'sk_test_sandbox',
      apiBase: sandbox.url,
      webhookSecret: opts.webhookSecret ?? TEST_WEBHOOK_SECRET,
      maxNetworkRetries: 0,
      timeoutMs: 5000,
      ...overrides,
    }),
    close: () => sandbox.close(),
  };
}
