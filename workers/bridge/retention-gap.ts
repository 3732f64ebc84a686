/**
 * Retention gaps (issue 23, finding 6): records of sensor-data that retention (or
 * `kafka-delete-records`) deleted before the bridge consumed them. kafkajs meets such a position with
 * "Offset out of range, resetting to default offset", commits the log start in the group's place and
 * reads on: the records are gone and, before this, nothing but that log line said so. Now each lost
 * span becomes one `ParkedRange` note on the parking topic (reason `retention-gap`: topic, partition,
 * first and last lost offset, count), a count on sensor_bridge_retention_gap_records_total and one
 * error line naming the offsets. A note is for an operator; redrive skips it (workers/tools/redrive.ts).
 *
 * Two places see a gap, both before anything is committed past it:
 * - when partitions are assigned (start, rebalance), the bridge holds consumption until it has compared
 *   the group's committed offsets with the log start offsets (checkAssignment); for a partition whose
 *   position fell below the log start it writes the note, then commits the log start itself, so kafkajs
 *   never resets. A crash in between repeats the note (same idempotency key), never loses it;
 * - while it runs, a fetch that starts past the offset the bridge expects next (kafkajs reset the
 *   position after the log start moved past it) is a gap if that offset is below the log start now
 *   (beforeBatch); a jump over transaction markers or aborted records is not.
 */
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import type { Logger } from '../lib/logger.js';
import { HEADERS } from '../shared/topics.js';
import type { BridgeMetrics } from './bridge-metrics.js';

/** The parking-reason of a retention gap's note. */
export const RETENTION_GAP_REASON = 'retention-gap';

export interface RetentionGap {
  readonly topic: string;
  readonly partition: number;
  /** The first and last offset deleted before the bridge consumed them. */
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  /** The partition's log start offset when the gap was found. */
  readonly logStartOffset: bigint;
}

/** Offsets in the gap (transaction markers, if any, included: they are offsets too). */
export function gapSize(gap: RetentionGap): bigint {
  return gap.lastOffset - gap.firstOffset + 1n;
}

function describe(gap: RetentionGap): string {
  return `${gap.topic}/${gap.partition} offsets ${gap.firstOffset}-${gap.lastOffset} (${gapSize(gap)} records) were deleted before the bridge consumed them (log start ${gap.logStartOffset}): retention overtook the bridge, or records were deleted by hand`;
}

/**
 * The gap's note on the parking topic, in the format of a parked batch range
 * (workers/activities/process-range.ts): the `ParkedRange` event type, which the worker and redrive
 * treat as a note, never as events.
 */
export function retentionGapNote(gap: RetentionGap, consumerGroup: string): Message {
  const range = {
    topic: gap.topic,
    partition: gap.partition,
    firstOffset: gap.firstOffset.toString(),
    lastOffset: gap.lastOffset.toString(),
  };
  const detail = describe(gap);
  return {
    key: `${gap.topic}/${gap.partition}/${range.firstOffset}`,
    value: JSON.stringify({
      kind: 'ParkedRange',
      reason: RETENTION_GAP_REASON,
      range,
      records: Number(gapSize(gap)),
      logStartOffset: gap.logStartOffset.toString(),
      consumerGroup,
      detail,
    }),
    headers: {
      // The first lost offset identifies the gap: a note written again after a crash is a duplicate.
      [HEADERS.idempotencyKey]: `gap:${gap.topic}:${gap.partition}:${range.firstOffset}`,
      [HEADERS.eventType]: 'ParkedRange',
      [HEADERS.parkingReason]: `${RETENTION_GAP_REASON}: ${detail}`.slice(0, 512),
    },
  };
}

export interface RetentionGuardDeps {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly parkingTopic: string;
  readonly consumerGroup: string;
  readonly log: Logger;
  readonly metrics: Pick<BridgeMetrics, 'retentionGapRecords'>;
}

/** One per bridge: what it expects to fetch next per partition, and the notes of the gaps it finds. */
export class RetentionGuard {
  /** Per assigned partition, the offset the bridge fetches next unless records were deleted under it. */
  private readonly expected = new Map<number, bigint>();
  /** Gaps noted by this process (partition:first offset): a retried check notes and counts each once. */
  private readonly noted = new Set<string>();
  private admin: Promise<Admin> | undefined;
  private producer: Promise<Producer> | undefined;

