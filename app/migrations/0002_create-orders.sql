-- Up Migration

CREATE TABLE orders (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Set when the client sent an Idempotency-Key; the unique constraint is what makes a retried or
  -- duplicated request create one order at most (NULLs never conflict).
  idempotency_key text        UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
  -- SHA-256 (hex) of the normalised request body the key was first used with.
  request_hash    text        CHECK (request_hash ~ '^[0-9a-f]{64}$'),
  total_cents     bigint      NOT NULL CHECK (total_cents >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((idempotency_key IS NULL) = (request_hash IS NULL))
);

CREATE TABLE order_lines (
  order_id         bigint   NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  line_no          smallint NOT NULL CHECK (line_no >= 1),
  product_id       integer  NOT NULL REFERENCES products (id),
  quantity         integer  NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  -- The price when the order was placed; later price changes do not rewrite history.
  unit_price_cents integer  NOT NULL CHECK (unit_price_cents >= 0),
  PRIMARY KEY (order_id, line_no)
);

CREATE INDEX order_lines_product_id_idx ON order_lines (product_id);

-- Down Migration
DROP TABLE order_lines;
DROP TABLE orders;
