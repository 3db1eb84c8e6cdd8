// Schemathesis (from PyPI, installed by scripts/setup.sh into .tools/schemathesis) against the
// API's own /openapi.json on the real stack, once per role: examples, coverage, fuzzing and the
// stateful phase (links from POST /v1/orders to reading and cancelling the order). Every answer
// must be no 5xx and conform to the document: status code, content type, headers and schema.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startApiFixture, type ApiFixture, type Role } from '../../helpers/api.ts';

const ST = resolve(import.meta.dirname, '../../../.tools/schemathesis/bin/st');
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_headers_conformance', 'response_schema_conformance'];

let f: ApiFixture;
beforeAll(async () => {
  // Rate limits off: Schemathesis would otherwise meet mostly 429s and test little behind them.
  f = await startApiFixture({ env: { RATE_LIMIT_REQUESTS_PER_MINUTE: '10000000', RATE_LIMIT_ORDERS_PER_MINUTE: '10000000' } });
}, 120_000);
afterAll(async () => f?.stop());

/** Runs `st` in a scratch directory: its example database and reports stay out of the repository. */
function schemathesis(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(ST, args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => done({ code, output }));
  });
}

describe('schemathesis against /openapi.json', () => {
  it.each<[Role, string]>([['customer', 'st-customer'], ['ops', 'st-ops'], ['finance', 'st-finance']])('as %s: no server error, every answer as documented', async (role, sub) => {
    expect(existsSync(ST) ? 'installed' : `missing ${ST}: run bash scripts/setup.sh (it installs schemathesis from PyPI)`).toBe('installed');
    const token = await f.token(sub, role);
    const dir = mkdtempSync(join(tmpdir(), 'schemathesis-'));
    try {
      const { code, output } = await schemathesis([
        'run', `${f.baseUrl}/openapi.json`,
        '--checks', CHECKS.join(','),
        '--phases', 'examples,coverage,fuzzing,stateful',
        '--max-examples', '12',
        '--workers', '1',
        '--seed', '20261130',
        '--request-timeout', '20',
        '--suppress-health-check', 'all',
        '--exclude-path-regex', '^/(docs|codec)',
        '-H', `Authorization: Bearer ${token}`,
        '--report', 'ndjson', '--report-dir', dir,
      ], dir);
      if (process.env.SCHEMATHESIS_PRINT) console.log(output.slice(-6000));
      const summary = output.split('\n').filter((l) => /passed|failed|error|Failures|FAILURES|Summary/i.test(l)).slice(-15).join('\n');
      expect({ exit: code, tail: code === 0 ? 'ok' : `${summary}\n${output.slice(-4000)}` }).toEqual({ exit: 0, tail: 'ok' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
