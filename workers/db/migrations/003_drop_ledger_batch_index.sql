-- The ledger's (batch_id, source_offset) index cost every event an index insert: 2.0 of 13.4 µs of
-- the apply statement's CPU and 83 of its 727 WAL bytes, measured against the local Postgres
-- (BENCHMARKS.md, 2026-12-01). Its readers now go without it: compensation deletes a batch's rows by
-- their event IDs (the primary key), and `npm run trace` finds an event's SensorDataProcessed record
-- by reading the batch's published offsets from Kafka instead of ranking ledger rows.
DROP INDEX IF EXISTS processed_events_batch;
