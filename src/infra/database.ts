// Creates the target database when it does not exist yet (fresh machines, test runs), or
// drops it (benchmarks that must start empty).
import pg from 'pg';

/** The database's name and a client on the server's `postgres` database to act on it. */
async function adminClientFor(url: string): Promise<{ name: string; client: pg.Client }> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsupported database name "${name}"`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  return { name, client };
}

/** Drops the database, closing its connections (a leftover from an interrupted run included). */
export async function dropDatabase(url: string): Promise<void> {
  const { name, client } = await adminClientFor(url);
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
}

export async function ensureDatabase(url: string): Promise<boolean> {
  const { name, client } = await adminClientFor(url);
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`create database "${name}"`);
    } catch (err) {
      // Two processes racing to create it is fine.
      if ((err as { code?: string }).code !== '42P04') throw err;
    }
    return true;
  } finally {
    await client.end();
  }
}