  constructor(private readonly deps: RetentionGuardDeps) {}

  /**
   * Partitions were assigned: compares the group's committed offsets with the log start offsets, writes
   * the note of every gap, and returns the offsets the caller must commit (the log start of each
   * partition whose committed position fell below it) before it lets the consumer fetch.
   */
  async checkAssignment(partitions: readonly number[]): Promise<{ partition: number; offset: string }[]> {
    const { topic, consumerGroup } = this.deps;
    this.expected.clear();
    if (partitions.length === 0) return [];
    const admin = await this.connectedAdmin();
    const [committed] = await admin.fetchOffsets({ groupId: consumerGroup, topics: [topic] });
    const starts = new Map(
      (await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.low)] as const),
    );
    const toCommit: { partition: number; offset: string }[] = [];
    for (const partition of partitions) {
      const at = committed?.partitions.find((p) => p.partition === partition)?.offset;
      // No committed offset: a new group, which starts at the log start (nothing was consumed to lose).
      if (at === undefined || BigInt(at) < 0n) continue;
      const position = BigInt(at);
      const logStart = starts.get(partition) ?? 0n;
      if (position < logStart) {
        await this.record({
          topic,
          partition,
          firstOffset: position,
          lastOffset: logStart - 1n,
          logStartOffset: logStart,
        });
        toCommit.push({ partition, offset: logStart.toString() });
        this.expected.set(partition, logStart);
      } else this.expected.set(partition, position);
    }
    return toCommit;
  }

  /**
   * Before a fetched batch is handled: a batch that starts past the expected offset while that offset
   * is below the log start is a gap, noted before anything past it is started or committed.
   * @returns true (for the caller's retry loop)
   */
  async beforeBatch(partition: number, firstOffset: bigint): Promise<true> {
    const expected = this.expected.get(partition);
    if (expected === undefined || firstOffset <= expected) return true;
    const admin = await this.connectedAdmin();
    const logStart = BigInt(
      (await admin.fetchTopicOffsets(this.deps.topic)).find((o) => o.partition === partition)?.low ?? '0',
    );
    if (expected < logStart) {
      const end = firstOffset < logStart ? firstOffset : logStart;
      await this.record({
        topic: this.deps.topic,
        partition,
        firstOffset: expected,
        lastOffset: end - 1n,
        logStartOffset: logStart,
      });
    }
    this.expected.set(partition, firstOffset);
    return true;
  }

  /** The bridge committed `next` for the partition: the offset it expects to fetch next. */
  committed(partition: number, next: bigint): void {
    this.expected.set(partition, next);
  }

  async close(): Promise<void> {
    const admin = this.admin;
    const producer = this.producer;
    this.admin = undefined;
    this.producer = undefined;
    await Promise.allSettled([admin?.then((a) => a.disconnect()), producer?.then((p) => p.disconnect())]);
  }

  private async record(gap: RetentionGap): Promise<void> {
    const key = `${gap.partition}:${gap.firstOffset}`;
    if (this.noted.has(key)) return;
    const producer = await this.connectedProducer();
    await producer.send({
      topic: this.deps.parkingTopic,
      acks: -1,
      messages: [retentionGapNote(gap, this.deps.consumerGroup)],
    });
    this.noted.add(key);
    this.deps.metrics.retentionGapRecords.inc(Number(gapSize(gap)));
    this.deps.log.error('retention gap: records deleted before the bridge consumed them', {
      topic: gap.topic,
      partition: gap.partition,
      firstOffset: gap.firstOffset.toString(),
      lastOffset: gap.lastOffset.toString(),
      records: Number(gapSize(gap)),
      logStartOffset: gap.logStartOffset.toString(),
      parkingTopic: this.deps.parkingTopic,
    });
  }

  private connectedAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.deps.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((err: unknown) => {
      this.admin = undefined;
      throw err;
    });
    return this.admin;
  }

  private connectedProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.deps.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      return producer;
    })().catch((err: unknown) => {
      this.producer = undefined;
      throw err;
    });
    return this.producer;
  }
}
