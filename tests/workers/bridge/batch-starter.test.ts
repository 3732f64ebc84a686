/**
 * Invariant 1 against a real Temporal server: a refetch with other boundaries than the run already
 * started continues after that run, so every offset belongs to exactly one batch workflow.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBatches, type PartitionRecord } from '../../../workers/bridge/batch-starter.js';
import { recordFingerprint } from '../../../workers/lib/record-fingerprint.js';
import { DEFAULT_ALERT_RULES } from '../../../workers/shared/alert-rules.js';
import {
  BATCH_MEMO_LAST_OFFSET,
  WORKFLOW_TYPES,
  batchWorkflowId,
  type ProcessSensorBatchInput,
} from '../../../workers/shared/temporal.js';
import { stack, testTemporal, uniqueId } from '../../../local/testing/test-stack.js';

const id = uniqueId('starter');
const topic = `${id}.sensor-data`;
let temporal: Awaited<ReturnType<typeof testTemporal>>;

before(async () => {
  temporal = await testTemporal(await stack());
});

after(async () => {
  // No worker polls this queue: end the runs so they do not linger until retention.
  for await (const wf of temporal.client.workflow.list({
    query: `TaskQueue = '${id}-queue' AND ExecutionStatus = 'Running'`,
  })) {
    await temporal.client.workflow.getHandle(wf.workflowId).terminate('test cleanup');
  }
  await temporal.close();
});

/** Records of one topic incarnation: the same fingerprint for the same offset on every (re)fetch. */
function records(from: number, to: number, incarnation = 'r'): PartitionRecord[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    offset: BigInt(from + i),
    fingerprint: () => `${incarnation}-${from + i}`,
  }));
}

function options(maxBatchEvents: number) {
  return {
    client: temporal.client,
    taskQueue: `${id}-queue`,
    maxBatchEvents,
    batchInput: { rules: DEFAULT_ALERT_RULES, maxEventAgeMs: 3600_000, maxClockSkewMs: 60_000 },
  };
}

async function coverage(partition: number): Promise<[number, number][]> {
  const ranges: [number, number][] = [];
  for await (const wf of temporal.client.workflow.list({ query: `TaskQueue = '${id}-queue'` })) {
    const [, , p, first] = wf.workflowId.split(':');
    if (Number(p) !== partition) continue;
    ranges.push([Number(first), Number(wf.memo?.[BATCH_MEMO_LAST_OFFSET])]);
  }
  return ranges.sort((a, b) => a[0] - b[0]);
}

test('a refetch that extends past an existing run collides, then continues right after it', async () => {
  const first = await startBatches(options(100), topic, 0, records(0, 9), -1n);
  assert.deepEqual([first.started, first.collided, first.coveredThrough], [1, 0, 9n]);

  // Crash before commit: the refetch starts at offset 0 again but brings more records.
  const refetch = await startBatches(options(100), topic, 0, records(0, 19), -1n);
  assert.deepEqual([refetch.started, refetch.collided, refetch.coveredThrough], [1, 1, 19n]);

  // A smaller refetch (other fetch size, or another bridge after a rebalance) starts nothing.
  const smaller = await startBatches(options(100), topic, 0, records(0, 4), -1n);
  assert.deepEqual([smaller.started, smaller.collided, smaller.coveredThrough], [0, 1, 9n]);

  // With another batch size the chain still walks the existing boundaries.
  const other = await startBatches(options(4), topic, 0, records(0, 29), -1n);
  assert.equal(other.coveredThrough, 29n);
  assert.equal(other.collided, 2);

  await assertExactCover(0, 29);
});

test('two bridges racing on one partition with different boundaries never overlap', async () => {
  const partition = 1;
  const a = startBatches(options(5), topic, partition, records(0, 40), -1n);
  const b = startBatches(options(8), topic, partition, records(0, 40), -1n);
  const [ra, rb] = await Promise.all([a, b]);
  assert.equal(ra.coveredThrough, 40n);
  assert.equal(rb.coveredThrough, 40n);
  await assertExactCover(partition, 40);
});

