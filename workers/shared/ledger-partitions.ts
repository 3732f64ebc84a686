/**
 * How the ledger is cut into partitions (decision 0116), shared by the worker's retention and the
 * capacity model. Every apply probes each live partition for a conflicting copy of its events' ids
 * (a few µs per partition and event, BENCHMARKS.md), so the window is covered by a few partitions of
 * several days rather than by one a day: `PARTITIONS_PER_WINDOW` of them, plus the one being
 * filled and the ones ahead. A partition goes once all its days are past the retention, so up to a
 * span more than the retention is kept.
 */

const DAY_MS = 24 * 3600_000;

/** Partitions the retention window is cut into. */
export const PARTITIONS_PER_WINDOW = 2;

/** The longest span the owner's function creates (migration 006). */
export const MAX_PARTITION_DAYS = 31;

/**
 * Days ahead whose partition exists: more than a reading's clock skew and than maintenance can
 * plausibly miss (it runs every hour by default); a day without one still takes its events, in the
 * default partition.
 */
export const LEDGER_PARTITION_DAYS_AHEAD = 3;

/** Days per ledger partition for a retention of `retentionMs`. */
export function ledgerPartitionDays(retentionMs: number): number {
  const days = Math.ceil(retentionMs / DAY_MS / PARTITIONS_PER_WINDOW);
  return Math.min(MAX_PARTITION_DAYS, Math.max(1, days));
}
