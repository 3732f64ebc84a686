-- Effects of the sensor pipeline. Every write is idempotent by construction (invariant 3):
-- the ledger's primary key makes a retried or redelivered event a no-op, and rollups change only
-- in the same transaction as the ledger rows that a retry finds.

-- Processed-events ledger: one row per event whose effects are applied; also the audit trail.
CREATE TABLE IF NOT EXISTS processed_events (
  event_id         text PRIMARY KEY,
  device_id        text NOT NULL,
  event_time       timestamptz NOT NULL,
  batch_id         text NOT NULL,
  source_partition integer NOT NULL,
  source_offset    bigint NOT NULL,
  temperature      double precision NOT NULL,
  humidity         double precision NOT NULL,
  pressure         double precision NOT NULL,
  battery          double precision NOT NULL,
  processed_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS processed_events_batch ON processed_events (batch_id, source_offset);
CREATE INDEX IF NOT EXISTS processed_events_processed_at ON processed_events (processed_at);

-- Latest reading per device, last writer wins by event time (ties by event id): replays converge.
CREATE TABLE IF NOT EXISTS device_state (
  device_id     text PRIMARY KEY,
  last_event_id text NOT NULL,
  last_event_at timestamptz NOT NULL,
  temperature   double precision NOT NULL,
  humidity      double precision NOT NULL,
  pressure      double precision NOT NULL,
  battery       double precision NOT NULL,
  firmware      text,
  updated_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Historical metrics per device per minute: count, and sum/min/max of each reading.
CREATE TABLE IF NOT EXISTS metric_rollups_minute (
  device_id       text NOT NULL,
  minute          timestamptz NOT NULL,
  count           bigint NOT NULL,
  temperature_sum double precision NOT NULL,
  temperature_min double precision NOT NULL,
  temperature_max double precision NOT NULL,
  humidity_sum    double precision NOT NULL,
  humidity_min    double precision NOT NULL,
  humidity_max    double precision NOT NULL,
  pressure_sum    double precision NOT NULL,
  pressure_min    double precision NOT NULL,
  pressure_max    double precision NOT NULL,
  battery_sum     double precision NOT NULL,
  battery_min     double precision NOT NULL,
  battery_max     double precision NOT NULL,
  PRIMARY KEY (device_id, minute)
);

-- One row per batch workflow: what it covered, what it did, where its output went.
CREATE TABLE IF NOT EXISTS batches (
  batch_id           text PRIMARY KEY,
  run_id             text NOT NULL,
  source_topic       text NOT NULL,
  source_partition   integer NOT NULL,
  first_offset       bigint NOT NULL,
  last_offset        bigint NOT NULL,
  events             integer NOT NULL,
  applied            integer NOT NULL,
  duplicates         integer NOT NULL,
  rejected           integer NOT NULL,
  dead_lettered      integer NOT NULL,
  applied_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at       timestamptz,
  -- [{ "partition": p, "baseOffset": "o", "count": n }] per producer send, in source-offset order
  publish_offsets    jsonb
);

-- Alerts, maintained by the alert workflows' activity (keyed by alert and transition sequence).
CREATE TABLE IF NOT EXISTS alerts (
  alert_id         text PRIMARY KEY,
  run_id           text NOT NULL,
  device_id        text NOT NULL,
  rule             text NOT NULL,
  status           text NOT NULL,
  level            integer NOT NULL,
  last_value       double precision,
  raised_at        timestamptz NOT NULL,
  acknowledged_by  text,
  resolved_at      timestamptz,
  sequence         integer NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS alerts_open_by_device ON alerts (device_id) WHERE status <> 'resolved';

CREATE TABLE IF NOT EXISTS alert_transitions (
  alert_id   text NOT NULL,
  run_id     text NOT NULL,
  sequence   integer NOT NULL,
  transition text NOT NULL,
  level      integer NOT NULL,
  value      double precision,
  by_whom    text,
  at         timestamptz NOT NULL,
  PRIMARY KEY (alert_id, run_id, sequence)
);
