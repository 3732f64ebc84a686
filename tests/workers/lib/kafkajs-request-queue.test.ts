import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { installRequestQueueSchedule } from '../../../workers/lib/kafkajs-request-queue.js';

const require = createRequire(import.meta.url);

test('an unthrottled request queue schedules its check without a negative delay', (t) => {
  assert.equal(installRequestQueueSchedule(), true);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: { scheduleCheckPendingRequests(this: unknown): void };
  };
  const delays: number[] = [];
  t.mock.method(globalThis, 'setTimeout', (_fn: () => void, ms: number) => {
    delays.push(ms);
    return { unref() {} } as unknown as NodeJS.Timeout;
  });
  const queue = (throttledUntil: number, pending: unknown[]) => ({
    throttledUntil,
    throttleCheckTimeoutId: null,
    pending,
    checkPendingRequests() {},
  });
  const schedule = RequestQueue.prototype.scheduleCheckPendingRequests;
  schedule.call(queue(-1, [])); // never throttled, nothing pending
  schedule.call(queue(-1, [{}])); // never throttled, a request waiting
  schedule.call(queue(Date.now() + 5_000, [{}])); // throttled by the broker
  t.mock.restoreAll();
  assert.equal(delays.length, 3);
  assert.ok(
    delays.every((ms) => ms >= 1),
    `delays ${delays.join(', ')}`,
  );
  assert.equal(delays[1], 10, 'pending requests are checked after kafkajs’s 10 ms interval');
  assert.ok(delays[2]! > 4_000, 'a throttle is waited out');
});
