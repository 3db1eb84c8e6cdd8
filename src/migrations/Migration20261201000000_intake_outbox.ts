import { Migration } from '@mikro-orm/migrations';

/**
 * Intake writes the order row itself and starts its workflow afterwards (transactional
 * outbox): `workflow_started_at` is null until Temporal acknowledged the start, and the
 * partial index lets the relay find the few orders whose start is still owed.
 * Orders accepted before this migration were started by the workflow itself.
 */
export class Migration20261201000000_intake_outbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table orders add column workflow_started_at timestamptz;
      update orders set workflow_started_at = created_at;
      create index orders_unstarted_idx on orders (created_at) where workflow_started_at is null;
      create index orders_pending_idx on orders (created_at) where status = 'PENDING';
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop index if exists orders_pending_idx;
      drop index if exists orders_unstarted_idx;
      alter table orders drop column if exists workflow_started_at;
    `);
  }
}
