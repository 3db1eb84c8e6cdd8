// What `npm run dev` starts, checked without starting it (scripts/lib/stack.ts is pure).
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/infra/config.ts';
import { planStack } from '../../scripts/lib/stack.ts';

describe('npm run dev plan', () => {
  it('runs the Temporal dev store on SQLite in WAL mode with normal sync (one fsync per write serialised every workflow)', () => {
    const plan = planStack({ config: loadConfig({}), root: '/repo', env: {}, nodePath: '/usr/bin/node', temporalBin: '/bin/temporal', skip: new Set() });
    const temporal = plan.processes.find((p) => p.name === 'temporal')!;
    const pragmas = temporal.args.flatMap((a, i) => (temporal.args[i - 1] === '--sqlite-pragma' ? [a] : []));
    expect(pragmas).toEqual(['journal_mode=wal', 'synchronous=normal']);
    expect(temporal.args).toContain('--db-filename');
  });
});
