/**
 * Properties of the capacity model, checked against the committed calibration whatever its figures:
 * nothing here depends on the numbers the benchmark writes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readCalibration } from '../../../stacks/capacity/calibration.js';
import {
  ASSUMPTIONS,
  memoryLine,
  sizedFields,
  sizeEnvironment,
  SizingError,
  type Sizing,
  type SizingInputs,
} from '../../../stacks/capacity/model.js';
import { deployedFloor, readDeployedRecord } from '../../../stacks/config/deployed.js';
import { deepMerge } from '../../../stacks/config/load.js';
import { parseQuantity } from '../../../stacks/lib/quantity.js';
import { validateConfig } from '../../../stacks/config/validate.js';
import { committedEnvironment } from '../../../stacks/config/committed.js';
import { ENVIRONMENT_SPECS } from '../../../stacks/config/specs.js';

const staging = committedEnvironment('staging');
const stagingSizing = ENVIRONMENT_SPECS.staging.sizing;
const prod = committedEnvironment('prod');
const prodSizing = ENVIRONMENT_SPECS.prod.sizing;

const measured = readCalibration().measured;
const fresh: SizingInputs = { ...prodSizing, deployed: {} };
const RATES = [1_000, 60_000, 250_000, 1_000_000, 3_000_000, 10_000_000, 30_000_000];

function size(over: Partial<SizingInputs>, base: SizingInputs = fresh): Sizing {
  return sizeEnvironment({ ...base, ...over }, measured);
}

/** A sized field as a number: counts as they are, quantities in base units. */
function numeric(v: number | string): number {
  return typeof v === 'number' ? v : parseQuantity(v)!;
}

/** `{'a.b': 1}` → `{a: {b: 1}}`, to merge the model's fields over an environment. */
function nest(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(fields)) {
    const keys = path.split('.');
    let node = out;
    for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    node[keys.at(-1)!] = value;
  }
  return out;
}

/**
 * The sized fields, with Kafka's volume as the cluster's total: per broker it may shrink when more
 * brokers share the data.
 */
function monotoneFields(s: Sizing): Record<string, number | string> {
  const { 'kafka.brokers.storageSize': perBroker, ...rest } = sizedFields(s);
  return { ...rest, 'kafka storage, all brokers': numeric(perBroker!) * s.kafka.brokers.value };
}

void test('every sized field grows or stays with the rate', () => {
  for (let i = 1; i < RATES.length; i++) {
    const lower = monotoneFields(size({ eventsPerMinute: RATES[i - 1]! }));
    const higher = monotoneFields(size({ eventsPerMinute: RATES[i]! }));
    for (const [path, v] of Object.entries(higher)) {
      assert.ok(
        numeric(v) >= numeric(lower[path]!),
        `${path}: ${String(v)} at ${RATES[i]}/min < ${String(lower[path])} at ${RATES[i - 1]}/min`,
      );
    }
  }
});

void test('headroom multiplies the rate for throughput, not for storage', () => {
  for (const rate of RATES) {
    const h3 = size({ eventsPerMinute: rate, headroom: 3 });
    const same = size({ eventsPerMinute: rate * 3, headroom: 1 });
    const h1 = size({ eventsPerMinute: rate, headroom: 1 });
    // Max replicas, shards, Temporal pods and Postgres CPU depend only on rate x headroom.
    assert.equal(h3.bridge.maxReplicas.value, same.bridge.maxReplicas.value);
    assert.equal(h3.worker.maxReplicas.value, same.worker.maxReplicas.value);
    assert.equal(h3.temporal.numHistoryShards.value, same.temporal.numHistoryShards.value);
    assert.equal(h3.temporal.history.value, same.temporal.history.value);
    assert.equal(h3.postgres.cpu.value, same.postgres.cpu.value);
    // Min replicas carry the planned rate; storage holds retention at the planned rate.
    assert.equal(h3.bridge.minReplicas.value, h1.bridge.minReplicas.value);
    assert.equal(h3.worker.minReplicas.value, h1.worker.minReplicas.value);
    assert.equal(h3.postgres.storageSize.value, h1.postgres.storageSize.value);
    // Kafka's retained bytes too (per broker they spread over however many brokers the CPU needs).
    assert.equal(h3.kafka.storageSize.steps[0], h1.kafka.storageSize.steps[0]);
    // Above the floor, max is about headroom x min (each rounds up once).
    const min = h3.bridge.minReplicas.value;
    const max = h3.bridge.maxReplicas.value;
    if (min > prodSizing.topology.minReplicas)
      assert.ok(max >= 3 * (min - 1) && max <= 3 * min, `${min} → ${max}`);
  }
});

