/**
 * The database effects of a batch in one statement, in a transaction that first takes its source
 * partition's lock: ledger insert, rollups and last-writer-wins device state for the events new to
 * the ledger, the batch record.
 * An event is (device_id, event_id) (invariant 5); one the ledger already holds has no effect, and
 * is reported as a repeat: an exact re-send, or a conflict when its reading differs.
 * When Postgres refuses the statement for what one event holds (invariant 6), the batch is applied
 * again in one transaction that isolates the refused events by bisection (savepoints): they are
 * reported with the database's reason, the rest is applied.
 */
import type { Pool, PoolClient } from 'pg';
import { numberArray, textArray } from '../lib/pg-array.js';
import type { IngestedEvent } from '../shared/events.js';
import type {
  ApplyBatchInput,
  ApplyBatchResult,
  BatchRef,
  LedgerRepeat,
  OpenAlertKey,
  RefusedEvent,
} from '../shared/activity-contract.js';

/**
 * A re-send carries the same reading: time and the four values. Firmware is the device's metadata,
 * kept in the ledger for the audit trail but not part of what was measured (decision 0010).
 */
const SAME_READING = `(p.event_time = i.event_time AND p.temperature = i.temperature
  AND p.humidity = i.humidity AND p.pressure = i.pressure AND p.battery = i.battery)`;

const APPLY_SQL = `
WITH input AS (
  SELECT event_id, device_id, ts_ms, to_timestamp(ts_ms / 1000::float8) AS event_time, source_partition,
         source_offset, temperature, humidity, pressure, battery, firmware
  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::bigint[],
              $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::text[])
    AS t(event_id, device_id, ts_ms, source_partition, source_offset, temperature, humidity, pressure, battery, firmware)
),
-- Rollups and device state follow what the insert returns: only the events new to the ledger, so a
-- repeat moves neither (invariant 5), and without joining the input back (a sort-merge join of the
-- whole batch: 13 % of the statement's time at 5,000 events).
ins AS (
  INSERT INTO processed_events
    (event_id, device_id, event_time, batch_id, source_partition, source_offset, temperature, humidity,
     pressure, battery, firmware)
  SELECT event_id, device_id, event_time, $11, source_partition, source_offset,
         temperature, humidity, pressure, battery, firmware
  FROM input i
  -- The ids in any day's partition: a re-send meets its original in its own day, where the key
  -- below refuses it, but a conflicting copy may carry another time (decision 0116). OFFSET 0 keeps
  -- this a key probe per partition: as an anti-join the planner may hash every partition instead.
  WHERE NOT EXISTS (SELECT 1 FROM processed_events p
                    WHERE p.device_id = i.device_id AND p.event_id = i.event_id OFFSET 0)
  ORDER BY device_id, event_id
  ON CONFLICT (device_id, event_id, event_time) DO NOTHING
  RETURNING event_id, device_id, event_time, temperature, humidity, pressure, battery, firmware
),
rollups AS (
  INSERT INTO metric_rollups_minute AS r (device_id, minute, count,
    temperature_sum, temperature_min, temperature_max, humidity_sum, humidity_min, humidity_max,
    pressure_sum, pressure_min, pressure_max, battery_sum, battery_min, battery_max)
  SELECT device_id, date_trunc('minute', event_time), count(*),
    sum(temperature), min(temperature), max(temperature), sum(humidity), min(humidity), max(humidity),
    sum(pressure), min(pressure), max(pressure), sum(battery), min(battery), max(battery)
  FROM ins
  GROUP BY 1, 2
  ON CONFLICT (device_id, minute) DO UPDATE SET
    count = r.count + excluded.count,
    temperature_sum = r.temperature_sum + excluded.temperature_sum,
    temperature_min = least(r.temperature_min, excluded.temperature_min),
    temperature_max = greatest(r.temperature_max, excluded.temperature_max),
    humidity_sum = r.humidity_sum + excluded.humidity_sum,
    humidity_min = least(r.humidity_min, excluded.humidity_min),
    humidity_max = greatest(r.humidity_max, excluded.humidity_max),
    pressure_sum = r.pressure_sum + excluded.pressure_sum,
    pressure_min = least(r.pressure_min, excluded.pressure_min),
    pressure_max = greatest(r.pressure_max, excluded.pressure_max),
    battery_sum = r.battery_sum + excluded.battery_sum,
    battery_min = least(r.battery_min, excluded.battery_min),
    battery_max = greatest(r.battery_max, excluded.battery_max)
  RETURNING 1
),
latest AS (
  SELECT DISTINCT ON (device_id) * FROM ins ORDER BY device_id, event_time DESC, event_id DESC
),
state AS (
  INSERT INTO device_state AS d
    (device_id, last_event_id, last_event_at, temperature, humidity, pressure, battery, firmware)
  SELECT device_id, event_id, event_time, temperature, humidity, pressure, battery, firmware
  FROM latest
  ON CONFLICT (device_id) DO UPDATE SET
    last_event_id = excluded.last_event_id, last_event_at = excluded.last_event_at,
    temperature = excluded.temperature, humidity = excluded.humidity, pressure = excluded.pressure,
    battery = excluded.battery, firmware = excluded.firmware, updated_at = clock_timestamp()
  WHERE (excluded.last_event_at, excluded.last_event_id) > (d.last_event_at, d.last_event_id)
  RETURNING 1
),
batch AS (
  INSERT INTO batches (batch_id, run_id, source_topic, source_partition, first_offset, last_offset,
                       events, applied, duplicates, rejected, dead_lettered)
  VALUES ($11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
  ON CONFLICT (batch_id) DO UPDATE SET run_id = excluded.run_id
  RETURNING (extract(epoch FROM applied_at) * 1000)::bigint AS applied_ms
)
SELECT
  -- Input events the insert skipped and that are not this batch's own (an earlier attempt, same
  -- statement snapshot), with the ledger row they collided with. When the insert took every event
  -- (nearly every batch: a device's re-send lands in its original's batch, where the worker drops
  -- it), the list is empty without matching the input against the insert. A row that another batch
  -- committed while this statement ran is not in its snapshot: original null, settled after.
  CASE WHEN (SELECT count(*) FROM ins) = cardinality($1::text[]) THEN '[]'::json ELSE
  (SELECT coalesce(json_agg(json_build_object(
      'deviceId', i.device_id, 'eventId', i.event_id,
      'conflict', p.event_id IS NOT NULL AND NOT ${SAME_READING},
      'original', CASE WHEN p.event_id IS NULL THEN NULL ELSE json_build_object(
        'batchId', p.batch_id, 'partition', p.source_partition, 'offset', p.source_offset::text) END
    )), '[]'::json)
    FROM input i LEFT JOIN LATERAL (SELECT * FROM processed_events p
      WHERE p.device_id = i.device_id AND p.event_id = i.event_id LIMIT 1) p ON true
    WHERE (p.batch_id IS DISTINCT FROM $11)
      AND NOT EXISTS (SELECT 1 FROM ins WHERE ins.device_id = i.device_id AND ins.event_id = i.event_id)
  ) END AS repeats,
  (SELECT coalesce(json_agg(json_build_object('deviceId', a.device_id, 'rule', a.rule)), '[]'::json)
     FROM alerts a WHERE a.status <> 'resolved' AND a.device_id IN (SELECT DISTINCT device_id FROM input)
  ) AS open_alerts,
  (SELECT count(*) FROM rollups) AS rollup_rows,
  (SELECT count(*) FROM state) AS state_rows,
  (SELECT applied_ms FROM batch) AS applied_ms
`;

