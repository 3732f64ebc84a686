/**
 * Invariant 5 through the real worker: an event is (deviceId, eventId). Another device's reading with
 * the same eventId is its own event; the same device re-using an eventId for another reading is a
 * conflict, dead-lettered with both offsets, and moves nothing, whichever day's ledger partition its
 * original is in; an exact re-send has no effect.
 * Nothing a device sends vanishes: it is applied, counted as a re-send, or dead-lettered.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readSince, topicEndOffsets, processedTopicCounts } from '../../../local/run-verification.js';
import { BatchDriver } from '../../../local/testing/batch-driver.js';
import { sensorData } from '../../../local/testing/events.js';
import { uniqueId } from '../../../local/testing/test-stack.js';
import type { BoundedDeadLetterEnvelope } from '../../../workers/lib/dead-letter.js';
import { createWorkerMetrics } from '../../../workers/worker/worker-metrics.js';
import { startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const id = uniqueId('ident');
let fixture: WorkerFixture | undefined;
let driver: BatchDriver;
const metrics = createWorkerMetrics();

before(async () => {
  fixture = await startWorkerFixture(id, {}, metrics);
  // The platform's default event window (7 days): a reading of days ago is inside it.
  driver = new BatchDriver(
    fixture.kafka,
    fixture.temporal.client,
    `${id}-queue`,
    fixture.topics.sensorData,
    7 * 24 * 3600_000,
  );
});
after(async () => fixture?.close());

async function deadLetters(from: Awaited<ReturnType<typeof topicEndOffsets>>) {
  const out: BoundedDeadLetterEnvelope[] = [];
  await readSince(fixture!.kafka, from, (_key, value) => out.push(JSON.parse(value!.toString())));
  return out;
}

async function deviceState(device: string) {
  const { rows } = await fixture!.db.pool.query<{ last_event_id: string; temperature: number }>(
    'SELECT last_event_id, temperature FROM device_state WHERE device_id = $1',
    [device],
  );
  return rows[0];
}

test("device B's reading with device A's eventId is applied as B's own event", async () => {
  const f = fixture!;
  const a = `${id}-a`;
  const b = `${id}-b`;
  const processedFrom = await topicEndOffsets(f.kafka, f.topics.processed);
  const eventId = `${id}-cloned-image-1`;
  const now = Date.now();
  await driver.run(`${id}-none`, [], [sensorData(a, 1, { eventId, timestamp: now - 3000 })]);
  const { result } = await driver.run(
    `${id}-none`,
    [],
    [sensorData(b, 1, { eventId, timestamp: now - 2000, readings: { temperature: 33 } })],
  );
  assert.equal(result.applied, 1, "B's reading is not A's duplicate");
  assert.equal(result.duplicates, 0);
  assert.deepEqual(await deviceState(b), { last_event_id: eventId, temperature: 33 });
  const ledger = await f.db.pool.query('SELECT device_id FROM processed_events WHERE event_id = $1', [
    eventId,
  ]);
  assert.equal(ledger.rowCount, 2, 'one ledger row per device');
  const processed = await processedTopicCounts(f.kafka, processedFrom, `${id}-`);
  assert.equal(processed.uniqueKeys, 2, 'one SensorDataProcessed key per device, not one for both');
});

test('the same device re-using an eventId for another reading is a conflict with both offsets', async () => {
  const f = fixture!;
  const d = `${id}-c`;
  const dlqFrom = await topicEndOffsets(f.kafka, f.topics.deadLetter);
  const now = Date.now();
  const first = await driver.run(`${id}-none`, [], [sensorData(d, 1, { timestamp: now - 5000 })]);
  assert.equal(first.result.applied, 1);
  // A later reading under the same ids: it must not take over the device's state.
  const forged = sensorData(d, 1, { timestamp: now - 1000, readings: { temperature: 95 } });
  const second = await driver.run(`${id}-none`, [], [forged]);
  assert.deepEqual(
    {
      applied: second.result.applied,
      duplicates: second.result.duplicates,
      alerts: second.result.alertSignals,
    },
    { applied: 0, duplicates: 0, alerts: 0 },
  );
  assert.deepEqual(await deviceState(d), { last_event_id: `${d}-1`, temperature: 21.5 });
  const letters = (await deadLetters(dlqFrom)).filter((e) => e.kind === 'event-id-conflict');
  assert.equal(letters.length, 1);
  const [letter] = letters;
  const firstOffset = first.workflowId.split(':').pop();
  assert.equal(letter!.original?.offset, firstOffset, 'names the offset of the reading applied first');
  assert.notEqual(letter!.source.offset, letter!.original?.offset, 'and its own');
  assert.match(letter!.reason, new RegExp(`already used eventId ${d}-1`));
});

test('a conflicting copy from another day meets its original in another ledger partition: still a conflict', async () => {
  const f = fixture!;
  const d = `${id}-x`;
  const dlqFrom = await topicEndOffsets(f.kafka, f.topics.deadLetter);
  const now = Date.now();
  const DAY = 24 * 3600_000;
  const first = await driver.run(`${id}-none`, [], [sensorData(d, 1, { timestamp: now - 2 * DAY })]);
  assert.equal(first.result.applied, 1);
  // Same ids, a reading two days later: the ledger key (device, event, time) puts it in today's
  // partition, where nothing collides with it (decision 0116).
  const copy = await driver.run(
    `${id}-none`,
    [],
    [sensorData(d, 1, { timestamp: now - 1000, readings: { temperature: 40 } })],
  );
  assert.deepEqual([copy.result.applied, copy.result.duplicates], [0, 0]);
  const partitions = await f.db.pool.query<{ partition: string }>(
    'SELECT DISTINCT tableoid::regclass::text AS partition FROM processed_events WHERE device_id = $1',
    [d],
  );
  assert.equal(partitions.rowCount, 1, 'one ledger row, in the partition of its own day');
  const letters = (await deadLetters(dlqFrom)).filter((e) => e.kind === 'event-id-conflict');
  assert.equal(letters.length, 1);
  assert.equal(letters[0]!.original?.offset, first.workflowId.split(':').pop());
  assert.deepEqual(await deviceState(d), { last_event_id: `${d}-1`, temperature: 21.5 });
});

test('49 records under one key and eventId: one applied, exact re-sends counted, the rest dead-lettered', async () => {
  const f = fixture!;
  const d = `${id}-h`;
  const dlqFrom = await topicEndOffsets(f.kafka, f.topics.deadLetter);
  const now = Date.now();
  const good = sensorData(d, 1, { timestamp: now - 2000 });
  // Re-sends of the good one, out-of-range readings, other readings, other times.
  const hostile = Array.from({ length: 48 }, (_, i) => {
    if (i % 4 === 0) return good;
    if (i % 4 === 1) return sensorData(d, 1, { timestamp: now - 2000, readings: { humidity: 140 } });
    if (i % 4 === 2) return sensorData(d, 1, { timestamp: now - 2000, readings: { temperature: i } });
    return sensorData(d, 1, { timestamp: now - 2000 - i });
  });
  // A rejected reading first: it takes no ids, the first valid one after it does.
  const records = [hostile[1]!, ...hostile.slice(2), ...hostile.slice(0, 1)];
  assert.equal(records.length, 48);
  const { result } = await driver.run(`${id}-none`, [], [...records, good]);
  const letters = await deadLetters(dlqFrom);
  const kinds = new Map<string, number>();
  for (const l of letters) kinds.set(l.kind, (kinds.get(l.kind) ?? 0) + 1);
  // hostile[2] (temperature 2) is the first valid one; 12 copies of `good` follow it (conflicts, as
  // they differ from it), 12 out-of-range readings, 11 other temperatures, 12 other times.
  assert.equal(result.applied, 1);
  assert.equal(result.duplicates, 0);
  assert.deepEqual(Object.fromEntries(kinds), { 'invalid-reading': 12, 'event-id-conflict': 36 });
  assert.equal(result.applied + result.duplicates + letters.length, 49, 'every record accounted for');
  assert.ok(letters.every((l) => l.reason.length > 0));
  const ledger = await f.db.pool.query<{ temperature: number }>(
    'SELECT temperature FROM processed_events WHERE device_id = $1',
    [d],
  );
  assert.deepEqual(ledger.rows, [{ temperature: 2 }], 'the first valid reading under the ids');
});

test("a device's exact re-sends have no effect and are counted where a device team looks", async () => {
  const d = `${id}-r`;
  const reading = sensorData(d, 1, { timestamp: Date.now() - 2000 });
  const before = (await metrics.duplicatesSkipped.get()).values[0]?.value ?? 0;
  const first = await driver.run(`${id}-none`, [], [reading, reading]);
  const again = await driver.run(`${id}-none`, [], [reading]);
  assert.deepEqual(
    [first.result.applied, first.result.duplicates, again.result.applied, again.result.duplicates],
    [1, 1, 0, 1],
  );
  const after = (await metrics.duplicatesSkipped.get()).values[0]?.value ?? 0;
  assert.equal(after - before, 2, 'sensor_worker_duplicates_skipped_total counts both re-sends');
});
