/**
 * Reliability finding 8: a bridge that the group evicted (its session expired, as when the broker is
 * down for longer than the session) joins again as a new member instead of exiting, and every event
 * is still applied once. The eviction is made deterministic by blocking the process (no heartbeat can
 * go out) for longer than the session timeout just before the bridge's first commit.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { topicEndOffsets } from '../../../local/run-verification.js';
import { assertExactlyOnce } from '../../../local/testing/exactly-once.js';
import { produce, record, sensorData } from '../../../local/testing/events.js';
import { testBridgeConfig, uniqueId } from '../../../local/testing/test-stack.js';
import { createBridgeMetrics } from '../../../workers/bridge/bridge-metrics.js';
import { IngestBridge } from '../../../workers/bridge/ingest-bridge.js';
import { createLogger } from '../../../workers/lib/logger.js';
import { BRIDGE_METRICS } from '../../../workers/shared/metrics.js';
import { startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const id = uniqueId('evict');
const SESSION_MS = 6000;
const EVENTS = 200;
let fixture: WorkerFixture | undefined;
let bridge: IngestBridge | undefined;

before(async () => {
  fixture = await startWorkerFixture(id);
});

after(async () => {
  await bridge?.stop();
  await fixture?.close();
});

void test('an evicted bridge joins the group again and applies every event once', async () => {
  const f = fixture!;
  const fatal: Error[] = [];
  let blocked = false;
  const metrics = createBridgeMetrics();
  bridge = new IngestBridge({
    config: testBridgeConfig(f.ep, id, f.topics, { sessionTimeoutMs: SESSION_MS }),
    kafka: f.kafka,
    client: f.temporal.client,
    log: createLogger('test-bridge'),
    metrics,
    onFatal: (err) => fatal.push(err),
    beforeCommit: async () => {
      if (blocked) return;
      blocked = true;
      // Synchronous on purpose: no timer, no heartbeat, no socket read until the session is gone.
      const until = Date.now() + SESSION_MS + 4000;
      while (Date.now() < until) {
        /* the member's session expires on the broker */
      }
    },
  });
  const processedFrom = await topicEndOffsets(f.kafka, f.topics.processed);
  await bridge.start();
  const prefix = `${id}-`;
  const base = Date.now() - 60_000;
  await produce(
    f.kafka,
    f.topics.sensorData,
    Array.from({ length: EVENTS }, (_, i) =>
      record(sensorData(`${prefix}d${i % 10}`, i, { timestamp: base + i })),
    ),
  );
  await assertExactlyOnce({
    pool: f.db.pool,
    kafka: f.kafka,
    prefix,
    valid: EVENTS,
    devices: 10,
    processedFrom,
  });
  assert.ok(blocked, 'the bridge was blocked past its session');
  assert.deepEqual(fatal.map(String), [], 'the bridge never gave up');
  const rejoins =
    (await metrics.registry.getSingleMetric(BRIDGE_METRICS.rejoins)?.get())?.values[0]?.value ?? 0;
  assert.ok(rejoins >= 1, `the bridge joined the group again (${rejoins} rejoins)`);
});