/** Repeats whose ledger row another batch committed while the apply statement ran: read after it. */
const SETTLE_REPEATS_SQL = `
SELECT i.device_id, i.event_id, NOT ${SAME_READING} AS conflict,
       p.batch_id, p.source_partition, p.source_offset::text AS source_offset
FROM (SELECT device_id, event_id, to_timestamp(ts_ms / 1000::float8) AS event_time,
             temperature, humidity, pressure, battery
      FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::float8[], $6::float8[], $7::float8[])
        AS t(device_id, event_id, ts_ms, temperature, humidity, pressure, battery)) i
JOIN LATERAL (SELECT * FROM processed_events p
  WHERE p.device_id = i.device_id AND p.event_id = i.event_id LIMIT 1) p ON true`;

/**
 * Held by each apply transaction for its source partition: the ledger's key holds an event time, so
 * two transactions inserting the same ids with different times (a conflicting copy, in another
 * day's partition) would not block each other; with this lock the later one sees the earlier one's
 * rows. Devices are keyed to partitions, so a device's events share it (decision 0116). The
 * two-key form keeps it apart from the migrations' single-key locks.
 */
const SOURCE_PARTITION_LOCK_SQL = 'SELECT pg_advisory_xact_lock(4210003, hashtext($1))';

async function lockSourcePartition(client: PoolClient, input: ApplyBatchInput): Promise<void> {
  await client.query(SOURCE_PARTITION_LOCK_SQL, [`${input.range.topic}/${input.range.partition}`]);
}

/** SQLSTATE classes that one event's values can cause: data exception, integrity, program limit. */
const EVENT_SQLSTATE_CLASSES = new Set(['22', '23', '54']);

/** Postgres refused a statement for what its rows hold (not for the moment, the schema or rights). */
export function refusedForItsData(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && EVENT_SQLSTATE_CLASSES.has(code.slice(0, 2));
}

