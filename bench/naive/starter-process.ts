/**
 * The naive baseline's ingest: consumes the input topic and runs one workflow per valid event
 * (ID = the eventId, so a re-send collides), with a bounded number in flight, committing a batch's
 * offsets once its workflows completed.
 */
// Before kafkajs: it binds its producers' grouping when it loads (kafkajs-producer-grouping.ts).
import '../../workers/lib/kafkajs-producer-grouping.js';
import { Kafka } from 'kafkajs';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { kafkaClientConfig } from '../../local/config.js';
import { connectTemporal } from '../../workers/lib/temporal-client.js';
import { parseSensorData } from '../../workers/shared/event-validation.js';
import type { IngestedEvent } from '../../workers/shared/events.js';
import { TEMPORAL_NAMESPACE } from '../../workers/shared/temporal.js';
import { childSpec, fromParent, runChild, tellParent } from '../child.js';

export interface NaiveStarterSpec {
  readonly brokers: string[];
  readonly temporalAddress: string;
  readonly taskQueue: string;
  readonly topic: string;
  readonly groupId: string;
  readonly partitions: number;
  /** Workflows in flight at once. */
  readonly concurrency: number;
}

runChild(async () => {
  const spec = childSpec<NaiveStarterSpec>();
  const { connection, client } = await connectTemporal({
    address: spec.temporalAddress,
    namespace: TEMPORAL_NAMESPACE,
    taskQueue: spec.taskQueue,
  });
  const kafka = new Kafka(kafkaClientConfig({ kafkaBrokers: spec.brokers }, 'bench-naive-starter'));
  const consumer = kafka.consumer({ groupId: spec.groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: spec.topic, fromBeginning: true });
  let completed = 0;
  let stopping = false;
  const perPartition = Math.max(1, Math.floor(spec.concurrency / spec.partitions));
  await consumer.run({
    partitionsConsumedConcurrently: spec.partitions,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning }) => {
      const queue = batch.messages.slice();
      const runOne = async () => {
        for (let m = queue.shift(); m && !stopping && isRunning(); m = queue.shift()) {
          const parsed = parseSensorData(m.key, m.value);
          if (parsed.ok) {
            const event: IngestedEvent = {
              ...parsed.event,
              source: { partition: batch.partition, offset: m.offset },
            };
            await client.workflow
              .execute('processOneEvent', {
                taskQueue: spec.taskQueue,
                workflowId: `naive:${event.eventId}`,
                args: [event],
              })
              .catch((err: unknown) => {
                if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
              });
            completed++;
          }
        }
      };
      await Promise.all(Array.from({ length: perPartition }, runOne));
      // Offsets complete in order only when the whole batch is done (no gap on a restart).
      if (queue.length === 0 && !stopping) resolveOffset(batch.lastOffset());
      await heartbeat();
    },
  });
  const ticker = setInterval(() => void tellParent({ type: 'progress', counts: { completed } }), 1000);
  await tellParent({ type: 'ready' });
  await fromParent('stop');
  stopping = true;
  clearInterval(ticker);
  await consumer.disconnect();
  await connection.close();
  return { completed };
});
