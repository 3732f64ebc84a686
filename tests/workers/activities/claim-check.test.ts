/**
 * The claim check's verdicts (decision 0008) on ranges as the reader returns them: the log may have
 * lost the range, replaced it, or lost records inside it; only the exact claimed records pass.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkClaim } from '../../../workers/activities/claim-check.js';
import type { RangeRead, RangeRecord } from '../../../workers/lib/kafka-range-reader.js';
import { recordFingerprint } from '../../../workers/lib/record-fingerprint.js';
import type { BatchClaim, BatchRange } from '../../../workers/shared/temporal.js';

const range: BatchRange = { topic: 'sensor-data', partition: 2, firstOffset: '100', lastOffset: '104' };

function record(offset: number, value = `v${offset}`): RangeRecord {
  return {
    offset: String(offset),
    timestamp: '1700000000000',
    key: Buffer.from('k'),
    value: Buffer.from(value),
    headers: {},
  };
}
const print = (r: RangeRecord) => recordFingerprint(r.timestamp, r.key, r.value);
const onLog = [100, 101, 102, 103, 104].map((o) => record(o));
const claim: BatchClaim = { records: 5, firstRecord: print(onLog[0]!), lastRecord: print(onLog[4]!) };
const read = (records: RangeRecord[], extra: Partial<RangeRead> = {}): RangeRead => ({
  records,
  logStartOffset: 0n,
  highWatermark: 200n,
  outOfRange: false,
  decoded: records.length,
  ...extra,
});

test('the claimed records, all there: no problem', () => {
  assert.equal(checkClaim(range, claim, read(onLog)), undefined);
});

test('offsets no longer on the log: range-expired', () => {
  assert.equal(checkClaim(range, claim, read([], { outOfRange: true }))?.reason, 'range-expired');
  const trimmed = read(onLog.slice(3), { logStartOffset: 103n });
  assert.equal(
    checkClaim(range, claim, trimmed)?.reason,
    'range-expired',
    'retention deleted the first part',
  );
});

test('other records at the offsets: range-replaced', () => {
  const other = [100, 101, 102, 103, 104].map((o) => record(o, `other-${o}`));
  assert.equal(checkClaim(range, claim, read(other))?.reason, 'range-replaced', 'a recreated topic');
  const newTail = [...onLog.slice(0, 4), record(104, 'rewritten')];
  assert.equal(
    checkClaim(range, claim, read(newTail))?.reason,
    'range-replaced',
    'a truncated and rewritten tail',
  );
  assert.equal(
    checkClaim(range, claim, read([]))?.reason,
    'range-replaced',
    'an empty log where records were',
  );
});

test('records gone inside the range: records-missing', () => {
  const compacted = onLog.filter((r) => r.offset !== '102');
  const verdict = checkClaim(range, claim, read(compacted));
  assert.equal(verdict?.reason, 'records-missing');
  assert.match(verdict!.detail, /4 records on the log, the bridge saw 5/);
  assert.equal(checkClaim(range, claim, read(onLog.slice(0, 3)))?.reason, 'records-missing', 'a lost tail');
});