function refusalReason(err: unknown): string {
  return `${(err as Error).message} (SQLSTATE ${(err as { code?: string }).code})`;
}

interface StatementRow {
  readonly repeats: {
    deviceId: string;
    eventId: string;
    conflict: boolean;
    original: { batchId: string; partition: number; offset: string } | null;
  }[];
  readonly open_alerts: OpenAlertKey[];
  readonly applied_ms: string;
}

/** What the statements of one apply found, merged over the isolating path's probes. */
interface Outcome {
  repeats: StatementRow['repeats'];
  refused: RefusedEvent[];
  openAlerts: Map<string, OpenAlertKey>;
  appliedAt?: number;
}

function statementParams(input: ApplyBatchInput, e: readonly IngestedEvent[]): unknown[] {
  return [
    textArray(e.map((x) => x.eventId)),
    textArray(e.map((x) => x.deviceId)),
    numberArray(e.map((x) => x.timestamp)),
    numberArray(e.map((x) => x.source.partition)),
    numberArray(e.map((x) => x.source.offset)),
    numberArray(e.map((x) => x.readings.temperature)),
    numberArray(e.map((x) => x.readings.humidity)),
    numberArray(e.map((x) => x.readings.pressure)),
    numberArray(e.map((x) => x.readings.battery)),
    textArray(e.map((x) => x.firmware)),
    input.batchId,
    input.runId,
    input.range.topic,
    input.range.partition,
    input.range.firstOffset,
    input.range.lastOffset,
    // What the batch saw, whichever subset of it a statement applies; "applied" is settled after.
    input.events.length + input.inBatchDuplicates + input.rejected + input.deadLettered,
    0,
    input.inBatchDuplicates,
    input.rejected,
    input.deadLettered,
  ];
}

async function runStatement(
  client: PoolClient,
  input: ApplyBatchInput,
  events: readonly IngestedEvent[],
  out: Outcome,
): Promise<void> {
  const { rows } = await client.query<StatementRow>(APPLY_SQL, statementParams(input, events));
  const row = rows[0]!;
  out.repeats.push(...row.repeats);
  for (const a of row.open_alerts) out.openAlerts.set(`${a.deviceId}/${a.rule}`, a);
  out.appliedAt = Number(row.applied_ms);
}

/** Applies `events` under a savepoint; on a refusal for their data, halves them and tries again. */
async function applyBisecting(
  client: PoolClient,
  input: ApplyBatchInput,
  events: readonly IngestedEvent[],
  out: Outcome,
): Promise<void> {
  await client.query('SAVEPOINT isolate');
  try {
    await runStatement(client, input, events, out);
    await client.query('RELEASE SAVEPOINT isolate');
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT isolate');
    await client.query('RELEASE SAVEPOINT isolate');
    if (!refusedForItsData(err)) throw err;
    if (events.length === 1) {
      out.refused.push({
        deviceId: events[0]!.deviceId,
        eventId: events[0]!.eventId,
        reason: refusalReason(err),
      });
      return;
    }
    const half = Math.ceil(events.length / 2);
    await applyBisecting(client, input, events.slice(0, half), out);
    await applyBisecting(client, input, events.slice(half), out);
  }
}

/**
 * The batch again, in one transaction, without the events Postgres refuses: O(k log n) statements
 * for k refused events of n. The batch record is written even when every event was refused.
 */
