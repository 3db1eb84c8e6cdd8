import { defineEntity, p } from '@mikro-orm/core';

/** Minimal: identity comes from the JWT `sub`; the row exists so orders have an owner to join on. */
export const Customer = defineEntity({
  name: 'Customer',
  tableName: 'customers',
  properties: {
    id: p.text().primary(),
    email: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
  },
});
