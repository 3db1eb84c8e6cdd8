// Tracing and Worker Versioning are off unless configured, and their settings are checked at
// start like every other variable (src/infra/config.ts, src/infra/tracing.ts, workers/runner.ts).
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/infra/config.ts';
import { activeTraceId, startTracing, traceFields, tracedBundlePath } from '../../src/infra/tracing.ts';
import { deploymentOptions } from '../../workers/runner.ts';

describe('tracing configuration', () => {
  it('is off by default: nothing started, no trace fields, no trace id', async () => {
    const config = loadConfig({});
    expect(config.tracing).toMatchObject({ exporter: 'none', endpoint: 'http://127.0.0.1:4318', scheduleDelayMs: 5000 });
    const tracing = await startTracing(config, 'api');
    expect(tracing.enabled).toBe(false);
    expect(tracing.clientInterceptors).toBeUndefined();
    expect(tracing.workerInterceptors).toBeUndefined();
    expect(traceFields()).toEqual({});
    expect(activeTraceId()).toBeUndefined();
  });

  it('accepts otlp with an endpoint (trailing slash dropped) and refuses anything else', () => {
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing.endpoint).toBe('http://collector:4318');
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('derives the traced bundle next to the plain one', () => {
    expect(tracedBundlePath('/app/dist/workflow-bundle.js')).toBe('/app/dist/workflow-bundle.traced.js');
  });
});

describe('Worker Versioning configuration', () => {
  it('is off unless a deployment name and a build id are both set', () => {
    expect(loadConfig({}).temporal.deployment).toBeUndefined();
    expect(deploymentOptions(loadConfig({}))).toEqual({});
    expect(() => loadConfig({ TEMPORAL_DEPLOYMENT_NAME: 'durable-checkout' })).toThrow(/set both/);
    expect(() => loadConfig({ TEMPORAL_BUILD_ID: '1.2.3' })).toThrow(/set both/);
  });

  it('turns into the workers\' deployment options, auto-upgrade unless told pinned', () => {
    const on = { TEMPORAL_DEPLOYMENT_NAME: 'durable-checkout', TEMPORAL_BUILD_ID: '1.2.3' };
    expect(deploymentOptions(loadConfig(on))).toEqual({
      workerDeploymentOptions: { version: { deploymentName: 'durable-checkout', buildId: '1.2.3' }, useWorkerVersioning: true, defaultVersioningBehavior: 'AUTO_UPGRADE' },
    });
    expect(deploymentOptions(loadConfig({ ...on, TEMPORAL_VERSIONING_BEHAVIOR: 'pinned' })).workerDeploymentOptions?.defaultVersioningBehavior).toBe('PINNED');
    expect(() => loadConfig({ ...on, TEMPORAL_BUILD_ID: 'has space' })).toThrow(/TEMPORAL_BUILD_ID/);
  });
});
