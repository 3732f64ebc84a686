/**
 * Kafka → Temporal, exactly once (invariant 1): hands one partition's records to batch workflows so
 * that every offset is covered by exactly one workflow. IDs come from the first offset; a start that
 * collides means an earlier attempt (this process before a crash, or another bridge before a
 * rebalance) already covers a range starting here, possibly with other boundaries. The bridge reads
 * that run's last offset from its memo and continues right after it, never inside it.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { IngestedEvent } from '../shared/events.js';
import {
  BATCH_MEMO_LAST_OFFSET,
  WORKFLOW_TYPES,
  batchWorkflowId,
  type BatchRange,
  type ProcessSensorBatchInput,
} from '../shared/temporal.js';

/** A record of the partition after parsing: valid (with its event) or already dead-lettered. */
export interface PartitionRecord {
  readonly offset: bigint;
  readonly event?: IngestedEvent;
}

export interface BatchStarterOptions {
  readonly client: Client;
  readonly taskQueue: string;
  readonly maxBatchEvents: number;
  readonly batchInput: Omit<ProcessSensorBatchInput, 'range' | 'events' | 'deadLettered'>;
  /** Awaited before each start (backpressure); resolving false abandons the rest (nothing committed). */
  readonly beforeStart?: () => Promise<boolean>;
  /** Called once each start attempt that beforeStart let through is over, whatever its outcome. */
  readonly afterStart?: () => void;
}

export interface StartOutcome {
  /** Highest offset now covered by a batch workflow (ours or an earlier one). */
  readonly coveredThrough: bigint;
  readonly started: number;
  /** Starts that collided with an existing run (a redelivery after a crash or rebalance). */
  readonly collided: number;
}

/** Reads the last offset that an existing batch workflow covers, from its memo. */
export async function existingRunCoverage(client: Client, workflowId: string): Promise<bigint> {
  const description = await client.workflow.getHandle(workflowId).describe();
  const last = description.memo?.[BATCH_MEMO_LAST_OFFSET];
  if (typeof last !== 'string' || !/^\d+$/.test(last)) {
    throw new Error(
      `batch workflow ${workflowId} has no valid memo.${BATCH_MEMO_LAST_OFFSET} (${JSON.stringify(last)})`,
    );
  }
  return BigInt(last);
}

/**
 * Starts batch workflows for `records` (ascending offsets of one partition), skipping everything at or
 * below `coveredThrough`. Resolves once every record is covered; the caller may then commit.
 */
export async function startBatches(
  opts: BatchStarterOptions,
  topic: string,
  partition: number,
  records: readonly PartitionRecord[],
  coveredThrough: bigint,
  onStarted?: (range: BatchRange, events: number) => void,
): Promise<StartOutcome> {
  let covered = coveredThrough;
  let started = 0;
  let collided = 0;
  let i = 0;
  for (;;) {
    while (i < records.length && records[i]!.offset <= covered) i++;
    if (i >= records.length) break;
    // A chunk spans records (valid or dead-lettered) up to maxBatchEvents valid events.
    let end = i;
    let valid = 0;
    while (end < records.length && (valid < opts.maxBatchEvents || !records[end]!.event)) {
      if (records[end]!.event) valid++;
      end++;
    }
    const chunk = records.slice(i, end);
    const range: BatchRange = {
      topic,
      partition,
      firstOffset: chunk[0]!.offset.toString(),
      lastOffset: chunk[chunk.length - 1]!.offset.toString(),
    };
    const events = chunk.flatMap((r) => (r.event ? [r.event] : []));
    const workflowId = batchWorkflowId(topic, partition, range.firstOffset);
    const input: ProcessSensorBatchInput = {
      ...opts.batchInput,
      range,
      events,
      deadLettered: chunk.length - events.length,
    };
    if (opts.beforeStart && !(await opts.beforeStart())) break;
    try {
      await opts.client.workflow.start(WORKFLOW_TYPES.processSensorBatch, {
        workflowId,
        taskQueue: opts.taskQueue,
        args: [input],
        memo: { [BATCH_MEMO_LAST_OFFSET]: range.lastOffset },
        // Never a second run for the same first offset, whether the first is running or closed.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
      });
      started++;
      covered = BigInt(range.lastOffset);
      onStarted?.(range, events.length);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      collided++;
      covered = await existingRunCoverage(opts.client, workflowId);
    } finally {
      opts.afterStart?.();
    }
  }
  return { coveredThrough: covered, started, collided };
}
