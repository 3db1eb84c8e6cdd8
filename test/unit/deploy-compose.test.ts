// docker-compose.yml, Dockerfile and .dockerignore, checked without a Docker engine: the compose
// file against the Compose Specification's own JSON schema (vendored, see
// test/fixtures/compose-spec/README.md), then what the schema cannot know — that the stack
// would come up today and agrees with the code and with `npm run dev`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Ajv } from 'ajv';
import { loadConfig } from '../../src/infra/config.ts';
import { SEARCH_ATTRIBUTE_DEFINITIONS, parseDuration } from '../../src/contracts/index.ts';
import { TEMPORAL_DYNAMIC_CONFIG } from '../../scripts/lib/stack.ts';
import { ROOT, read, readYaml } from '../helpers/deploy.ts';

type Service = Record<string, any> & { profiles?: string[]; depends_on?: Record<string, unknown> | string[] };
const compose = readYaml<{ services: Record<string, Service> }>('docker-compose.yml');
const services = compose.services;
const profilesOf = (name: string) => services[name]!.profiles ?? [];
const inProfile = (profile: string) => Object.keys(services).filter((s) => profilesOf(s).includes(profile));
const dependencies = (s: Service) => (Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {}));

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification JSON schema', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    // The spec names its meta-schema with https; ajv ships draft-07 under the http id.
    const draft07 = JSON.parse(read('node_modules/ajv/dist/refs/json-schema-draft-07.json'));
    ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' });
    const validate = ajv.compile(JSON.parse(read('test/fixtures/compose-spec/compose-spec.json')));
    const ok = validate(compose);
    expect(ok ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
    // The validator does reject a wrong file (guards against a schema that accepts anything).
    expect(validate({ services: { x: { image: 'a', healthcheck: { tset: ['CMD', 'true'] } } } })).toBe(false);
  });

  it('runs the current Temporal server with its schema set up by admin-tools, not the deprecated auto-setup image', () => {
    const text = read('docker-compose.yml');
    expect(text).not.toMatch(/temporalio\/auto-setup/);
    expect(services.temporal!.image).toMatch(/^temporalio\/server:/);
    expect(services['temporal-schema']!.image).toMatch(/^temporalio\/admin-tools:/);
    expect(services.temporal!.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    for (const script of ['setup-schema.sh', 'setup-namespace.sh']) expect(existsSync(join(ROOT, 'deploy/temporal', script))).toBe(true);
  });

  it('health-checks Temporal with `temporal operator cluster health`, never tctl', () => {
    expect(services.temporal!.healthcheck.test.slice(0, 5)).toEqual(['CMD', 'temporal', 'operator', 'cluster', 'health']);
    expect(read('docker-compose.yml')).not.toMatch(/\btctl\b/);
  });

  it('sets the same dynamic config as the dev stack (updates, one partition per task queue)', () => {
    const mount = services.temporal!.volumes.find((v: string) => v.includes('dynamicconfig'));
    const [source, target] = mount.split(':');
    expect(target).toBe(`/etc/temporal/${services.temporal!.environment.DYNAMIC_CONFIG_FILE_PATH}`);
    const dynamic = readYaml(source.replace(/^\.\//, ''));
    for (const kv of TEMPORAL_DYNAMIC_CONFIG) {
      const [key, value] = kv.split('=');
      expect(dynamic[key!]).toEqual([{ value: value === 'true' ? true : value === 'false' ? false : Number(value) }]);
    }
  });

  it('registers exactly the search attributes the workflows use', () => {
    const script = read('deploy/temporal/setup-namespace.sh');
    const listed = Object.fromEntries([...script.matchAll(/\b([A-Za-z]+)=(Keyword|Int)\b/g)].map((m) => [m[1], m[2]]));
    expect(listed).toEqual(SEARCH_ATTRIBUTE_DEFINITIONS);
  });

  it('profile infra publishes Postgres, Redis, Temporal and its UI on the ports `npm run dev` expects', () => {
    const defaults = loadConfig({});
    const port = (service: string) => services[service]!.ports.map((p: string) => Number(p.split(':').at(-2)));
    expect(port('postgres')).toContain(Number(new URL(defaults.database.url).port));
    expect(port('redis')).toContain(Number(new URL(defaults.redis.url).port));
    expect(port('temporal')).toContain(Number(defaults.temporal.address.split(':')[1]));
    expect(port('temporal-ui')).toContain(defaults.temporal.uiPort);
    // Same database name and user as the default DATABASE_URL, so `npm run dev` needs no settings.
    const url = new URL(defaults.database.url);
    expect(services.postgres!.environment).toMatchObject({ POSTGRES_USER: url.username, POSTGRES_DB: url.pathname.slice(1) });
    expect(inProfile('infra').sort()).toEqual(['postgres', 'redis', 'temporal', 'temporal-postgres', 'temporal-schema', 'temporal-setup', 'temporal-ui']);
  });

  it('every dependency is a service that is active whenever the dependent one is', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const dep of dependencies(s)) {
        expect(services[dep]).toBeDefined();
        for (const profile of profilesOf(name)) {
          // demo services run together with app (documented: --profile app --profile demo)
          const active = profile === 'demo' ? ['demo', 'app'] : [profile];
          expect({ service: name, profile, dep, ok: profilesOf(dep).length === 0 || profilesOf(dep).some((p) => active.includes(p)) }).toMatchObject({ ok: true });
        }
      }
    }
  });

  it('every app service\'s environment (defaults interpolated) passes the config validation it will meet at start', () => {
    const interpolate = (v: unknown) => String(v).replace(/\$\{(\w+):-([^}]*)\}/g, (_m, _name, fallback: string) => fallback);
    for (const [name, s] of Object.entries(services)) {
      if (s.image !== 'durable-checkout:local') continue;
      const env = Object.fromEntries(Object.entries(s.environment as Record<string, unknown>).map(([k, v]) => [k, interpolate(v)]));
      expect({ name, error: (() => { try { loadConfig(env); return undefined; } catch (err) { return (err as Error).message; } })() }).toEqual({ name, error: undefined });
    }
  });

  it('workers get more time to stop than WORKER_SHUTDOWN_GRACE, and every pool has its service', () => {
    for (const pool of ['checkout', 'inventory', 'payments', 'orders']) {
      const s = services[`worker-${pool}`]!;
      expect(s.command).toEqual(['node', `workers/${pool}.ts`]);
      const grace = parseDuration(s.environment.WORKER_SHUTDOWN_GRACE);
      expect(parseDuration(s.stop_grace_period)).toBeGreaterThan(grace);
    }
  });

  it('the demo seed never runs under NODE_ENV=production', () => {
    const seeding = Object.entries(services).filter(([, s]) => JSON.stringify(s.command ?? []).includes('seed'));
    expect(seeding.map(([n]) => n)).toEqual(['seed']);
    expect(services.seed!.environment.NODE_ENV).not.toBe('production');
    expect(profilesOf('seed')).toEqual(['demo']);
    expect(read('scripts/seed.ts')).toMatch(/config\.env === 'production'/);
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = read('Dockerfile');
  const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const instructions = dockerfile.split('\n').filter((l) => /^[A-Z]+ /.test(l));

  it('is a multi-stage build that installs exactly the lockfile with npm ci', () => {
    expect(instructions.filter((l) => l.startsWith('FROM ')).length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/RUN npm ci --omit=dev/);
    expect(dockerfile).not.toMatch(/npm install/);
  });

  /** The text of one stage, from its FROM line to the next. */
  const stage = (name: string) => {
    const start = dockerfile.search(new RegExp(`^FROM \\S+ AS ${name}$`, 'm'));
    expect(start).toBeGreaterThanOrEqual(0);
    const next = dockerfile.indexOf('\nFROM ', start + 1);
    return dockerfile.slice(start, next < 0 ? undefined : next);
  };

  it('runs as a non-root user and loads the prebuilt workflow bundle', () => {
    const runtime = stage('runtime');
    const user = runtime.match(/^USER (\S+)/m)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(runtime).toMatch(/WORKFLOW_BUNDLE_PATH=\/app\/dist\/workflow-bundle\.js/);
    expect(runtime).toMatch(/COPY --from=bundle \/app\/dist/);
    expect(dockerfile).toMatch(/RUN node scripts\/bundle-workflows\.ts dist\/workflow-bundle\.js/);
  });

  it('builds production by default, without the payment sandbox; only the demo target adds it', () => {
    expect(dockerfile.trimEnd().split('\n').filter((l) => l.startsWith('FROM ')).at(-1)).toBe('FROM runtime AS production');
    for (const name of ['deps', 'bundle', 'runtime', 'production']) expect(stage(name)).not.toMatch(/^COPY sandbox/m);
    expect(stage('demo')).toMatch(/^COPY sandbox \.\/sandbox$/m);
    const compose = read('docker-compose.yml');
    expect(compose).toMatch(/sandbox:[^\n]*\n(?:.*\n){0,2}\s+build: \{ context: \., target: demo \}/);
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const sources = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    for (const src of sources) {
      expect({ src, exists: existsSync(join(ROOT, src)) }).toEqual({ src, exists: true });
      expect({ src, ignored: ignored.some((pattern) => src === pattern || src.startsWith(`${pattern}/`)) }).toEqual({ src, ignored: false });
    }
    for (const local of ['node_modules', '.git', '.env', '.data', '.tools']) expect(ignored).toContain(local);
  });
});
