/**
 * The exactly-once check of a run, shared by `npm run local`, the tests and the bench: each valid
 * event's effects exist once in Postgres (ledger, rollups, device state) and on the processed topic
 * after dedup by idempotency key; every malformed record reached the dead-letter topic.
 */
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { idempotencyKey } from '../workers/consumers/dedup.js';

export interface TopicOffsets {
  readonly topic: string;
  readonly partitions: { partition: number; offset: string }[];
}

/** High watermarks now: where a run's output starts. */
export async function topicEndOffsets(kafka: Kafka, topic: string): Promise<TopicOffsets> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return { topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) };
  } finally {
    await admin.disconnect();
  }
}

/** Reads every record from `from` up to the current end, without a consumer group (assign + seek). */
export async function readSince(
  kafka: Kafka,
  from: TopicOffsets,
  onMessage: (key: string | undefined, value: Buffer | null) => void,
): Promise<number> {
  const end = await topicEndOffsets(kafka, from.topic);
  const remaining = new Map<number, bigint>();
  for (const p of end.partitions) {
    const start = BigInt(from.partitions.find((s) => s.partition === p.partition)?.offset ?? '0');
    if (BigInt(p.offset) > start) remaining.set(p.partition, BigInt(p.offset));
  }
  if (remaining.size === 0) return 0;
  const consumer = kafka.consumer({ groupId: `verify-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 200 });
  let count = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: from.topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachBatchAutoResolve: true,
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const stop = remaining.get(batch.partition);
          for (const m of batch.messages) {
            if (stop === undefined || BigInt(m.offset) >= stop) continue;
            count++;
            onMessage(idempotencyKey(m.headers), m.value);
          }
          if (stop !== undefined && BigInt(batch.lastOffset()) + 1n >= stop)
            remaining.delete(batch.partition);
          if (remaining.size === 0) resolve();
        },
      });
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const p of from.partitions)
        consumer.seek({ topic: from.topic, partition: p.partition, offset: p.offset });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out reading ${from.topic}`)), 120_000);
    });
    try {
      await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect();
  }
  return count;
}

export interface EffectCounts {
  readonly ledger: number;
  readonly rollupCount: number;
  readonly devicesWithState: number;
}

/** Effects in Postgres of the devices whose IDs start with `devicePrefix`. */
export async function effectCounts(pool: Pool, devicePrefix: string): Promise<EffectCounts> {
  const like = `${devicePrefix.replace(/[%_\\]/g, '\\$&')}%`;
  const { rows } = await pool.query<{ ledger: string; rollup: string; state: string }>(
    `SELECT (SELECT count(*) FROM processed_events WHERE device_id LIKE $1) AS ledger,
            (SELECT coalesce(sum(count), 0) FROM metric_rollups_minute WHERE device_id LIKE $1) AS rollup,
            (SELECT count(*) FROM device_state WHERE device_id LIKE $1) AS state`,
    [like],
  );
  const row = rows[0]!;
  return { ledger: Number(row.ledger), rollupCount: Number(row.rollup), devicesWithState: Number(row.state) };
}

export interface ProcessedTopicCounts {
  readonly delivered: number;
  readonly uniqueKeys: number;
  readonly redeliveries: number;
}

export async function processedTopicCounts(
  kafka: Kafka,
  from: TopicOffsets,
  keyPrefix: string,
): Promise<ProcessedTopicCounts> {
  const keys = new Set<string>();
  let delivered = 0;
  await readSince(kafka, from, (key) => {
    if (!key?.startsWith(keyPrefix)) return;
    delivered++;
    keys.add(key);
  });
  return { delivered, uniqueKeys: keys.size, redeliveries: delivered - keys.size };
}
