// The Express application: thin by design. It validates, authenticates, enforces
// idempotency, starts/signals workflows and serves read models. Used by src/api/main.ts
// and, with supertest, by the tests.
import express, { type Express, type RequestHandler } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import type { Config } from '../infra/config.ts';
import type { Logger } from '../infra/logger.ts';
import type { Metrics } from '../infra/metrics.ts';
import { createCatalogService } from '../catalog/service.ts';
import { createOrderReadModel } from '../orders/read-model.ts';
import { authenticate, createVerifier } from './middleware/auth.ts';
import { errorHandler, notFoundHandler } from './middleware/problem.ts';
import { byCustomer, byIp, rateLimit } from './middleware/rate-limit.ts';
import { requestId, requireJson, safeJsonBody, verifyJsonBody } from './middleware/request.ts';
import { docsSecurityHeaders, securityHeaders } from './middleware/security-headers.ts';
import { createOpenApiDocument } from './openapi.ts';
import { createOrderChangeHub } from './order-changes.ts';
import { createOrderCommands } from './order-commands.ts';
import { createAdmission, type Admission } from './admission.ts';
import { createCheckoutStarter, type CheckoutStarter } from './checkout-starter.ts';
import { adminRoutes } from './routes/admin.ts';
import { devTokenRoutes } from './routes/dev-tokens.ts';
import { codecCors, codecRoutes } from './routes/codec.ts';
import { healthRoutes } from './routes/health.ts';
import { orderRoutes } from './routes/orders.ts';
import { productRoutes } from './routes/products.ts';
import { financeRoutes } from './routes/finance.ts';
import { opsRoutes } from './routes/ops.ts';
import { ROUTES, type RouteName } from './routes/table.ts';
import { ServedRoutes, type RouteBindings } from './routing.ts';
import { pageRoutes } from './routes/pages.ts';
import { webhookRoutes } from './routes/webhooks.ts';

export interface AppDeps {
  config: Config;
  orm: MikroORM;
  redis: Redis;
  /** A dedicated connection for pub/sub (order-change wake-ups). Without it, waits re-check Postgres only. */
  redisSub?: Redis;
  temporal: Client;
  logger: Logger;
  metrics: Metrics;
  /** Safety-net Postgres re-check period of Prefer: wait / long-polls (default 1.5 s). */
  waitRecheckMs?: number;
  /** True once graceful shutdown began: /readyz then answers 503. */
  isStopping?: () => boolean;
  /** Starts the workflows of accepted orders (default: one created here; stop it with stopIntake). */
  starter?: CheckoutStarter;
  admission?: Admission;
}

/** What createApp started besides routes: stop it on shutdown, after the HTTP server closed. */
export interface IntakeHandle {
  starter: CheckoutStarter;
  admission: Admission;
  stop(): Promise<void>;
}

export function createApp(deps: AppDeps): Express {
  const { config, orm, redis, logger, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // order ETags are computed explicitly (strong, representation hash)
  app.set('trust proxy', config.http.trustProxy);

  const catalog = createCatalogService({ orm, redis, logger });
  const readModel = createOrderReadModel(orm);
  const changes = createOrderChangeHub({ redisSub: deps.redisSub, config, logger, recheckMs: deps.waitRecheckMs });
  const starter = deps.starter ?? createCheckoutStarter({ orm, temporal: deps.temporal, config, logger, metrics });
  const admission = deps.admission ?? createAdmission({ orm, maxInFlight: config.admission.maxInFlight, logger, metrics });
  const intake: IntakeHandle = {
    starter,
    admission,
    async stop() {
      admission.stop();
      await starter.stop();
    },
  };
  app.locals.intake = intake;
  const commands = createOrderCommands({ orm, temporal: deps.temporal, readModel, starter, admission, logger });
  const verify = createVerifier(config.auth);
  const auth = authenticate(verify);
  const limiterDeps = { redis, metrics, logger };

  app.use(requestId());
  app.use(securityHeaders());
  app.use(httpMetrics(metrics));
  app.use(
    pinoHttp({
      logger,
      genReqId: (_req, res) => String(res.getHeader('x-request-id')),
      customProps: (_req, res) => {
        const locals = (res as unknown as { locals?: { requestId?: string; orderId?: string } }).locals;
        return { requestId: locals?.requestId, ...(locals?.orderId ? { orderId: locals.orderId } : {}) };
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
      // The access log must not cost a share of a core under load: method, path, status and
      // time only (no headers), every error, and a sample of the successes.
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 || Math.random() < config.http.logSuccessSample ? 'info' : 'silent'),
    }),
  );

  // Every operation is declared once in routes/table.ts; the routers bind handlers to it and
  // are mounted below in middleware order. The same table answers 405 and builds /openapi.json.
  const served = new ServedRoutes<RouteName>(ROUTES);
  app.locals.servedRoutes = served;

  // Webhooks read the raw body (signature) — BEFORE express.json; not IP rate-limited (Stripe retries).
  served.mount(app, webhookRoutes({ config, orm, temporal: deps.temporal, logger, metrics }));
  // Temporal Web UI codec endpoint (own body parser and CORS; not under /v1, not rate-limited).
  app.use('/codec', codecCors(config));
  served.mount(app, codecRoutes({ config, verify }));

  app.use('/v1', rateLimit(limiterDeps, { scope: 'ip', limit: config.rateLimits.requestsPerMinute, key: byIp }));
  // Authenticate before reading any body: anonymous callers cannot make us parse uploads.
  app.use(['/v1/orders', '/v1/admin', '/v1/finance'], auth);
  app.use(requireJson());
  app.use(express.json({ limit: config.http.bodyLimit, strict: true, type: ['application/json', 'application/*+json'], verify: verifyJsonBody }));
  app.use(safeJsonBody());

  // Public
  const document = apiDocument();
  served.mount(app, healthRoutes({ orm, redis, temporal: deps.temporal, metrics, isStopping: deps.isStopping, metricsToken: config.http.metricsToken, logger, document }));
  app.use('/docs', docsSecurityHeaders(), swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'Checkout API' }) as RequestHandler);
  served.mount(app, productRoutes(catalog));
  served.mount(app, devTokenRoutes(config));
  const pages = pageRoutes(config);
  app.use('/demo', pages.demo);
  app.use('/console', pages.console);
  app.use('/pages', pages.assets);

  // Authenticated (see above)
  const createLimiter = rateLimit(limiterDeps, { scope: 'customer', limit: config.rateLimits.ordersPerMinute, key: byCustomer });
  served.mount(app, orderRoutes({ readModel, commands, changes, metrics, createLimiter }));
  served.mount(app, adminRoutes(catalog));
  served.mount(app, opsRoutes({ orm, temporal: deps.temporal, config, logger, metrics }));
  served.mount(app, financeRoutes({ orm, temporal: deps.temporal, config, logger, metrics }));

  app.use(notFoundHandler((path) => served.allowedMethods(path)));
  app.use(errorHandler(logger));
  return app;
}

/** The OpenAPI document served at /openapi.json (also the source of the typed client in client/). */
export function apiDocument() {
  return createOpenApiDocument();
}

/** An Express router serving `bindings` alone (tests mount one router on a bare app). */
export function routerFor(bindings: RouteBindings<RouteName>): express.Router {
  const router = express.Router();
  new ServedRoutes<RouteName>(ROUTES).mount(router, bindings);
  return router;
}

/** Every route the app serves, as [METHOD, path template] (from the route table, in mount order). */
export function registeredRoutes(app: Express): [string, string][] {
  return (app.locals.servedRoutes as ServedRoutes<RouteName>).list();
}

function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
