import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CalibrationError,
  parseCalibration,
  PROCESSES,
  readCalibration,
} from '../../../stacks/capacity/calibration.js';

const committed = readCalibration();

/** A copy of the committed calibration with one field replaced (path "a.b.c"). */
function withField(path: string, value: unknown): unknown {
  const copy = structuredClone(committed) as unknown as Record<string, unknown>;
  const keys = path.split('.');
  let node = copy;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  if (value === undefined) delete node[keys.at(-1)!];
  else node[keys.at(-1)!] = value;
  return copy;
}

function issuesOf(raw: unknown): string {
  try {
    parseCalibration(raw, 'test');
  } catch (err) {
    assert.ok(err instanceof CalibrationError);
    return err.message;
  }
  assert.fail('accepted');
}

void test('the committed calibration is valid and names its provenance', () => {
  assert.ok(committed.provenance.command.length > 0);
  for (const p of PROCESSES) assert.ok(committed.measured.cpuCoresAtMax[p] > 0);
});

void test('each bad field is named with its value and what was expected', () => {
  const cases: [string, unknown, RegExp][] = [
    ['measured.eventsPerMinute', 0, /'measured\.eventsPerMinute' \(0\) must be a number > 0/],
    [
      'measured.cpuCoresAtMax.bridge',
      undefined,
      /'measured\.cpuCoresAtMax\.bridge' \(undefined\) must be a number > 0/,
    ],
    ['measured.rssMiBAtMax.kafka', '700', /'measured\.rssMiBAtMax\.kafka' \("700"\) must be a number > 0/],
    ['measured.avgEventBytes', -1, /'measured\.avgEventBytes' \(-1\) must be a number > 0/],
    [
      'measured.rssMiBAtHalf.worker',
      undefined,
      /'measured\.rssMiBAtHalf\.worker' \(undefined\) must be a number > 0 \(resident memory of worker at half/,
    ],
    [
      'measured.cpuCoresAtHalf.bridge',
      50,
      /'measured\.cpuCoresAtHalf\.bridge' \(50\) must be <= 'provenance\.machine\.cores'/,
    ],
    ['provenance.command', '', /'provenance\.command' \(""\) must be a non-empty string/],
    ['provenance.date', 'yesterday', /'provenance\.date' \("yesterday"\) must be an ISO-8601 date/],
    [
      'measured.cpuCoresAtMax.temporal',
      35,
      /'measured\.cpuCoresAtMax\.temporal' \(35\) must be <= 'provenance\.machine\.cores' \(\d+\): cores, not percent/,
    ],
  ];
  for (const [path, value, expected] of cases) assert.match(issuesOf(withField(path, value)), expected, path);
});

void test('every problem is listed at once', () => {
  const raw = withField('measured.batchEvents', 0) as { measured: Record<string, unknown> };
  raw.measured.workflowsPer1000Events = null;
  const msg = issuesOf(raw);
  assert.match(msg, /batchEvents/);
  assert.match(msg, /workflowsPer1000Events/);
});
