/**
 * Deletes expired rows of the processed_events ledger and of batches in chunks, started by the
 * Temporal Schedule that the worker keeps (workers/worker/ledger-retention-schedule.ts). A regular
 * activity per chunk: two short DELETEs, retried on failure; a crash resumes at the next chunk.
 * Decision 0007.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { SensorActivities } from '../shared/activity-contract.js';
import type { PruneLedgerInput, PruneLedgerResult } from '../shared/temporal.js';

const { pruneLedgerChunk } = proxyActivities<SensorActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export async function pruneLedger(input: PruneLedgerInput): Promise<PruneLedgerResult> {
  let deleted = 0;
  let batchesDeleted = 0;
  for (let chunk = 0; chunk < input.maxChunks; chunk++) {
    const n = await pruneLedgerChunk({ retentionMs: input.retentionMs, maxRows: input.chunkRows });
    deleted += n.ledgerRows;
    batchesDeleted += n.batchRows;
    if (n.ledgerRows < input.chunkRows && n.batchRows < input.chunkRows) {
      return { deleted, batchesDeleted, complete: true };
    }
  }
  return { deleted, batchesDeleted, complete: false };
}
