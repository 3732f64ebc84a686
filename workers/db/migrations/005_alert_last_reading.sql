-- Event time of the newest reading an alert applied (its workflow applies readings in event-time
-- order). A breach older than the last reading of the device's resolved alert for the rule is late
-- or replayed and starts no new alert (workers/activities/alerts.ts). Nullable, no default: adding
-- it rewrites nothing. Alerts recorded before this column (or by runs from before event-time order)
-- have none.
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS last_reading_at timestamptz;
