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

test('a repeated eventId inside a batch counts once', () => {
  const result = validateBatch([ev(1), ev(1), ev(2), ev(1)], window);
  assert.equal(result.valid.length, 2);
  assert.equal(result.inBatchDuplicates, 2);
});
