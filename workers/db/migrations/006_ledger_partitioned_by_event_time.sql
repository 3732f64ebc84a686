-- The ledger becomes partitioned by event time (docs/decisions/0116-ledger-partitioned-by-event-time.md):
-- retention drops a partition of a few days instead of deleting its rows one by one, and each
-- partition's key index holds those days' rows instead of the whole window's.
--
-- Identity stays (device_id, event_id) (invariant 5). A re-send carries its original's event time,
-- so it meets it in the same partition, where the key (device_id, event_id, event_time) refuses it.
-- A conflicting copy (same ids, another reading) may carry another time: the apply statement looks
-- for the ids in every partition before it inserts, under a lock that keeps two batches of the same
-- source partition from doing so at once (workers/activities/batch-effects.ts).
--
-- Rows from before this migration (if any) stay in one partition, processed_events_before_partitioning,
-- covering every time up to the end of the day of the migration; retention drops it once that day
-- is past the window. On a large ledger, build its index for the new key first, without blocking
-- writes (docs/upgrades.md):
--   CREATE UNIQUE INDEX CONCURRENTLY processed_events_key_with_time ON processed_events (device_id, event_id, event_time);

DO $$
DECLARE
  until_end_of_today timestamptz := date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 day';
BEGIN
  IF EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'processed_events'::regclass) THEN
    RETURN;
  END IF;
  ALTER TABLE processed_events RENAME TO processed_events_before_partitioning;

  CREATE TABLE processed_events (
    event_id         text NOT NULL,
    device_id        text NOT NULL,
    event_time       timestamptz NOT NULL,
    batch_id         text NOT NULL,
    source_partition integer NOT NULL,
    source_offset    bigint NOT NULL,
    temperature      double precision NOT NULL,
    humidity         double precision NOT NULL,
    pressure         double precision NOT NULL,
    battery          double precision NOT NULL,
    processed_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    firmware         text,
    PRIMARY KEY (device_id, event_id, event_time)
  ) PARTITION BY RANGE (event_time);

  -- Rows whose day has no partition yet (maintenance creates them ahead; this stays nearly empty).
  CREATE TABLE processed_events_default PARTITION OF processed_events DEFAULT;

  -- A ledger that holds nothing yet (a new database) has nothing to keep: the days are made below.
  IF NOT EXISTS (SELECT 1 FROM processed_events_before_partitioning) THEN
    DROP TABLE processed_events_before_partitioning;
    RETURN;
  END IF;

  IF NOT EXISTS (
    SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relname = 'processed_events_key_with_time' AND i.indisvalid AND i.indisunique
  ) THEN
    DROP INDEX IF EXISTS processed_events_key_with_time; -- an invalid leftover of a failed CONCURRENTLY build
    CREATE UNIQUE INDEX processed_events_key_with_time
      ON processed_events_before_partitioning (device_id, event_id, event_time);
  END IF;
  -- ATTACH adopts a partition's index for the parent's key only if it backs a key constraint.
  ALTER TABLE processed_events_before_partitioning
    DROP CONSTRAINT processed_events_pkey,
    ADD CONSTRAINT processed_events_before_partitioning_pkey PRIMARY KEY USING INDEX processed_events_key_with_time;
  -- Proves the range without the scan ATTACH would do while holding its lock.
  EXECUTE format(
    'ALTER TABLE processed_events_before_partitioning ADD CONSTRAINT before_partitioning_range CHECK (event_time < %L) NOT VALID',
    until_end_of_today);
  ALTER TABLE processed_events_before_partitioning VALIDATE CONSTRAINT before_partitioning_range;
  EXECUTE format(
    'ALTER TABLE processed_events ATTACH PARTITION processed_events_before_partitioning FOR VALUES FROM (MINVALUE) TO (%L)',
    until_end_of_today);
  ALTER TABLE processed_events_before_partitioning DROP CONSTRAINT before_partitioning_range;
  -- Retention no longer reads processed_at; new partitions carry no such index.
  DROP INDEX IF EXISTS processed_events_processed_at;
END $$;

-- The ledger's partitions with their ranges (MINVALUE as -infinity), the default one left out.
CREATE OR REPLACE FUNCTION ledger_partition_bounds()
RETURNS TABLE (name name, lo timestamptz, hi timestamptz)
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp SET "TimeZone" = 'UTC' SET "DateStyle" = 'ISO, MDY' AS $$
  SELECT c.relname,
         CASE WHEN pg_get_expr(c.relpartbound, c.oid) LIKE 'FOR VALUES FROM (MINVALUE)%' THEN '-infinity'::timestamptz
              ELSE substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \(''([^'']+)''\)')::timestamptz END,
         substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = 'public.processed_events'::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
