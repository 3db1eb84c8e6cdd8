// The only module that reads process.env. Every process calls loadConfig() once at
// start; everything else receives the resulting object (or parts of it) explicitly.
import * as z from 'zod';

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 500ms, 30s, 15m, 2h or 7d');

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Each variable, its default and what it is for. `.env.example` mirrors this list. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SERVICE_NAME: z.string().default('checkout'),

  // HTTP API
  HOST: z.string().default('0.0.0.0'),
  PORT: port.default(3000),
  PUBLIC_BASE_URL: z.string().url().optional(),
  BODY_LIMIT: z.string().default('100kb'),
  TRUST_PROXY: bool.default(false),
  /** Share of successful (< 400) requests written to the access log; errors are always logged. */
  HTTP_LOG_SUCCESS_SAMPLE: z.coerce.number().min(0).max(1).default(0.01),
  /** Admission control: orders in progress (PENDING) above which POST /v1/orders answers 429 over_capacity; 0 = off. */
  ADMISSION_MAX_IN_FLIGHT: z.coerce.number().int().min(0).default(1500),

  // Storage
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/checkout'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379/0'),
  REDIS_KEY_PREFIX: z.string().default('checkout:'),

  // Temporal
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_CA_PATH: z.string().optional(),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_CLI_PATH: z.string().optional(),
  TEMPORAL_TEST_SERVER_PATH: z.string().optional(),
  WORKFLOW_BUNDLE_PATH: z.string().optional(),

  // Workers
  WORKER_POOLS: z.string().default('checkout,inventory,payments,orders'),
  WORKER_SHUTDOWN_GRACE: duration.default('30s'),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(1000).default(50),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(1).max(1000).default(40),
  /** Payment activities per second across the whole payments queue; default derived from the provider's limit (see paymentsRateFor). */
  PAYMENTS_MAX_PER_SECOND: z.coerce.number().positive().optional(),
  METRICS_PORT: port.default(9464),
  TEMPORAL_METRICS_PORT: port.default(9564),
  /** Interface of a worker's metrics ports (prom-client + /healthz, Temporal SDK); 0.0.0.0 where a scraper in another host or container must reach them. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Bearer token for the API's /metrics; when unset, /metrics answers loopback clients only. */
  METRICS_TOKEN: z.string().min(16).optional(),

  // Checkout behaviour
  PAYMENT_ACTION_TIMEOUT: duration.default('15m'),
  CAPTURE_RETRY_WINDOW: duration.default('24h'),

  // Payments (Stripe or the local sandbox)
  STRIPE_SECRET_KEY: z.string().min(1).default('sk_test_sandbox'),
  STRIPE_API_BASE: z.string().default('http://127.0.0.1:12111'),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).default('whsec_dev_sandbox_secret'),
  STRIPE_MAX_NETWORK_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  STRIPE_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  STRIPE_PUBLISHABLE_KEY: z.string().regex(/^pk_(test|live)_[A-Za-z0-9]+$/, 'a Stripe publishable key (pk_test_… / pk_live_…)').optional(),

  // Payment sandbox (offline Stripe stand-in)
  SANDBOX_HOST: z.string().default('127.0.0.1'),
  SANDBOX_PORT: port.default(12111),
  SANDBOX_WEBHOOK_URL: z.string().default('http://127.0.0.1:3000/v1/webhooks/stripe'),
  SANDBOX_AUTH_EXPIRY: duration.default('7d'),
  SANDBOX_DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('sandbox'),
  /** The sandbox answers 429 above this many API requests per second, like Stripe's live-mode limit; 0 = unlimited. */
  SANDBOX_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(0).default(100),

  // Auth
  AUTH_JWT_ALGORITHM: z.enum(['HS256', 'RS256']).default('HS256'),
  AUTH_JWT_SECRET: z.string().min(16, 'at least 16 characters').default('dev-only-secret-change-me-in-production'),
  AUTH_JWKS_URL: z.string().url().optional(),
  AUTH_JWT_ISSUER: z.string().optional(),
  AUTH_JWT_AUDIENCE: z.string().optional(),
  DEV_TOKENS: bool.optional(),

  // Rate limits
  RATE_LIMIT_ORDERS_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  RATE_LIMIT_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).default(1200),

  // Reconciliation
  RECONCILIATION_INTERVAL: duration.default('15m'),
  RECONCILIATION_LOOKBACK: duration.default('2h'),
  RECONCILIATION_CAPTURED_POLICY: z.enum(['refund', 'confirm']).default('refund'),
  RECONCILIATION_SCHEDULE_ENABLED: bool.default(true),

  // Local dev stack (scripts/dev.ts): the Temporal dev server listens on TEMPORAL_ADDRESS's port.
  DEV_DATA_DIR: z.string().default('.data'),
  DEV_METRICS_PORT_BASE: port.default(9100),
  DEV_TEMPORAL_METRICS_PORT_BASE: port.default(9200),
  DEV_STOP_GRACE: duration.default('10s'),
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}\nFix the variables above (see .env.example) and start again.`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Parses and validates an environment. Throws ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  // Empty strings mean "not set" so that `FOO=` in a .env file falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  if (e.AUTH_JWT_ALGORITHM === 'RS256' && !e.AUTH_JWKS_URL) {
    throw new ConfigError(['AUTH_JWKS_URL: required when AUTH_JWT_ALGORITHM=RS256']);
  }
  if (e.NODE_ENV === 'production' && e.AUTH_JWT_ALGORITHM === 'HS256' && e.AUTH_JWT_SECRET === envSchema.shape.AUTH_JWT_SECRET.parse(undefined)) {
    throw new ConfigError(['AUTH_JWT_SECRET: the development default must not be used in production']);
  }
  if (e.NODE_ENV === 'production' && e.DEV_TOKENS) {
    throw new ConfigError(['DEV_TOKENS: minting tokens over HTTP is for development only and must not be enabled in production']);
  }
  return Object.freeze(toConfig(e));
}

export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

/**
 * Requests per second the payment provider accepts: Stripe allows about 100 in live mode and
 * 25 in test mode; the sandbox enforces SANDBOX_RATE_LIMIT_PER_SECOND (0 = no limit).
 */
export function providerRequestLimit(e: Pick<Env, 'STRIPE_API_BASE' | 'STRIPE_SECRET_KEY' | 'SANDBOX_RATE_LIMIT_PER_SECOND'>): number {
  if (e.STRIPE_API_BASE !== 'stripe') return e.SANDBOX_RATE_LIMIT_PER_SECOND || 1000;
  return /^(sk|rk)_live_/.test(e.STRIPE_SECRET_KEY) ? 100 : 25;
}

/**
 * The payments queue's activity rate: 90 % of the provider's limit, halved because one
 * activity makes at most two requests (a compensation reads the intent, then voids or
 * refunds it). Temporal enforces it across every payments worker.
 */
export function paymentsRateFor(providerLimit: number): number {
  return Math.max(1, Math.floor((providerLimit * 0.9) / 2));
}

function toConfig(e: Env) {
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    serviceName: e.SERVICE_NAME,
    http: {
      host: e.HOST,
      port: e.PORT,
      publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://127.0.0.1:${e.PORT}`,
      bodyLimit: e.BODY_LIMIT,
      trustProxy: e.TRUST_PROXY,
      logSuccessSample: e.HTTP_LOG_SUCCESS_SAMPLE,
      metricsToken: e.METRICS_TOKEN,
    },
    admission: { maxInFlight: e.ADMISSION_MAX_IN_FLIGHT },
    database: { url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX },
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      apiKey: e.TEMPORAL_API_KEY,
      tls: e.TEMPORAL_TLS_CERT_PATH
        ? { certPath: e.TEMPORAL_TLS_CERT_PATH, keyPath: e.TEMPORAL_TLS_KEY_PATH, caPath: e.TEMPORAL_TLS_CA_PATH }
        : undefined,
      uiPort: e.TEMPORAL_UI_PORT,
      cliPath: e.TEMPORAL_CLI_PATH,
      testServerPath: e.TEMPORAL_TEST_SERVER_PATH,
      workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
    },
    worker: {
      pools: e.WORKER_POOLS.split(',').map((s) => s.trim()).filter(Boolean),
      shutdownGraceMs: parseDuration(e.WORKER_SHUTDOWN_GRACE),
      maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTasks: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      paymentsMaxPerSecond: e.PAYMENTS_MAX_PER_SECOND ?? paymentsRateFor(providerRequestLimit(e)),
      metricsHost: e.METRICS_HOST,
      metricsPort: e.METRICS_PORT,
      temporalMetricsPort: e.TEMPORAL_METRICS_PORT,
    },
    checkout: {
      paymentActionTimeout: e.PAYMENT_ACTION_TIMEOUT,
      captureRetryWindow: e.CAPTURE_RETRY_WINDOW,
    },
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      /** Empty/"stripe" means the real Stripe API; otherwise a base URL such as http://127.0.0.1:12111. */
      apiBase: e.STRIPE_API_BASE === 'stripe' ? undefined : e.STRIPE_API_BASE,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
      maxNetworkRetries: e.STRIPE_MAX_NETWORK_RETRIES,
      timeoutMs: e.STRIPE_TIMEOUT_MS,
    },
    sandbox: {
      host: e.SANDBOX_HOST,
      port: e.SANDBOX_PORT,
      webhookUrl: e.SANDBOX_WEBHOOK_URL,
      authorizationExpiryMs: parseDuration(e.SANDBOX_AUTH_EXPIRY),
      schema: e.SANDBOX_DATABASE_SCHEMA,
      rateLimitPerSecond: e.SANDBOX_RATE_LIMIT_PER_SECOND,
    },
    auth: {
      algorithm: e.AUTH_JWT_ALGORITHM,
      secret: e.AUTH_JWT_SECRET,
      jwksUrl: e.AUTH_JWKS_URL,
      issuer: e.AUTH_JWT_ISSUER,
      audience: e.AUTH_JWT_AUDIENCE,
    },
    pages: {
      /** POST /v1/dev/tokens mints tokens for /demo and /console/finance; on by default outside production, refused in production. */
      devTokens: e.DEV_TOKENS ?? e.NODE_ENV !== 'production',
      /** With real Stripe: the demo page runs 3-D Secure through Stripe.js handleNextAction. */
      stripePublishableKey: e.STRIPE_PUBLISHABLE_KEY,
    },
    rateLimits: {
      ordersPerMinute: e.RATE_LIMIT_ORDERS_PER_MINUTE,
      requestsPerMinute: e.RATE_LIMIT_REQUESTS_PER_MINUTE,
    },
    reconciliation: {
      interval: e.RECONCILIATION_INTERVAL,
      lookbackMs: parseDuration(e.RECONCILIATION_LOOKBACK),
      capturedPolicy: e.RECONCILIATION_CAPTURED_POLICY,
      scheduleEnabled: e.RECONCILIATION_SCHEDULE_ENABLED,
    },
    dev: {
      /** Relative paths are resolved against the project root. */
      dataDir: e.DEV_DATA_DIR,
      /** Worker process i (1-based) serves prom-client on base+i and Temporal SDK metrics on temporalBase+i; the API uses base+0. */
      metricsPortBase: e.DEV_METRICS_PORT_BASE,
      temporalMetricsPortBase: e.DEV_TEMPORAL_METRICS_PORT_BASE,
      stopGraceMs: parseDuration(e.DEV_STOP_GRACE),
    },
  };
}

export type Config = ReturnType<typeof toConfig>;

/** postgres://user:secret@host/db → postgres://user:***@host/db (for logs and fatal messages). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
