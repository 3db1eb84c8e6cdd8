// deploy/k8s, offline: `kubectl kustomize` builds it (kustomize is built into kubectl; without
// kubectl the test reads the listed resources itself), every object is validated against the
// Kubernetes API schemas (kubernetes-models) and KEDA's (@kubernetes-models/keda), then what
// a schema cannot know: each pool has its Deployment, PDB, probes on the real health
// endpoints, a grace period longer than WORKER_SHUTDOWN_GRACE and a scaler on its own queue.
// Schemas here check types, required fields and enums; unknown fields are caught only where a
// test below reads them (kubeconform --strict would catch all, but it is not on npm).
import { describe, expect, it } from '@jest/globals';
import { Namespace, ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { envSchema } from '../../src/infra/config.ts';
import { TASK_QUEUES, parseDuration, type PoolName } from '../../src/contracts/index.ts';
import { read, readYaml, readYamlAll, run, which } from '../helpers/deploy.ts';

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

function build(): { objects: any[]; builtBy: string } {
  const kubectl = which('kubectl');
  if (kubectl) {
    const r = run(kubectl, ['kustomize', 'deploy/k8s']);
    if (r.status !== 0) throw new Error(`kubectl kustomize deploy/k8s failed:\n${r.output}`);
    return { objects: readYamlAll(r.output), builtBy: 'kubectl kustomize' };
  }
  const k = readYaml('deploy/k8s/kustomization.yaml');
  return { objects: k.resources.flatMap((f: string) => readYamlAll(read(`deploy/k8s/${f}`))), builtBy: 'resources list (kubectl not installed)' };
}

const { objects } = build();
const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
const named = (kind: string, name: string) => byKind(kind).find((o) => o.metadata.name === name);
const config = named('ConfigMap', 'checkout-config').data as Record<string, string>;
const POOLS = Object.keys(TASK_QUEUES) as PoolName[];

describe('deploy/k8s (kustomize)', () => {
  it('builds, and every object is valid against the Kubernetes / KEDA schema of its kind', () => {
    expect(objects.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      if (!Model) {
        problems.push(`${o.apiVersion}/${o.kind} ${o.metadata?.name}: no schema known to this test`);
        continue;
      }
      try {
        new Model(o).validate();
      } catch (err) {
        problems.push(`${o.kind}/${o.metadata?.name}: ${(err as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
    // The validator does reject a broken object.
    expect(() => new Deployment({ metadata: { name: 'x' }, spec: { selector: {}, template: { spec: { containers: [{ name: 'a', image: 'b', ports: [{ containerPort: 'http' }] }] } } } } as any).validate()).toThrow();
  });

  it('the ConfigMap only sets variables the config module knows', () => {
    const known = Object.keys(envSchema.shape);
    expect(Object.keys(config).filter((k) => !known.includes(k))).toEqual([]);
  });

  it('the workers\' build id is the image tag: one release, one Worker Deployment Version (docs/deploys.md)', () => {
    const images = readYaml('deploy/k8s/kustomization.yaml').images as { name: string; newTag: string }[];
    expect(config.TEMPORAL_DEPLOYMENT_NAME).toBeTruthy();
    expect(config.TEMPORAL_BUILD_ID).toBe(images.find((i) => i.name === 'durable-checkout')!.newTag);
  });

  it('has a Deployment for the API and for each pool, running the pool\'s entry as non-root', () => {
    const deployments = byKind('Deployment').map((d) => d.metadata.name).sort();
    expect(deployments).toEqual(['api', ...POOLS.map((p) => `worker-${p}`)].sort());
    for (const pool of POOLS) {
      const pod = named('Deployment', `worker-${pool}`).spec.template.spec;
      expect(pod.containers[0].command).toEqual(['node', `workers/${pool}.ts`]);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.containers[0].envFrom.map((e: any) => e.configMapRef?.name ?? e.secretRef?.name)).toEqual(['checkout-config', 'checkout-secrets']);
    }
  });

  it('probes hit the existing health endpoints on the ports the processes listen on', () => {
    const port = (container: any, name: string | number) => (typeof name === 'number' ? name : container.ports.find((p: any) => p.name === name).containerPort);
    const api = named('Deployment', 'api').spec.template.spec.containers[0];
    expect(api.readinessProbe.httpGet.path).toBe('/readyz');
    expect(api.livenessProbe.httpGet.path).toBe('/healthz');
    expect(port(api, api.readinessProbe.httpGet.port)).toBe(Number(api.env.find((e: any) => e.name === 'PORT').value));
    for (const pool of POOLS) {
      const c = named('Deployment', `worker-${pool}`).spec.template.spec.containers[0];
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        expect(c[probe].httpGet.path).toBe('/healthz');
        expect(port(c, c[probe].httpGet.port)).toBe(Number(config.METRICS_PORT));
      }
    }
  });

  it('worker pods get longer to stop than WORKER_SHUTDOWN_GRACE, so in-flight activities finish', () => {
    const graceSeconds = parseDuration(config.WORKER_SHUTDOWN_GRACE!) / 1000;
    for (const pool of POOLS) {
      expect(named('Deployment', `worker-${pool}`).spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(graceSeconds);
    }
  });

  it('a PodDisruptionBudget covers the API and every pool', () => {
    for (const name of ['api', ...POOLS.map((p) => `worker-${p}`)]) {
      const pdb = named('PodDisruptionBudget', name);
      expect(pdb).toBeDefined();
      const labels = named('Deployment', name).spec.template.metadata.labels;
      expect(labels).toMatchObject(pdb.spec.selector.matchLabels);
    }
  });

  it('each pool autoscales on its own task-queue backlog (KEDA Temporal scaler); KEDA owns the replica count', () => {
    for (const pool of POOLS) {
      const so = named('ScaledObject', `worker-${pool}`);
      expect(so.spec.scaleTargetRef.name).toBe(`worker-${pool}`);
      expect(so.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      const [trigger] = so.spec.triggers;
      expect(trigger.type).toBe('temporal');
      expect(trigger.metadata).toMatchObject({ taskQueue: TASK_QUEUES[pool], namespace: config.TEMPORAL_NAMESPACE, queueTypes: pool === 'checkout' ? 'workflow' : 'activity' });
      expect(Number(trigger.metadata.targetQueueSize)).toBeGreaterThan(0);
      // endpointFromEnv reads the target pod's environment: it must define that variable.
      expect(config[trigger.metadata.endpointFromEnv]).toBeDefined();
      expect(named('Deployment', `worker-${pool}`).spec.replicas).toBeUndefined();
    }
  });
});
