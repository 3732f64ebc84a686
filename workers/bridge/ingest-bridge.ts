/**
 * The ingest bridge: a kafkajs consumer group member that turns each partition's fetched records into
 * batch workflows that name their offset range (claim check, decision 0008): the bridge neither
 * parses nor forwards a value; the worker reads the range, validates and dead-letters. Per fetch:
 *   1. start batch workflows covering every offset (batch-starter.ts), retrying until Temporal acks;
 *   2. only then commit the offsets (invariant 2: a committed offset always has its workflow).
 * A crash between 1 and 2 redelivers the records; their starts collide and nothing runs twice.
 * Records deleted before the bridge consumed them (retention overtook it) are noted on the parking
 * topic and counted before anything past them is committed (retention-gap.ts).
 */
import type { Client } from '@temporalio/client';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BridgeConfig } from '../config.js';
import { errorFields, type Logger } from '../lib/logger.js';
import { recordFingerprint } from '../lib/record-fingerprint.js';
import type { BridgeMetrics } from './bridge-metrics.js';
import { Backpressure } from './backpressure.js';
import { startBatches, type PartitionRecord } from './batch-starter.js';
import { RetentionGuard } from './retention-gap.js';

export interface IngestBridgeDeps {
  readonly config: BridgeConfig;
  readonly kafka: Kafka;
  readonly client: Client;
  readonly log: Logger;
  readonly metrics: BridgeMetrics;
  /** Called when the consumer has stopped for good; the entry point exits so that it is restarted. */
  readonly onFatal?: (err: Error) => void;
  /** Test hook: called after the workflow starts of a fetch and before its commit. */
  readonly beforeCommit?: (partition: number) => Promise<void>;
}

/**
 * Heartbeats per session timeout: a member is evicted only after several missed beats in a row
 * (a GC pause or a slow broker answer is not a crash).
 */
const HEARTBEATS_PER_SESSION = 6;

/**
 * The group evicted this member (its session expired, e.g. while the broker restarted): kafkajs ends
 * the consumer as if for good, but a new member with the same settings may simply join again.
 */
function evicted(err: Error): boolean {
  return /coordinator is not aware of this member/i.test(err.message);
}

export class IngestBridge {
  private consumer: Consumer;
  private readonly backpressure: Backpressure;
  private readonly retention: RetentionGuard;
  /** Counts assignments: a retention check that a newer assignment overtook stops. */
  private assignment = 0;
  /** While the retention check of an assignment runs, consumption stays paused whatever backpressure says. */
  private checkingAssignment = false;
  /** Per partition: highest offset known to be covered by a batch workflow (skip at or below it). */
  private readonly covered = new Map<number, bigint>();
  private joined = false;
  private stopping = false;
  /** Longest wait between two heartbeats, also while a step is retried. */
  private readonly heartbeatMs: number;

  constructor(private readonly deps: IngestBridgeDeps) {
    const { config } = deps;
    this.heartbeatMs = Math.floor(config.sessionTimeoutMs / HEARTBEATS_PER_SESSION);
    this.consumer = this.newConsumer();
    this.retention = new RetentionGuard({
      kafka: deps.kafka,
      topic: config.topics.sensorData,
      parkingTopic: config.topics.parking,
      consumerGroup: config.consumerGroup,
      log: deps.log,
      metrics: deps.metrics,
    });
    this.backpressure = new Backpressure({
      client: deps.client,
      taskQueue: config.temporal.taskQueue,
      maxOpenBatches: config.maxOpenBatches,
      onCount: (open) => deps.metrics.inFlightBatches.set(open),
      onChange: (paused, open) => {
        deps.metrics.pausedPartitions.set(paused ? 1 : 0);
        const topics = [{ topic: config.topics.sensorData }];
        if (paused) {
          deps.log.warn('backpressure: pausing consumption', {
            openBatches: open,
            limit: config.maxOpenBatches,
          });
          this.consumer.pause(topics);
        } else {
          deps.log.info('backpressure: resuming consumption', { openBatches: open });
          if (!this.checkingAssignment) this.consumer.resume(topics);
        }
      },
      onError: (err) => deps.log.warn('backpressure: cannot count open batches', errorFields(err)),
    });
  }

