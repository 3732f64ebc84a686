/**
 * Does the log still hold what the bridge claimed for a batch (decision 0008)? Pure: compares the
 * range as read now with the claim made when the bridge fetched it. Each answer but "yes" is a
 * failure mode the claim check opens, parked with its reason, never skipped.
 */
import { recordFingerprint } from '../lib/record-fingerprint.js';
import type { RangeRead } from '../lib/kafka-range-reader.js';
import type { BatchClaim, BatchRange, ParkReason } from '../shared/temporal.js';

export interface ClaimProblem {
  readonly reason: Extract<ParkReason, 'range-expired' | 'range-replaced' | 'records-missing'>;
  readonly detail: string;
}

export function checkClaim(range: BatchRange, claim: BatchClaim, read: RangeRead): ClaimProblem | undefined {
  const span = `${range.topic}/${range.partition} offsets ${range.firstOffset}-${range.lastOffset}`;
  // The reader waits for a log that ends short of the range (a leader change): say so when it did.
  const waited = read.waitedMs
    ? ` after waiting ${(read.waitedMs / 1000).toFixed(1)} s for the log to reach it`
    : '';
  if (read.outOfRange || (read.logStartOffset >= 0n && read.logStartOffset > BigInt(range.firstOffset)))
    return {
      reason: 'range-expired',
      detail: `${span} are no longer on the log (log start ${read.logStartOffset >= 0n ? read.logStartOffset : 'past them'}): retention deleted them before the batch ran`,
    };
  const first = read.records[0];
  const last = read.records[read.records.length - 1];
  const fingerprint = (r: typeof first) => (r ? recordFingerprint(r.timestamp, r.key, r.value) : undefined);
  if (!first || fingerprint(first) !== claim.firstRecord || first.offset !== range.firstOffset)
    return {
      reason: 'range-replaced',
      detail: `${span}: the first record is not the one the bridge saw (the topic was recreated or truncated)`,
    };
  if (fingerprint(last) !== claim.lastRecord || last!.offset !== range.lastOffset) {
    return read.records.length < claim.records
      ? {
          reason: 'records-missing',
          detail: `${span}: ${read.records.length} of ${claim.records} records are on the log; the last one is gone${waited}`,
        }
      : {
          reason: 'range-replaced',
          detail: `${span}: the last record is not the one the bridge saw (the topic was recreated or truncated)`,
        };
  }
  if (read.records.length !== claim.records)
    return {
      reason: read.records.length < claim.records ? 'records-missing' : 'range-replaced',
      detail: `${span}: ${read.records.length} records on the log, the bridge saw ${claim.records} (compaction, or records replaced)`,
    };
  return undefined;
}
