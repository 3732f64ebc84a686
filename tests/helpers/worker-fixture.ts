/**
 * What most integration tests start from: their own topics, database and Temporal client, and an
 * in-process sensor worker polling their task queue (local/testing/test-stack.ts makes each piece).
 */
import type { Kafka } from 'kafkajs';
import type { StackEndpoints } from '../../local/config.js';
import type { TopicNames, WorkerConfig } from '../../workers/config.js';
import { createLogger } from '../../workers/lib/logger.js';
import { createBridgeMetrics } from '../../workers/bridge/bridge-metrics.js';
import { IngestBridge } from '../../workers/bridge/ingest-bridge.js';
import { startSensorWorker, type RunningWorker } from '../../workers/worker/sensor-worker.js';
import type { WorkerMetrics } from '../../workers/worker/worker-metrics.js';
import {
  stack,
  testBridgeConfig,
  testDatabase,
  testKafka,
  testTemporal,
  testTopics,
  testWorkerConfig,
  type TestDatabase,
} from '../../local/testing/test-stack.js';

export interface WorkerFixture {
  readonly ep: StackEndpoints;
  readonly topics: TopicNames;
  readonly db: TestDatabase;
  readonly temporal: Awaited<ReturnType<typeof testTemporal>>;
  readonly kafka: Kafka;
  readonly worker: RunningWorker;
  /** Stops the worker, closes the client, drops the database; the topics stay (unique names). */
  close(): Promise<void>;
}

export async function startWorkerFixture(
  id: string,
  overrides: Partial<WorkerConfig> = {},
  metrics?: WorkerMetrics,
): Promise<WorkerFixture> {
  const ep = await stack();
  const topics = await testTopics(ep, id);
  const db = await testDatabase(ep, id);
  const temporal = await testTemporal(ep);
  const kafka = testKafka(ep);
  const worker = await startSensorWorker({
    config: testWorkerConfig(ep, id, topics, db.url, overrides),
    kafka,
    client: temporal.client,
    log: createLogger('test-worker'),
    metrics,
  });
  return {
    ep,
    topics,
    db,
    temporal,
    kafka,
    worker,
    close: async () => {
      await worker.shutdown();
      await temporal.close();
      await db.drop();
    },
  };
}

/** An in-process ingest bridge on the fixture's topics and Temporal client, started. */
export async function startFixtureBridge(
  f: WorkerFixture,
  id: string,
  onFatal?: (err: Error) => void,
): Promise<IngestBridge> {
  const bridge = new IngestBridge({
    config: testBridgeConfig(f.ep, id, f.topics),
    kafka: f.kafka,
    client: f.temporal.client,
    log: createLogger('test-bridge'),
    metrics: createBridgeMetrics(),
    onFatal,
  });
  await bridge.start();
  return bridge;
}
