/**
 * Example downstream consumer of `sensor-data-processed`: counts processed readings per device in its
 * own table, exactly once even though the topic may deliver a message twice. The dedup key is claimed in
 * the same transaction as the effect, and offsets are committed after that transaction.
 *
 *   DATABASE_URL=... KAFKA_BROKERS=... npx tsx workers/consumers/example-processed-consumer.ts
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { hardenKafkajs } from '../lib/kafka-client.js';
import type { SensorDataProcessed } from '../shared/events.js';
import { DEDUP_TABLE_SQL, claimKeys, idempotencyKey } from './dedup.js';

export const EXAMPLE_CONSUMER = 'example-device-counter';

export async function ensureExampleTables(pool: Pool): Promise<void> {
  await pool.query(DEDUP_TABLE_SQL);
  await pool.query(
    'CREATE TABLE IF NOT EXISTS example_device_counts (device_id text PRIMARY KEY, processed bigint NOT NULL)',
  );
}

/** Consumes until stopped; returns the consumer so the caller can disconnect it. */
export async function runExampleConsumer(
  kafka: Kafka,
  pool: Pool,
  topic: string,
  groupId = EXAMPLE_CONSUMER,
): Promise<Consumer> {
  await ensureExampleTables(pool);
  // Whatever client it is given, it reads every codec and inflates no batch past the bound.
  hardenKafkajs();
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const keyed = batch.messages.flatMap((m) => {
        const key = idempotencyKey(m.headers);
        return key && m.value ? [{ key, event: JSON.parse(m.value.toString()) as SensorDataProcessed }] : [];
      });
      const tx = await pool.connect();
      try {
        await tx.query('BEGIN');
        const fresh = await claimKeys(
          tx,
          EXAMPLE_CONSUMER,
          keyed.map((k) => k.key),
        );
        const perDevice = new Map<string, number>();
        for (const { key, event } of keyed) {
          if (!fresh.delete(key)) continue; // a redelivery, or a repeat inside this batch
          perDevice.set(event.deviceId, (perDevice.get(event.deviceId) ?? 0) + 1);
        }
        if (perDevice.size > 0) {
          await tx.query(
            `INSERT INTO example_device_counts AS c (device_id, processed)
             SELECT * FROM unnest($1::text[], $2::bigint[])
             ON CONFLICT (device_id) DO UPDATE SET processed = c.processed + excluded.processed`,
            [[...perDevice.keys()], [...perDevice.values()]],
          );
        }
        await tx.query('COMMIT');
      } catch (err) {
        await tx.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        tx.release();
      }
      resolveOffset(batch.lastOffset());
      await consumer.commitOffsets([
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: (BigInt(batch.lastOffset()) + 1n).toString(),
        },
      ]);
      await heartbeat();
    },
  });
  return consumer;
}
