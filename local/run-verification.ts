/**
 * The exactly-once check of a run, shared by `npm run local`, the tests and the bench: each valid
 * event's effects exist once in Postgres (ledger, rollups, device state) and on the processed topic
 * after dedup by idempotency key; every malformed record reached the dead-letter topic.
 */
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Pool } from 'pg';
import { idempotencyKey } from '../workers/consumers/dedup.js';
import { formatCount } from './lib/format.js';

/** How long a read may go without a fetched batch before it fails (the broker or the topic is gone). */
const READ_STALL_MS = 120_000;

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
  onMessage: (
    key: string | undefined,
    value: Buffer | null,
    message: KafkaMessage,
    partition: number,
  ) => void,
): Promise<number> {
  const end = await topicEndOffsets(kafka, from.topic);
  const remaining = new Map<number, bigint>();
  for (const p of end.partitions) {
    const start = BigInt(from.partitions.find((s) => s.partition === p.partition)?.offset ?? '0');
    if (BigInt(p.offset) > start) remaining.set(p.partition, BigInt(p.offset));
  }
  if (remaining.size === 0) return 0;
  const consumer = kafka.consumer({
    groupId: `verify-${process.pid}-${Date.now()}`,
    maxWaitTimeInMs: 200,
    // Dead letters and bad-input records reach 1 MB: fetch more than the 1 MiB default per partition.
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  let count = 0;
  let lastProgress = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: from.topic, fromBeginning: true });
    const done = new Promise<void>((resolve, reject) => {
      void consumer.run({
        eachBatchAutoResolve: true,
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const stop = remaining.get(batch.partition);
          lastProgress = Date.now();
          try {
            for (const m of batch.messages) {
              if (stop === undefined || BigInt(m.offset) >= stop) continue;
              count++;
              onMessage(idempotencyKey(m.headers), m.value, m, batch.partition);
            }
          } catch (err) {
            // kafkajs would retry the batch forever: the check fails with the reason instead.
            reject(err instanceof Error ? err : new Error(String(err)));
            return;
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
    // A stall, not a size: a bench run's topic holds millions of records and takes minutes to read.
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setInterval(() => {
        if (Date.now() - lastProgress > READ_STALL_MS)
          reject(new Error(`timed out reading ${from.topic}: no record for ${READ_STALL_MS / 1000} s`));
      }, 1000);
    });
    try {
      await Promise.race([done, stalled]);
    } finally {
      clearInterval(timer);
    }
  } finally {
    await consumer.disconnect();
  }
  return count;
}

/**
 * A set of keys past V8's limit of 2^24 entries per Set (a 300 s bench run at 37,000 events/s
 * publishes 24 million keys, and the check stalled on the first key past 16.8 million): 64 Sets,
 * chosen by a hash of the key.
 */
export class KeySet {
  private readonly shards = Array.from({ length: 64 }, () => new Set<string>());

  /** Adds the key; false if it was there already. */
  add(key: string): boolean {
    let h = 0;
    for (let i = Math.max(0, key.length - 8); i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
    const shard = this.shards[h & 63]!;
    if (shard.has(key)) return false;
    shard.add(key);
    return true;
  }

  get size(): number {
    return this.shards.reduce((sum, s) => sum + s.size, 0);
  }
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

/**
 * Events applied so far, for progress lines: the rollups' counts, which change in the same
 * transaction as the ledger rows (so equal to the ledger count, which the final check compares). A
 * count of the ledger itself scans it: 0.7-2.7 s of Postgres per sample over 16.6 million events of
 * the long chaos run, against 3 ms for the rollups (1,000 devices × minutes).
 */
export async function appliedSoFar(pool: Pool, devicePrefix: string): Promise<number> {
  const like = `${devicePrefix.replace(/[%_\\]/g, '\\$&')}%`;
  const { rows } = await pool.query<{ n: string }>(
    'SELECT coalesce(sum(count), 0) AS n FROM metric_rollups_minute WHERE device_id LIKE $1',
    [like],
  );
  return Number(rows[0]!.n);
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
  /** Sees each record of the run too (the bench reads latencies in the same pass). */
  observe?: (message: KafkaMessage) => void,
): Promise<ProcessedTopicCounts> {
  const keys = new KeySet();
  let delivered = 0;
  await readSince(kafka, from, (key, _value, message) => {
    if (!key?.startsWith(keyPrefix)) return;
    delivered++;
    keys.add(key);
    observe?.(message);
  });
  return { delivered, uniqueKeys: keys.size, redeliveries: delivered - keys.size };
}

/**
 * Devices whose state is not their latest ledger event (last writer wins by event time, then event
 * id). Two hash aggregates over the ledger, not a lookup per device: the ledger has no index by
 * device, and the per-device subquery took 166 s over 3 million events of 1,000 devices (0.6 s so).
 */
export async function deviceStateMismatches(pool: Pool, devicePrefix: string): Promise<number> {
  const like = `${devicePrefix.replace(/[%_\\]/g, '\\$&')}%`;
  const { rows } = await pool.query<{ n: string }>(
    `WITH latest_time AS (
       SELECT device_id, max(event_time) AS event_time FROM processed_events
       WHERE device_id LIKE $1 GROUP BY device_id),
     latest AS (
       SELECT p.device_id, max(p.event_id) AS event_id
       FROM processed_events p JOIN latest_time l USING (device_id, event_time)
       GROUP BY p.device_id)
     SELECT count(*) AS n FROM device_state s LEFT JOIN latest l USING (device_id)
     WHERE s.device_id LIKE $1 AND s.last_event_id IS DISTINCT FROM l.event_id`,
    [like],
  );
  return Number(rows[0]!.n);
}

export interface AlertCheckCounts {
  /** Alert workflow runs that raised (one alert episode each). */
  readonly raised: number;
  /** Runs with more than one 'raised' transition: an alert effect applied twice. */
  readonly doubleRaised: number;
  /** Transitions recorded in Postgres, each of which must be published once. */
  readonly transitions: number;
  readonly publishedKeys: number;
  readonly redeliveries: number;
}

/** Alert effects of the devices whose IDs start with `devicePrefix`: rows and the alerts topic agree. */
export async function alertChecks(
  pool: Pool,
  kafka: Kafka,
  alertsFrom: TopicOffsets,
  devicePrefix: string,
): Promise<AlertCheckCounts> {
  const like = `alert:${devicePrefix.replace(/[%_\\]/g, '\\$&')}%`;
  const { rows } = await pool.query<{ raised: string; double_raised: string; transitions: string }>(
    `SELECT (SELECT count(*) FROM alert_transitions WHERE alert_id LIKE $1 AND transition = 'raised') AS raised,
            (SELECT count(*) FROM (SELECT 1 FROM alert_transitions WHERE alert_id LIKE $1 AND transition = 'raised'
                                   GROUP BY alert_id, run_id HAVING count(*) > 1) d) AS double_raised,
            (SELECT count(*) FROM alert_transitions WHERE alert_id LIKE $1) AS transitions`,
    [like],
  );
  const keys = new KeySet();
  let delivered = 0;
  const keyPrefix = `alert:${devicePrefix}`;
  await readSince(kafka, alertsFrom, (key) => {
    if (!key?.startsWith(keyPrefix)) return;
    delivered++;
    keys.add(key);
  });
  const row = rows[0]!;
  return {
    raised: Number(row.raised),
    doubleRaised: Number(row.double_raised),
    transitions: Number(row.transitions),
    publishedKeys: keys.size,
    redeliveries: delivered - keys.size,
  };
}

export interface Check {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

/** What a run sent and what it found, for the one list of exactly-once checks. */
export interface RunCounts {
  /** Valid events and malformed records the simulators sent. */
  readonly valid: number;
  readonly malformed: number;
  /** Devices that sent at least one valid event. */
  readonly devices: number;
  readonly effects: EffectCounts;
  readonly topic: ProcessedTopicCounts;
  readonly deadLettered: number;
  /** Checked when given (a query per device: `npm run local`, the tests and the chaos run, not the bench). */
  readonly staleDevices?: number;
  readonly alerts?: AlertCheckCounts;
}

/** The exactly-once checks of a run, in the order every report prints them. */
export function exactlyOnceChecks(c: RunCounts): Check[] {
  const checks: Check[] = [
    {
      name: 'every valid event applied once (ledger)',
      pass: c.effects.ledger === c.valid,
      detail: `${formatCount(c.effects.ledger)} of ${formatCount(c.valid)}`,
    },
    {
      name: 'rollups count each event once',
      pass: c.effects.rollupCount === c.effects.ledger,
      detail: `${formatCount(c.effects.rollupCount)} = ${formatCount(c.effects.ledger)}`,
    },
    {
      name: 'processed topic: one key per event',
      pass: c.topic.uniqueKeys === c.valid,
      detail: `${formatCount(c.topic.uniqueKeys)} keys of ${formatCount(c.valid)}, ${formatCount(c.topic.redeliveries)} redeliveries dropped by dedup`,
    },
    {
      name: 'malformed records dead-lettered',
      pass: c.deadLettered >= c.malformed,
      detail: `${formatCount(c.deadLettered)} in the DLQ, ${formatCount(c.malformed)} sent`,
    },
    {
      name: 'devices with state',
      pass: c.effects.devicesWithState === c.devices,
      detail: `${formatCount(c.effects.devicesWithState)} of ${formatCount(c.devices)}`,
    },
  ];
  if (c.staleDevices !== undefined)
    checks.push({
      name: "device state is each device's latest event",
      pass: c.staleDevices === 0,
      detail: `${formatCount(c.staleDevices)} devices differ`,
    });
  if (c.alerts)
    checks.push(
      {
        name: 'alerts raised once per alert workflow run',
        pass: c.alerts.doubleRaised === 0,
        detail: `${c.alerts.raised} raised, ${c.alerts.doubleRaised} alert runs raised twice`,
      },
      {
        name: 'alerts topic: each transition once after dedup',
        pass: c.alerts.publishedKeys === c.alerts.transitions,
        detail: `${c.alerts.publishedKeys} keys for ${c.alerts.transitions} transitions, ${c.alerts.redeliveries} redeliveries dropped by dedup`,
      },
    );
  return checks;
}
