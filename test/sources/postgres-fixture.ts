import { sql } from '../support/postgres.ts';

/**
 * Fills a database with what real applications hold and dumps get wrong: several schemas (one needing quotes),
 * an extension, identity columns and a sequence moved past its start, views and a materialized view, a function,
 * a trigger and a procedure whose body has a line `COMMIT;`, foreign keys across schemas, check and unique
 * constraints, an index, text in many scripts, bytea with all 256 byte values, jsonb, a large object and `orders`
 * rows (300,000 by default).
 */
export async function fillShopDatabase(url: string, options: { orders?: number } = {}): Promise<void> {
  const orders = options.orders ?? 300_000;
  await sql(
    url,
    `
    CREATE EXTENSION citext;
    CREATE SCHEMA shop;
    CREATE SCHEMA "Audit Log";

    CREATE TABLE shop.customers (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email citext NOT NULL UNIQUE,
      name text NOT NULL CHECK (name <> ''),
      profile jsonb NOT NULL DEFAULT '{}'
    );
    CREATE TABLE shop.orders (
      id bigserial PRIMARY KEY,
      customer_id bigint NOT NULL,
      total numeric(12, 2) NOT NULL CHECK (total >= 0),
      note text,
      updated_at timestamptz
    );
    CREATE SEQUENCE shop.invoice_numbers START 1000;

    CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := '2026-01-01T00:00:00Z';
      RETURN NEW;
    END
    $$;
    CREATE TRIGGER orders_touch BEFORE UPDATE ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.touch();
    CREATE PROCEDURE shop.close_day() LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE shop.orders SET note = 'closed' WHERE note IS NULL;
    COMMIT;
    END
    $$;

    CREATE VIEW shop.order_totals AS
      SELECT customer_id, count(*) AS orders, sum(total) AS total FROM shop.orders GROUP BY customer_id;
    CREATE MATERIALIZED VIEW shop.top_customers AS
      SELECT customer_id, total FROM shop.order_totals ORDER BY total DESC, customer_id LIMIT 10;

    CREATE TABLE "Audit Log"."Events" (
      id int PRIMARY KEY,
      order_id bigint REFERENCES shop.orders (id) ON DELETE CASCADE,
      payload jsonb
    );
    CREATE TABLE public.texts (id int PRIMARY KEY, body text NOT NULL);
    CREATE TABLE public.blobs (id int PRIMARY KEY, data bytea NOT NULL);

    INSERT INTO shop.customers (email, name, profile)
      SELECT 'Customer' || i || '@Example.com', 'Customer ' || i,
             jsonb_build_object('tier', i % 3, 'tags', jsonb_build_array('a', i), 'nested', jsonb_build_object('ok', i % 2 = 0))
      FROM generate_series(1, 1000) AS i;
    INSERT INTO shop.orders (customer_id, total, note)
      SELECT 1 + i % 1000, (i % 100000) / 100.0, CASE WHEN i % 7 = 0 THEN NULL ELSE md5(i::text) END
      FROM generate_series(1, ${orders}) AS i;
    -- Constraints and indexes after the rows: checked once rather than row by row.
    ALTER TABLE shop.orders ADD FOREIGN KEY (customer_id) REFERENCES shop.customers (id);
    CREATE INDEX orders_customer_idx ON shop.orders (customer_id, total DESC);
    UPDATE shop.orders SET total = total + 1 WHERE id <= 10;
    REFRESH MATERIALIZED VIEW shop.top_customers;
    SELECT nextval('shop.invoice_numbers') FROM generate_series(1, 42);
    INSERT INTO "Audit Log"."Events" VALUES (1, 1, '{"kind": "created", "emoji": "📦"}'), (2, 2, NULL);
    INSERT INTO public.texts VALUES
      (1, 'emoji 😀🎉👩‍👩‍👧‍👦 and flags 🇨🇭'),
      (2, '中文 日本語 한국어'),
      (3, 'עברית العربية Ελληνικά Кириллица'),
      (4, E'tab\\there, newline\\nthere, backslash \\\\ and a quote '''),
      (5, 'COMMIT;'),
      (6, E'\\\\.');
    INSERT INTO public.blobs
      SELECT 1, decode(string_agg(lpad(to_hex(b), 2, '0'), '' ORDER BY b), 'hex') FROM generate_series(0, 255) AS b;
    SELECT lo_from_bytea(0, convert_to('a large object ✓', 'UTF8'));
    `,
  );
}

/** A small database standing for what a destination held before a restore. */
export async function fillOtherDatabase(url: string): Promise<void> {
  await sql(
    url,
    `
    CREATE SCHEMA legacy;
    CREATE TABLE legacy.accounts (id int PRIMARY KEY, name text);
    INSERT INTO legacy.accounts SELECT i, 'account ' || i FROM generate_series(1, 500) AS i;
    CREATE TABLE public.keep_me (id int PRIMARY KEY);
    INSERT INTO public.keep_me VALUES (1), (2), (3);
    CREATE SEQUENCE public.counter;
    SELECT setval('public.counter', 77);
    SELECT lo_from_bytea(0, 'an old large object');
    `,
  );
}
