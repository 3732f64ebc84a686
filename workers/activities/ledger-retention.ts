/**
 * Pruning of the processed_events ledger and its batch records (decision 0007): deletes, oldest first,
 * rows older than the retention, one bounded chunk per table and call, so that no statement holds
 * locks or bloats WAL for long. The cutoff is taken from the database's clock, the clock that stamped
 * processed_at and applied_at.
 */
import type { Pool } from 'pg';
import type { PruneLedgerChunkInput, PruneLedgerChunkResult } from '../shared/activity-contract.js';

const PRUNE_LEDGER_SQL = `
DELETE FROM processed_events
WHERE (device_id, event_id) IN (
  SELECT device_id, event_id FROM processed_events
  WHERE processed_at < clock_timestamp() - make_interval(secs => $1::float8 / 1000)
  ORDER BY processed_at
  LIMIT $2
)`;

const PRUNE_BATCHES_SQL = `
DELETE FROM batches
WHERE batch_id IN (
  SELECT batch_id FROM batches
  WHERE applied_at < clock_timestamp() - make_interval(secs => $1::float8 / 1000)
  ORDER BY applied_at
  LIMIT $2
)`;

/** Deletes up to `maxRows` expired rows of each table; fewer than `maxRows` means none are left there. */
export async function pruneLedgerChunk(
  pool: Pool,
  input: PruneLedgerChunkInput,
): Promise<PruneLedgerChunkResult> {
  const params = [input.retentionMs, input.maxRows];
  const ledger = await pool.query(PRUNE_LEDGER_SQL, params);
  const batches = await pool.query(PRUNE_BATCHES_SQL, params);
  return { ledgerRows: ledger.rowCount ?? 0, batchRows: batches.rowCount ?? 0 };
}
