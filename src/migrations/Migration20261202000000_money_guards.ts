import { Migration } from '@mikro-orm/migrations';

/**
 * The database backs the intake's money rules (issue 11, findings 2 and 7): a line is priced in
 * its order's currency (composite foreign key), and an order total fits what a card payment can
 * take (99,999,999 minor units — also far below the integer columns' range). NOT VALID: enforced
 * for every new or changed row without re-checking history; `validate constraint` later.
 */
export class Migration20261202000000_money_guards extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table orders add constraint orders_id_currency_unique unique (id, currency);
      alter table order_items add constraint order_items_currency_of_order
        foreign key (order_id, currency) references orders (id, currency) not valid;
      alter table orders add constraint orders_total_amount_chargeable check (total_amount <= 99999999) not valid;
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      alter table orders drop constraint if exists orders_total_amount_chargeable;
      alter table order_items drop constraint if exists order_items_currency_of_order;
      alter table orders drop constraint if exists orders_id_currency_unique;
    `);
  }
}
