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
