/**
 * Kafka → Temporal, exactly once (invariant 1): hands one partition's records to batch workflows so
 * that every offset is covered by exactly one workflow. IDs come from the first offset; a start that
 * collides means an earlier attempt (this process before a crash, or another bridge before a
 * rebalance) already covers a range starting here, possibly with other boundaries. The bridge reads
 * that run's last offset from its memo and continues right after it, never inside it.
 *
 * A collision is only a redelivery if the run was started for the same record. If the topic was
 * recreated, or a single broker lost unflushed data, the offset holds another record while Temporal
 * still keeps the old run. Trusting that run would skip the new records, which loses them (reliability
 * finding 6). So each run's memo carries the fingerprint of its first record. When the fingerprints
 * differ, the new records get a run of their own, whose ID names the fingerprint. Records without a
 * fingerprint (re-drives from the parking topic) trust the existing run as before.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { createHash } from 'node:crypto';
import type { IngestedEvent } from '../shared/events.js';
import {
  BATCH_MEMO_FIRST_RECORD,
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
  /** Identifies the record itself, not its position (recordFingerprint); unset: not checked. */
  readonly fingerprint?: string;
}

/** A digest of a Kafka record's timestamp, key and value: equal on a redelivery, different on a new record. */
export function recordFingerprint(timestamp: string, key: Buffer | null, value: Buffer | null): string {
  const hash = createHash('sha256');
  hash.update(timestamp).update('\0');
  hash.update(key ?? '').update('\0');
  hash.update(value ?? '');
  return hash.digest('hex').slice(0, 16);
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

/** What an existing batch workflow covers, from its memo: its last offset and its first record. */
export async function existingRun(
  client: Client,
  workflowId: string,
): Promise<{ lastOffset: bigint; firstRecord?: string }> {
  const description = await client.workflow.getHandle(workflowId).describe();
  const last = description.memo?.[BATCH_MEMO_LAST_OFFSET];
  if (typeof last !== 'string' || !/^\d+$/.test(last)) {
    throw new Error(
      `batch workflow ${workflowId} has no valid memo.${BATCH_MEMO_LAST_OFFSET} (${JSON.stringify(last)})`,
    );
  }
  const first = description.memo?.[BATCH_MEMO_FIRST_RECORD];
  return { lastOffset: BigInt(last), firstRecord: typeof first === 'string' ? first : undefined };
}

type StartResult =
  | { readonly started: true; readonly workflowId: string }
  | { readonly started: false; readonly coveredThrough: bigint };

/** Starts the batch, or finds the run that already covers its first offset for the same record. */
async function startOrFindCover(
  opts: BatchStarterOptions,
  input: ProcessSensorBatchInput,
  fingerprint: string | undefined,
): Promise<StartResult> {
  const { topic, partition, firstOffset, lastOffset } = input.range;
  const incarnationId = fingerprint && batchWorkflowId(topic, partition, firstOffset, fingerprint);
  let workflowId = batchWorkflowId(topic, partition, firstOffset);
  for (;;) {
    try {
      await opts.client.workflow.start(WORKFLOW_TYPES.processSensorBatch, {
        workflowId,
        taskQueue: opts.taskQueue,
        args: [input],
        memo: {
          [BATCH_MEMO_LAST_OFFSET]: lastOffset,
          ...(fingerprint ? { [BATCH_MEMO_FIRST_RECORD]: fingerprint } : {}),
        },
        // Never a second run for the same first offset, whether the first is running or closed.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
      });
      return { started: true, workflowId };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const existing = await existingRun(opts.client, workflowId);
      // A run without a fingerprint predates them: whether it holds this record is unknown, so the
      // record gets its own run. Should it be a redelivery after all, the ledger gives its events no
      // second effect (invariants 3 and 5).
      const otherRecord = incarnationId !== undefined && existing.firstRecord !== fingerprint;
      if (otherRecord && workflowId !== incarnationId) {
        workflowId = incarnationId;
        continue;
      }
      return { started: false, coveredThrough: existing.lastOffset };
    }
  }
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
  onStarted?: (range: BatchRange, events: number, workflowId: string) => void,
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
    const input: ProcessSensorBatchInput = {
      ...opts.batchInput,
      range,
      events,
      deadLettered: chunk.length - events.length,
    };
    if (opts.beforeStart && !(await opts.beforeStart())) break;
    try {
      const result = await startOrFindCover(opts, input, chunk[0]!.fingerprint);
      if (result.started) {
        started++;
        covered = BigInt(range.lastOffset);
        onStarted?.(range, events.length, result.workflowId);
      } else {
        collided++;
        covered = result.coveredThrough;
      }
    } finally {
      opts.afterStart?.();
    }
  }
  return { coveredThrough: covered, started, collided };
}
