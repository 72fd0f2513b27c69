-- Up Migration
-- An optional free-text note, stored exactly as the client sent it (no trimming, no Unicode
-- normalisation). A nullable column without a default is a catalogue-only change: no table rewrite,
-- and tasks still running the previous version keep working during a rolling deployment.

ALTER TABLE orders ADD COLUMN note text CHECK (char_length(note) BETWEEN 1 AND 500);

-- Down Migration
ALTER TABLE orders DROP COLUMN note;
