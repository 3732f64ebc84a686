/**
 * `npm run redrive`: re-applies the events parked after a permanent failure, exactly once. It reads the
 * parking topic with its own consumer group and starts batch workflows through the same start chain
 * as the bridge (IDs from the parking topic's offsets, commit after start), so a crash mid-way neither
 * repeats nor skips; the ledger keeps any event that was applied meanwhile from applying twice.
 * Fix the cause first (the parking-reason header says what failed), then re-drive.
 */
import type { Client } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import { loadBridgeConfig, type BridgeConfig } from '../config.js';
import { startBatches, type PartitionRecord } from '../bridge/batch-starter.js';
import { createKafka } from '../lib/kafka-client.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { connectTemporal } from '../lib/temporal-client.js';
import { recordFingerprint } from '../lib/record-fingerprint.js';
import { parseParkedEvent } from '../shared/event-validation.js';
import { HEADERS } from '../shared/topics.js';

export interface RedriveResult {
  readonly records: number;
  readonly started: number;
  /** Parked records that are not events (the worker dead-letters them). */
  readonly unreadable: number;
  /** Parked ranges: batches whose records expired or changed before they ran; nothing to re-drive. */
  readonly ranges: number;
}

/** Re-drives everything in the parking topic up to its current end, then returns. */
export async function redriveParked(
  kafka: Kafka,
  client: Client,
  config: BridgeConfig,
  log: Logger,
): Promise<RedriveResult> {
  const topic = config.topics.parking;
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
  const groupId = `${config.consumerGroup}-redrive`;
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.disconnect();
  const pending = new Set(
    [...ends]
      .filter(([p, end]) => {
        const at = committed[0]?.partitions.find((c) => c.partition === p)?.offset ?? '-1';
        return end > (at === '-1' ? 0n : BigInt(at));
      })
      .map(([p]) => p),
  );
  const result = { records: 0, started: 0, unreadable: 0, ranges: 0 };
  if (pending.size === 0) return result;

  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          // The worker reads and parses the range (claim check); here only what the operator should hear.
          const records: PartitionRecord[] = batch.messages.map((m) => {
            if (m.headers?.[HEADERS.eventType]?.toString() === 'ParkedRange') {
              result.ranges++;
              log.warn(
                'parked range: its records expired or changed on the source topic; nothing to re-drive',
                {
                  partition: batch.partition,
                  offset: m.offset,
                  reason: m.headers[HEADERS.parkingReason]?.toString(),
                },
              );
            } else if (parseParkedEvent(m.key, m.value) === undefined) {
              result.unreadable++;
              log.warn('parked record is unreadable; it will be dead-lettered', {
                partition: batch.partition,
                offset: m.offset,
              });
            }
            return {
              offset: BigInt(m.offset),
              fingerprint: () => recordFingerprint(m.timestamp, m.key, m.value),
            };
          });
          const outcome = await startBatches(
            {
              client,
              taskQueue: config.temporal.taskQueue,
              maxBatchEvents: config.maxBatchEvents,
              batchInput: {
                rules: config.rules,
                maxEventAgeMs: Number.MAX_SAFE_INTEGER,
                maxClockSkewMs: config.maxClockSkewMs,
              },
            },
            topic,
            batch.partition,
            records,
            -1n,
          );
          result.records += records.length;
          result.started += outcome.started;
          resolveOffset(batch.lastOffset());
          await consumer.commitOffsets([
            { topic, partition: batch.partition, offset: (outcome.coveredThrough + 1n).toString() },
          ]);
          await heartbeat();
          if (outcome.coveredThrough + 1n >= (ends.get(batch.partition) ?? 0n))
            pending.delete(batch.partition);
          if (pending.size === 0) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return result;
}

async function main(): Promise<void> {
  const config = loadBridgeConfig();
  const log = createLogger('redrive', config.logLevel);
  const { client, connection } = await connectTemporal(config.temporal);
  try {
    const result = await redriveParked(createKafka(config.kafka, log), client, config, log);
    console.log(
      `re-drove ${result.records} parked records in ${result.started} batch workflows (${result.unreadable} unreadable, ${result.ranges} parked ranges that need an operator)`,
    );
  } finally {
    await connection.close();
  }
}

if (process.argv[1]?.endsWith('redrive.ts')) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
