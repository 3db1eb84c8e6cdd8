// One order, one trace: the API and the workers run as their own processes with
// OTEL_TRACES_EXPORTER=otlp, exporting through the real OTLP/HTTP exporter to a small
// collector this test serves. Every span the order made must share the trace id of the
// API's HTTP span and hang from it in one tree: POST /v1/orders → StartWorkflow →
// RunWorkflow → StartActivity/RunActivity for reserve, authorize, confirm, capture → the
// payment provider's HTTP call (and the Postgres/Redis calls on the way).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { freePort } from '../../scripts/lib/net.ts';
import { cancelOrderUpdate, getStateQuery } from '../../src/contracts/index.ts';
import { eventually, mintToken } from '../helpers/api.ts';
import { spawnWorker, startTestStack, type TestStack, type WorkerProcess } from '../helpers/stack.ts';
import { testWorkflowBundle } from '../helpers/workflow-bundle.ts';

interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes: { key: string; value: Record<string, unknown> }[]; service: string }

const API_MAIN = fileURLToPath(new URL('../../src/api/main.ts', import.meta.url));
const spans: OtlpSpan[] = [];
let collector: Server;
let stack: TestStack;
let worker: WorkerProcess;
let api: ChildProcess;
let apiOut = '';
let base: string;

