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
 * differ, the new records get a run of their own, whose ID names the fingerprint.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import {
  BATCH_MEMO_FIRST_RECORD,
  BATCH_MEMO_LAST_OFFSET,
  WORKFLOW_TYPES,
  batchWorkflowId,
  type BatchRange,
  type ProcessSensorBatchInput,
} from '../shared/temporal.js';

/**
 * A record of the partition as the bridge sees it: its offset and, for the records that open or
 * close a batch, its fingerprint (workers/lib/record-fingerprint.ts). The bridge never parses values:
 * the worker reads and validates the range (claim check, decision 0008).
 */
export interface PartitionRecord {
  readonly offset: bigint;
  /** Key and value bytes: a batch is bounded by bytes too, since the worker holds its records. */
  readonly bytes?: number;
  /** Computed on demand: only a batch's first and last record need one. */
  readonly fingerprint: () => string;
}

/**
 * The worker holds a batch's records while it processes them: 8 MiB is ~35,000 readings, far above
 * maxBatchEvents, so only a flood of large (invalid) values ever ends a batch by bytes.
 */
export const DEFAULT_MAX_BATCH_BYTES = 8 * 1024 * 1024;

export interface BatchStarterOptions {
  readonly client: Client;
  readonly taskQueue: string;
  /** Records per batch workflow, at most. */
  readonly maxBatchEvents: number;
  /** Key and value bytes per batch workflow, at most (a single larger record is a batch of its own). */
  readonly maxBatchBytes?: number;
  readonly batchInput: Omit<ProcessSensorBatchInput, 'range' | 'claim'>;
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
): Promise<StartResult> {
  const { topic, partition, firstOffset, lastOffset } = input.range;
  const fingerprint = input.claim.firstRecord;
  const incarnationId = batchWorkflowId(topic, partition, firstOffset, fingerprint);
  let workflowId = batchWorkflowId(topic, partition, firstOffset);
  for (;;) {
    try {
      await opts.client.workflow.start(WORKFLOW_TYPES.processSensorBatch, {
        workflowId,
        taskQueue: opts.taskQueue,
        args: [input],
        memo: { [BATCH_MEMO_LAST_OFFSET]: lastOffset, [BATCH_MEMO_FIRST_RECORD]: fingerprint },
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
      const otherRecord = existing.firstRecord !== fingerprint;
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
    const maxBytes = opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    let end = i;
    for (let bytes = 0; end < records.length && end - i < opts.maxBatchEvents; end++) {
      bytes += records[end]!.bytes ?? 0;
      if (bytes > maxBytes && end > i) break;
    }
    const first = records[i]!;
    const last = records[end - 1]!;
    const range: BatchRange = {
      topic,
      partition,
      firstOffset: first.offset.toString(),
      lastOffset: last.offset.toString(),
    };
    const input: ProcessSensorBatchInput = {
      ...opts.batchInput,
      range,
      claim: { records: end - i, firstRecord: first.fingerprint(), lastRecord: last.fingerprint() },
    };
    if (opts.beforeStart && !(await opts.beforeStart())) break;
    try {
      const result = await startOrFindCover(opts, input);
      if (result.started) {
        started++;
        covered = BigInt(range.lastOffset);
        onStarted?.(range, input.claim.records, result.workflowId);
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
