/**
 * What most integration tests start from: their own topics, database and Temporal client, and an
 * in-process sensor worker polling their task queue (tests/helpers/test-stack.ts makes each piece).
 */
import type { Kafka } from 'kafkajs';
import type { StackEndpoints } from '../../local/config.js';
import type { TopicNames, WorkerConfig } from '../../workers/config.js';
import { createLogger } from '../../workers/lib/logger.js';
import { startSensorWorker, type RunningWorker } from '../../workers/worker/sensor-worker.js';
import {
  stack,
  testDatabase,
  testKafka,
  testTemporal,
  testTopics,
  testWorkerConfig,
  type TestDatabase,
} from './test-stack.js';

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
