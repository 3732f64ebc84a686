-- Ledger retention (decision 0007) deletes batch records by age, oldest first: without this index
-- every chunk would scan the whole table. processed_events already has processed_events_processed_at.
CREATE INDEX IF NOT EXISTS batches_applied_at ON batches (applied_at);
