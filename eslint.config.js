// Lint: TypeScript rules everywhere, plus the determinism guard for workflow code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Business areas under src/ (the domain layer) and the layers above it. */
const DOMAIN = ['orders', 'inventory', 'payments', 'reconciliation', 'catalog', 'customers'];
const UPPER = ['workflows', 'activities', 'workers', 'api'];
const nodeBuiltins = ['fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'child_process', 'worker_threads', 'timers', 'process', 'dns', 'stream', 'url', 'util', 'events', 'zlib', 'cluster', 'readline', 'perf_hooks', 'async_hooks', 'v8', 'vm'];

export default tseslint.config(
  // src/pages/static/*.js are built bundles (scripts/build-pages.ts); web/ is their source.
  { ignores: ['node_modules/', '.data/', '.tools/', 'dist/', 'coverage/', 'bench/reports/', 'test-results/', 'src/pages/static/'] },
  { files: ['web/**/*.ts'], languageOptions: { globals: { ...globals.browser } } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Read configuration through src/infra/config.ts (loadConfig) only.' }],
    },
  },
  {
    files: ['src/infra/config.ts', 'scripts/**', 'test/**', 'bench/**', '.ci/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  // ---- Layers (docs/architecture.md): imports only run down. ------------------------------------
  //   src/contracts  ←  src/infra  ←  domain (src/orders, inventory, payments, reconciliation,
  //   catalog, customers)  ←  activities/  ←  workers/, src/api/   ;   workflows/ → contracts only
  {
    files: ['src/contracts/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['../*', '../**'], message: 'Contracts sit at the bottom: they import nothing else of ours.' }] }] },
  },
  {
    files: ['src/infra/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: [...DOMAIN, ...UPPER].map((d) => `**/${d}/**`), message: 'Infrastructure does not import domain or upper layers; register through a composition root.' }] }] },
  },
  {
    files: DOMAIN.map((d) => `src/${d}/**/*.ts`),
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: UPPER.map((d) => `**/${d}/**`), message: 'Domain code does not import workflows, activities, workers or the API; shared shapes live in src/contracts.' }] }] },
  },
  {
    files: ['activities/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/workflows/**', '**/workers/**', '**/src/api/**'], message: 'Activities adapt domain code to Temporal; they do not import workflows, workers or the API.' }] }] },
  },
  {
    // Workflow code is replayed: it must be deterministic and must not touch I/O.
    files: ['workflows/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...nodeBuiltins.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: 'Workflows are deterministic: no Node I/O modules.' })),
          ...['@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing'].map((name) => ({ name, message: 'Workflows may import only @temporalio/workflow (and @temporalio/common).' })),
        ],
        patterns: [
          { group: ['@mikro-orm/*', 'ioredis', 'stripe', 'express', 'pg', 'pino*', 'prom-client', 'zod'], message: 'Infrastructure belongs in activities, not workflows.' },
          { group: ['**/src/infra/**', '**/src/api/**', ...DOMAIN.map((d) => `**/src/${d}/**`), '**/sandbox/**', '**/activities/**'], allowTypeImports: true, message: 'Workflows import src/contracts and only types from activities.' },
        ],
      }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'process', 'require', 'fetch'],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use workflow-safe randomness (uuid4() from @temporalio/workflow).' }],
    },
  },
);
