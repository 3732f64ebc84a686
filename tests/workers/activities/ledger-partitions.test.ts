/**
 * The ledger partitioned by event time (decision 0116) on the real Postgres, through the pooler in
 * transaction mode and as the worker's own role, as the worker applies batches in the cluster. The
 * ledger's key holds the event time, so a conflicting copy (same ids, another day) lands in another
 * partition than its original, where the key cannot refuse it: the apply statement looks for the
 * ids in every partition, and its source partition's lock keeps two batches from looking at once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { sensorData } from '../../../local/testing/events.js';
import { stack, testDatabase, uniqueId, type TestDatabase } from '../../../local/testing/test-stack.js';
import { applyBatchEffects } from '../../../workers/activities/batch-effects.js';
import { maintainLedgerPartitions } from '../../../workers/activities/ledger-retention.js';
import { ledgerPartitionDays } from '../../../workers/shared/ledger-partitions.js';
import type { ApplyBatchInput, ApplyBatchResult } from '../../../workers/shared/activity-contract.js';
import type { IngestedEvent, SensorData } from '../../../workers/shared/events.js';

const DAY = 24 * 3600_000;
const id = uniqueId('partitions');
let db: TestDatabase;
let worker: pg.Pool;

before(async () => {
  db = await testDatabase(await stack(), id);
  worker = new pg.Pool({ connectionString: db.url, max: 8 });
});

after(async () => {
  await worker?.end();
  await db?.drop();
});

let offset = 0;

/** A batch of one source partition, as the worker applies it. */
function batch(batchId: string, events: readonly SensorData[]): ApplyBatchInput {
  const first = offset;
  const ingested: IngestedEvent[] = events.map((e) => ({
    ...e,
    source: { partition: 0, offset: String(offset++) },
  }));
  return {
    batchId,
    runId: 'run-1',
    range: {
      topic: `${id}-sensor-data`,
      partition: 0,
      firstOffset: String(first),
      lastOffset: String(offset - 1),
    },
    events: ingested,
    inBatchDuplicates: 0,
    rejected: 0,
    deadLettered: 0,
  };
}

const outcome = (r: ApplyBatchResult) => ({
  applied: r.applied,
  conflicts: r.repeats.filter((x) => x.conflict).length,
  resends: r.repeats.filter((x) => !x.conflict).length,
});

void test('the same ids with readings of two days, in two batches applied at once: one applies, the other is a conflict', async () => {
  const now = Date.now();
  const pairs = Array.from({ length: 24 }, (_, i) => {
    const device = `${id}-race-${i}`;
    return [
      batch(`${id}-early-${i}`, [sensorData(device, 1, { timestamp: now - 2 * DAY })]),
      batch(`${id}-late-${i}`, [
        sensorData(device, 1, { timestamp: now - 1000, readings: { temperature: 40 } }),
      ]),
    ] as const;
  });
  // Both of each pair in flight together, eight statements at a time (the pool's size).
  const results = await Promise.all(
    pairs.map(([a, b]) => Promise.all([applyBatchEffects(worker, a), applyBatchEffects(worker, b)])),
  );
  for (const [i, [a, b]] of results.entries()) {
    const both = [outcome(a), outcome(b)].sort((x, y) => y.applied - x.applied);
    assert.deepEqual(
      both,
      [
        { applied: 1, conflicts: 0, resends: 0 },
        { applied: 0, conflicts: 1, resends: 0 },
      ],
      `pair ${i}`,
    );
  }
  const { rows } = await db.pool.query<{ device_id: string; n: string }>(
    `SELECT device_id, count(*) AS n FROM processed_events WHERE device_id LIKE $1 GROUP BY 1 HAVING count(*) > 1`,
    [`${id}-race-%`],
  );
  assert.deepEqual(rows, [], 'no device has two ledger rows under one eventId');
  const rollups = await db.pool.query<{ n: string }>(
    'SELECT sum(count) AS n FROM metric_rollups_minute WHERE device_id LIKE $1',
    [`${id}-race-%`],
  );
  assert.equal(Number(rollups.rows[0]!.n), pairs.length, 'one reading counted per pair');
});

