/** The naive baseline's Temporal worker: its own bundle and task queue, the pipeline's real activity code. */
import { createRequire } from 'node:module';
// Before kafkajs: it binds its producers' grouping when it loads (kafkajs-producer-grouping.ts).
import '../../workers/lib/kafkajs-producer-grouping.js';
import { Kafka } from 'kafkajs';
import pg from 'pg';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { kafkaClientConfig } from '../../local/config.js';
import type { TopicNames } from '../../workers/config.js';
import { dataConverter } from '../../workers/lib/payload-codec.js';
import { migrate } from '../../workers/db/migrate.js';
import { TEMPORAL_NAMESPACE } from '../../workers/shared/temporal.js';
import { childSpec, fromParent, runChild, tellParent } from '../child.js';
import { createNaiveActivities } from './activities.js';

export interface NaiveWorkerSpec {
  readonly brokers: string[];
  readonly temporalAddress: string;
  readonly taskQueue: string;
  readonly databaseUrl: string;
  readonly topics: TopicNames;
}

const require = createRequire(import.meta.url);

runChild(async () => {
  const spec = childSpec<NaiveWorkerSpec>();
  const pool = new pg.Pool({ connectionString: spec.databaseUrl, max: 10 });
  await migrate(pool);
  const kafka = new Kafka(kafkaClientConfig({ kafkaBrokers: spec.brokers }, 'bench-naive-worker'));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const activities = createNaiveActivities({
    pool,
    producer,
    topics: spec.topics,
    processedPartitions: async () => 1,
  });
  const connection = await NativeConnection.connect({ address: spec.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: TEMPORAL_NAMESPACE,
    taskQueue: spec.taskQueue,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: require.resolve('./workflows.ts'),
      logger: {
        log: () => undefined,
        trace: () => undefined,
        debug: () => undefined,
        info: () => undefined,
        warn: console.warn,
        error: console.error,
      },
    }),
    activities,
    dataConverter,
    maxCachedWorkflows: 2000,
    // Each event costs four workflow tasks and three activity tasks: with the default five pollers per
    // kind the poll round trip, not the server, bounds the baseline. Autoscaling pollers give it its best.
    workflowTaskPollerBehavior: { type: 'autoscaling' },
    activityTaskPollerBehavior: { type: 'autoscaling' },
    shutdownGraceTime: '5s',
  });
  const running = worker.run();
  await tellParent({ type: 'ready' });
  await fromParent('stop');
  worker.shutdown();
  await running;
  await producer.disconnect();
  await pool.end();
  await connection.close();
  return {};
});