  private newConsumer(): Consumer {
    const { memory } = this.deps.config;
    return this.deps.kafka.consumer({
      groupId: this.deps.config.consumerGroup,
      // The broker holds a fetch until it has minBytes or maxBatchWaitMs passed: that is the time bound
      // of a batch; maxBatchEvents is its size bound. A batch costs Temporal, Postgres and the worker
      // tens of ms of CPU whatever its size (bench profile), so fetches wait to fill: minBytes is a
      // full batch of ~230-byte readings for each of several partitions, so below the design rate a
      // fetch returns at the time bound and every partition's batch is as large as the rate allows.
      // At 8 MiB, 40,000 readings/s on 6 partitions filled a fetch in 0.9 s and split each
      // partition's 6,000 records into a batch of 5,000 and one of 1,000: twice the batch workflows.
      // The sizes come from the memory budget (memory-budget.ts): fixed at 32 MiB, a catch-up of lz4
      // readings decoded a million records per fetch and took the bridge to 1.9 GiB.
      minBytes: Math.min(16 * 1024 * 1024, memory.fetchMaxBytes),
      maxWaitTimeInMs: this.deps.config.maxBatchWaitMs,
      maxBytesPerPartition: memory.fetchMaxBytesPerPartition,
      maxBytes: memory.fetchMaxBytes,
      // A crashed bridge's partitions move after the session timeout: 30 s (kafkajs's default) cost
      // each bridge kill in the chaos run 30 s without ingest at 15,000 events/s and a backlog of
      // 450,000 records; 6 s, Kafka's floor, moves them within about 7 s.
      sessionTimeout: this.deps.config.sessionTimeoutMs,
      heartbeatInterval: this.heartbeatMs,
    });
  }

  get ready(): boolean {
    return this.joined && !this.stopping;
  }

  async start(): Promise<void> {
    this.backpressure.start();
    await this.runConsumer();
  }

