-- Up Migration
-- Tables are created in the schema on the search_path (set by the migration runner) and owned by
-- the role the runner switched to with SET ROLE, never by whichever login ran the migration.

CREATE TABLE products (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sku         text        NOT NULL UNIQUE CHECK (sku ~ '^[A-Z0-9-]{1,32}$'),
  name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  price_cents integer     NOT NULL CHECK (price_cents >= 0),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Fifty products, the same on every database, so examples and tests can name them.
INSERT INTO products (sku, name, price_cents)
SELECT format('SKU-%s', lpad(n::text, 4, '0')),
       format('%s %s', (ARRAY['Red', 'Blue', 'Green', 'Black', 'White'])[1 + n % 5],
                       (ARRAY['Mug', 'Notebook', 'Pen', 'Lamp', 'Backpack',
                              'Bottle', 'Cable', 'Chair', 'Desk Mat', 'Headphones'])[1 + (n / 5) % 10]),
       199 + (n * 731) % 9800
  FROM generate_series(1, 50) AS n
 ORDER BY n;

-- Down Migration
DROP TABLE products;
