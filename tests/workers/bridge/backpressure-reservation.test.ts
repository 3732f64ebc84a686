/**
 * The backpressure bound under concurrency, on the real Temporal server: partitions handled in
 * parallel all ask for capacity at once, and no more of them may pass than the bound allows. The long
 * chaos run saw 206 open batches against a bound of 200 (six partitions passing the check together)
 * before capacity was reserved in the same step as the check.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Backpressure } from '../../../workers/bridge/backpressure.js';
import { stack, testTemporal, uniqueId } from '../../../local/testing/test-stack.js';

const BOUND = 3;
let temporal: Awaited<ReturnType<typeof testTemporal>>;

before(async () => {
  temporal = await testTemporal(await stack());
});
after(async () => temporal?.close());

void test('concurrent waits pass only up to the bound; settling one lets exactly one more through', async () => {
  // A task queue nobody uses: visibility counts 0 open batches, so only reservations count.
  const backpressure = new Backpressure({
    client: temporal.client,
    taskQueue: `${uniqueId('reserve')}-queue`,
    maxOpenBatches: BOUND,
    pollMs: 50,
    onChange: () => undefined,
  });
  let giveUp = false;
  const passed: number[] = [];
  const waits = Array.from({ length: 6 }, (_, i) =>
    backpressure
      .waitForCapacity(
        () => !giveUp,
        async () => undefined,
      )
      .then((ok) => {
        if (ok) passed.push(i);
        return ok;
      }),
  );
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(passed.length, BOUND, `passed: ${passed.join(', ')}`);
  assert.equal(backpressure.estimatedOpen, BOUND);

  backpressure.settle();
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(passed.length, BOUND + 1, 'one settled reservation admits exactly one waiting start');

  giveUp = true;
  const outcomes = await Promise.all(waits);
  assert.equal(outcomes.filter(Boolean).length, BOUND + 1, 'the waits given up on reserve nothing');
  assert.equal(backpressure.estimatedOpen, BOUND);
});
