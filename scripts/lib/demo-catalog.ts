// The demo catalog loaded by `npm run seed` and by the dev stack. Idempotent: running it
// again upserts products and leaves stock already present untouched.
import { raw, type EntityManager } from '@mikro-orm/postgresql';
import { InventoryLevel, Warehouse } from '../../src/inventory/entities.ts';
import { Brand, Category, Product } from '../../src/catalog/entities.ts';

export const DEMO_WAREHOUSES = [
  { code: 'AMS-1', name: 'Amsterdam fulfilment centre', priority: 10 },
  { code: 'BER-1', name: 'Berlin fulfilment centre', priority: 20 },
];

export const DEMO_CATEGORIES = [
  { slug: 'audio', name: 'Audio' },
  { slug: 'computing', name: 'Computing' },
  { slug: 'home', name: 'Home & kitchen' },
  { slug: 'outdoor', name: 'Outdoor' },
  { slug: 'books', name: 'Books' },
];

export const DEMO_BRANDS = [
  { slug: 'northwind', name: 'Northwind' },
  { slug: 'acme', name: 'Acme' },
  { slug: 'lumen', name: 'Lumen' },
  { slug: 'fjell', name: 'Fjell' },
  { slug: 'paperhouse', name: 'Paperhouse' },
];

type DemoProduct = { sku: string; name: string; description: string; price: number; category: string; brand: string; stock: [number, number] };

export const DEMO_PRODUCTS: DemoProduct[] = [
  { sku: 'AUD-HEADPHONES-01', name: 'Over-ear headphones', description: 'Closed-back, 40 h battery.', price: 12900, category: 'audio', brand: 'northwind', stock: [40, 25] },
  { sku: 'AUD-EARBUDS-02', name: 'Wireless earbuds', description: 'Noise cancelling, IPX4.', price: 8900, category: 'audio', brand: 'acme', stock: [60, 30] },
  { sku: 'AUD-SPEAKER-03', name: 'Bookshelf speaker pair', description: 'Passive, 2-way.', price: 24900, category: 'audio', brand: 'lumen', stock: [12, 8] },
  { sku: 'AUD-DAC-04', name: 'USB DAC', description: '32-bit, headphone amp.', price: 15900, category: 'audio', brand: 'northwind', stock: [15, 0] },
  { sku: 'AUD-TURNTABLE-05', name: 'Turntable', description: 'Belt drive, built-in preamp.', price: 29900, category: 'audio', brand: 'acme', stock: [5, 5] },
  { sku: 'CMP-LAPTOP-01', name: '14" laptop', description: '16 GB, 1 TB SSD.', price: 129900, category: 'computing', brand: 'lumen', stock: [10, 10] },
  { sku: 'CMP-KEYBOARD-02', name: 'Mechanical keyboard', description: 'Hot-swap, tactile switches.', price: 11900, category: 'computing', brand: 'northwind', stock: [50, 50] },
  { sku: 'CMP-MOUSE-03', name: 'Ergonomic mouse', description: 'Vertical grip, wireless.', price: 5900, category: 'computing', brand: 'acme', stock: [80, 40] },
  { sku: 'CMP-MONITOR-04', name: '27" monitor', description: '4K IPS, USB-C.', price: 39900, category: 'computing', brand: 'lumen', stock: [20, 15] },
  { sku: 'CMP-DOCK-05', name: 'USB-C dock', description: '12-in-1, 100 W passthrough.', price: 17900, category: 'computing', brand: 'acme', stock: [0, 30] },
  { sku: 'HOM-KETTLE-01', name: 'Electric kettle', description: 'Variable temperature, 1.7 l.', price: 6900, category: 'home', brand: 'fjell', stock: [35, 35] },
  { sku: 'HOM-GRINDER-02', name: 'Burr coffee grinder', description: '40 grind settings.', price: 14900, category: 'home', brand: 'northwind', stock: [18, 12] },
  { sku: 'HOM-LAMP-03', name: 'Desk lamp', description: 'Dimmable, warm to cool.', price: 4900, category: 'home', brand: 'lumen', stock: [45, 45] },
  { sku: 'HOM-PAN-04', name: 'Cast-iron pan', description: '28 cm, pre-seasoned.', price: 5500, category: 'home', brand: 'fjell', stock: [25, 25] },
  { sku: 'HOM-SCALE-05', name: 'Kitchen scale', description: '0.1 g precision.', price: 2900, category: 'home', brand: 'acme', stock: [70, 0] },
  { sku: 'OUT-TENT-01', name: 'Two-person tent', description: '1.9 kg, three-season.', price: 34900, category: 'outdoor', brand: 'fjell', stock: [8, 6] },
  { sku: 'OUT-BACKPACK-02', name: '40 l backpack', description: 'Ventilated back panel.', price: 15900, category: 'outdoor', brand: 'fjell', stock: [22, 18] },
  { sku: 'OUT-BOTTLE-03', name: 'Insulated bottle', description: '750 ml, keeps cold 24 h.', price: 3500, category: 'outdoor', brand: 'acme', stock: [100, 100] },
  { sku: 'OUT-HEADLAMP-04', name: 'Headlamp', description: '400 lumen, USB rechargeable.', price: 4500, category: 'outdoor', brand: 'lumen', stock: [40, 20] },
  { sku: 'OUT-STOVE-05', name: 'Camping stove', description: 'Canister, piezo ignition.', price: 6900, category: 'outdoor', brand: 'fjell', stock: [3, 2] },
  { sku: 'BOK-SYSTEMS-01', name: 'Designing Data Systems', description: 'Paperback.', price: 4200, category: 'books', brand: 'paperhouse', stock: [30, 30] },
  { sku: 'BOK-SAGAS-02', name: 'Sagas in Practice', description: 'Hardcover.', price: 3900, category: 'books', brand: 'paperhouse', stock: [25, 25] },
  { sku: 'BOK-LEDGER-03', name: 'The Double-Entry Ledger', description: 'Paperback.', price: 2900, category: 'books', brand: 'paperhouse', stock: [1, 0] },
  { sku: 'BOK-LIMITED-04', name: 'Signed first edition', description: 'Only a handful exist.', price: 19900, category: 'books', brand: 'paperhouse', stock: [2, 1] },
];