$$;

-- Partitions that cover every day of [from_day, to_day], created by the owner for the worker, which
-- has no DDL right of its own (decision 0113). Each ends on a multiple of `span_days` days since
-- 1970-01-01 and spans that many days, or fewer where it fills a gap up to a partition that already
-- exists (from before partitioning, or of another span): no day is left to the default partition.
-- Rows that reached the default partition before their days had one move into it.
-- Both functions run as the owner with pg_catalog first on their path (no caller's object shadows a
-- built-in), so the tables they name are qualified.
CREATE OR REPLACE FUNCTION ledger_ensure_partitions(from_day date, to_day date, span_days integer DEFAULT 1)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp SET "TimeZone" = 'UTC' SET lock_timeout = '5s' AS $$
DECLARE
  day date := from_day;
  hi_day date;
  covered_until timestamptz;
  next_start timestamptz;
  day_start timestamptz;
  day_end timestamptz;
  part text;
  created integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(4210002); -- one maintainer at a time
  IF from_day IS NULL OR to_day IS NULL OR to_day < from_day OR to_day - from_day > 366
     OR span_days IS NULL OR span_days < 1 OR span_days > 31 THEN
    RAISE EXCEPTION 'ledger_ensure_partitions(%, %, %): expected a range of at most 366 days and a span of 1 to 31 days',
      from_day, to_day, span_days;
  END IF;
  WHILE day <= to_day LOOP
    day_start := day::timestamp AT TIME ZONE 'UTC';
    SELECT max(b.hi) INTO covered_until FROM ledger_partition_bounds() b WHERE b.lo <= day_start AND b.hi > day_start;
    IF covered_until IS NOT NULL THEN
      day := (covered_until AT TIME ZONE 'UTC')::date; -- bounds are whole days
      CONTINUE;
    END IF;
    hi_day := date '1970-01-01' + ((day - date '1970-01-01') / span_days + 1) * span_days;
    SELECT min(b.lo) INTO next_start FROM ledger_partition_bounds() b WHERE b.lo > day_start;
    IF next_start IS NOT NULL AND next_start < hi_day::timestamp AT TIME ZONE 'UTC' THEN
      hi_day := (next_start AT TIME ZONE 'UTC')::date;
    END IF;
    day_end := hi_day::timestamp AT TIME ZONE 'UTC';
    part := 'processed_events_' || to_char(day, 'YYYYMMDD');
    EXECUTE format('CREATE TABLE public.%I (LIKE public.processed_events INCLUDING DEFAULTS)', part);
    EXECUTE format(
      'WITH moved AS (DELETE FROM public.processed_events_default WHERE event_time >= $1 AND event_time < $2 RETURNING *)
       INSERT INTO public.%I SELECT * FROM moved', part) USING day_start, day_end;
    EXECUTE format('ALTER TABLE public.processed_events ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)',
      part, day_start, day_end);
    created := created + 1;
    day := hi_day;
  END LOOP;
  RETURN created;
END $$;

-- Drops every partition whose days all end at or before `cutoff` (the default partition never):
-- what retention does for the ledger. A drop waits at most 5 s for the table's lock, so it never
-- stalls the pipeline's inserts behind it for long; the next run tries again.
CREATE OR REPLACE FUNCTION ledger_drop_partitions(cutoff timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp SET "TimeZone" = 'UTC' SET lock_timeout = '5s' AS $$
DECLARE
  part record;
  dropped integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(4210002); -- one maintainer at a time
  FOR part IN SELECT b.name, b.hi FROM ledger_partition_bounds() b WHERE b.hi <= cutoff ORDER BY b.hi LOOP
    EXECUTE format('DROP TABLE public.%I', part.name);
    dropped := dropped + 1;
  END LOOP;
  RETURN dropped;
END $$;

REVOKE ALL ON FUNCTION ledger_ensure_partitions(date, date, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION ledger_drop_partitions(timestamptz) FROM PUBLIC;

-- Today and the next days, so that a fresh database takes events at once; the worker's maintenance
-- keeps days ahead from then on.
SELECT ledger_ensure_partitions((now() AT TIME ZONE 'UTC')::date, (now() AT TIME ZONE 'UTC')::date + 3);
