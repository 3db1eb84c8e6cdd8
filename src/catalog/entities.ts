import { defineEntity, p } from '@mikro-orm/core';

// The entities mirror the migrations column for column (types, defaults, keys, checks, indexes):
// test/integration/schema-drift.test.ts fails when the two disagree.

export const Category = defineEntity({
  name: 'Category',
  tableName: 'categories',
  properties: {
    slug: p.text().primary(),
    name: p.text(),
  },
});

export const Brand = defineEntity({
  name: 'Brand',
  tableName: 'brands',
  properties: {
    slug: p.text().primary(),
    name: p.text(),
  },
});

/** A sellable product. Prices live here only: orders snapshot them, clients never send them. */
export const Product = defineEntity({
  name: 'Product',
  tableName: 'products',
  indexes: [{ name: 'products_category_idx', properties: ['category', 'sku'] }],
  checks: [
    { name: 'products_sku_check', expression: "sku ~ '^[A-Z0-9][A-Z0-9-]{0,63}$'" },
    { name: 'products_price_amount_check', expression: 'price_amount >= 0' },
  ],
  properties: {
    sku: p.text().primary(),
    name: p.text(),
    description: p.text().default(''),
    priceAmount: p.integer(),
    currency: p.string().columnType('char(3)'),
    category: p.manyToOne(Category).mapToPk().joinColumn('category').foreignKeyName('products_category_fkey'),
    brand: p.manyToOne(Brand).mapToPk().joinColumn('brand').foreignKeyName('products_brand_fkey'),
    active: p.boolean().default(true),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
    version: p.integer().version(),
  },
});
