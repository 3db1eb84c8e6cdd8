// The only module that reads process.env. Every process calls loadConfig() once at
// start; everything else receives the resulting object (or parts of it) explicitly.
import * as z from 'zod';
import { parseDuration } from '../contracts/index.ts';

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 500ms, 30s, 15m, 2h or 7d');

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Development-only payload key (public, in the repository): production refuses it. */
const DEV_CODEC_KEYS = 'dev-2026-11:ZGV2LW9ubHktcGF5bG9hZC1rZXktbm90LXNlY3JldCE=';

export interface CodecKey {
  id: string;
  /** 32 bytes (AES-256). */
  key: Buffer;
}

/** PAYLOAD_CODEC_KEYS `id:base64,id:base64` → keys, the first is current. Throws naming the problem. */
export function parseCodecKeys(spec: string): CodecKey[] {
  const keys = spec.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const i = entry.indexOf(':');
    if (i <= 0) throw new Error(`"${entry.slice(0, 8)}…" is not <key id>:<base64 key>`);
    const id = entry.slice(0, i);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new Error(`key id "${id}" may only use letters, digits, . _ -`);
    const key = Buffer.from(entry.slice(i + 1), 'base64');
    if (key.length !== 32) throw new Error(`key "${id}" is ${key.length} bytes; AES-256 needs 32 (openssl rand -base64 32)`);
    return { id, key };
  });
  if (keys.length === 0) throw new Error('no key given');
  const ids = keys.map((k) => k.id);
  const dup = ids.find((id, n) => ids.indexOf(id) !== n);
  if (dup) throw new Error(`key id "${dup}" appears twice`);
  return keys;
}

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
  /**
   * Which proxies may set X-Forwarded-For: "false", a hop count (1 = the one load balancer in
   * front) or a comma list of addresses/CIDRs (or loopback, linklocal, uniquelocal). "true"
   * (trust everyone) is refused: any client could then spoof its IP past the rate limits.
   */
  TRUST_PROXY: z.string().default('false').transform((v, ctx) => {
    const t = v.trim();
    if (['false', '0', 'no'].includes(t)) return false as const;
    if (/^\d+$/.test(t)) return Number(t);
    if (['true', 'yes'].includes(t)) {
      ctx.addIssue({ code: 'custom', message: 'trusting every proxy lets any client spoof X-Forwarded-For; give a hop count (e.g. 1) or the proxies\' addresses/CIDRs' });
      return z.NEVER;
    }
    const list = t.split(',').map((x) => x.trim()).filter(Boolean);
    const ok = list.length > 0 && list.every((x) => ['loopback', 'linklocal', 'uniquelocal'].includes(x) || /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(x));
    if (!ok) {
      ctx.addIssue({ code: 'custom', message: 'false, a hop count, or a comma list of IP addresses / CIDRs (loopback, linklocal, uniquelocal allowed)' });
      return z.NEVER;
    }
    return list;
  }),
  /** Share of successful (< 400) requests written to the access log; errors are always logged. */
  HTTP_LOG_SUCCESS_SAMPLE: z.coerce.number().min(0).max(1).default(0.01),
  /** Admission control: orders in progress (PENDING) above which POST /v1/orders answers 429 over_capacity; 0 = off. */
  ADMISSION_MAX_IN_FLIGHT: z.coerce.number().int().min(0).default(1500),

  // Storage
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/checkout'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  /** How long a query waits for a free pool connection before failing (retryably); keep it below the activities' 30 s timeout. */
  DATABASE_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(100).max(25_000).default(10_000),
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
  /** Tokens must carry `exp` and `iat`; older than this (by `iat`) they are refused whatever their `exp`. */
  AUTH_JWT_MAX_AGE: duration.default('24h'),
  DEV_TOKENS: bool.optional(),

  // Payload encryption (src/infra/payload-codec.ts): every payload Temporal stores
  PAYLOAD_CODEC_KEYS: z.string().default(DEV_CODEC_KEYS),
  PAYLOAD_CODEC_CORS_ORIGINS: z.string().default('http://127.0.0.1:8233,http://localhost:8233'),
  PAYLOAD_CODEC_ENDPOINT_AUTH: z.enum(['none', 'ops']).optional(),

  // Rate limits
  RATE_LIMIT_ORDERS_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  RATE_LIMIT_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).default(1200),

  // Reconciliation
  RECONCILIATION_INTERVAL: duration.default('15m'),
  RECONCILIATION_LOOKBACK: duration.default('2h'),
  RECONCILIATION_CAPTURED_POLICY: z.enum(['refund', 'confirm']).default('refund'),
  RECONCILIATION_SCHEDULE_ENABLED: bool.default(true),

  // Tracing (src/infra/tracing.ts): OpenTelemetry spans from the HTTP request through the
  // workflow to each activity and the provider call. Off unless OTEL_TRACES_EXPORTER=otlp.
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none']).default('none'),
  /** OTLP/HTTP collector base URL; spans are posted to <endpoint>/v1/traces. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().default('http://127.0.0.1:4318'),
  /** The resource's service.name; default SERVICE_NAME plus the process role (checkout-api, checkout-worker-payments, …). */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** How long finished spans wait in the batch before export. */
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().min(10).max(60_000).default(5000),

  // Worker Versioning (docs/deploys.md): one deployment name, one build id per release.
  /** The Worker Deployment the workers join (e.g. durable-checkout); unset = unversioned workers. */
  TEMPORAL_DEPLOYMENT_NAME: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/).optional(),
  /** This release's build id (the image tag or git sha); required with TEMPORAL_DEPLOYMENT_NAME. */
  TEMPORAL_BUILD_ID: z.string().regex(/^[A-Za-z0-9._+-]{1,200}$/).optional(),
  /** The checkout's behaviour across deploys: auto_upgrade (open orders move to the new build) or pinned (they finish on theirs). */
  TEMPORAL_VERSIONING_BEHAVIOR: z.enum(['auto_upgrade', 'pinned']).default('auto_upgrade'),

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
  if (e.NODE_ENV === 'production' && e.AUTH_JWT_ALGORITHM === 'HS256' && new TextEncoder().encode(e.AUTH_JWT_SECRET).length < 32) {
    throw new ConfigError(['AUTH_JWT_SECRET: an HS256 secret must be at least 32 bytes in production']);
  }
  // Production talks to the provider it was told to, with the secret it was given: no defaults.
  if (e.NODE_ENV === 'production' && cleaned.STRIPE_API_BASE === undefined) {
    throw new ConfigError(['STRIPE_API_BASE: must be set in production ("stripe" for the real API); the default is the local sandbox']);
  }
  if (e.NODE_ENV === 'production' && (cleaned.STRIPE_WEBHOOK_SECRET === undefined || (e.STRIPE_API_BASE === 'stripe' && e.STRIPE_WEBHOOK_SECRET === envSchema.shape.STRIPE_WEBHOOK_SECRET.parse(undefined)))) {
    throw new ConfigError(['STRIPE_WEBHOOK_SECRET: must be set in production, and the public development value is refused with the real Stripe API']);
  }
  if (Boolean(e.TEMPORAL_DEPLOYMENT_NAME) !== Boolean(e.TEMPORAL_BUILD_ID)) {
    throw new ConfigError(['TEMPORAL_DEPLOYMENT_NAME / TEMPORAL_BUILD_ID: set both (a versioned worker) or neither (an unversioned one)']);
  }
  if (e.NODE_ENV === 'production' && e.DEV_TOKENS) {
    throw new ConfigError(['DEV_TOKENS: minting tokens over HTTP is for development only and must not be enabled in production']);
  }
  let codecKeys: CodecKey[];
  try {
    codecKeys = parseCodecKeys(e.PAYLOAD_CODEC_KEYS);
  } catch (err) {
    throw new ConfigError([`PAYLOAD_CODEC_KEYS: ${(err as Error).message}`]);
  }
  if (e.NODE_ENV === 'production' && e.PAYLOAD_CODEC_KEYS.includes(DEV_CODEC_KEYS.split(':')[1]!)) {
    throw new ConfigError(['PAYLOAD_CODEC_KEYS: the development key must not be used in production']);
  }
  return Object.freeze(toConfig(e, codecKeys));
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

