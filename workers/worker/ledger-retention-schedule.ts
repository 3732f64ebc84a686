/**
 * Keeps the Temporal Schedule that prunes the ledger in line with this worker's configuration: created
 * when missing, updated when it differs (every worker pod does this at start; the last one wins, and
 * they all carry the same configuration). Decision 0007.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LedgerRetention } from '../config.js';
import type { Logger } from '../lib/logger.js';
import { ledgerRetentionScheduleId, WORKFLOW_TYPES, type PruneLedgerInput } from '../shared/temporal.js';

/** Rows per DELETE: a few MB of index entries, well under a second on a loaded primary. */
export const PRUNE_CHUNK_ROWS = 10_000;
/** 2,000 chunks = 20M rows per run, ~3 h of prod's planned rate: each hourly run keeps up. */
export const PRUNE_MAX_CHUNKS = 2_000;

export async function ensureLedgerRetentionSchedule(
  client: Client,
  taskQueue: string,
  retention: LedgerRetention,
  log: Logger,
): Promise<void> {
  const scheduleId = ledgerRetentionScheduleId(taskQueue);
  const input: PruneLedgerInput = {
    retentionMs: retention.retentionMs,
    auditRetentionMs: retention.auditRetentionMs,
    chunkRows: PRUNE_CHUNK_ROWS,
    maxChunks: PRUNE_MAX_CHUNKS,
  };
  const options = {
    spec: { intervals: [{ every: retention.intervalMs }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: WORKFLOW_TYPES.pruneLedger,
      workflowId: scheduleId,
      taskQueue,
      args: [input],
      // A run that outlives its interval is cut off; the next one continues (SKIP prevents overlap).
      workflowRunTimeout: retention.intervalMs,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: retention.intervalMs },
  };
  try {
    await client.schedule.create({ scheduleId, ...options });
    log.info('ledger retention schedule created', { scheduleId, retentionMs: retention.retentionMs });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...options, state: previous.state }));
    log.info('ledger retention schedule updated', { scheduleId, retentionMs: retention.retentionMs });
  }
}

/** Pause between attempts while the schedule cannot be written (Temporal down, no permission yet). */
const RETRY_MS = 60_000;

/**
 * Ensures the schedule in the background until it succeeds: pruning is housekeeping, so a Temporal
 * that refuses the schedule must not keep the worker from processing events. Resolves when done or
 * when `signal` aborts (worker shutdown).
 */
export async function keepLedgerRetentionSchedule(
  client: Client,
  taskQueue: string,
  retention: LedgerRetention,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await ensureLedgerRetentionSchedule(client, taskQueue, retention, log);
      return;
    } catch (err) {
      log.warn('ledger retention schedule not written; retrying in a minute', {
        error: (err as Error).message,
      });
      await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
    }
  }
}
