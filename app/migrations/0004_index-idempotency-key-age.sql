-- Up Migration
-- Idempotency-Keys are remembered for IDEMPOTENCY_RETENTION_HOURS (default 24); the app then clears
-- them from old orders in small batches. This partial index finds those orders without a table scan
-- and holds only the orders that still carry a key. (A plain CREATE INDEX: migrations run in a
-- transaction; on a large existing table create it CONCURRENTLY by hand first.)

CREATE INDEX orders_keyed_created_at_idx ON orders (created_at) WHERE idempotency_key IS NOT NULL;

-- Down Migration
DROP INDEX orders_keyed_created_at_idx;
