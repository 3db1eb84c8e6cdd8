// `npm run test:fast`: the tiers that need no Postgres, Redis or payment sandbox (see
// fastProjects in jest.config.js), hence no global setup creating the test database.
import { fastProjects } from './jest.config.js';

export default {
  projects: fastProjects,
  testTimeout: 30_000,
};
