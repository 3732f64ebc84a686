/**
 * Retention of the processed_events ledger and its batch records (decisions 0007, 0116, 0117). The
 * ledger is partitioned by event time, a span of days per partition: retention drops a partition
 * once all its days are older than the ledger's retention (the duplicate window), and keeps
 * partitions ready a few days ahead. Rows that reached the default partition (a day that had no
 * partition yet) are deleted after the same retention, batch records after the audit retention,
 * oldest first, one bounded chunk per table and call, so that no statement holds locks or bloats
 * WAL for long. Cutoffs are taken from the database's clock. Partition DDL runs in the owner's
 * functions (migration 006): the worker's role has no DDL right of its own (decision 0113).
 */
import type { Pool } from 'pg';
import type {
  LedgerPartitionsInput,
  LedgerPartitionsResult,
  PruneLedgerChunkInput,
  PruneLedgerChunkResult,
} from '../shared/activity-contract.js';
import { LEDGER_PARTITION_DAYS_AHEAD, ledgerPartitionDays } from '../shared/ledger-partitions.js';

const ENSURE_PARTITIONS_SQL = `
SELECT ledger_ensure_partitions((now() AT TIME ZONE 'UTC')::date, (now() AT TIME ZONE 'UTC')::date + $1::int, $2::int) AS n`;

const DROP_PARTITIONS_SQL = `
SELECT ledger_drop_partitions(clock_timestamp() - make_interval(secs => $1::float8 / 1000)) AS n`;

const PRUNE_DEFAULT_PARTITION_SQL = `
DELETE FROM processed_events_default
WHERE ctid IN (
  SELECT ctid FROM processed_events_default
  WHERE event_time < clock_timestamp() - make_interval(secs => $1::float8 / 1000)
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

/**
 * Creates the partitions of today and the days ahead, of the span the retention sizes (or the one
 * given), and drops those past the retention.
 */
export async function maintainLedgerPartitions(
  pool: Pool,
  input: LedgerPartitionsInput,
): Promise<LedgerPartitionsResult> {
  const span = input.spanDays ?? ledgerPartitionDays(input.retentionMs);
  const created = await pool.query<{ n: number }>(ENSURE_PARTITIONS_SQL, [LEDGER_PARTITION_DAYS_AHEAD, span]);
  const dropped = await pool.query<{ n: number }>(DROP_PARTITIONS_SQL, [input.retentionMs]);
  return { created: created.rows[0]!.n, dropped: dropped.rows[0]!.n };
}

/** Deletes up to `maxRows` expired rows of each table; fewer than `maxRows` means none are left there. */
export async function pruneLedgerChunk(
  pool: Pool,
  input: PruneLedgerChunkInput,
): Promise<PruneLedgerChunkResult> {
  const ledger = await pool.query(PRUNE_DEFAULT_PARTITION_SQL, [input.retentionMs, input.maxRows]);
  const batches = await pool.query(PRUNE_BATCHES_SQL, [
    input.auditRetentionMs ?? input.retentionMs,
    input.maxRows,
  ]);
  return { ledgerRows: ledger.rowCount ?? 0, batchRows: batches.rowCount ?? 0 };
}
