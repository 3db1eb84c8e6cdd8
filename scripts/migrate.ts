// npm run migrate [-- down]  — applies (or rolls back) migrations on DATABASE_URL.
import { loadConfig } from '../src/infra/config.ts';
import { ensureDatabase } from '../src/infra/database.ts';
import { initOrm } from '../src/orm.ts';

const config = loadConfig();
await ensureDatabase(config.database.url);
const orm = await initOrm(config.database);
try {
  if (process.argv[2] === 'down') {
    const done = await orm.migrator.down();
    console.log(`rolled back: ${done.map((m) => m.name).join(', ') || 'nothing'}`);
  } else {
    const done = await orm.migrator.up();
    console.log(`applied: ${done.map((m) => m.name).join(', ') || 'nothing (up to date)'}`);
  }
} finally {
  await orm.close();
}
