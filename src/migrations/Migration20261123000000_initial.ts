import { Migration } from '@mikro-orm/migrations';

/** The whole domain schema (docs/design.md §3). Constraints here are the last line of defence for I1/I2/I5. */
export class Migration20261123000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table categories (slug text primary key, name text not null);
      create table brands (slug text primary key, name text not null);
      create table products (
        sku text primary key check (sku ~ '^[A-Z0-9][A-Z0-9-]{0,63}$'),
        name text not null,
        description text not null default '',
        price_amount integer not null check (price_amount >= 0),
        currency char(3) not null,
        category text not null references categories(slug),
        brand text not null references brands(slug),
        active boolean not null default true,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        version integer not null default 1
      );
      create index products_category_idx on products (category, sku);

      create table warehouses (code text primary key, name text not null, priority integer not null default 100);
      create table inventory_levels (
        id serial primary key,
        sku text not null references products(sku),
        warehouse text not null references warehouses(code),
        on_hand integer not null,
        reserved integer not null default 0,
        updated_at timestamptz not null default now(),
        constraint inventory_levels_sku_warehouse_unique unique (sku, warehouse),
        constraint inventory_levels_stock_check check (reserved >= 0 and reserved <= on_hand)
      );
      create table reservations (
        id serial primary key,
        order_id uuid not null,
        line_no integer not null,
        sku text not null,
        warehouse text not null references warehouses(code),
        quantity integer not null check (quantity > 0),
        state text not null check (state in ('HELD', 'COMMITTED', 'RELEASED')),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint reservations_order_line_warehouse_unique unique (order_id, line_no, warehouse)
      );
      create index reservations_sku_state_idx on reservations (sku, state);

      create table customers (id text primary key, email text, created_at timestamptz not null default now());

      create table orders (
        id uuid primary key,
        customer_id text not null references customers(id),
        status text not null check (status in ('PENDING','AWAITING_PAYMENT_ACTION','CONFIRMED','REJECTED','PAYMENT_FAILED','CANCELLED')),
        currency char(3) not null,
        total_amount integer not null check (total_amount >= 0),
        payment_method text not null,
        shipping_address jsonb,
        idempotency_key text not null,
        request_fingerprint text not null,
        failure_code text,
        failure_message text,
        attention text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        settled_at timestamptz,
        version integer not null default 1,
        constraint orders_customer_idempotency_unique unique (customer_id, idempotency_key)
      );
      create index orders_customer_created_idx on orders (customer_id, created_at desc, id desc);
      create index orders_created_idx on orders (created_at desc, id desc);
      create index orders_status_created_idx on orders (status, created_at desc);
      create index orders_attention_idx on orders (attention) where attention is not null;

      create table order_items (
        id serial primary key,
        order_id uuid not null references orders(id) on delete cascade,
        line_no integer not null,
        sku text not null,
        name text not null,
        quantity integer not null check (quantity between 1 and 1000),
        unit_price_amount integer not null check (unit_price_amount >= 0),
        currency char(3) not null,
        constraint order_items_order_line_unique unique (order_id, line_no)
      );
      alter table reservations add constraint reservations_order_fk foreign key (order_id) references orders(id);

      create table order_events (
        id bigserial primary key,
        order_id uuid not null references orders(id) on delete cascade,
        type text not null,
        from_status text,
        status text not null,
        reason text,
        actor text,
        dedupe_key text,
        at timestamptz not null default now(),
        constraint order_events_dedupe_unique unique (order_id, dedupe_key)
      );
      create index order_events_order_idx on order_events (order_id, id);

      create table payments (
        id uuid primary key,
        order_id uuid not null unique references orders(id),
        provider text not null,
        provider_reference text,
        amount integer not null check (amount >= 0),
        currency char(3) not null,
        status text not null check (status in ('PENDING','REQUIRES_ACTION','AUTHORIZED','CAPTURED','VOIDED','REFUNDED','FAILED')),
        captured_amount integer not null default 0 check (captured_amount >= 0),
        refunded_amount integer not null default 0 check (refunded_amount >= 0 and refunded_amount <= captured_amount),
        failure_code text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        version integer not null default 1
      );
      create unique index payments_provider_reference_idx on payments (provider, provider_reference) where provider_reference is not null;
      create index payments_status_idx on payments (status, updated_at);

      create table payment_events (
        id bigserial primary key,
        order_id uuid,
        provider text not null,
        provider_event_id text not null,
        type text not null,
        source text not null check (source in ('api_call','webhook','reconciliation')),
        provider_reference text,
        amount integer,
        currency char(3),
        status text,
        payload jsonb,
        created_at timestamptz not null default now(),
        processed_at timestamptz,
        constraint payment_events_provider_event_unique unique (provider, provider_event_id)
      );
      create index payment_events_order_idx on payment_events (order_id, id);
      create index payment_events_reference_idx on payment_events (provider_reference);
      create index payment_events_created_idx on payment_events (created_at, id);

      create table reconciliation_runs (
        id uuid primary key,
        trigger text not null check (trigger in ('schedule','manual')),
        status text not null check (status in ('RUNNING','COMPLETED','FAILED')),
        window_start timestamptz not null,
        window_end timestamptz not null,
        checked integer not null default 0,
        matched integer not null default 0,
        findings_count integer not null default 0,
        needs_human integer not null default 0,
        error text,
        started_at timestamptz not null default now(),
        finished_at timestamptz
      );
      create index reconciliation_runs_started_idx on reconciliation_runs (started_at desc);
      create table reconciliation_findings (
        id bigserial primary key,
        run_id uuid not null references reconciliation_runs(id) on delete cascade,
        kind text not null,
        order_id uuid,
        provider_reference text,
        our_amount integer,
        provider_amount integer,
        currency char(3),
        our_status text,
        provider_status text,
        action text not null,
        action_outcome text,
        needs_human boolean not null default false,
        details jsonb,
        resolved_at timestamptz,
        created_at timestamptz not null default now(),
        constraint reconciliation_findings_run_kind_ref_unique unique (run_id, kind, provider_reference, order_id)
      );
      create index reconciliation_findings_open_idx on reconciliation_findings (needs_human, created_at) where resolved_at is null;
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop table if exists reconciliation_findings, reconciliation_runs, payment_events, payments,
        order_events, reservations, order_items, orders, customers, inventory_levels, warehouses,
        products, brands, categories cascade;
    `);
  }
}
