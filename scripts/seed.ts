// npm run seed — loads the demo catalog (idempotent).
import { loadConfig } from '../src/infra/config.ts';
import { initOrm } from '../src/orm.ts';
import { seedDemoCatalog } from './lib/demo-catalog.ts';

const config = loadConfig();
// Demo data never goes into a production database, whatever runs this script.
if (config.env === 'production') {
  console.error('✖ scripts/seed.ts loads the demo catalog and refuses to run with NODE_ENV=production.');
  process.exit(1);
}
const orm = await initOrm(config.database);
try {
  const r = await seedDemoCatalog(orm.em.fork());
  console.log(`demo catalog: ${r.products} products, ${r.levelsCreated} new stock rows`);
} finally {
  await orm.close();
}
