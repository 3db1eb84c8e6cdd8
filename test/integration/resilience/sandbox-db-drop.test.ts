// A dropped Postgres connection must not kill the payment sandbox. pg emits 'error' on a
// client that is checked out of the pool (inside a transaction, between two queries) when
// its backend goes away; with no listener that event is an uncaught exception and the
// whole process dies. The transaction in flight fails, the process keeps serving.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { TEST_DATABASE_URL } from '../../helpers/env.ts';

const STORE = fileURLToPath(new URL('../../../sandbox/store.ts', import.meta.url));

// Runs in a child process so that a crash is observed as a crash, not as a jest failure.
const SCRIPT = `
import pg from 'pg';
import { SandboxStore } from ${JSON.stringify(STORE)};
const url = process.env.DATABASE_URL;
const store = new SandboxStore({ databaseUrl: url, schema: 'sandbox_db_drop_test', authorizationExpiryMs: 60000, hasWebhookEndpoint: false, poolMax: 2 });
await store.migrate();
const admin = new pg.Client({ connectionString: url });
await admin.connect();
const outcome = await store.tx(async (c) => {
  const { rows } = await c.query('select pg_backend_pid() as pid');
  await admin.query('select pg_terminate_backend($1)', [rows[0].pid]);
  // The client is checked out and idle while its connection ends.
  await new Promise((r) => setTimeout(r, 500));
  await c.query('select 1');
}).then(() => 'committed', (err) => 'failed: ' + err.message);
console.log('transaction ' + outcome);
const after = await store.pool.query('select 1 as ok');
console.log('still serving ' + after.rows[0].ok);
await admin.end();
await store.close();
`;

function runScript(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: TEST_DATABASE_URL },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('sandbox store and a dropped Postgres connection', () => {
  it('fails the transaction in flight and keeps the process serving', async () => {
    const { code, out } = await runScript();
    expect(out).toMatch(/transaction failed: /);
    expect(out).toMatch(/still serving 1/);
    expect(code).toBe(0);
  }, 30_000);
});
