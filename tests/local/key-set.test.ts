/**
 * The exactly-once check counts the processed topic's keys in a KeySet: a long bench run publishes
 * more keys than one V8 Set holds (2^24), and the check stalled on the first key past that.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeySet } from '../../local/run-verification.js';

test('a KeySet holds more keys than one Set can, and tells repeats apart', () => {
  const limit = 2 ** 24;
  const keys = new KeySet();
  const n = limit + 100_000;
  for (let i = 0; i < n; i++) if (!keys.add(`event-${i}`)) assert.fail(`event-${i} seen twice`);
  assert.equal(keys.size, n);
  for (const i of [0, 1, limit - 1, limit, n - 1]) assert.equal(keys.add(`event-${i}`), false, `event-${i}`);
  assert.equal(keys.add('event-new'), true);
  assert.equal(keys.size, n + 1);
});
