// Jest runs the TypeScript sources directly as ES modules through @swc/jest.
// NODE_OPTIONS=--experimental-vm-modules is set by scripts/test.ts (MikroORM 7 is ESM-only).
const swc = ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }];

export const project = (displayName, testMatch, extra = {}) => ({
  displayName,
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  testMatch,
  ...extra,
});

/**
 * The fast tier (`npm run test:fast`): pure unit tests and the saga against scripted activities
 * on the time-skipping server. No Postgres or Redis, so jest.fast.config.js runs it without the
 * global setup.
 */
export const fastProjects = [
  project('unit', ['<rootDir>/test/unit/**/*.test.ts']),
  project('fast', ['<rootDir>/test/fast/**/*.test.ts']),
];

export default {
  projects: [
    ...fastProjects,
    project('workflow', ['<rootDir>/test/workflow/**/*.test.ts']),
    project('integration', ['<rootDir>/test/integration/**/*.test.ts']),
    project('e2e', ['<rootDir>/test/e2e/**/*.test.ts']),
  ],
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  testTimeout: 60_000,
};
