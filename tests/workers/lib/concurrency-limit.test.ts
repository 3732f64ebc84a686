import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrencyLimit } from '../../../workers/lib/concurrency-limit.js';

test('never more than max calls at once, and every call runs', async () => {
  const limit = new ConcurrencyLimit(3);
  let active = 0;
  let peak = 0;
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      limit.run(async () => {
        peak = Math.max(peak, ++active);
        await sleep(1 + (i % 4));
        active--;
        return i;
      }),
    ),
  );
  assert.equal(peak, 3);
  assert.deepEqual(
    results,
    Array.from({ length: 20 }, (_, i) => i),
  );
});

test('waiters get slots in arrival order, and a failing call frees its slot', async () => {
  const limit = new ConcurrencyLimit(1);
  const order: number[] = [];
  const failing = limit.run(async () => {
    await sleep(5);
    throw new Error('boom');
  });
  const rest = [1, 2, 3].map((n) => limit.run(async () => void order.push(n)));
  await assert.rejects(failing, /boom/);
  await Promise.all(rest);
  assert.deepEqual(order, [1, 2, 3]);
});

test('max must be a positive integer', () => {
  assert.throws(() => new ConcurrencyLimit(0), /max \(0\) must be a positive integer/);
});
