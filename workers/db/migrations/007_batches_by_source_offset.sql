-- The batch records are the audit trail kept after the ledger's duplicate window (decision 0117):
-- `npm run trace -- --offset <topic>/<partition>/<offset>` finds the batch that covered a Kafka
-- record by its source range. On a large batches table, build it first without blocking writes
-- (docs/upgrades.md):
--   CREATE INDEX CONCURRENTLY batches_source_offset ON batches (source_topic, source_partition, first_offset);
CREATE INDEX IF NOT EXISTS batches_source_offset ON batches (source_topic, source_partition, first_offset);
