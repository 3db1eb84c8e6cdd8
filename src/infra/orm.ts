// One MikroORM instance per process. Activities fork an EntityManager per call;
// the API forks one per request. Migrations run from scripts/migrate.ts and at dev boot.
// This module knows no domain: the entities come in from the composition root (src/orm.ts).
import { MikroORM, defineConfig, type EntityManager, type EntitySchema } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { migrationsList } from '../migrations/index.ts';
import type { Config } from './config.ts';

export type { EntityManager };
/** What the composition root hands in: every entity the process maps. */
export type Entities = readonly EntitySchema[];

/** Default wait for a free pool connection: below the activities' 30 s start-to-close timeout. */
export const DEFAULT_ACQUIRE_TIMEOUT_MS = 10_000;

export type DatabaseOptions = Pick<Config['database'], 'url' | 'poolMax'> & { acquireTimeoutMs?: number };

export function ormConfig(database: DatabaseOptions, entities: Entities) {
  return defineConfig({
    clientUrl: database.url,
    entities: [...entities],
    extensions: [Migrator],
    pool: { min: 0, max: database.poolMax },
    // pg waits for a free connection for ever by default: an attempt stalled behind a full pool
    // would outlive its activity timeout and act late (a "zombie" reserve). Fail it instead.
    driverOptions: { connectionTimeoutMillis: database.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS },
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false, silent: true },
    // Entities are plain schemas (no decorators), so no reflection is needed.
    discovery: { warnWhenNoEntities: true },
    debug: false,
  });
}

export async function createOrm(database: DatabaseOptions, entities: Entities): Promise<MikroORM> {
  return MikroORM.init(ormConfig(database, entities));
}

export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}

/**
 * A round trip to Postgres; throws when it fails. Hand-written `select 1`: orm.checkConnection()
 * answers "not established" until the pool's first query (pool.min is 0), so it cannot probe.
 */
export async function pingDatabase(orm: MikroORM): Promise<void> {
  await orm.em.getConnection().execute('select 1');
}
