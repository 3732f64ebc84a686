import assert from 'node:assert/strict';
import { test } from 'node:test';
import { searchMax, type Probed } from '../../bench/search.js';
import type { BoundedVerdict } from '../../bench/stats.js';

/**
 * A pipeline that keeps up to `capacity` events/s; above it, its simulators take part of the machine,
 * so it processes less than its capacity (as measured on 2026-12-01: 37,553/s processed at 64,000/s in).
 */
function modelPipeline(capacity: number, overloadedShare: number): Probed & { rates: number[] } {
  const rates: number[] = [];
  return {
    rates,
    async runPhase(plan) {
      const rate = plan.rate ?? Infinity;
      rates.push(rate);
      const bounded = rate <= capacity;
      const verdict = { bounded, reason: bounded ? 'lag bounded' : 'lag grows' } as BoundedVerdict;
      return { verdict, processedPerS: bounded ? rate : capacity * overloadedShare };
    },
  };
}

const quiet = () => undefined;

test('the search ends within 10 % under the capacity, even when overload processes less than it', async () => {
  for (const capacity of [3_000, 12_345, 39_000, 41_000, 60_000]) {
    const pipeline = modelPipeline(capacity, 0.92);
    const { rate, trials } = await searchMax(pipeline, { quick: false }, quiet, () => false);
    assert.ok(rate <= capacity, `capacity ${capacity}: found ${rate} (probes ${pipeline.rates.join(', ')})`);
    assert.ok(
      rate >= capacity * 0.9 - 500,
      `capacity ${capacity}: found ${rate} (probes ${pipeline.rates.join(', ')})`,
    );
    assert.ok(trials.length <= 10);
    assert.equal(new Set(pipeline.rates).size, pipeline.rates.length, 'no rate probed twice');
  }
});

test('an interrupted search stops after the probe that was running', async () => {
  const pipeline = modelPipeline(40_000, 0.9);
  let calls = 0;
  await searchMax(pipeline, { quick: false }, quiet, () => ++calls > 2);
  assert.equal(pipeline.rates.length, 2);
});
