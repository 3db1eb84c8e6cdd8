// One pino logger per process; children carry orderId / workflowId / runId / requestId.
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';

export type { Logger };

export function createLogger(config: Pick<Config, 'logLevel' | 'serviceName'>, component: string): Logger {
  return pino({
    level: config.logLevel,
    base: { service: config.serviceName, component },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['req.headers.authorization', 'authorization', '*.secretKey', '*.apiKey'], censor: '[redacted]' },
  });
}
