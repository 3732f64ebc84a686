/**
 * The memory budget (workers/lib/memory-budget.ts): every size derives from the pod's limit, and the
 * gate that admits ranges by their bytes never holds more than its budget, except one piece alone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadBridgeConfig, loadWorkerConfig } from '../../../workers/config.js';
import { MemoryGate, memoryBudget, nodeMemoryFlags } from '../../../workers/lib/memory-budget.js';

const MIB = 1024 * 1024;

test('every size derives from the limit: the charts 512 MiB, and twice that doubles each', () => {
  const small = memoryBudget(512 * MIB);
  assert.deepEqual(small, {
    limitBytes: 512 * MIB,
    heapMiB: 256,
    maxBatchBytes: 64 * MIB,
    fetchDecodeBytes: 64 * MIB,
    fetchMaxBytes: 4 * MIB,
    fetchMaxBytesPerPartition: MIB,
    rangesInFlightBytes: 64 * MIB,
  });
  const large = memoryBudget(1024 * MIB);
  for (const key of Object.keys(small) as (keyof typeof small)[])
    assert.equal(large[key], small[key] * 2, key);
  assert.deepEqual(nodeMemoryFlags(2048 * MIB), ['--max-old-space-size=1024']);
});

test('MEMORY_LIMIT_BYTES: the charts default when unset, at least 256 MiB, in both processes', () => {
  assert.equal(loadBridgeConfig({}).memory.limitBytes, 512 * MIB);
  assert.equal(loadWorkerConfig({ MEMORY_LIMIT_BYTES: String(2048 * MIB) }).memory.maxBatchBytes, 256 * MIB);
  assert.throws(
    () => loadBridgeConfig({ MEMORY_LIMIT_BYTES: '512Mi' }),
    (err: Error) =>
      err instanceof ConfigError && /^MEMORY_LIMIT_BYTES="512Mi": expected an integer/.test(err.message),
  );
  assert.throws(() => loadWorkerConfig({ MEMORY_LIMIT_BYTES: String(128 * MIB) }), /between 268435456 and/);
});

test('the gate admits by bytes, in arrival order, and one piece larger than the budget alone', async () => {
  const gate = new MemoryGate(100);
  const order: string[] = [];
  const a = await gate.acquire(60);
  const b = gate.acquire(60).then((release) => (order.push('b'), release));
  const c = gate.acquire(10).then((release) => (order.push('c'), release));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [], 'b waits for room, c waits behind b');
  a();
  const releaseB = await b;
  const releaseC = await c;
  assert.deepEqual(order, ['b', 'c']);
  assert.equal(gate.heldBytes, 70);
  releaseB();
  releaseC();
  const huge = await gate.acquire(500);
  assert.equal(gate.heldBytes, 500, 'alone, a piece over the budget runs');
  const next = gate.acquire(1);
  huge();
  (await next)();
  assert.equal(gate.heldBytes, 0);
});

/**
 * A churn like the worker's (batches that live long enough to be promoted, then die) under the
 * 256 MiB heap of a 512 MiB pod, in a child process: how many full collections it takes.
 */
async function fullCollections(growth: boolean): Promise<number> {
  const script = `
    import { PerformanceObserver, constants } from 'node:perf_hooks';
    ${growth ? `import { applyHeapGrowth } from './workers/lib/memory-budget.ts'; applyHeapGrowth();` : ''}
    let major = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
    }).observe({ entryTypes: ['gc'] });
    globalThis.live = Array.from({ length: 200_000 }, (_, i) => ({ a: i, b: 'x' + i, c: [i, i] }));
    const inFlight = [];
    for (let round = 0; round < 400; round++) {
      inFlight.push(Array.from({ length: 20_000 }, (_, i) => ({ a: i, b: 'y' + i, c: [i, i + 1] })));
      if (inFlight.length > 8) inFlight.shift();
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 50));
    process.stdout.write(String(major));
  `;
  const { execFile } = await import('node:child_process');
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [
        ...nodeMemoryFlags(512 * MIB),
        '--max-semi-space-size=32',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ],
      { cwd: new URL('../../../', import.meta.url).pathname },
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    ),
  );
  return Number(out);
}

test("applyHeapGrowth: V8's heap grows by the set factor, so the heap of a 512 MiB pod collects fully a third less often or better", async (t) => {
  const [without, withGrowth] = [await fullCollections(false), await fullCollections(true)];
  t.diagnostic(`full collections: ${without} at V8's own factor, ${withGrowth} with applyHeapGrowth`);
  assert.ok(without > 10, `the churn should force full collections (${without})`);
  assert.ok(
    withGrowth < without * 0.67,
    `${withGrowth} full collections with the factor, ${without} without`,
  );
});