void test('bridge replicas never exceed the partitions, deployed or not', () => {
  for (const rate of RATES) {
    for (const deployed of [{}, { partitions: 7 }, { partitions: 48 }, { partitions: 500 }]) {
      const s = size({ eventsPerMinute: rate, deployed });
      assert.ok(s.bridge.maxReplicas.value <= s.partitions.value, `${rate}/min ${JSON.stringify(deployed)}`);
      assert.ok(s.bridge.minReplicas.value <= s.bridge.maxReplicas.value);
      assert.ok(s.worker.minReplicas.value <= s.worker.maxReplicas.value);
      if (deployed.partitions !== undefined) assert.ok(s.partitions.value >= deployed.partitions);
    }
  }
});

void test('partitions are 3 x 2^k unless a deployed count already suffices', () => {
  for (const rate of RATES) {
    const p = size({ eventsPerMinute: rate }).partitions.value;
    assert.equal(p % 3, 0);
    assert.ok(Number.isInteger(Math.log2(p / 3)), `${p}`);
  }
  const needed = size({ eventsPerMinute: 1_000_000 }).bridge.maxReplicas.value;
  assert.equal(
    size({ eventsPerMinute: 1_000_000, deployed: { partitions: needed + 1 } }).partitions.value,
    needed + 1,
  );
});

void test('shards: a power of two in range, the deployed value while it suffices, a warning when it does not', () => {
  for (const rate of RATES) {
    const s = size({ eventsPerMinute: rate });
    const shards = s.temporal.numHistoryShards.value;
    assert.ok(
      Number.isInteger(Math.log2(shards)) &&
        shards >= ASSUMPTIONS.minShards &&
        shards <= ASSUMPTIONS.maxShards,
    );
    // History pods split the shards evenly.
    assert.equal(
      shards % s.temporal.history.value,
      0,
      `${shards} shards over ${s.temporal.history.value} pods`,
    );
    assert.ok(!s.warnings.some((w) => w.startsWith('temporal.numHistoryShards')), s.warnings.join('\n'));
  }
  const kept = size({ eventsPerMinute: 10_000_000, deployed: { shards: 8192 } });
  assert.equal(kept.temporal.numHistoryShards.value, 8192);
  const tooFew = size({ eventsPerMinute: 10_000_000, deployed: { shards: 1 } });
  assert.notEqual(tooFew.temporal.numHistoryShards.value, 1);
  assert.match(
    tooFew.warnings.join('\n'),
    /temporal\.numHistoryShards: \d+ shards are needed but 1 are deployed/,
  );
});

void test('sized figures pass validation at every rate up to the planned one, against the deployed record', () => {
  const deployed = readDeployedRecord();
  for (const [env, inputs] of [
    [staging, stagingSizing],
    [prod, prodSizing],
  ] as const) {
    for (const rate of [...RATES.filter((r) => r < inputs.eventsPerMinute), inputs.eventsPerMinute]) {
      const s = sizeEnvironment(
        { ...inputs, eventsPerMinute: rate, deployed: deployedFloor(deployed, inputs.environment) },
        measured,
      );
      const config = deepMerge(env, nest(sizedFields(s)));
      assert.doesNotThrow(() => validateConfig(config, deployed), `${inputs.environment} at ${rate}/min`);
    }
  }
});

