// Catalog reads (with `available` stock) and the ops writes behind the admin endpoints.
// Reads are cached in Redis under a catalog version key: admin writes bump the version
// (instant invalidation); reservation changes made by the workers are picked up by the
// short TTL (CACHE_TTL_SECONDS), so `available` is at most that stale.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import { AppError, notFound } from '../infra/errors.ts';
import type { Logger } from '../infra/logger.ts';
import { withTimeout } from '../infra/redis.ts';

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

type ProductRow = { sku: string; name: string; description: string; price_amount: number; currency: string; category: string; brand: string; available: string | number };

const toView = (r: ProductRow): ProductView => ({
  sku: r.sku,
  name: r.name,
  description: r.description,
  price: { amount: r.price_amount, currency: r.currency.trim() },
  category: r.category,
  brand: r.brand,
  available: Math.max(0, Number(r.available)),
});

const SELECT_PRODUCTS = `
  select p.sku, p.name, p.description, p.price_amount, p.currency, p.category, p.brand,
         coalesce((select sum(l.on_hand - l.reserved) from inventory_levels l where l.sku = p.sku), 0) as available
    from products p`;

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
        const where = ['p.active'];
        const params: unknown[] = [];
        if (q.category) {
          where.push('p.category = ?');
          params.push(q.category);
        }
        if (after !== undefined) {
          where.push('p.sku > ?');
          params.push(after);
        }
        const rows = await conn().execute<ProductRow[]>(`${SELECT_PRODUCTS} where ${where.join(' and ')} order by p.sku limit ?`, [...params, q.limit + 1]);
        const page = rows.slice(0, q.limit).map(toView);
        return { data: page, nextCursor: rows.length > q.limit ? encodeCursor([page[page.length - 1].sku]) : null };
      });
    },

    async getProduct(sku: string): Promise<ProductView> {
      const view = await cached(`sku:${sku}`, async () => {
        const [row] = await conn().execute<ProductRow[]>(`${SELECT_PRODUCTS} where p.sku = ? and p.active`, [sku]);
        return row ? toView(row) : null;
      });
      if (!view) throw notFound('product');
      return view;
    },

    /** Skus among `skus` that are not sellable (unknown or inactive). */
    async unknownSkus(skus: string[]): Promise<string[]> {
      const unique = [...new Set(skus)];
      const rows = await conn().execute<{ sku: string }[]>(`select sku from products where active and sku in (${unique.map(() => '?').join(',')})`, unique);
      const known = new Set(rows.map((r) => r.sku));
      return unique.filter((s) => !known.has(s));
    },

    async getInventory(sku: string): Promise<InventoryView> {
      const [product] = await conn().execute<{ sku: string }[]>('select sku from products where sku = ?', [sku]);
      if (!product) throw notFound('product');
      const rows = await conn().execute<{ warehouse: string; on_hand: number; reserved: number }[]>(
        'select l.warehouse, l.on_hand, l.reserved from inventory_levels l join warehouses w on w.code = l.warehouse where l.sku = ? order by w.priority, w.code',
        [sku],
      );
      return { sku, levels: rows.map((r) => ({ warehouse: r.warehouse, onHand: r.on_hand, reserved: r.reserved, available: r.on_hand - r.reserved })) };
    },

    /** Sets on-hand stock; refuses to go below what is reserved (409 stock_below_reserved). */
    async setStock(sku: string, warehouse: string, onHand: number): Promise<InventoryView> {
      const [product] = await conn().execute<{ sku: string }[]>('select sku from products where sku = ?', [sku]);
      if (!product) throw notFound('product');
      const [wh] = await conn().execute<{ code: string }[]>('select code from warehouses where code = ?', [warehouse]);
      if (!wh) throw new AppError(422, 'unknown_warehouse', `There is no warehouse "${warehouse}".`, { errors: [{ path: 'warehouse', message: 'unknown warehouse' }] });
      // The guard sits in the statement itself, so a concurrent reservation cannot slip between check and write.
      const rows = await conn().execute<{ id: number }[]>(
        `insert into inventory_levels (sku, warehouse, on_hand, reserved) values (?, ?, ?, 0)
         on conflict (sku, warehouse) do update set on_hand = excluded.on_hand, updated_at = now()
           where inventory_levels.reserved <= excluded.on_hand
         returning id`,
        [sku, warehouse, onHand],
      );
      if (!rows.length) {
        const [level] = await conn().execute<{ reserved: number }[]>('select reserved from inventory_levels where sku = ? and warehouse = ?', [sku, warehouse]);
        throw new AppError(409, 'stock_below_reserved', `On-hand stock cannot go below the ${level?.reserved ?? 0} units already reserved in ${warehouse}.`);
      }
      await invalidate();
      return this.getInventory(sku);
    },

    /** Creates or updates a product. Returns whether it was created. */
    async upsertProduct(sku: string, input: ProductInput): Promise<{ created: boolean; product: ProductView & { active: boolean } }> {
      const [cat] = await conn().execute<{ slug: string }[]>('select slug from categories where slug = ?', [input.category]);
      if (!cat) throw new AppError(422, 'unknown_category', `There is no category "${input.category}".`, { errors: [{ path: 'category', message: 'unknown category' }] });
      const [brand] = await conn().execute<{ slug: string }[]>('select slug from brands where slug = ?', [input.brand]);
      if (!brand) throw new AppError(422, 'unknown_brand', `There is no brand "${input.brand}".`, { errors: [{ path: 'brand', message: 'unknown brand' }] });
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
      const [view] = await conn().execute<(ProductRow & { active: boolean })[]>(`${SELECT_PRODUCTS.replace('p.brand,', 'p.brand, p.active,')} where p.sku = ?`, [sku]);
      return { created: row.inserted, product: { ...toView(view), active: view.active } };
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;

