// One pino logger per process; children carry orderId / workflowId / runId / requestId.
// With tracing on, every line written while a span is active carries its trace_id and span_id.
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import { traceFields } from './tracing.ts';

export type { Logger };

export function createLogger(config: Pick<Config, 'logLevel' | 'serviceName'> & Partial<Pick<Config, 'tracing'>>, component: string): Logger {
  return pino({
    level: config.logLevel,
    base: { service: config.serviceName, component },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['req.headers.authorization', 'authorization', '*.secretKey', '*.apiKey'], censor: '[redacted]' },
    ...(config.tracing?.exporter === 'otlp' ? { mixin: traceFields } : {}),
  });
}