export const DEMO_CURRENCY = 'USD';

/** Upserts the demo catalog and creates missing stock rows. Returns what it touched. */
export async function seedDemoCatalog(em: EntityManager): Promise<{ products: number; levelsCreated: number }> {
  return em.transactional(async (tx) => {
    await tx.createQueryBuilder(Warehouse).insert(DEMO_WAREHOUSES.map((w) => ({ code: w.code, name: w.name, priority: w.priority })))
      .onConflict('code').merge(['name', 'priority']).execute('run');
    await tx.createQueryBuilder(Category).insert(DEMO_CATEGORIES.map((c) => ({ slug: c.slug, name: c.name })))
      .onConflict('slug').merge(['name']).execute('run');
    await tx.createQueryBuilder(Brand).insert(DEMO_BRANDS.map((b) => ({ slug: b.slug, name: b.name })))
      .onConflict('slug').merge(['name']).execute('run');
    let levelsCreated = 0;
    for (const p of DEMO_PRODUCTS) {
      await tx.createQueryBuilder(Product)
        .insert({ sku: p.sku, name: p.name, description: p.description, priceAmount: p.price, currency: DEMO_CURRENCY, category: p.category, brand: p.brand, active: true })
        .onConflict('sku')
        .merge({
          name: raw('excluded.name'), description: raw('excluded.description'), priceAmount: raw('excluded.price_amount'),
          category: raw('excluded.category'), brand: raw('excluded.brand'), updatedAt: raw('now()'),
        })
        .execute('run');
      // Existing stock rows are left alone: a re-seed must not reset live stock.
      const levels = await tx.createQueryBuilder(InventoryLevel)
        .insert(DEMO_WAREHOUSES.map((w, i) => ({ sku: p.sku, warehouse: w.code, onHand: p.stock[i], reserved: 0 })))
        .onConflict(['sku', 'warehouse']).ignore()
        .execute('run');
      levelsCreated += levels.affectedRows;
    }
    return { products: DEMO_PRODUCTS.length, levelsCreated };
  });
}
