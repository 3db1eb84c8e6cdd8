// API test fixture: the real stack (Temporal dev server, workers, sandbox, Postgres, Redis)
// + createApp, listening on an ephemeral port (so webhooks reach it), plus JWT minting.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { SignJWT, type JWTPayload } from 'jose';
import supertest from 'supertest';
import { createCheckoutClient, type CheckoutClient } from '../../client/src/index.ts';
import { createApp, registeredRoutes, type IntakeHandle } from '../../src/api/app.ts';
import type { Config } from '../../src/infra/config.ts';
import { createRedis, type Redis } from '../../src/infra/redis.ts';
import { startTestStack, type TestStack, type TestStackOptions } from './stack.ts';

export type Role = 'customer' | 'ops' | 'finance';

/** An HS256 token signed with the configured secret (override anything to forge bad ones). */
export async function mintToken(
  config: Pick<Config, 'auth'>,
  opts: { sub?: string; roles?: unknown; expiresIn?: string | number; secret?: string; claims?: JWTPayload; alg?: string } = {},
): Promise<string> {
  const jwt = new SignJWT({ roles: opts.roles ?? ['customer'], ...opts.claims })
    .setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' })
    .setSubject(opts.sub ?? 'customer-1')
    .setIssuedAt();
  if (opts.expiresIn !== undefined) jwt.setExpirationTime(opts.expiresIn);
  else jwt.setExpirationTime('10m');
  if (config.auth.issuer) jwt.setIssuer(config.auth.issuer);
  if (config.auth.audience) jwt.setAudience(config.auth.audience);
  return jwt.sign(new TextEncoder().encode(opts.secret ?? config.auth.secret));
}

/** An unsigned `alg: none` token (must always be refused). */
export function unsignedToken(payload: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600, ...payload })}.`;
}

export interface ApiFixture {
  stack: TestStack;
  app: Express;
  server: Server;
  baseUrl: string;
  redisSub: Redis;
  http: () => ReturnType<typeof supertest>;
  /**
   * The typed client (client/) on this API, sending `token` as the bearer: what tests use for
   * ordinary calls. `http()` (supertest) stays for requests a client would never send
   * (malformed bodies, forged tokens) and for reading raw headers or bytes.
   */
  client: (token?: string) => CheckoutClient;
  token: (sub: string, ...roles: Role[]) => Promise<string>;
  /** Another app on the same stack with different config (e.g. tiny rate limits). */
  appWith: (env: Record<string, string>) => Express;
  /** An app a test built itself: its intake relay is stopped with the fixture. */
  adopt: (app: Express) => Express;
  stop: () => Promise<void>;
}

export async function startApiFixture(opts: TestStackOptions = {}): Promise<ApiFixture> {
  const stack = await startTestStack(opts);
  await stack.redis.flushdb(); // rate-limit windows and idempotency claims of earlier suites
  const redisSub = createRedis(stack.config.redis);
  redisSub.on('error', () => undefined);
  const apps: Express[] = [];
  const build = (config: Config) => {
    const a = createApp({ config, orm: stack.orm, redis: stack.redis, redisSub, temporal: stack.client, logger: stack.logger, metrics: stack.metrics });
    apps.push(a);
    return a;
  };
  const app = build(stack.config);
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Until the API serves webhooks, the stack's relay signals workflows directly.
  if (registeredRoutes(app).some(([m, p]) => m === 'POST' && p === '/v1/webhooks/stripe')) stack.setWebhookTarget(`${baseUrl}/v1/webhooks/stripe`);
  const { testConfig } = await import('./env.ts');
  return {
    stack,
    app,
    server,
    baseUrl,
    redisSub,
    http: () => supertest(server),
    client: (token) => createCheckoutClient({ baseUrl, token: () => token }),
    adopt: (a) => {
      apps.push(a);
      return a;
    },
    token: (sub, ...roles) => mintToken(stack.config, { sub, roles: roles.length ? roles : ['customer'] }),
    appWith: (env) =>
      build(testConfig({ TEMPORAL_ADDRESS: stack.config.temporal.address, STRIPE_API_BASE: stack.config.stripe.apiBase ?? '', STRIPE_WEBHOOK_SECRET: stack.config.stripe.webhookSecret, ...env })),
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(() => r(undefined)));
      redisSub.disconnect();
      for (const a of apps) await (a.locals.intake as IntakeHandle).stop();
      await stack.stop();
    },
  };
}

/** Row counts of the tables an order request could write. */
export async function rowCounts(stack: TestStack): Promise<Record<string, number>> {
  const tables = ['orders', 'order_items', 'order_events', 'payments', 'payment_events', 'reservations', 'customers', 'products', 'inventory_levels'];
  const conn = stack.orm.em.getConnection();
  const out: Record<string, number> = {};
  for (const t of tables) {
    const [{ n }] = await conn.execute<{ n: string }[]>(`select count(*)::int as n from ${t}`);
    out[t] = Number(n);
  }
  return out;
}

export const orderBody = (items: { sku: string; quantity: number }[] = [{ sku: 'BOK-SYSTEMS-01', quantity: 1 }], paymentMethod = 'pm_card_visa') => ({ items, paymentMethod });

/** Waits until `check` returns a truthy value (bounded; no busy loop). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