  /** Connects the current consumer, subscribes and runs it (at start, and again after an eviction). */
  private async runConsumer(): Promise<void> {
    const { config, log } = this.deps;
    const consumer = this.consumer;
    await consumer.connect();
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.joined = true;
      log.info('joined consumer group', {
        memberId: e.payload.memberId,
        assigned: e.payload.memberAssignment,
      });
      // Synchronously, before kafkajs fetches for the new assignment (it emits this event first).
      this.checkAssignment(consumer, e.payload.memberAssignment[config.topics.sensorData] ?? []);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.joined = false;
      log.error('consumer crashed', { error: String(e.payload.error), restart: e.payload.restart });
      if (e.payload.restart || this.stopping) return;
      if (evicted(e.payload.error)) {
        void this.rejoin();
        return;
      }
      // kafkajs does not restart after a non-retriable error: the process would live on consuming
      // nothing. Let the orchestrator restart it (safe: uncommitted records are refetched).
      this.deps.onFatal?.(e.payload.error);
    });
    await consumer.subscribe({ topic: config.topics.sensorData, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    log.info('ingest bridge running', { topic: config.topics.sensorData, group: config.consumerGroup });
  }

  /**
   * After an eviction, joins the group again as a new member instead of exiting (a broker down for
   * longer than the session did that to the long chaos run's bridge). Safe for the same reason a
   * restart is: what was not committed is refetched, and its batch starts collide with the runs
   * already started (the batch starter continues after them).
   */
  private async rejoin(): Promise<void> {
    this.deps.log.warn('evicted from the consumer group; joining again as a new member');
    this.deps.metrics.rejoins.inc();
    await this.consumer.disconnect().catch(() => undefined);
    this.consumer = this.newConsumer();
    try {
      await this.runConsumer();
      // Backpressure paused the old member: the new one starts paused too.
      if (this.backpressure.isPaused) this.consumer.pause([{ topic: this.deps.config.topics.sensorData }]);
    } catch (err) {
      this.deps.onFatal?.(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Holds consumption of a new assignment until its retention check is done: a committed position
   * below the log start would otherwise make kafkajs reset it to the log start, and the position, the
   * only record of where the lost span begins, would be gone. Retries until it succeeds or a newer
   * assignment or the shutdown overtakes it.
   */
  private checkAssignment(consumer: Consumer, partitions: number[]): void {
    const { config, log } = this.deps;
    const topics = [{ topic: config.topics.sensorData }];
    const assignment = ++this.assignment;
    const current = () => assignment === this.assignment && consumer === this.consumer && !this.stopping;
    this.checkingAssignment = true;
    consumer.pause(topics);
    void (async () => {
      for (let attempt = 1; current(); attempt++) {
        try {
          const toCommit = await this.retention.checkAssignment(partitions);
          if (toCommit.length > 0 && current())
            await consumer.commitOffsets(toCommit.map((c) => ({ topic: config.topics.sensorData, ...c })));
          break;
        } catch (err) {
          const delayMs = Math.min(5_000, 250 * 2 ** Math.min(attempt, 7));
          log.warn('retention check of the assignment failed; retrying', {
            attempt,
            delayMs,
            ...errorFields(err),
          });
          await sleep(delayMs);
        }
      }
      if (!current()) return;
      this.checkingAssignment = false;
      if (!this.backpressure.isPaused) consumer.resume(topics);
    })();
  }

  /** SIGTERM path: stop fetching, let in-flight starts finish and commit, then leave the group. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.backpressure.stop();
    await this.consumer.disconnect();
    await this.retention.close();
  }

  private async handleBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const { config, metrics } = this.deps;
    const { topic, partition } = batch;
    if (batch.messages.length === 0) return;
    // No per-record work beyond the offset: fingerprints only for the records that open or close a batch.
    const records: PartitionRecord[] = batch.messages.map((m) => ({
      offset: BigInt(m.offset),
      bytes: (m.key?.length ?? 0) + (m.value?.length ?? 0),
      fingerprint: () => recordFingerprint(m.timestamp, m.key, m.value),
    }));
    metrics.eventsConsumed.inc({ partition: String(partition) }, batch.messages.length);
    // A fetch past the expected offset may follow records deleted under the bridge: note them first.
    const firstOffset = BigInt(batch.firstOffset() ?? batch.messages[0]!.offset);
    const noted = await this.untilDone('check for a retention gap', isRunning, isStale, heartbeat, () =>
      this.retention.beforeBatch(partition, firstOffset),
    );
    if (noted === undefined) return;

    const covered = await this.untilDone('start batches', isRunning, isStale, heartbeat, async () => {
      const started = Date.now();
      const outcome = await startBatches(
        {
          client: this.deps.client,
          taskQueue: config.temporal.taskQueue,
          maxBatchEvents: config.maxBatchEvents,
          batchInput: {
            rules: config.rules,
            maxEventAgeMs: config.maxEventAgeMs,
            maxClockSkewMs: config.maxClockSkewMs,
          },
          beforeStart: () => this.backpressure.waitForCapacity(() => isRunning() && !isStale(), heartbeat),
          afterStart: () => this.backpressure.settle(),
        },
        topic,
        partition,
        records,
        this.covered.get(partition) ?? -1n,
        (_range, _events, workflowId) => {
          metrics.batchesStarted.inc();
          this.backpressure.noteStarted(workflowId);
        },
      );
      if (outcome.started > 0) metrics.startLatency.observe((Date.now() - started) / 1000 / outcome.started);
      if (outcome.collided > 0) {
        metrics.batchStartDuplicates.inc(outcome.collided);
        this.deps.log.info('batch start collided with an existing run; continued after it', {
          partition,
          collided: outcome.collided,
        });
      }
      return outcome.coveredThrough;
    });
    if (covered === undefined || covered < BigInt(batch.firstOffset() ?? '0')) return;
    this.covered.set(partition, covered);
    await this.deps.beforeCommit?.(partition);
    // Only what is covered: records left unstarted (shutdown or rebalance while waiting) are refetched.
    resolveOffset(covered < BigInt(batch.lastOffset()) ? covered.toString() : batch.lastOffset());
    await this.consumer.commitOffsets([{ topic, partition, offset: (covered + 1n).toString() }]);
    this.retention.committed(partition, covered + 1n);
    metrics.consumerLag.set(
      { partition: String(partition) },
      Math.max(0, Number(BigInt(batch.highWatermark) - covered - 1n)),
    );
    await heartbeat();
  }

  /**
   * Retries `fn` with backoff until it succeeds: a dead Temporal or broker means waiting, never
   * dropping. Gives up (undefined, nothing committed) only when the consumer stops or loses the partition.
   */
  private async untilDone<T>(
    what: string,
    isRunning: () => boolean,
    isStale: () => boolean,
    heartbeat: () => Promise<void>,
    fn: () => Promise<T>,
  ): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      // A send to a dead broker waits inside the producer (it retries without limit, so that it never
      // writes twice): keep the group membership alive meanwhile.
      const beat = setInterval(() => void heartbeat().catch(() => undefined), this.heartbeatMs);
      try {
        return await fn();
      } catch (err) {
        if (!isRunning() || isStale()) return undefined;
        // At most 5 s apart, as the workers' activities: a dependency that is back is used at once.
        const delay = Math.min(5_000, 250 * 2 ** Math.min(attempt, 7));
        this.deps.log.warn(`${what} failed; retrying`, { attempt, delayMs: delay, ...errorFields(err) });
        // kafkajs heartbeats only when asked: a backoff longer than the session timeout (then 30 s) got this
        // member evicted during a 60 s Postgres outage, and its commit then crashed the consumer for
        // good (found by the chaos run). Heartbeat through the wait instead.
        for (let waited = 0; waited < delay; waited += this.heartbeatMs) {
          await heartbeat().catch(() => undefined);
          await sleep(Math.min(this.heartbeatMs, delay - waited));
        }
      } finally {
        clearInterval(beat);
      }
    }
  }
}
