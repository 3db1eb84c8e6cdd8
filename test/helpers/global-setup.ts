// Runs once before the suite: a fresh test database with every migration applied.
import pg from 'pg';
import { ensureDatabase } from '../../src/infra/database.ts';
import { initOrm } from '../../src/orm.ts';
import { TEST_DATABASE_URL } from './env.ts';

export default async function globalSetup(): Promise<void> {
  await ensureDatabase(TEST_DATABASE_URL);
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query('drop schema if exists public cascade; create schema public;');
    await client.query('drop schema if exists sandbox cascade;');
  } finally {
    await client.end();
  }
  const orm = await initOrm({ url: TEST_DATABASE_URL, poolMax: 2 });
  try {
    await orm.migrator.up();
  } finally {
    await orm.close();
  }
}
