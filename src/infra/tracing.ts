// OpenTelemetry tracing, off by default (OTEL_TRACES_EXPORTER=none): then nothing below the
// first `if` runs, no SDK module is loaded and nothing is patched.
//
// On (otlp), one trace follows an order: the API's HTTP server span (http + express
// instrumentations) → the Temporal client's StartWorkflow span (the intake relay starts the
// workflow in the request's context, src/api/checkout-starter.ts) → the workflow's RunWorkflow
// and StartActivity spans (the workflow interceptors in the traced bundle, exported through a
// sink) → each activity's RunActivity span on its worker → the Postgres, Redis and provider
// HTTP calls the activity makes. Spans go to an OTLP/HTTP collector in batches.
//
// The processes are ES modules and the instrumented libraries are CommonJS packages they
// import: the loader hooks the instrumentations rely on do not see those imports, so the
// libraries are patched here, directly, before the process builds its app, clients and pools.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { trace, type Span, type Tracer } from '@opentelemetry/api';
import type { ClientInterceptors } from '@temporalio/client';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { Config } from './config.ts';

export interface Tracing {
  readonly enabled: boolean;
  /** Client interceptors that open StartWorkflow/SignalWorkflow spans and carry the context in headers. */
  readonly clientInterceptors?: ClientInterceptors;
  /** Activity interceptors + the workflow interceptor module (it must be in the bundle, see workflowInterceptorModules). */
  readonly workerInterceptors?: WorkerInterceptors;
  /** The sink the workflow interceptors export their spans through. */
  readonly workerSinks?: InjectedSinks<any>;
  /** Flushes and stops the exporter (call last at shutdown). */
  shutdown(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** The workflow-side interceptors of @temporalio/interceptors-opentelemetry: bundled into the traced workflow bundle. */
export const workflowInterceptorModules = [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];

/** The traced variant of a prebuilt workflow bundle: dist/workflow-bundle.js → dist/workflow-bundle.traced.js. */
export function tracedBundlePath(codePath: string): string {
  return codePath.replace(/(\.js)?$/, '.traced.js');
}

const OFF: Tracing = { enabled: false, shutdown: async () => undefined };

/** trace_id/span_id of the active span, for log lines (empty when there is none). */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const span: Span | undefined = trace.getActiveSpan();
  if (!span) return {};
  const c = span.spanContext();
  return { trace_id: c.traceId, span_id: c.spanId };
}

/** The active trace id (problem responses carry it), or undefined. */
export function activeTraceId(): string | undefined {
  return traceFields().trace_id;
}

/**
 * Starts tracing for one process (`role`: api, worker-payments, …). Must run before the
 * process creates its Express app, database pool, Redis clients and payment provider.
 */
export async function startTracing(config: Pick<Config, 'tracing' | 'serviceName'>, role: string): Promise<Tracing> {
  const t = config.tracing;
  if (t.exporter === 'none') return OFF;

  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { Resource }, { OTLPTraceExporter }, otelTemporal] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@temporalio/interceptors-opentelemetry'),
  ]);
  const resource = new Resource({ 'service.name': t.serviceName ?? `${config.serviceName}-${role}` });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${t.endpoint}/v1/traces` }), { scheduledDelayMillis: t.scheduleDelayMs });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // The AsyncLocalStorage context manager and W3C trace-context propagation.
  provider.register();
  await instrumentLibraries();

  const tracer: Tracer = trace.getTracer('durable-checkout');
  return {
    enabled: true,
    clientInterceptors: { workflow: [new otelTemporal.OpenTelemetryWorkflowClientInterceptor({ tracer })] },
    workerInterceptors: {
      activity: [(ctx) => ({ inbound: new otelTemporal.OpenTelemetryActivityInboundInterceptor(ctx, { tracer }), outbound: new otelTemporal.OpenTelemetryActivityOutboundInterceptor(ctx) })],
      workflowModules: workflowInterceptorModules,
    },
    workerSinks: { exporter: otelTemporal.makeWorkflowExporter(processor, resource) },
    shutdown: () => provider.shutdown(),
  };
}

/**
 * http/https (server and client spans: the API's requests, the Stripe SDK's calls), Express
 * (route names, middleware), pg (every query, MikroORM's included) and ioredis (every command).
 */
async function instrumentLibraries(): Promise<void> {
  const [{ HttpInstrumentation }, { PgInstrumentation }, { ExpressInstrumentation }, { IORedisInstrumentation }, { syncBuiltinESMExports }] = await Promise.all([
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-express'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('node:module'),
  ]);
  // Constructed disabled (no require/import hooks of theirs, which would miss these ES-module
  // imports or patch the same exports twice), then applied to the loaded CommonJS exports: the
  // very objects the imports received.
  const off = { enabled: false } as const;
  const http = new HttpInstrumentation({ ...off, ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)\b/.test(req.url ?? '') });
  patchLoaded(http, 'http', process.versions.node);
  patchLoaded(http, 'https', process.versions.node);
  // `import { request } from 'node:http'` sees the patched functions only after this.
  syncBuiltinESMExports();
  const pg = new PgInstrumentation(off);
  patchLoaded(pg, 'pg');
  patchLoaded(pg, 'pg-pool');
  patchLoaded(new ExpressInstrumentation(off), 'express');
  // No instrumentation-ioredis release declares ioredis 6 yet; the command path it wraps
  // (Redis.prototype.sendCommand) is unchanged in 6, and its spans are checked by a test.
  patchLoaded(new IORedisInstrumentation({ ...off, requireParentSpan: true }), 'ioredis');
}

interface PatchableInstrumentation {
  setTracerProvider(provider: unknown): void;
  getModuleDefinitions(): { name: string; patch?: (exports: any, version?: string) => unknown }[];
}

function patchLoaded(instrumentation: unknown, moduleName: string, version?: string): void {
  const exports = require(moduleName);
  const v = version ?? packageVersion(moduleName);
  const inst = instrumentation as PatchableInstrumentation;
  inst.setTracerProvider(trace.getTracerProvider());
  for (const def of inst.getModuleDefinitions()) {
    if (def.name === moduleName) def.patch?.(exports, v);
  }
}

/** The installed version of a package (not every package exports its package.json). */
function packageVersion(name: string): string {
  for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (pkg.name === name) return pkg.version;
    } catch {
      // no package.json at this level
    }
  }
  throw new Error(`cannot find the version of ${name}`);
}
