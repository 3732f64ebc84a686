/**
 * Temporal → Kafka: publishes SensorDataProcessed for a batch's ledger rows. A retried activity may
 * publish twice; every message carries idempotency-key = eventId, so consumers drop the repeat
 * (workers/consumers/dedup.ts). Messages go to the source partition: the device's order and affinity
 * survive, and the audit trail can compute each event's output offset.
 */
import type { Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { HEADERS } from '../shared/topics.js';
import { PROCESSED_SCHEMA_VERSION, type SensorDataProcessed } from '../shared/events.js';
import type { BatchRef } from './types.js';

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

interface LedgerRow {
  event_id: string;
  device_id: string;
  event_ms: string;
  processed_ms: string;
  source_partition: number;
  source_offset: string;
}

export async function publishProcessed(deps: PublishDeps, ref: BatchRef): Promise<number> {
  const { rows } = await deps.pool.query<LedgerRow>(
    `SELECT event_id, device_id,
            (extract(epoch FROM event_time) * 1000)::bigint AS event_ms,
            (extract(epoch FROM processed_at) * 1000)::bigint AS processed_ms,
            source_partition, source_offset
     FROM processed_events WHERE batch_id = $1 ORDER BY source_offset`,
    [ref.batchId],
  );
  if (rows.length === 0) return 0;
  const partition = ref.range.partition % (await deps.processedPartitions());
  const sends: { partition: number; baseOffset: string; count: number }[] = [];
  for (let i = 0; i < rows.length; i += MAX_MESSAGES_PER_SEND) {
    const chunk = rows.slice(i, i + MAX_MESSAGES_PER_SEND);
    const [meta] = await deps.producer.send({
      topic: deps.processedTopic,
      acks: -1,
      messages: chunk.map((row) => {
        const value: SensorDataProcessed = {
          schemaVersion: PROCESSED_SCHEMA_VERSION,
          eventId: row.event_id,
          deviceId: row.device_id,
          eventTime: Number(row.event_ms),
          processedAt: Number(row.processed_ms),
          batchId: ref.batchId,
          source: { partition: row.source_partition, offset: String(row.source_offset) },
        };
        return {
          key: row.device_id,
          partition,
          value: JSON.stringify(value),
          headers: { [HEADERS.idempotencyKey]: row.event_id, [HEADERS.eventType]: 'SensorDataProcessed' },
        };
      }),
    });
    sends.push({ partition, baseOffset: meta?.baseOffset ?? '-1', count: chunk.length });
  }
  if (deps.observeLatency) {
    const now = Date.now();
    for (const row of rows) deps.observeLatency((now - Number(row.event_ms)) / 1000);
  }
  await deps.pool.query(
    'UPDATE batches SET published_at = clock_timestamp(), publish_offsets = $2 WHERE batch_id = $1',
    [ref.batchId, JSON.stringify(sends)],
  );
  return rows.length;
}
