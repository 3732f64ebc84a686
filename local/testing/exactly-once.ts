/**
 * The tests' one exactly-once assertion: wait until a test's valid events are applied and published,
 * then hold its run to the same checks that `npm run local`, the chaos run and the bench print
 * (run-verification.ts, exactlyOnceChecks), failing with every check that does not pass.
 */
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import {
  deviceStateMismatches,
  effectCounts,
  exactlyOnceChecks,
  processedTopicCounts,
  readSince,
  type RunCounts,
  type TopicOffsets,
} from '../run-verification.js';
import { eventually } from './test-stack.js';

export interface ExactlyOnceExpectation {
  readonly pool: Pool;
  readonly kafka: Kafka;
  /** The prefix of the test's device IDs, which is also the prefix of its processed-topic keys. */
  readonly prefix: string;
  /** Valid events sent (each distinct (deviceId, eventId) once, whatever was re-sent). */
  readonly valid: number;
  /** Devices that sent at least one valid event. */
  readonly devices: number;
  /** The processed topic's end offsets before the test produced (topicEndOffsets). */
  readonly processedFrom: TopicOffsets;
  /** Malformed records sent and the dead-letter topic's end offsets before: each must be dead-lettered. */
  readonly deadLetter?: { readonly malformed: number; readonly from: TopicOffsets };
  /** How long the events may take to be applied and published. @default 90 s */
  readonly timeoutMs?: number;
}

/**
 * Records of the dead-letter topic since `from` whose Kafka key (the source record's) starts with
 * the prefix, or that have none (a source record without a key).
 */
async function deadLettered(kafka: Kafka, from: TopicOffsets, prefix: string): Promise<number> {
  let n = 0;
  await readSince(kafka, from, (_idempotencyKey, _value, message) => {
    const key = message.key?.toString();
    if (key === undefined || key.startsWith(prefix)) n++;
  });
  return n;
}

export async function assertExactlyOnce(e: ExactlyOnceExpectation): Promise<RunCounts> {
  const timeoutMs = e.timeoutMs ?? 90_000;
  await eventually(
    `${e.valid} valid events applied`,
    async () => (await effectCounts(e.pool, e.prefix)).ledger >= e.valid,
    timeoutMs,
  );
  await eventually(
    `${e.valid} events published on the processed topic`,
    async () => (await processedTopicCounts(e.kafka, e.processedFrom, e.prefix)).uniqueKeys >= e.valid,
    timeoutMs,
  );
  const dead = e.deadLetter;
  if (dead) {
    await eventually(
      `${dead.malformed} malformed records dead-lettered`,
      async () => (await deadLettered(e.kafka, dead.from, e.prefix)) >= dead.malformed,
      timeoutMs,
    );
  }
  const counts: RunCounts = {
    valid: e.valid,
    malformed: e.deadLetter?.malformed ?? 0,
    devices: e.devices,
    effects: await effectCounts(e.pool, e.prefix),
    topic: await processedTopicCounts(e.kafka, e.processedFrom, e.prefix),
    deadLettered: dead ? await deadLettered(e.kafka, dead.from, e.prefix) : 0,
    staleDevices: await deviceStateMismatches(e.pool, e.prefix),
  };
  const failed = exactlyOnceChecks(counts).filter((c) => !c.pass);
  if (failed.length > 0) {
    throw new Error(`exactly-once checks failed: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`);
  }
  return counts;
}

/**
 * Invariant 1: the batches recorded in the test's database cover every offset of every source
 * partition from 0 exactly once, `offsets` in all (no overlap, no gap).
 */
export async function assertBatchesCover(pool: Pool, offsets: number): Promise<void> {
  const { rows } = await pool.query<{ source_partition: number; first_offset: string; last_offset: string }>(
    'SELECT source_partition, first_offset, last_offset FROM batches ORDER BY source_partition, first_offset',
  );
  const next = new Map<number, bigint>();
  for (const row of rows) {
    const expected = next.get(row.source_partition) ?? 0n;
    if (BigInt(row.first_offset) !== expected) {
      throw new Error(
        `partition ${row.source_partition}: a batch starts at ${row.first_offset}, expected ${expected} (overlap or gap)`,
      );
    }
    next.set(row.source_partition, BigInt(row.last_offset) + 1n);
  }
  const total = [...next.values()].reduce((a, b) => a + b, 0n);
  if (total !== BigInt(offsets)) throw new Error(`batches cover ${total} offsets, expected ${offsets}`);
}
