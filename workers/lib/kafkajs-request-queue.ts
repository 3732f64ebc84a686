/**
 * kafkajs 2.2.4 schedules its request queue's throttle check `throttledUntil - now` ms ahead, and
 * `throttledUntil` is -1 when the broker never throttled: a negative delay, which Node treats as 1 ms.
 * Node (since 24) also prints a TimeoutNegativeWarning for it, once per process, in every log. Same
 * schedule, with the delay Node used anyway (at least 1 ms). Patches the shared class, so it applies
 * to connections made before and after; only 2.2.4 is patched.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface RequestQueueLike {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL (network/requestQueue/index.js). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;
let installed = false;

export function installRequestQueueSchedule(): boolean {
  if (installed) return true;
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== '2.2.4') return false;
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueueLike;
  };
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueLike) {
    if (this.throttleCheckTimeoutId) return;
    let scheduleAt = this.throttledUntil - Date.now();
    if (this.pending.length > 0 && scheduleAt <= 0) scheduleAt = CHECK_PENDING_REQUESTS_INTERVAL_MS;
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      Math.max(1, scheduleAt),
    );
  };
  installed = true;
  return true;
}
