/**
 * Invariants 3, 5 and 6 on the real Postgres: a retried batch, a device's re-send in another batch
 * and out-of-order events all converge to the same effects; the same eventId from another device is
 * another event; the same ids with another reading are a conflict with no effect; a row the database
 * refuses costs only itself; compensation removes exactly one batch.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { applyBatchEffects, revertBatchEffects } from '../../../workers/activities/batch-effects.js';
import type { ApplyBatchInput } from '../../../workers/shared/activity-contract.js';
import type { IngestedEvent } from '../../../workers/shared/events.js';
import { sensorData } from '../../../local/testing/events.js';
import { stack, testDatabase, uniqueId, type TestDatabase } from '../../../local/testing/test-stack.js';

const id = uniqueId('effects');
let db: TestDatabase;
const minute = Date.UTC(2026, 0, 1, 12, 0, 0);

before(async () => {
  db = await testDatabase(await stack(), id);
});
after(async () => db?.drop());

function event(device: string, seq: number, at: number, temperature: number): IngestedEvent {
  return {
    ...sensorData(device, seq, { timestamp: at, readings: { temperature } }),
    source: { partition: 0, offset: String(seq) },
  };
}

function input(batchId: string, events: IngestedEvent[]): ApplyBatchInput {
  return {
    batchId,
    runId: 'run-1',
    range: {
      topic: 't',
      partition: 0,
      firstOffset: events[0]!.source.offset,
      lastOffset: events.at(-1)!.source.offset,
    },
    events,
    inBatchDuplicates: 0,
    rejected: 0,
    deadLettered: 0,
  };
}

async function rollup(device: string) {
  const { rows } = await db.pool.query<{
    count: string;
    temperature_sum: number;
    temperature_min: number;
    temperature_max: number;
  }>(
    'SELECT count, temperature_sum, temperature_min, temperature_max FROM metric_rollups_minute WHERE device_id = $1',
    [device],
  );
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}

test('a retried batch applies nothing twice and reports the same result', async () => {
  const d = `${id}-retry`;
  const events = [event(d, 1, minute + 1000, 20), event(d, 2, minute + 2000, 30)];
  const first = await applyBatchEffects(db.pool, input('b-retry', events));
  const again = await applyBatchEffects(db.pool, input('b-retry', events));
  assert.deepEqual(first, {
    applied: 2,
    repeats: [],
    refused: [],
    openAlerts: [],
    appliedAt: first.appliedAt,
  });
  assert.ok(Math.abs(first.appliedAt - Date.now()) < 60_000, 'appliedAt is the commit time');
  assert.deepEqual(
    again,
    first,
    'the retry sees its own ledger rows as applied, not as duplicates, with the same commit time',
  );
  assert.deepEqual(await rollup(d), [
    { count: 2, temperature_sum: 50, temperature_min: 20, temperature_max: 30 },
  ]);
});

test("a device's re-send in another batch is a duplicate with no second effect", async () => {
  const d = `${id}-dup`;
  await applyBatchEffects(db.pool, input('b-dup-1', [event(d, 1, minute + 1000, 10)]));
  const second = await applyBatchEffects(
    db.pool,
    input('b-dup-2', [event(d, 1, minute + 1000, 10), event(d, 2, minute + 3000, 12)]),
  );
  assert.equal(second.applied, 1);
  assert.deepEqual(second.repeats, [
    {
      deviceId: d,
      eventId: `${d}-1`,
      conflict: false,
      original: { batchId: 'b-dup-1', partition: 0, offset: '1' },
    },
  ]);
  assert.deepEqual(await rollup(d), [
    { count: 2, temperature_sum: 22, temperature_min: 10, temperature_max: 12 },
  ]);
});

test('device state is last-writer-wins by event time, whatever the arrival order', async () => {
  const d = `${id}-lww`;
  await applyBatchEffects(db.pool, input('b-lww-new', [event(d, 2, minute + 5000, 25)]));
  await applyBatchEffects(db.pool, input('b-lww-old', [event(d, 1, minute + 1000, 15)]));
  const { rows } = await db.pool.query<{ last_event_id: string; temperature: number }>(
    'SELECT last_event_id, temperature FROM device_state WHERE device_id = $1',
    [d],
  );
  assert.deepEqual(rows[0], { last_event_id: `${d}-2`, temperature: 25 });
});

test('compensation removes one batch and recomputes the rollups it touched', async () => {
  const d = `${id}-revert`;
  await applyBatchEffects(db.pool, input('b-keep', [event(d, 1, minute + 1000, 10)]));
  await applyBatchEffects(
    db.pool,
    input('b-undo', [event(d, 2, minute + 2000, 50), event(d, 3, minute + 3000, 60)]),
  );
  const removed = await revertBatchEffects(
    db.pool,
    {
      batchId: 'b-undo',
      runId: 'run-1',
      range: { topic: 't', partition: 0, firstOffset: '2', lastOffset: '3' },
    },
    // Event 1 is another batch's: naming it removes nothing of that batch.
    [1, 2, 3].map((n) => ({ deviceId: d, eventId: `${d}-${n}` })),
  );
  assert.equal(removed, 2);
  assert.deepEqual(await rollup(d), [
    { count: 1, temperature_sum: 10, temperature_min: 10, temperature_max: 10 },
  ]);
  // A re-drive applies the events again, once.
  const redo = await applyBatchEffects(
    db.pool,
    input('b-redrive', [event(d, 2, minute + 2000, 50), event(d, 3, minute + 3000, 60)]),
  );
  assert.equal(redo.applied, 2);
  assert.deepEqual(await rollup(d), [
    { count: 3, temperature_sum: 120, temperature_min: 10, temperature_max: 60 },
  ]);
});

test('the same eventId from two devices is two events', async () => {
  const a = `${id}-twin-a`;
  const b = `${id}-twin-b`;
  const shared = `${id}-shared-event`;
  const fromA = { ...event(a, 1, minute + 1000, 10), eventId: shared };
  const fromB = { ...event(b, 1, minute + 2000, 20), eventId: shared };
  await applyBatchEffects(db.pool, input('b-twin-1', [fromA]));
  const second = await applyBatchEffects(db.pool, input('b-twin-2', [fromB]));
  assert.equal(second.applied, 1, "device B's reading is not A's duplicate");
  assert.deepEqual(second.repeats, []);
  assert.deepEqual(await rollup(b), [
    { count: 1, temperature_sum: 20, temperature_min: 20, temperature_max: 20 },
  ]);
});

test('the same ids with another reading are a conflict: no effect on rollups or device state', async () => {
  const d = `${id}-conflict`;
  await applyBatchEffects(db.pool, input('b-conf-1', [event(d, 1, minute + 1000, 10)]));
  // Same device and eventId, a later time and another value: it must not move the device's state.
  const forged = { ...event(d, 1, minute + 50_000, 99), source: { partition: 0, offset: '77' } };
  const second = await applyBatchEffects(db.pool, input('b-conf-2', [forged]));
  assert.equal(second.applied, 0);
  assert.deepEqual(second.repeats, [
    {
      deviceId: d,
      eventId: `${d}-1`,
      conflict: true,
      original: { batchId: 'b-conf-1', partition: 0, offset: '1' },
    },
  ]);
  assert.deepEqual(await rollup(d), [
    { count: 1, temperature_sum: 10, temperature_min: 10, temperature_max: 10 },
  ]);
  const { rows } = await db.pool.query<{ last_event_at: Date; temperature: number }>(
    'SELECT last_event_at, temperature FROM device_state WHERE device_id = $1',
    [d],
  );
  assert.deepEqual(rows[0], { last_event_at: new Date(minute + 1000), temperature: 10 });
  const batch = await db.pool.query<{ applied: number; duplicates: number; dead_lettered: number }>(
    'SELECT applied, duplicates, dead_lettered FROM batches WHERE batch_id = $1',
    ['b-conf-2'],
  );
  assert.deepEqual(batch.rows[0], { applied: 0, duplicates: 0, dead_lettered: 1 });
});

test('a row the database refuses costs only itself: the rest of the batch is applied', async () => {
  const d = `${id}-poison`;
  // A NUL character: valid JSON and a valid JS string, but Postgres text cannot hold it (22021).
  const events = Array.from({ length: 40 }, (_, i) => ({
    ...event(d, i + 1, minute + 1000 + i, 20),
    ...(i === 7 || i === 30 ? { firmware: 'fw\u0000x' } : {}),
  }));
  const result = await applyBatchEffects(db.pool, input('b-poison', events));
  assert.equal(result.applied, 38);
  assert.deepEqual(
    result.refused.map((r) => r.eventId),
    [`${d}-8`, `${d}-31`],
  );
  assert.match(result.refused[0]!.reason, /SQLSTATE 22021/);
  assert.deepEqual(await rollup(d), [
    { count: 38, temperature_sum: 760, temperature_min: 20, temperature_max: 20 },
  ]);
  const again = await applyBatchEffects(db.pool, input('b-poison', events));
  assert.deepEqual(
    { applied: again.applied, refused: again.refused.length, repeats: again.repeats },
    { applied: 38, refused: 2, repeats: [] },
    'a retry isolates the same rows and applies nothing twice',
  );
  assert.equal((await rollup(d))[0]!.count, 38);
});

test('a constraint that refuses some rows: each refused row named with the constraint', async () => {
  const d = `${id}-check`;
  await db.pool.query(
    "ALTER TABLE processed_events ADD CONSTRAINT test_refuse_hot CHECK (temperature < 90 OR device_id NOT LIKE '%-check')",
  );
  try {
    const events = Array.from({ length: 100 }, (_, i) =>
      event(d, i + 1, minute + 1000 + i, i % 25 === 0 ? 95 : 20),
    );
    const result = await applyBatchEffects(db.pool, input('b-check', events));
    assert.equal(result.applied, 96);
    assert.equal(result.refused.length, 4);
    assert.ok(
      result.refused.every((r) => r.reason.includes('test_refuse_hot') && r.reason.includes('23514')),
    );
    assert.equal((await rollup(d))[0]!.count, 96);
  } finally {
    await db.pool.query('ALTER TABLE processed_events DROP CONSTRAINT test_refuse_hot');
  }
});
