/**
 * A worker SIGKILLed while batches are in flight: Temporal hands the workflow tasks to the restarted
 * worker, the local activities run again, and the ledger keeps every effect single (invariant 3).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  startPipelineProcess,
  stopPipelineProcess,
  waitReady,
  type PipelineProcess,
} from '../../../local/pipeline-processes.js';
import { effectCounts, topicEndOffsets } from '../../../local/run-verification.js';
import { assertExactlyOnce } from '../../../local/testing/exactly-once.js';
import { IngestBridge } from '../../../workers/bridge/ingest-bridge.js';
import { createBridgeMetrics } from '../../../workers/bridge/bridge-metrics.js';
import type { TopicNames } from '../../../workers/config.js';
import { createLogger } from '../../../workers/lib/logger.js';
import { produce, record, sensorData } from '../../../local/testing/events.js';
import {
  eventually,
  stack,
  testBridgeConfig,
  testDatabase,
  testKafka,
  testProcessEnv,
  testTemporal,
  testTopics,
  uniqueId,
  type TestDatabase,
} from '../../../local/testing/test-stack.js';

const id = uniqueId('wcrash');
let db: TestDatabase;
let topics: TopicNames;
let bridge: IngestBridge;
let temporal: Awaited<ReturnType<typeof testTemporal>>;
const children: PipelineProcess[] = [];

before(async () => {
  const ep = await stack();
  topics = await testTopics(ep, id);
  db = await testDatabase(ep, id);
  temporal = await testTemporal(ep);
  bridge = new IngestBridge({
    config: testBridgeConfig(ep, id, topics, { maxBatchEvents: 50 }),
    kafka: testKafka(ep),
    client: temporal.client,
    log: createLogger('test-bridge'),
    metrics: createBridgeMetrics(),
  });
  await bridge.start();
});

after(async () => {
  for (const child of children) await stopPipelineProcess(child);
  await bridge?.stop();
  await temporal?.close();
  await db?.drop();
});

test('worker killed mid-batch: batches complete after restart, effects once', async () => {
  const ep = await stack();
  const kafka = testKafka(ep);
  const env = testProcessEnv(ep, id, topics, db.url);
  const processedStart = await topicEndOffsets(kafka, topics.processed);
  const base = Date.now() - 30_000;
  const events = Array.from({ length: 3000 }, (_, i) =>
    sensorData(`${id}-d${i % 50}`, i, { timestamp: base + i }),
  );
  // The bridge starts the batches before any worker runs: they wait in Temporal.
  await produce(kafka, topics.sensorData, events.map(record));
  await eventually(
    'batches started',
    async () => (await temporal.client.workflow.count(`TaskQueue = '${id}-queue'`)).count >= 10,
  );

  const first = startPipelineProcess('worker', `${id}-worker-a`, env, 0);
  children.push(first);
  await eventually(
    'the worker applied some effects',
    async () => (await effectCounts(db.pool, `${id}-`)).ledger > 0,
    90_000,
  );
  first.child.kill('SIGKILL');
  await first.exited;
  const atCrash = (await effectCounts(db.pool, `${id}-`)).ledger;
  assert.ok(atCrash < events.length, `the crash came mid-way (${atCrash} of ${events.length} applied)`);

  const second = startPipelineProcess(
    'worker',
    `${id}-worker-b`,
    env,
    19900 + Math.floor(Math.random() * 90),
  );
  children.push(second);
  await waitReady(second);
  await assertExactlyOnce({
    pool: db.pool,
    kafka,
    prefix: `${id}-`,
    valid: events.length,
    devices: 50,
    processedFrom: processedStart,
    timeoutMs: 120_000,
  });
  await eventually('every batch workflow completed', async () => {
    const { count } = await temporal.client.workflow.count(
      `TaskQueue = '${id}-queue' AND ExecutionStatus = 'Running'`,
    );
    return count === 0;
  });
});
