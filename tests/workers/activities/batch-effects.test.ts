/**
 * Invariants 3 and 5 on the real Postgres: a retried batch, a duplicate eventId in another batch and
 * out-of-order events all converge to the same effects; compensation removes exactly one batch.
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
  assert.deepEqual(first, { applied: 2, duplicateEventIds: [], openAlerts: [], appliedAt: first.appliedAt });
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

test('an eventId seen by another batch is a duplicate with no second effect', async () => {
  const d = `${id}-dup`;
  await applyBatchEffects(db.pool, input('b-dup-1', [event(d, 1, minute + 1000, 10)]));
  const second = await applyBatchEffects(
    db.pool,
    input('b-dup-2', [event(d, 1, minute + 1000, 10), event(d, 2, minute + 3000, 12)]),
  );
  assert.equal(second.applied, 1);
  assert.deepEqual(second.duplicateEventIds, [`${d}-1`]);
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
    [`${d}-1`, `${d}-2`, `${d}-3`],
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
