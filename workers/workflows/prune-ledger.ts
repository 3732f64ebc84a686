/**
 * Ledger retention, started by the Temporal Schedule that the worker keeps
 * (workers/worker/ledger-retention-schedule.ts): keeps the ledger's day partitions ready ahead and
 * drops those past the retention, then deletes the expired rows of the default partition and of
 * batches in chunks. A regular activity per step, retried on failure; a crash resumes at the next
 * step. Decisions 0007 and 0116.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { SensorActivities } from '../shared/activity-contract.js';
import type { PruneLedgerInput, PruneLedgerResult } from '../shared/temporal.js';

const { pruneLedgerChunk, maintainLedgerPartitions } = proxyActivities<SensorActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** Runs recorded before the ledger was partitioned replay without the partitions step. */
const LEDGER_PARTITIONS_PATCH = 'ledger-partitions';

export async function pruneLedger(input: PruneLedgerInput): Promise<PruneLedgerResult> {
  let partitions = { created: 0, dropped: 0 };
  const partitioned = patched(LEDGER_PARTITIONS_PATCH);
  if (partitioned) partitions = await maintainLedgerPartitions({ retentionMs: input.retentionMs });
  const counts = partitioned
    ? { partitionsCreated: partitions.created, partitionsDropped: partitions.dropped }
    : {};
  let deleted = 0;
  let batchesDeleted = 0;
  for (let chunk = 0; chunk < input.maxChunks; chunk++) {
    const n = await pruneLedgerChunk({
      retentionMs: input.retentionMs,
      auditRetentionMs: input.auditRetentionMs,
      maxRows: input.chunkRows,
    });
    deleted += n.ledgerRows;
    batchesDeleted += n.batchRows;
    if (n.ledgerRows < input.chunkRows && n.batchRows < input.chunkRows) {
      return { deleted, batchesDeleted, complete: true, ...counts };
    }
  }
  return { deleted, batchesDeleted, complete: false, ...counts };
}
