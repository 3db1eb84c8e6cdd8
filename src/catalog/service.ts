// Catalog reads (with `available` stock) and the ops writes behind the admin endpoints.
// Reads are cached in Redis under a catalog version key: admin writes bump the version
// (instant invalidation); reservation changes made by the workers are picked up by the
// short TTL (CACHE_TTL_SECONDS), so `available` is at most that stale.
import { raw, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import { AppError, notFound } from '../infra/errors.ts';
import type { Logger } from '../infra/logger.ts';
import { withTimeout } from '../infra/redis.ts';
import { InventoryLevel, Warehouse } from '../inventory/entities.ts';
import { Brand, Category, Product } from './entities.ts';

export const CACHE_TTL_SECONDS = 2;
const REDIS_TIMEOUT_MS = 200;

export interface Money {
  amount: number;
  currency: string;
}
export interface ProductView {
  sku: string;
  name: string;
  description: string;
  price: Money;
  category: string;
  brand: string;
  available: number;
}
export interface InventoryView {
  sku: string;
  levels: { warehouse: string; onHand: number; reserved: number; available: number }[];
}
export interface ProductInput {
  name: string;
  description: string;
  price: Money;
  category: string;
  brand: string;
  active: boolean;
}

type ProductRow = { sku: string; name: string; description: string; priceAmount: number; currency: string; category: string; brand: string; active: boolean; available: string | number };

const toView = (r: ProductRow): ProductView => ({
  sku: r.sku,
  name: r.name,
  description: r.description,
  price: { amount: r.priceAmount, currency: r.currency.trim() },
  category: r.category,
  brand: r.brand,
  available: Math.max(0, Number(r.available)),
});

/** Products with their sellable stock summed over the warehouses (a correlated subquery, one statement). */
function selectProducts(em: EntityManager, where: { sku?: string | { $gt: string }; active?: boolean; category?: string }) {
  return em.createQueryBuilder(Product, 'p')
    .select(['sku', 'name', 'description', 'priceAmount', 'currency', 'category', 'brand', 'active',
      raw('coalesce((select sum(l.on_hand - l.reserved) from inventory_levels l where l.sku = p.sku), 0) as available')])
    .where(where);
}

export const encodeCursor = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
export function decodeCursor(cursor: string, check: (parts: unknown[]) => boolean): unknown[] {
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && check(parts)) return parts;
  } catch {
    // fall through
  }
  throw new AppError(400, 'invalid_cursor', 'The cursor is not valid; use the nextCursor of a previous page.');
}

