import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_ALERT_RULES } from '../../../workers/shared/alert-rules.js';
import type { IngestedEvent } from '../../../workers/shared/events.js';
import { planAlertSignals } from '../../../workers/activities/alert-planning.js';
import { sensorData } from '../../../local/testing/events.js';

const ev = (device: string, seq: number, temperature: number, battery = 80): IngestedEvent => ({
  ...sensorData(device, seq, { timestamp: 1000 + seq, readings: { temperature, battery } }),
  source: { partition: 0, offset: String(seq) },
});

test('one breach signal per device and rule: the latest breaching reading', () => {
  const signals = planAlertSignals([ev('a', 1, 85), ev('a', 2, 90), ev('b', 3, 20)], DEFAULT_ALERT_RULES, []);
  assert.deepEqual(
    signals.map((s) => [s.deviceId, s.rule.name, s.breach, s.reading.value]),
    [['a', 'temperature-high', true, 90]],
  );
});

test('a clearing reading after a breach in the same batch is sent after it', () => {
  const signals = planAlertSignals([ev('a', 1, 85), ev('a', 2, 60)], DEFAULT_ALERT_RULES, []);
  assert.deepEqual(
    signals.map((s) => [s.breach, s.reading.value]),
    [
      [true, 85],
      [false, 60],
    ],
  );
});

test('cleared readings signal only devices with an open alert, and only past the hysteresis band', () => {
  const open = [{ deviceId: 'a', rule: 'temperature-high' }];
  assert.equal(
    planAlertSignals([ev('b', 1, 60)], DEFAULT_ALERT_RULES, open).length,
    0,
    'no open alert: nothing to clear',
  );
  assert.equal(
    planAlertSignals([ev('a', 1, 77)], DEFAULT_ALERT_RULES, open).length,
    0,
    '77 is inside the band (80 - 5)',
  );
  assert.equal(planAlertSignals([ev('a', 1, 75)], DEFAULT_ALERT_RULES, open).length, 1);
});

test('below-threshold rules (battery) breach downwards', () => {
  const signals = planAlertSignals([ev('a', 1, 20, 5)], DEFAULT_ALERT_RULES, []);
  assert.deepEqual(
    signals.map((s) => s.rule.name),
    ['battery-low'],
  );
});

test("a breach names its device's newest reading of the batch (signalAlerts tells late breaches by it)", () => {
  const signals = planAlertSignals(
    [ev('a', 5, 85), ev('a', 9, 78), ev('b', 7, 20), ev('a', 2, 60)],
    DEFAULT_ALERT_RULES,
    [],
  );
  assert.deepEqual(
    signals.map((s) => [s.deviceId, s.breach, s.reading.at, s.newestInBatchAt]),
    [['a', true, 1005, 1009]],
  );
});
