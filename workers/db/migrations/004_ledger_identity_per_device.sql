-- An event is identified by (device_id, event_id) (invariant 5): device B reusing an eventId of
-- device A is another event, not a duplicate. The ledger also keeps the firmware the reading came
-- with, so the audit trail holds the whole reading and a re-send can be compared with its original.
--
-- On a large ledger, build the new key's index first without blocking writes (docs/upgrades.md):
--   CREATE UNIQUE INDEX CONCURRENTLY processed_events_device_event ON processed_events (device_id, event_id);
-- This migration then only swaps the constraint onto it; otherwise it builds the index here, holding
-- the table's lock while it does.
ALTER TABLE processed_events ADD COLUMN IF NOT EXISTS firmware text;

DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relname = 'processed_events_device_event' AND i.indisvalid AND i.indisunique
  ) THEN
    DROP INDEX IF EXISTS processed_events_device_event; -- an invalid leftover of a failed CONCURRENTLY build
    CREATE UNIQUE INDEX processed_events_device_event ON processed_events (device_id, event_id);
  END IF;
END $$;

ALTER TABLE processed_events
  DROP CONSTRAINT processed_events_pkey,
  ADD CONSTRAINT processed_events_pkey PRIMARY KEY USING INDEX processed_events_device_event;