function toConfig(e: Env, codecKeys: CodecKey[]) {
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
    database: { url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX, acquireTimeoutMs: e.DATABASE_ACQUIRE_TIMEOUT_MS },
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
      /** Worker Versioning: undefined = unversioned workers (local dev, tests). */
      deployment: e.TEMPORAL_DEPLOYMENT_NAME && e.TEMPORAL_BUILD_ID ? { name: e.TEMPORAL_DEPLOYMENT_NAME, buildId: e.TEMPORAL_BUILD_ID, behavior: e.TEMPORAL_VERSIONING_BEHAVIOR === 'pinned' ? 'PINNED' as const : 'AUTO_UPGRADE' as const } : undefined,
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
      maxAgeSeconds: Math.floor(parseDuration(e.AUTH_JWT_MAX_AGE) / 1000),
    },
    pages: {
      /** POST /v1/dev/tokens mints tokens for /demo and /console/finance; on by default outside production, refused in production. */
      devTokens: e.DEV_TOKENS ?? e.NODE_ENV !== 'production',
      /** With real Stripe: the demo page runs 3-D Secure through Stripe.js handleNextAction. */
      stripePublishableKey: e.STRIPE_PUBLISHABLE_KEY,
    },
    codec: {
      /** The first key encrypts; all of them decrypt (rotation). */
      keys: codecKeys,
      /** Origins allowed to call the codec endpoint (the Temporal Web UI). */
      corsOrigins: e.PAYLOAD_CODEC_CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean),
      /** Who may call the codec endpoint: anyone who reaches it, or an `ops` token. */
      endpointAuth: e.PAYLOAD_CODEC_ENDPOINT_AUTH ?? (e.NODE_ENV === 'production' ? 'ops' : 'none'),
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
    tracing: {
      /** 'none' (default): no SDK is loaded, nothing is patched. */
      exporter: e.OTEL_TRACES_EXPORTER,
      endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, ''),
      serviceName: e.OTEL_SERVICE_NAME,
      scheduleDelayMs: e.OTEL_BSP_SCHEDULE_DELAY,
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
