import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateBatch } from '../../../workers/activities/reading-validation.js';
import type { IngestedEvent } from '../../../workers/shared/events.js';
import { sensorData } from '../../../local/testing/events.js';

const now = 1_800_000_000_000;
const window = { now, maxEventAgeMs: 3600_000, maxClockSkewMs: 60_000 };
const ev = (seq: number, o: Parameters<typeof sensorData>[2] = {}): IngestedEvent => ({
  ...sensorData('d', seq, { timestamp: now - 1000, ...o }),
  source: { partition: 0, offset: String(seq) },
});

test('keeps plausible readings, rejects implausible ones with the field and range', () => {
  const result = validateBatch(
    [ev(1), ev(2, { readings: { humidity: 140 } }), ev(3, { readings: { temperature: -80 } })],
    window,
  );
  assert.deepEqual(
    result.valid.map((e) => e.eventId),
    ['d-1'],
  );
  assert.deepEqual(
    result.rejected.map((r) => r.reason),
    [
      'readings.humidity = 140 outside the sensor range [0, 100]',
      'readings.temperature = -80 outside the sensor range [-60, 150]',
    ],
  );
});

test('rejects readings from the future beyond the skew and older than the age limit', () => {
  const result = validateBatch(
    [
      ev(1, { timestamp: now + 120_000 }),
      ev(2, { timestamp: now - 7200_000 }),
      ev(3, { timestamp: now + 30_000 }),
    ],
    window,
  );
  assert.deepEqual(
    result.rejected.map((r) => r.event.eventId),
    ['d-1', 'd-2'],
  );
  assert.match(result.rejected[0]!.reason, /in the future/);
  assert.match(result.rejected[1]!.reason, /older than/);
  assert.deepEqual(
    result.valid.map((e) => e.eventId),
    ['d-3'],
  );
});

test("a device's exact re-send inside a batch counts once", () => {
  const result = validateBatch([ev(1), ev(1), ev(2), ev(1)], window);
  assert.equal(result.valid.length, 2);
  assert.equal(result.inBatchDuplicates, 2);
  assert.deepEqual(result.conflicts, []);
});

test('the same eventId from another device is another event', () => {
  const other = { ...ev(1), deviceId: 'e' };
  const result = validateBatch([ev(1), other], window);
  assert.equal(result.valid.length, 2);
  assert.equal(result.inBatchDuplicates, 0);
});

test('the same ids with another reading are a conflict naming the first, never a duplicate', () => {
  const first = ev(1);
  const forged = { ...ev(1, { readings: { temperature: 40 } }), source: { partition: 0, offset: '9' } };
  const result = validateBatch([first, forged], window);
  assert.deepEqual(
    result.valid.map((e) => e.source.offset),
    ['1'],
  );
  assert.equal(result.inBatchDuplicates, 0);
  assert.deepEqual(
    result.conflicts.map((c) => [c.event.source.offset, c.first.source.offset]),
    [['9', '1']],
  );
});

test('a rejected reading takes no ids: the first valid one does, and the rest follow it', () => {
  const bad = ev(1, { readings: { humidity: 140 } });
  const resend = { ...bad, source: { partition: 0, offset: '5' } };
  const good = { ...ev(1, { readings: { humidity: 50 } }), source: { partition: 0, offset: '6' } };
  const other = { ...ev(1, { readings: { humidity: 51 } }), source: { partition: 0, offset: '7' } };
  const result = validateBatch(
    [bad, resend, good, other, { ...good, source: { partition: 0, offset: '8' } }],
    window,
  );
  assert.deepEqual(
    result.valid.map((e) => e.source.offset),
    ['6'],
  );
  assert.deepEqual(
    result.rejected.map((r) => r.event.source.offset),
    ['1', '5'],
  );
  assert.deepEqual(
    result.conflicts.map((c) => [c.event.source.offset, c.first.source.offset]),
    [['7', '6']],
  );
  assert.equal(result.inBatchDuplicates, 1, 'the exact re-send of the applied reading');
});