void test('shards beyond the deployed count: the model warns and the guard refuses, a migration', () => {
  const deployed = { partitions: {}, shards: { staging: 1 } };
  const s = sizeEnvironment({ ...stagingSizing, deployed: deployedFloor(deployed, 'staging') }, measured);
  assert.match(s.warnings.join('\n'), /temporal\.numHistoryShards: \d+ shards are needed but 1 are deployed/);
  assert.throws(
    () => validateConfig(deepMerge(staging, nest(sizedFields(s))), deployed),
    /'temporal\.numHistoryShards' \(\d+\) must equal the deployed value \(1\)/,
  );
});

void test('every figure carries its arithmetic', () => {
  const s = size({ eventsPerMinute: 10_000_000 });
  const figures = [
    s.partitions,
    s.bridge.minReplicas,
    s.bridge.maxReplicas,
    s.worker.minReplicas,
    s.worker.maxReplicas,
    s.bridge.memory,
    s.worker.memory,
    ...Object.values(s.temporal),
    ...Object.values(s.postgres),
    ...Object.values(s.kafka),
  ];
  for (const f of figures) {
    assert.ok(f.steps.length > 0);
    assert.ok(
      f.steps.at(-1)!.includes(String(f.value)),
      `last step of ${String(f.value)}: ${f.steps.at(-1)}`,
    );
  }
});

void test('unusable inputs are refused naming the input', () => {
  assert.throws(
    () => size({ eventsPerMinute: 0 }),
    (e: unknown) => e instanceof SizingError && /'eventsPerMinute' \(0\)/.test(e.message),
  );
  assert.throws(
    () => size({ eventsPerMinute: 1000, headroom: 0.5 }),
    /'headroom' \(0\.5\) must be a number >= 1/,
  );
  assert.throws(
    () => size({ eventsPerMinute: 1000, pods: { ...prodSizing.pods, bridgeCpu: '2 cores' } }),
    /'pods\.bridgeCpu' \("2 cores"\) must be a CPU quantity > 0/,
  );
});

void test('pod memory follows the line through the two calibration points, never below the max', () => {
  const m = structuredClone(measured) as { -readonly [K in keyof typeof measured]: (typeof measured)[K] };
  m.cpuCoresAtHalf = { ...m.cpuCoresAtHalf, bridge: 0.05 };
  m.rssMiBAtHalf = { ...m.rssMiBAtHalf, bridge: 300 };
  m.cpuCoresAtMax = { ...m.cpuCoresAtMax, bridge: 0.1 };
  m.rssMiBAtMax = { ...m.rssMiBAtMax, bridge: 400 };
  assert.deepEqual(memoryLine(m, 'bridge'), { fixedMiB: 200, miBPerCore: 2000 });
  const mib = (cpu: string) =>
    parseQuantity(
      sizeEnvironment({ ...fresh, pods: { ...fresh.pods, bridgeCpu: cpu } }, m).bridge.memory.value,
    )! /
    2 ** 20;
  // 200 + 2000 x 1 core = 2200 MiB, x margin 1.5 = 3300, rounded up to 256 MiB = 3328.
  assert.equal(mib('1'), Math.ceil((2200 * ASSUMPTIONS.podMemoryMargin) / 256) * 256);
  // Below the measured cores the line would undercut what was measured: the max holds.
  assert.equal(mib('10m'), Math.ceil((400 * ASSUMPTIONS.podMemoryMargin) / 256) * 256);
  // Memory that fell as the load rose is all fixed: no part per core.
  m.rssMiBAtHalf = { ...m.rssMiBAtHalf, bridge: 450 };
  assert.deepEqual(memoryLine(m, 'bridge'), { fixedMiB: 400, miBPerCore: 0 });
});