/** A minimal OTLP/HTTP (JSON) trace receiver. */
function startCollector(): Promise<string> {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const msg = JSON.parse(body.toString('utf8')) as { resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: Omit<OtlpSpan, 'service'>[] }[] }[] };
      for (const rs of msg.resourceSpans ?? []) {
        const service = String(rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue);
        for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, service });
      }
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  return new Promise((r) => collector.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(collector.address() as AddressInfo).port}`)));
}

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v ? (v.stringValue ?? v.intValue ?? v.boolValue) : undefined;
};

/** The trace as an indented tree (service:name kind), for DUMP_TRACE=1. */
function treeText(list: OtlpSpan[], parent?: string, depth = 0): string {
  return list.filter((s) => (s.parentSpanId || undefined) === parent)
    .map((s) => [`${'  '.repeat(depth)}${s.service}:${s.name} (kind ${s.kind})`, treeText(list, s.spanId, depth + 1)].filter(Boolean).join('\n'))
    .join('\n');
}

beforeAll(async () => {
  const endpoint = await startCollector();
  stack = await startTestStack({ pools: [] });
  await testWorkflowBundle({ traced: true }); // the workers derive its path from the plain bundle's
  const otel = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' };
  worker = await spawnWorker(stack, 'all', otel);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  api = spawn(process.execPath, [API_MAIN], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: String(port), HOST: '127.0.0.1',
      DATABASE_URL: stack.config.database.url, REDIS_URL: stack.config.redis.url, REDIS_KEY_PREFIX: stack.config.redis.keyPrefix,
      TEMPORAL_ADDRESS: stack.env.address, STRIPE_API_BASE: stack.sandbox.url, STRIPE_WEBHOOK_SECRET: stack.config.stripe.webhookSecret,
      RECONCILIATION_SCHEDULE_ENABLED: 'false', HTTP_LOG_SUCCESS_SAMPLE: '1', ...otel,
    },
  });
  api.stdout!.on('data', (d: Buffer) => (apiOut += d.toString()));
  api.stderr!.on('data', (d: Buffer) => (apiOut += d.toString()));
  await eventually(async () => {
    if (api.exitCode !== null) throw new Error(`API exited:\n${apiOut}`);
    return fetch(`${base}/healthz`).then((r) => r.ok, () => false);
  }, 30_000);
}, 120_000);

afterAll(async () => {
  if (api && api.exitCode === null) {
    const exited = new Promise((r) => api.once('exit', r));
    api.kill('SIGTERM');
    await exited;
  }
  await worker?.kill('SIGTERM');
  await stack?.stop();
  await new Promise((r) => collector?.close(r));
});

describe('tracing (OTEL_TRACES_EXPORTER=otlp)', () => {
  it('one order yields one connected trace, from the HTTP request to the provider call', async () => {
    const token = await mintToken(stack.config, { sub: 'trace-customer' });
    const res = await fetch(`${base}/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `trace-${Date.now()}` },
      body: JSON.stringify({ items: [{ sku: 'BOK-SYSTEMS-01', quantity: 1 }], paymentMethod: 'pm_card_visa' }),
    });
    expect(res.status).toBe(202);
    const orderId = ((await res.json()) as { id: string }).id;
    const handle = stack.client.workflow.getHandle(`order-${orderId}`);
    await eventually(async () => (await handle.query(getStateQuery).catch(() => undefined))?.paymentStatus === 'CAPTURED', 30_000);
    // The workflow's own span ends with the workflow: ops cancel (refund) closes the order.
    await handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: 'ops-trace', role: 'ops', reason: 'trace test' }] });
    await handle.result();

    const root = await eventually(async () => spans.find((s) => s.kind === 2 && s.service === 'checkout-api' && attr(s, 'http.route') === '/v1/orders' && attr(s, 'http.method') === 'POST'), 15_000);
    const names = ['StartWorkflow:checkout', 'RunWorkflow:checkout', ...['reserveStock', 'authorizePayment', 'confirmOrder', 'capturePayment'].flatMap((a) => [`StartActivity:${a}`, `RunActivity:${a}`])];
    const trace = () => spans.filter((s) => s.traceId === root.traceId);
    await eventually(async () => names.every((n) => trace().some((s) => s.name === n)), 15_000).catch(() => undefined);
    const inTrace = trace();
    if (process.env.DUMP_TRACE) process.stderr.write(`${treeText(inTrace)}\n`); // DUMP_TRACE=1: print the tree
    expect(names.filter((n) => !inTrace.some((s) => s.name === n))).toEqual([]);

    // One tree: the HTTP span is the only root; every other span's parent is in the trace.
    const ids = new Set(inTrace.map((s) => s.spanId));
    const orphans = inTrace.filter((s) => s !== root && !(s.parentSpanId && ids.has(s.parentSpanId)));
    expect(orphans.map((s) => `${s.service}:${s.name}`)).toEqual([]);
    expect(root.parentSpanId ?? '').toBe('');
    const byId = new Map(inTrace.map((s) => [s.spanId, s]));
    const ancestors = (s: OtlpSpan): string[] => {
      const out: string[] = [];
      for (let p = s.parentSpanId && byId.get(s.parentSpanId); p; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) out.push(p.name);
      return out;
    };
    const one = (name: string) => inTrace.find((s) => s.name === name)!;
    expect(ancestors(one('StartWorkflow:checkout'))).toContain(root.name);
    expect(ancestors(one('RunActivity:capturePayment'))).toEqual(expect.arrayContaining(['StartActivity:capturePayment', 'RunWorkflow:checkout', 'StartWorkflow:checkout']));

    // The provider call: an HTTP client span to the sandbox under the authorize activity.
    const sandboxPort = String(new URL(stack.sandbox.url).port);
    const providerCalls = inTrace.filter((s) => s.kind === 3 && String(attr(s, 'net.peer.port')) === sandboxPort);
    expect(providerCalls.some((s) => ancestors(s).includes('RunActivity:authorizePayment'))).toBe(true);
    expect(providerCalls.some((s) => ancestors(s).includes('RunActivity:capturePayment'))).toBe(true);
    // Postgres and Redis calls of the request and the activities belong to the trace too.
    expect(inTrace.some((s) => attr(s, 'db.system') === 'postgresql' && s.service === 'checkout-api')).toBe(true);
    expect(inTrace.some((s) => attr(s, 'db.system') === 'postgresql' && s.service.startsWith('checkout-worker'))).toBe(true);
    expect(inTrace.some((s) => attr(s, 'db.system') === 'redis')).toBe(true);
    // Processes: the API and the worker both contributed.
    expect(new Set(inTrace.map((s) => s.service))).toEqual(new Set(['checkout-api', 'checkout-worker-checkout-inventory-payments-orders']));
  }, 120_000);

  it('puts the trace id in the problem response and in the log lines of the request', async () => {
    const token = await mintToken(stack.config, { sub: 'trace-customer' });
    const res = await fetch(`${base}/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `trace-bad-${Date.now()}` },
      body: JSON.stringify({ items: [], paymentMethod: 'pm_card_visa' }),
    });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { traceId?: string; requestId: string };
    expect(problem.traceId).toMatch(/^[0-9a-f]{32}$/);
    // The HTTP span of that request carries the same trace id.
    await eventually(async () => spans.some((s) => s.traceId === problem.traceId && s.kind === 2), 10_000);
    // The access log line of the request carries it too.
    const line = await eventually(async () => apiOut.split('\n').find((l) => l.includes(problem.requestId)), 10_000);
    expect(JSON.parse(line)).toMatchObject({ trace_id: problem.traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
  }, 60_000);
});
