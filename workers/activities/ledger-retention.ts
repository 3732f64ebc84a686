/**
 * Pruning of the processed_events ledger (decision 0007): deletes, oldest first, rows processed longer
 * ago than the retention, one bounded chunk per call so that no statement holds locks or bloats WAL
 * for long. The cutoff is taken from the database's clock, the same clock that stamped processed_at.
 */
import type { Pool } from 'pg';
import type { PruneLedgerChunkInput } from './types.js';

const PRUNE_SQL = `
DELETE FROM processed_events
WHERE event_id IN (
  SELECT event_id FROM processed_events
  WHERE processed_at < clock_timestamp() - make_interval(secs => $1::float8 / 1000)
  ORDER BY processed_at
  LIMIT $2
)`;

/** Deletes up to `maxRows` expired rows; returns how many it deleted (fewer than `maxRows`: none are left). */
export async function pruneLedgerChunk(pool: Pool, input: PruneLedgerChunkInput): Promise<number> {
  const result = await pool.query(PRUNE_SQL, [input.retentionMs, input.maxRows]);
  return result.rowCount ?? 0;
}