export function createCatalogService(deps: { orm: MikroORM; redis?: Redis; logger: Logger }) {
  const em = () => deps.orm.em.fork();
  const conn = () => deps.orm.em.getConnection();
  const log = deps.logger;

  async function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const r = deps.redis;
    let versioned: string | undefined;
    if (r && r.status === 'ready') {
      try {
        const version = (await withTimeout(r.get('catalog:version'), REDIS_TIMEOUT_MS)) ?? '0';
        versioned = `catalog:v${version}:${key}`;
        const hit = await withTimeout(r.get(versioned), REDIS_TIMEOUT_MS);
        if (hit) return JSON.parse(hit) as T;
      } catch (err) {
        log.debug({ err: (err as Error).message }, 'catalog cache unavailable');
        versioned = undefined;
      }
    }
    const value = await load();
    if (r && versioned) {
      r.set(versioned, JSON.stringify(value), 'EX', CACHE_TTL_SECONDS).catch(() => undefined);
    }
    return value;
  }

  async function invalidate(): Promise<void> {
    try {
      await withTimeout(deps.redis?.incr('catalog:version') ?? Promise.resolve(0), REDIS_TIMEOUT_MS);
    } catch (err) {
      // Entries expire within CACHE_TTL_SECONDS anyway.
      log.warn({ err: (err as Error).message }, 'catalog cache invalidation failed');
    }
  }

  return {
    async listProducts(q: { limit: number; cursor?: string; category?: string }): Promise<{ data: ProductView[]; nextCursor: string | null }> {
      const after = q.cursor ? (decodeCursor(q.cursor, (p) => p.length === 1 && typeof p[0] === 'string')[0] as string) : undefined;
      return cached(`list:${q.category ?? '*'}:${q.limit}:${after ?? ''}`, async () => {
        const rows: ProductRow[] = await selectProducts(em(), {
          active: true,
          ...(q.category ? { category: q.category } : {}),
          ...(after !== undefined ? { sku: { $gt: after } } : {}),
        }).orderBy({ sku: 'asc' }).limit(q.limit + 1).execute('all');
        const page = rows.slice(0, q.limit).map(toView);
        return { data: page, nextCursor: rows.length > q.limit ? encodeCursor([page[page.length - 1].sku]) : null };
      });
    },

    async getProduct(sku: string): Promise<ProductView> {
      const view = await cached(`sku:${sku}`, async () => {
        const row: ProductRow | undefined = await selectProducts(em(), { sku, active: true }).execute('get');
        return row ? toView(row) : null;
      });
      if (!view) throw notFound('product');
      return view;
    },

    /** Skus among `skus` that are not sellable (unknown or inactive). */
    async unknownSkus(skus: string[]): Promise<string[]> {
      const unique = [...new Set(skus)];
      const rows = await em().find(Product, { active: true, sku: { $in: unique } }, { fields: ['sku'], disableIdentityMap: true });
      const known = new Set(rows.map((r) => r.sku));
      return unique.filter((s) => !known.has(s));
    },

    async getInventory(sku: string): Promise<InventoryView> {
      const fork = em();
      if (!(await fork.count(Product, { sku }))) throw notFound('product');
      const rows: { warehouse: string; onHand: number; reserved: number }[] = await fork.createQueryBuilder(InventoryLevel, 'l')
        .select(['warehouse', 'onHand', 'reserved'])
        // warehouse maps to its key (mapToPk), so the typed join paths do not list it.
        .join('l.warehouse' as never, 'w')
        .where({ sku })
        .orderBy({ 'w.priority': 'asc', 'w.code': 'asc' })
        .execute('all');
      return { sku, levels: rows.map((r) => ({ warehouse: r.warehouse, onHand: r.onHand, reserved: r.reserved, available: r.onHand - r.reserved })) };
    },

    /** Sets on-hand stock; refuses to go below what is reserved (409 stock_below_reserved). */
    async setStock(sku: string, warehouse: string, onHand: number): Promise<InventoryView> {
      const fork = em();
      if (!(await fork.count(Product, { sku }))) throw notFound('product');
      if (!(await fork.count(Warehouse, { code: warehouse }))) throw new AppError(422, 'unknown_warehouse', `There is no warehouse "${warehouse}".`, { errors: [{ path: 'warehouse', message: 'unknown warehouse' }] });
      // The guard sits in the statement itself, so a concurrent reservation cannot slip between check and write.
      // Hand-written: an upsert whose update is conditional (do update … where); the query builder's merge has no where.
      const rows = await conn().execute<{ id: number }[]>(
        `insert into inventory_levels (sku, warehouse, on_hand, reserved) values (?, ?, ?, 0)
         on conflict (sku, warehouse) do update set on_hand = excluded.on_hand, updated_at = now()
           where inventory_levels.reserved <= excluded.on_hand
         returning id`,
        [sku, warehouse, onHand],
      );
      if (!rows.length) {
        const level = await fork.findOne(InventoryLevel, { sku, warehouse }, { fields: ['reserved'], disableIdentityMap: true });
        throw new AppError(409, 'stock_below_reserved', `On-hand stock cannot go below the ${level?.reserved ?? 0} units already reserved in ${warehouse}.`);
      }
      await invalidate();
      return this.getInventory(sku);
    },

    /** Creates or updates a product. Returns whether it was created. */
    async upsertProduct(sku: string, input: ProductInput): Promise<{ created: boolean; product: ProductView & { active: boolean } }> {
      const fork = em();
      if (!(await fork.count(Category, { slug: input.category }))) throw new AppError(422, 'unknown_category', `There is no category "${input.category}".`, { errors: [{ path: 'category', message: 'unknown category' }] });
      if (!(await fork.count(Brand, { slug: input.brand }))) throw new AppError(422, 'unknown_brand', `There is no brand "${input.brand}".`, { errors: [{ path: 'brand', message: 'unknown brand' }] });
      // Hand-written: one upsert that bumps the version and tells created from updated (xmax = 0).
      const [row] = await conn().execute<{ inserted: boolean }[]>(
        `insert into products (sku, name, description, price_amount, currency, category, brand, active)
         values (?, ?, ?, ?, ?, ?, ?, ?)
         on conflict (sku) do update set name = excluded.name, description = excluded.description,
           price_amount = excluded.price_amount, currency = excluded.currency, category = excluded.category,
           brand = excluded.brand, active = excluded.active, updated_at = now(), version = products.version + 1
         returning (xmax = 0) as inserted`,
        [sku, input.name, input.description, input.price.amount, input.price.currency, input.category, input.brand, input.active],
      );
      await invalidate();
      const view: ProductRow = await selectProducts(fork, { sku }).execute('get');
      return { created: row.inserted, product: { ...toView(view), active: view.active } };
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;

