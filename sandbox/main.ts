// Payment sandbox process: the offline Stripe stand-in of the dev stack.
// Point the app at it with STRIPE_API_BASE=http://SANDBOX_HOST:SANDBOX_PORT.
import { ConfigError, loadConfig } from '../src/infra/config.ts';
import { Lifecycle, fatal } from '../src/infra/lifecycle.ts';
import { createLogger } from '../src/infra/logger.ts';
import { startSandbox } from './server.ts';

let config;
try {
  config = loadConfig();
} catch (err) {
  fatal(undefined, err instanceof ConfigError ? err.message : 'cannot read the configuration', err instanceof ConfigError ? undefined : err);
}
const log = createLogger(config, 'sandbox');
const lifecycle = new Lifecycle(log);
lifecycle.installSignalHandlers();

try {
  const sandbox = await startSandbox({
    port: config.sandbox.port,
    host: config.sandbox.host,
    databaseUrl: config.database.url,
    schema: config.sandbox.schema,
    webhookUrl: config.sandbox.webhookUrl || undefined,
    webhookSecret: config.stripe.webhookSecret,
    authorizationExpiryMs: config.sandbox.authorizationExpiryMs,
    rateLimitPerSecond: config.sandbox.rateLimitPerSecond,
    logger: log,
  });
  lifecycle.onStop('sandbox', () => sandbox.close());
  log.info({ url: sandbox.url, webhookUrl: config.sandbox.webhookUrl }, `payment sandbox ready at ${sandbox.url} (set STRIPE_API_BASE=${sandbox.url})`);
} catch (err) {
  const hint = /already in use/.test((err as Error).message)
    ? `Another process holds port ${config.sandbox.port}: stop it or set SANDBOX_PORT (and STRIPE_API_BASE) to a free port.`
    : /Postgres/.test((err as Error).message)
      ? 'Is Postgres running and DATABASE_URL correct? (scripts/setup.sh starts it on this machine.)'
      : 'The payment sandbox could not start.';
  fatal(log, `payment sandbox failed to start. ${hint}`, err);
}
