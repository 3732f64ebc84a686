/**
 * Temporal → Kafka: publishes SensorDataProcessed for the events a batch applied, from memory (the
 * events were just read from the range; nothing is re-read from the ledger). A retried activity may
 * publish twice; every message carries idempotency-key = eventId and the same value (processedAt is
 * the batch's commit time, kept in its row), so consumers drop the repeat (workers/consumers/dedup.ts).
 * Messages go to the source partition: the device's order and affinity survive, and the audit trail
 * can compute each event's output offset.
 */
import type { Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { HEADERS } from '../shared/topics.js';
import {
  eventKey,
  PROCESSED_SCHEMA_VERSION,
  type IngestedEvent,
  type SensorDataProcessed,
} from '../shared/events.js';
import type { BatchRef } from '../shared/activity-contract.js';

/** kafkajs puts one send's messages for a partition into one record batch: stay under 1 MB. */
export const MAX_MESSAGES_PER_SEND = 2_000;

export interface PublishDeps {
  readonly pool: Pool;
  readonly producer: Producer;
  readonly processedTopic: string;
  readonly processedPartitions: () => Promise<number>;
  /** Called with the end-to-end latency (reading timestamp → published) of each event, in seconds. */
  readonly observeLatency?: (seconds: number) => void;
}

/** The SensorDataProcessed record of one applied event. */
export function processedRecord(
  event: IngestedEvent,
  batchId: string,
  processedAt: number,
  partition: number,
) {
  const value: SensorDataProcessed = {
    schemaVersion: PROCESSED_SCHEMA_VERSION,
    eventId: event.eventId,
    deviceId: event.deviceId,
    eventTime: event.timestamp,
    processedAt,
    batchId,
    source: event.source,
  };
  return {
    key: event.deviceId,
    partition,
    value: JSON.stringify(value),
    headers: {
      [HEADERS.idempotencyKey]: eventKey(event.deviceId, event.eventId),
      [HEADERS.eventType]: 'SensorDataProcessed',
    },
  };
}

/** Publishes `applied` (in source-offset order) and records where the messages went. */
export async function publishProcessed(
  deps: PublishDeps,
  ref: BatchRef,
  applied: readonly IngestedEvent[],
  processedAt: number,
): Promise<number> {
  if (applied.length === 0) return 0;
  const partition = ref.range.partition % (await deps.processedPartitions());
  const sends: { partition: number; baseOffset: string; count: number }[] = [];
  for (let i = 0; i < applied.length; i += MAX_MESSAGES_PER_SEND) {
    const chunk = applied.slice(i, i + MAX_MESSAGES_PER_SEND);
    const [meta] = await deps.producer.send({
      topic: deps.processedTopic,
      acks: -1,
      messages: chunk.map((event) => processedRecord(event, ref.batchId, processedAt, partition)),
    });
    sends.push({ partition, baseOffset: meta?.baseOffset ?? '-1', count: chunk.length });
  }
  if (deps.observeLatency) {
    const now = Date.now();
    for (const event of applied) deps.observeLatency((now - event.timestamp) / 1000);
  }
  await deps.pool.query(
    'UPDATE batches SET published_at = clock_timestamp(), publish_offsets = $2 WHERE batch_id = $1',
    [ref.batchId, JSON.stringify(sends)],
  );
  return applied.length;
}