async function applyIsolating(client: PoolClient, input: ApplyBatchInput, out: Outcome): Promise<void> {
  await client.query('BEGIN');
  try {
    await lockSourcePartition(client, input);
    await applyBisecting(client, input, input.events, out);
    if (out.appliedAt === undefined) await runStatement(client, input, [], out);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Repeats with no original in the statement's snapshot, classified from the ledger as committed now. */
async function settleRepeats(
  client: PoolClient,
  events: readonly IngestedEvent[],
  repeats: StatementRow['repeats'],
): Promise<LedgerRepeat[]> {
  const unsettled = new Set(
    repeats.filter((r) => r.original === null).map((r) => `${r.deviceId}/${r.eventId}`),
  );
  const settled = new Map<string, LedgerRepeat>();
  if (unsettled.size > 0) {
    const e = events.filter((x) => unsettled.has(`${x.deviceId}/${x.eventId}`));
    const { rows } = await client.query<{
      device_id: string;
      event_id: string;
      conflict: boolean;
      batch_id: string;
      source_partition: number;
      source_offset: string;
    }>(SETTLE_REPEATS_SQL, [
      textArray(e.map((x) => x.deviceId)),
      textArray(e.map((x) => x.eventId)),
      numberArray(e.map((x) => x.timestamp)),
      numberArray(e.map((x) => x.readings.temperature)),
      numberArray(e.map((x) => x.readings.humidity)),
      numberArray(e.map((x) => x.readings.pressure)),
      numberArray(e.map((x) => x.readings.battery)),
    ]);
    for (const r of rows) {
      settled.set(`${r.device_id}/${r.event_id}`, {
        deviceId: r.device_id,
        eventId: r.event_id,
        conflict: r.conflict,
        original: { batchId: r.batch_id, partition: r.source_partition, offset: r.source_offset },
      });
    }
  }
  return repeats.map(
    (r) =>
      settled.get(`${r.deviceId}/${r.eventId}`) ?? {
        deviceId: r.deviceId,
        eventId: r.eventId,
        conflict: r.conflict,
        ...(r.original ? { original: r.original } : {}),
      },
  );
}

export async function applyBatchEffects(pool: Pool, input: ApplyBatchInput): Promise<ApplyBatchResult> {
  const out: Outcome = { repeats: [], refused: [], openAlerts: new Map() };
  const client = await pool.connect();
  try {
    try {
      await client.query('BEGIN');
      await lockSourcePartition(client, input);
      await runStatement(client, input, input.events, out);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (!refusedForItsData(err) || input.events.length === 0) throw err;
      out.repeats = [];
      out.openAlerts.clear();
      await applyIsolating(client, input, out);
    }
    const repeats = await settleRepeats(client, input.events, out.repeats);
    const applied = input.events.length - repeats.length - out.refused.length;
    const conflicts = repeats.filter((r) => r.conflict).length;
    await client.query(
      'UPDATE batches SET applied = $2, duplicates = $3, dead_lettered = $4 WHERE batch_id = $1',
      [
        input.batchId,
        applied,
        input.inBatchDuplicates + repeats.length - conflicts,
        input.deadLettered + conflicts + out.refused.length,
      ],
    );
    return {
      applied,
      repeats,
      refused: out.refused,
      openAlerts: [...out.openAlerts.values()],
      appliedAt: out.appliedAt!,
    };
  } finally {
    client.release();
  }
}

/**
 * Compensation: removes the batch's ledger rows and recomputes the rollups they touched from the
 * ledger that remains (min and max cannot be subtracted). Device state stays: it is last-writer-wins
 * and converges when the parked events are re-driven. `events` are the batch's events (the rows are
 * found by primary key; only those this batch inserted, by any attempt, carry its batch ID).
 */
export async function revertBatchEffects(
  pool: Pool,
  ref: BatchRef,
  events: readonly Pick<IngestedEvent, 'deviceId' | 'eventId'>[],
): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const removed = await client.query<{ device_id: string; minute: Date }>(
      `DELETE FROM processed_events p USING unnest($2::text[], $3::text[]) AS k(device_id, event_id)
       WHERE p.device_id = k.device_id AND p.event_id = k.event_id AND p.batch_id = $1
       RETURNING p.device_id, date_trunc('minute', p.event_time) AS minute`,
      [ref.batchId, textArray(events.map((e) => e.deviceId)), textArray(events.map((e) => e.eventId))],
    );
    const keys = [
      ...new Map(removed.rows.map((r) => [`${r.device_id}|${r.minute.toISOString()}`, r])).values(),
    ];
    if (keys.length > 0) {
      const devices = keys.map((k) => k.device_id);
      const minutes = keys.map((k) => k.minute);
      await client.query(
        `DELETE FROM metric_rollups_minute r USING unnest($1::text[], $2::timestamptz[]) AS k(device_id, minute)
         WHERE r.device_id = k.device_id AND r.minute = k.minute`,
        [devices, minutes],
      );
      await client.query(
        `INSERT INTO metric_rollups_minute (device_id, minute, count,
           temperature_sum, temperature_min, temperature_max, humidity_sum, humidity_min, humidity_max,
           pressure_sum, pressure_min, pressure_max, battery_sum, battery_min, battery_max)
         SELECT p.device_id, date_trunc('minute', p.event_time), count(*),
           sum(temperature), min(temperature), max(temperature), sum(humidity), min(humidity), max(humidity),
           sum(pressure), min(pressure), max(pressure), sum(battery), min(battery), max(battery)
         FROM processed_events p
         JOIN unnest($1::text[], $2::timestamptz[]) AS k(device_id, minute)
           ON p.device_id = k.device_id AND p.event_time >= k.minute AND p.event_time < k.minute + interval '1 minute'
         GROUP BY 1, 2`,
        [devices, minutes],
      );
    }
    await client.query('UPDATE batches SET applied = 0 WHERE batch_id = $1', [ref.batchId]);
    await client.query('COMMIT');
    return removed.rowCount ?? 0;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
