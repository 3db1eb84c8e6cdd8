import { defineEntity, p } from '@mikro-orm/core';

export const Category = defineEntity({
  name: 'Category',
  tableName: 'categories',
  properties: {
    slug: p.string().primary(),
    name: p.string(),
  },
});

export const Brand = defineEntity({
  name: 'Brand',
  tableName: 'brands',
  properties: {
    slug: p.string().primary(),
    name: p.string(),
  },
});

/** A sellable product. Prices live here only: orders snapshot them, clients never send them. */
export const Product = defineEntity({
  name: 'Product',
  tableName: 'products',
  properties: {
    sku: p.string().primary(),
    name: p.string(),
    description: p.text().default(''),
    priceAmount: p.integer(),
    currency: p.string().length(3),
    category: p.string(),
    brand: p.string(),
    active: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    version: p.integer().version(),
  },
});
