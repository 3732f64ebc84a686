/** The bench's arithmetic and flags: percentiles, the bounded-lag verdict, option rules, profiles, calibration shape. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { calibrationOf } from '../../bench/calibration.js';
import type { BenchResults } from '../../bench/bench-results.js';
import { parseBenchArgs } from '../../bench/options.js';
import { profileTop } from '../../bench/profile.js';
import { boundedVerdict, percentiles, type PhaseSample } from '../../bench/stats.js';

const sample = (t: number, produced: number, processed: number): PhaseSample => ({
  t,
  produced,
  processed,
  openBatches: 0,
  cores: {},
});

test('percentiles are nearest-rank', () => {
  const p = percentiles(Float64Array.from({ length: 100 }, (_, i) => 100 - i));
  assert.deepEqual([p.p50, p.p95, p.p99, p.max, p.count], [50, 95, 99, 100, 100]);
  assert.ok(Number.isNaN(percentiles(new Float64Array()).p50));
});

test('lag that stays small and flat is bounded', () => {
  // 1,000 events/s in, processed trails by a steady 500 events.
  const window = Array.from({ length: 30 }, (_, i) => sample(i * 2, i * 2000, Math.max(0, i * 2000 - 500)));
  const v = boundedVerdict(window, 1000, 10);
  assert.equal(v.bounded, true, v.reason);
  assert.equal(v.lagEndEvents, 500);
  assert.equal(v.lagEndSeconds, 0.5);
});

test('lag growing over the last third is not bounded, even while still small', () => {
  // Processing at 950/s against 1,000/s in: 5 % behind, 50 events/s of growth.
  const window = Array.from({ length: 30 }, (_, i) => sample(i * 2, i * 2000, i * 1900));
  const v = boundedVerdict(window, 1000, 10);
  assert.equal(v.bounded, false);
  assert.match(v.reason, /lag grows 50 events\/s over the last third/);
});

test('a lag under one second of input is bounded even when its slope is noisy', () => {
  // Batches make the lag swing by a few hundred events; a rising tail of that is not a trend.
  const window = Array.from({ length: 15 }, (_, i) =>
    sample(i * 3, i * 3000, i * 3000 - (i >= 10 ? (i - 9) * 150 : 0)),
  );
  const v = boundedVerdict(window, 1000, 10);
  assert.equal(v.bounded, true, v.reason);
  assert.ok(v.lagSlopePerS > 20, `slope ${v.lagSlopePerS} is above 2 % of the input`);
});

test('the noise floor follows the batch wait: 1.5 s of swing is a trend at 1 s, not at 2 s', () => {
  // Falling behind 5 % for the last third, ending 1.5 s of input behind.
  const window = Array.from({ length: 30 }, (_, i) =>
    sample(i * 2, i * 2000, i * 2000 - (i >= 20 ? (i - 19) * 136 : 0)),
  );
  assert.equal(boundedVerdict(window, 1000, 10).bounded, false);
  assert.equal(boundedVerdict(window, 1000, 10, 2).bounded, true);
});

test('lag above the bound at the end of the window is not bounded', () => {
  const window = Array.from({ length: 10 }, (_, i) => sample(i, i * 1000, Math.max(0, i * 1000 - 12_000)));
  const v = boundedVerdict(window, 1000, 5);
  assert.equal(v.bounded, false);
  assert.match(v.reason, /lag 9\.0 s of input > 5 s/);
});

test('options: --rate and --max exclude each other; --quick never writes the calibration; --max does', () => {
  assert.throws(() => parseBenchArgs(['--rate', '100', '--max']), /--rate and --max exclude each other/);
  assert.throws(() => parseBenchArgs(['--rate=-5']), /--rate -5: expected a number between 1 and 1000000/);
  assert.throws(
    () => parseBenchArgs(['--compression', 'brotli']),
    /--compression brotli: expected none, gzip, snappy, lz4, zstd/,
  );
  assert.equal(parseBenchArgs(['--compression', 'lz4']).compression, 'lz4', 'every Kafka codec');
  assert.throws(() => parseBenchArgs(['--rates', '5']), /Unknown option '--rates'/);
  const quick = parseBenchArgs(['--quick']);
  assert.equal(quick.rate, 300);
  assert.equal(quick.max, false);
  assert.equal(quick.writeCalibration, false);
  assert.equal(parseBenchArgs(['--quick', '--write-calibration']).writeCalibration, false);
  const max = parseBenchArgs(['--max', '--duration', '300']);
  assert.equal(max.writeCalibration, true);
  assert.equal(max.durationS, 300);
  assert.equal(parseBenchArgs(['--rate', '2000']).writeCalibration, false);
  assert.equal(parseBenchArgs(['--rate', '90000']).producers, 6);
});

test('profileTop ranks functions by self time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  try {
    const file = join(dir, 'p.cpuprofile');
    const frame = (functionName: string) => ({ functionName, url: 'file:///x/y.js', lineNumber: 9 });
    writeFileSync(
      file,
      JSON.stringify({
        nodes: [
          { id: 1, callFrame: frame('(root)') },
          { id: 2, callFrame: frame('parse') },
          { id: 3, callFrame: frame('encode') },
        ],
        samples: [2, 2, 3, 2, 1],
        timeDeltas: [1000, 1000, 1000, 1000, 1000],
      }),
    );
    const top = profileTop(file, 2);
    assert.deepEqual(
      top.map((f) => [f.fn, f.selfMs, f.selfPercent]),
      [
        ['parse', 3, 60],
        ['encode', 1, 20],
      ],
    );
    assert.match(top[0]!.location, /y\.js:10$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('calibration has exactly the shape the capacity calculator reads, workers summed', () => {
  const usage = (cores: number, pss: number) => ({
    avgCores: cores,
    peakCores: cores * 2,
    avgRssMiB: pss * 3,
    peakRssMiB: pss * 4,
    avgPssMiB: pss,
    peakPssMiB: pss,
    samples: 10,
  });
  const results = {
    provenance: {
      command: 'npm run bench -- --max --duration 300',
      date: '2026-11-26T00:00:00.000Z',
      machine: { cores: 2, memoryGiB: 24, cpu: 'x' },
      gitCommit: 'abc1234',
      versions: { kafka: '4.3.1', temporal: '1.31.2', node: 'v20.0.0' },
    },
    main: 'main',
    half: 'half',
    avgEventBytes: 226.4,
    phases: [
      {
        name: 'main',
        eventsPerMinute: 600_000.4,
        temporal: {
          avgEventsPerBatch: 812.34,
          workflowsPer1000Events: 1.2346,
          historyEventsPer1000Events: 8.642,
        },
        usage: {
          kafka: usage(0.3, 500),
          temporal: usage(0.4, 300),
          postgres: usage(0.2, 400),
          bridge: usage(0.1, 100),
          'worker-0': usage(0.25, 200),
          'worker-1': usage(0.25, 210),
          'simulator-0': usage(0.1, 50),
        },
      },
      {
        name: 'half',
        eventsPerMinute: 300_000,
        usage: {
          kafka: usage(0.15, 450),
          temporal: usage(0.2, 280),
          postgres: usage(0.1, 390),
          bridge: usage(0.05, 90),
          'worker-0': usage(0.125, 150),
          'worker-1': usage(0.125, 160),
        },
      },
    ],
  } as unknown as BenchResults;
  const c = calibrationOf(results);
  assert.deepEqual(Object.keys(c), ['provenance', 'measured']);
  assert.deepEqual(Object.keys(c.provenance), ['command', 'date', 'machine', 'gitCommit', 'versions']);
  assert.deepEqual(c.measured, {
    eventsPerMinute: 600_000,
    batchEvents: 812.3,
    workflowsPer1000Events: 1.235,
    historyEventsPer1000Events: 8.64,
    avgEventBytes: 226,
    cpuCoresAtMax: { kafka: 0.3, temporal: 0.4, postgres: 0.2, bridge: 0.1, worker: 0.5 },
    rssMiBAtMax: { kafka: 500, temporal: 300, postgres: 400, bridge: 100, worker: 410 },
    cpuCoresAtHalf: { kafka: 0.15, temporal: 0.2, postgres: 0.1, bridge: 0.05, worker: 0.25 },
    rssMiBAtHalf: { kafka: 450, temporal: 280, postgres: 390, bridge: 90, worker: 310 },
  });
});