void test("the worker's role keeps the days ahead ready through the owner's function, and nothing more", async () => {
  const { rows } = await db.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'processed_events'::regclass`,
  );
  const before = Number(rows[0]!.n);
  // Migrated today: today and three days ahead, plus the default partition.
  assert.ok(before >= 5, `${before} partitions`);
  assert.deepEqual(await maintainLedgerPartitions(worker, { retentionMs: 8 * DAY, spanDays: 1 }), {
    created: 0,
    dropped: 0,
  });
  await db.pool.query(
    `DROP TABLE processed_events_${new Date(Date.now() + 3 * DAY).toISOString().slice(0, 10).replaceAll('-', '')}`,
  );
  assert.deepEqual(await maintainLedgerPartitions(worker, { retentionMs: 8 * DAY, spanDays: 1 }), {
    created: 1,
    dropped: 0,
  });
  // Its own DDL is still refused.
  await assert.rejects(
    worker.query(
      "CREATE TABLE processed_events_19990101 PARTITION OF processed_events FOR VALUES FROM ('1999-01-01') TO ('1999-01-02')",
    ),
    /permission denied|must be owner/,
  );
  await assert.rejects(worker.query('DROP TABLE processed_events_default'), /must be owner/);
});

void test('the retention sizes the span: a few partitions of several days cover the window, ending on their span, with no gap', async () => {
  // An 8-day retention: 4-day partitions (two per window). The migration made today and the next
  // three days a partition each; maintenance with the span fills on from there, up to day 20.
  const span = ledgerPartitionDays(8 * DAY);
  assert.equal(span, 4);
  const today = Date.parse(new Date().toISOString().slice(0, 10));
  const to = new Date(today + 20 * DAY).toISOString().slice(0, 10);
  await db.pool.query("SELECT ledger_ensure_partitions((now() AT TIME ZONE 'UTC')::date, $1::date, $2)", [
    to,
    span,
  ]);
  const { rows } = await db.pool.query<{ lo: Date; hi: Date }>(
    'SELECT lo, hi FROM ledger_partition_bounds() WHERE lo >= $1 ORDER BY lo',
    [new Date(today)],
  );
  // Gap-free from today to past day 20: each partition starts where the one before ends.
  assert.equal(rows[0]!.lo.getTime(), today);
  for (let i = 1; i < rows.length; i++) assert.equal(rows[i]!.lo.getTime(), rows[i - 1]!.hi.getTime());
  assert.ok(rows.at(-1)!.hi.getTime() > today + 20 * DAY);
  const made = rows.filter((r) => r.lo.getTime() >= today + 4 * DAY);
  assert.ok(made.length >= 4 && made.length <= 5, `${made.length} partitions for days 4 to 20`);
  for (const { lo, hi } of made) {
    assert.equal((hi.getTime() / DAY) % 4, 0, 'ends on a multiple of four days since 1970');
    assert.ok(hi.getTime() - lo.getTime() <= 4 * DAY, 'four days, or fewer where it fills a gap');
  }
  assert.ok(
    made.filter((r) => r.hi.getTime() - r.lo.getTime() === 4 * DAY).length >= 3,
    'the rest span four days',
  );
});

void test('partition maintenance refuses a range or span it cannot honour, naming what it expected, and changes nothing', async () => {
  const count = async () =>
    Number(
      (await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM ledger_partition_bounds()')).rows[0]!.n,
    );
  const before = await count();
  for (const args of [
    ['2026-01-10', '2026-01-01', 1],
    ['2026-01-01', '2027-06-01', 1],
    ['2026-01-01', '2026-01-02', 0],
    ['2026-01-01', '2026-01-02', 32],
  ] as const) {
    await assert.rejects(
      worker.query('SELECT ledger_ensure_partitions($1::date, $2::date, $3)', [...args]),
      /expected a range of at most 366 days and a span of 1 to 31 days/,
      JSON.stringify(args),
    );
  }
  assert.equal(await count(), before);
});

void test("an event whose day has no partition goes to the default one, and moves into its day's partition when that is made", async () => {
  const device = `${id}-late`;
  const stamped = Date.now() - 5 * DAY;
  const result = await applyBatchEffects(
    worker,
    batch(`${id}-old-day`, [sensorData(device, 1, { timestamp: stamped })]),
  );
  assert.equal(result.applied, 1);
  const where = async () =>
    (
      await db.pool.query<{ p: string }>(
        'SELECT tableoid::regclass::text AS p FROM processed_events WHERE device_id = $1',
        [device],
      )
    ).rows.map((r) => r.p);
  assert.deepEqual(await where(), ['processed_events_default']);
  const day = new Date(stamped).toISOString().slice(0, 10);
  await db.pool.query('SELECT ledger_ensure_partitions($1::date, $1::date)', [day]);
  assert.deepEqual(await where(), [`processed_events_${day.replaceAll('-', '')}`]);
  const again = await applyBatchEffects(
    worker,
    batch(`${id}-old-day-again`, [sensorData(device, 1, { timestamp: stamped })]),
  );
  assert.deepEqual(outcome(again), { applied: 0, conflicts: 0, resends: 1 });
});
