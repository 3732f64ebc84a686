/**
 * Backpressure on the real servers: with no worker running, the bridge stops starting batches at the
 * open-batch bound instead of piling work into Temporal; once a worker runs, everything drains and
 * nothing is lost or applied twice.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { effectCounts, topicEndOffsets } from '../../../local/run-verification.js';
import { assertExactlyOnce } from '../../../local/testing/exactly-once.js';
import { IngestBridge } from '../../../workers/bridge/ingest-bridge.js';
import { createBridgeMetrics } from '../../../workers/bridge/bridge-metrics.js';
import type { TopicNames } from '../../../workers/config.js';
import { createLogger } from '../../../workers/lib/logger.js';
import { startSensorWorker, type RunningWorker } from '../../../workers/worker/sensor-worker.js';
import { produce, record, sensorData } from '../../../local/testing/events.js';
import {
  eventually,
  stack,
  testBridgeConfig,
  testDatabase,
  testKafka,
  testTemporal,
  testTopics,
  testWorkerConfig,
  uniqueId,
  type TestDatabase,
} from '../../../local/testing/test-stack.js';

const id = uniqueId('backpressure');
const MAX_OPEN = 4;
let db: TestDatabase;
let topics: TopicNames;
let bridge: IngestBridge;
let worker: RunningWorker | undefined;
let temporal: Awaited<ReturnType<typeof testTemporal>>;
const metrics = createBridgeMetrics();

before(async () => {
  const ep = await stack();
  topics = await testTopics(ep, id, 1);
  db = await testDatabase(ep, id);
  temporal = await testTemporal(ep);
  bridge = new IngestBridge({
    config: testBridgeConfig(ep, id, topics, {
      maxBatchEvents: 10,
      maxOpenBatches: MAX_OPEN,
      partitionsConsumedConcurrently: 1,
    }),
    kafka: testKafka(ep),
    client: temporal.client,
    log: createLogger('test-bridge'),
    metrics,
  });
  await bridge.start();
});

after(async () => {
  await bridge?.stop();
  await worker?.shutdown();
  await temporal?.close();
  await db?.drop();
});

const openBatches = async () =>
  (await temporal.client.workflow.count(`TaskQueue = '${id}-queue' AND ExecutionStatus = 'Running'`)).count;

test('workers down: the bridge holds the open-batch bound; workers back: all drains once', async () => {
  const ep = await stack();
  const base = Date.now() - 10_000;
  const events = Array.from({ length: 400 }, (_, i) =>
    sensorData(`${id}-d${i % 8}`, i, { timestamp: base + i }),
  );
  const processedStart = await topicEndOffsets(testKafka(ep), topics.processed);
  // Small sends so that fetches are small and the bound is checked between them.
  for (let i = 0; i < events.length; i += 20)
    await produce(testKafka(ep), topics.sensorData, events.slice(i, i + 20).map(record));

  await eventually(
    'the bridge paused',
    async () => (await metrics.pausedPartitions.get()).values[0]?.value === 1,
    30_000,
  );
  await new Promise((r) => setTimeout(r, 3000));
  const open = await openBatches();
  // Every start waits for capacity: the bound holds exactly, however fast the records arrive.
  assert.equal(open, MAX_OPEN, `open batches stay at the bound ${MAX_OPEN}`);
  assert.equal((await effectCounts(db.pool, `${id}-`)).ledger, 0, 'no worker, no effects yet');

  worker = await startSensorWorker({
    config: testWorkerConfig(ep, id, topics, db.url),
    kafka: testKafka(ep),
    client: temporal.client,
    log: createLogger('test-worker'),
  });
  await assertExactlyOnce({
    pool: db.pool,
    kafka: testKafka(ep),
    prefix: `${id}-`,
    valid: events.length,
    devices: 8,
    processedFrom: processedStart,
    timeoutMs: 120_000,
  });
  await eventually(
    'the bridge resumed',
    async () => (await metrics.pausedPartitions.get()).values[0]?.value === 0,
    30_000,
  );
});
