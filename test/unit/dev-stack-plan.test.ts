// What `npm run dev` starts, checked without starting it (scripts/lib/stack.ts is pure).
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/infra/config.ts';
import { parseScale, planStack } from '../../scripts/lib/stack.ts';

describe('npm run dev plan', () => {
  it('runs the Temporal dev store on SQLite in WAL mode with normal sync (one fsync per write serialised every workflow)', () => {
    const plan = planStack({ config: loadConfig({}), root: '/repo', env: {}, nodePath: '/usr/bin/node', temporalBin: '/bin/temporal', skip: new Set() });
    const temporal = plan.processes.find((p) => p.name === 'temporal')!;
    const pragmas = temporal.args.flatMap((a, i) => (temporal.args[i - 1] === '--sqlite-pragma' ? [a] : []));
    expect(pragmas).toEqual(['journal_mode=wal', 'synchronous=normal']);
    expect(temporal.args).toContain('--db-filename');
  });

  it('--scale runs several processes of one pool, each with its own metrics ports and the same task queue', () => {
    const config = loadConfig({});
    const plan = planStack({ config, root: '/repo', env: {}, nodePath: '/usr/bin/node', temporalBin: '/bin/temporal', skip: new Set(), scale: parseScale(['payments=3', 'inventory=2']) });
    const workers = plan.processes.filter((p) => p.tier === 2);
    expect(workers.map((p) => p.name)).toEqual(['checkout', 'inventory', 'inventory-2', 'payments', 'payments-2', 'payments-3', 'orders']);
    const payments = workers.filter((p) => p.env?.WORKER_POOLS === 'payments');
    expect(payments.map((p) => p.args[0])).toEqual(Array(3).fill('/repo/workers/payments.ts'));
    const ports = plan.ports.map((p) => p.port);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('--scale refuses what it cannot run, naming the problem', () => {
    expect(() => parseScale(['payments=0'])).toThrow(/1 to 8 \(to run none, use --skip payments\)/);
    expect(() => parseScale(['payment=2'])).toThrow(/"payment" is not a worker pool \(pools: checkout, inventory, payments, orders\)/);
    expect(() => parseScale(['payments'])).toThrow(/not <pool>=<replicas>/);
    expect(() => parseScale(['payments=9'])).toThrow(/1 to 8/);
    expect(() => parseScale(['payments=2', 'payments=3'])).toThrow(/given twice/);
    expect(parseScale(['payments=2,orders=1', ''])).toEqual({ payments: 2, orders: 1 });
  });
});
