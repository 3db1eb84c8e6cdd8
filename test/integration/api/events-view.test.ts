// Issue 11, finding 9: a customer's view of its order's timeline (GET /v1/orders/{id}/events)
// leaves out what is internal — attention flags, the ops audit trail — and the reasons staff
// gave; ops and finance see everything. Against Postgres through the read model the route uses.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MikroORM } from '@mikro-orm/postgresql';
import { seedDemoCatalog } from '../../../scripts/lib/demo-catalog.ts';
import { createLogger } from '../../../src/infra/logger.ts';
import { createOrderReadModel } from '../../../src/orders/read-model.ts';
import { flagOrder, recordOrder, transitionOrder } from '../../../src/orders/service.ts';
import { resetDatabase, testOrm } from '../../helpers/db.ts';
import { testConfig } from '../../helpers/env.ts';
import { checkoutInput } from '../../helpers/stack.ts';

let orm: MikroORM;
beforeAll(async () => {
  orm = await testOrm();
  await resetDatabase(orm);
  await seedDemoCatalog(orm.em.fork());
});
afterAll(async () => orm?.close());

describe('finding 9: the customer timeline shows no internal rows or staff reasons', () => {
  it('finding 9: attention and ops_action rows and the ops reason are hidden from the owner, shown to staff', async () => {
    const svc = { logger: createLogger(testConfig(), 'events-view') };
    const input = checkoutInput({ lines: [{ sku: 'HOM-LAMP-03', quantity: 1 }] });
    await recordOrder(orm.em.fork(), input);
    await flagOrder(orm.em.fork(), svc, { orderId: input.orderId, attention: 'manual_review', reason: 'suspicious address (fraud team)', dedupeKey: 'attention:1', actor: 'ops-olga' });
    await orm.em.getConnection().execute(
      `insert into order_events (order_id, type, from_status, status, reason, actor, dedupe_key) values (?, 'ops_action', 'PENDING', 'PENDING', 'customer is on the watch list', 'ops-olga', 'ops_action:cancel:1')`, [input.orderId]);
    await transitionOrder(orm.em.fork(), svc, { orderId: input.orderId, to: 'CANCELLED', dedupeKey: 'to:CANCELLED', actor: 'ops-olga', reason: 'customer is on the watch list', failure: { code: 'cancelled', message: 'Cancelled by ops' } });

    const readModel = createOrderReadModel(orm);
    const owner = (await readModel.events(input.orderId, { limit: 50, customer: input.customerId })).data.map(({ id: _id, at: _at, ...e }) => e);
    expect(owner).toEqual([
      { type: 'created', status: 'PENDING', reason: 'order accepted', actor: input.customerId },
      { type: 'status_changed', status: 'CANCELLED' },
    ]);
    const staff = (await readModel.events(input.orderId, { limit: 50 })).data.map((e) => e.type);
    expect(staff).toEqual(['created', 'attention_flagged', 'ops_action', 'status_changed']);
  });
});
