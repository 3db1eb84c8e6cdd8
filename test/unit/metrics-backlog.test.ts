// The backlog poller must never take its process down: with Temporal unreachable a poll
// resolves, warns (rate-limited) and leaves the gauges as they were.
import { describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { startBacklogGauge } from '../../src/infra/backlog.ts';
import { createMetrics } from '../../src/infra/metrics.ts';

describe('startBacklogGauge', () => {
  it('survives an unreachable Temporal: polls resolve, one warning, no gauge values invented', async () => {
    // No gRPC retry interceptor: a retry timer firing after close() would throw uncaught.
    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '300ms', interceptors: [] }) });
    const metrics = createMetrics('backlog-test');
    const warnings: unknown[] = [];
    const log = { warn: (o: unknown) => warnings.push(o) } as never;
    const gauge = startBacklogGauge(client, metrics, ['checkout', 'payments'], 1000, log); // polls bounded by 1 s
    try {
      await gauge.poll();
      await gauge.poll();
      expect(warnings).toHaveLength(1);
      const text = await metrics.registry.metrics();
      expect(text).toContain('# TYPE temporal_task_queue_backlog gauge');
      expect(text).not.toMatch(/^temporal_task_queue_backlog\{/m);
    } finally {
      gauge.stop();
      await client.connection.close().catch(() => undefined);
    }
  }, 20_000);
});