test('a topic that starts over under old runs gets runs of its own: no record is skipped (finding 6)', async () => {
  const partition = 2;
  // Each incarnation of the topic has other records at the same offsets: other fingerprints.
  const incarnation = (name: string, to: number): PartitionRecord[] => records(0, to, name);
  const old = await startBatches(options(100), topic, partition, incarnation('old', 9), -1n);
  assert.deepEqual([old.started, old.collided, old.coveredThrough], [1, 0, 9n]);

  // The topic was recreated (or a lone broker lost unflushed data): offsets 0..14 hold new records
  // while Temporal still keeps the run for the old 0..9. Trusting it would skip the new 0..9.
  const fresh = await startBatches(options(100), topic, partition, incarnation('new', 14), -1n);
  assert.deepEqual([fresh.started, fresh.collided, fresh.coveredThrough], [1, 0, 14n]);
  const run = await temporal.client.workflow
    .getHandle(batchWorkflowId(topic, partition, '0', 'new-0'))
    .describe();
  assert.equal(
    run.memo?.[BATCH_MEMO_LAST_OFFSET],
    '14',
    'the new incarnation has its own run, named by its record',
  );

  // Redeliveries of either incarnation still collide with their own run and start nothing.
  const again = await startBatches(options(100), topic, partition, incarnation('new', 14), -1n);
  assert.deepEqual([again.started, again.collided, again.coveredThrough], [0, 1, 14n]);
  const oldAgain = await startBatches(options(100), topic, partition, incarnation('old', 9), -1n);
  assert.deepEqual([oldAgain.started, oldAgain.collided, oldAgain.coveredThrough], [0, 1, 9n]);
});

test('a run from before fingerprints does not hide a fingerprinted record at its offset', async () => {
  const partition = 3;
  // What an older bridge left: a run for offsets 0..9 whose memo names no first record.
  const legacyInput = {
    range: { topic, partition, firstOffset: '0', lastOffset: '9' },
    claim: { records: 10, firstRecord: 'unknown', lastRecord: 'unknown' },
    rules: DEFAULT_ALERT_RULES,
    maxEventAgeMs: 3600_000,
    maxClockSkewMs: 60_000,
  } satisfies ProcessSensorBatchInput;
  await temporal.client.workflow.start(WORKFLOW_TYPES.processSensorBatch, {
    workflowId: batchWorkflowId(topic, partition, '0'),
    taskQueue: `${id}-queue`,
    args: [legacyInput],
    memo: { [BATCH_MEMO_LAST_OFFSET]: '9' },
  });
  const next = await startBatches(options(100), topic, partition, records(0, 9, 'p'), -1n);
  assert.deepEqual([next.started, next.collided, next.coveredThrough], [1, 0, 9n]);
  const again = await startBatches(options(100), topic, partition, records(0, 9, 'p'), -1n);
  assert.deepEqual([again.started, again.collided], [0, 1], 'its redelivery collides with its own run');
});

test('the fingerprint is of the record: equal for a redelivery, different for another record', () => {
  const at = (ts: string, value: string) => recordFingerprint(ts, Buffer.from('dev-1'), Buffer.from(value));
  assert.equal(at('1700000000000', '{"a":1}'), at('1700000000000', '{"a":1}'));
  assert.notEqual(at('1700000000000', '{"a":1}'), at('1700000000001', '{"a":1}'));
  assert.notEqual(at('1700000000000', '{"a":1}'), at('1700000000000', '{"a":2}'));
  assert.notEqual(
    recordFingerprint('1', Buffer.from('ab'), Buffer.from('c')),
    recordFingerprint('1', Buffer.from('a'), Buffer.from('bc')),
  );
});

/** Visibility is eventually consistent: retry the check for a few seconds before failing. */
async function assertExactCover(partition: number, last: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return checkExactCover(await coverage(partition), last);
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function checkExactCover(ranges: [number, number][], last: number): void {
  let next = 0;
  for (const [first, end] of ranges) {
    assert.equal(first, next, `ranges ${JSON.stringify(ranges)} must be contiguous without overlap`);
    assert.ok(end >= first);
    next = end + 1;
  }
  assert.equal(next, last + 1, `ranges ${JSON.stringify(ranges)} must cover 0..${last}`);
}
