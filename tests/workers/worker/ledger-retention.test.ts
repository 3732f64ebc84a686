/**
 * Ledger retention (decisions 0007 and 0116) on the real Postgres and Temporal: the worker keeps a
 * Temporal Schedule in line with its configuration; a run drops the ledger's day partitions past the
 * retention and creates those ahead, deletes expired rows of the default partition and batch
 * records in chunks, and leaves the effects (device state, rollups) alone.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { applyBatchEffects } from '../../../workers/activities/batch-effects.js';
import type { ApplyBatchInput } from '../../../workers/shared/activity-contract.js';
import type { LedgerRetention } from '../../../workers/config.js';
import { createLogger } from '../../../workers/lib/logger.js';
import type { IngestedEvent } from '../../../workers/shared/events.js';
import {
  ledgerRetentionScheduleId,
  WORKFLOW_TYPES,
  type PruneLedgerInput,
  type PruneLedgerResult,
} from '../../../workers/shared/temporal.js';
import { ensureLedgerRetentionSchedule } from '../../../workers/worker/ledger-retention-schedule.js';
import { sensorData } from '../../../local/testing/events.js';
import { eventually, testTemporal, uniqueId, type TestDatabase } from '../../../local/testing/test-stack.js';
import { startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const DAY = 24 * 3600_000;
const id = uniqueId('ledger');
const taskQueue = `${id}-queue`;
const scheduleId = ledgerRetentionScheduleId(taskQueue);
// The duplicate window and the audit window apart (decision 0117): ledger rows 8 days, batch records 30.
const retention: LedgerRetention = { retentionMs: 8 * DAY, auditRetentionMs: 30 * DAY, intervalMs: 3600_000 };
const log = createLogger('test');
let db: TestDatabase;
let temporal: Awaited<ReturnType<typeof testTemporal>>;

let fixture: WorkerFixture | undefined;

before(async () => {
  fixture = await startWorkerFixture(id, { ledgerRetention: retention });
  ({ db, temporal } = fixture);
});

after(async () => {
  await temporal?.client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  await fixture?.close();
});

/** Applies `count` events of one device, stamped `ageDays` ago, as one batch recorded that long ago. */
async function processed(
  batchId: string,
  device: string,
  count: number,
  ageDays: number,
): Promise<IngestedEvent[]> {
  const stamped = Date.now() - ageDays * DAY - 60_000;
  const events: IngestedEvent[] = Array.from({ length: count }, (_, i) => ({
    ...sensorData(device, i + 1, { timestamp: stamped + i }),
    source: { partition: 0, offset: String(i) },
  }));
  assert.equal((await applyBatchEffects(db.pool, batchInput(batchId, events))).applied, count);
  await db.pool.query(
    `UPDATE batches SET applied_at = applied_at - make_interval(days => $2) WHERE batch_id = $1`,
    [batchId, ageDays],
  );
  return events;
}

function batchInput(batchId: string, events: IngestedEvent[]): ApplyBatchInput {
  return {
    batchId,
    runId: 'run-1',
    range: { topic: 't', partition: 0, firstOffset: '0', lastOffset: String(events.length - 1) },
    events,
    inBatchDuplicates: 0,
    rejected: 0,
    deadLettered: 0,
  };
}

/** The ledger partition of the UTC day `daysAgo` days before today. */
function partitionOf(daysAgo: number): string {
  const day = new Date(Date.now() - daysAgo * DAY).toISOString().slice(0, 10).replaceAll('-', '');
  return `processed_events_${day}`;
}

async function exists(relation: string): Promise<boolean> {
  const { rows } = await db.pool.query<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [relation]);
  return rows[0]!.r !== null;
}

/** The row counts of a run's result (the partition counts depend on what earlier runs left). */
const rowCounts = ({ deleted, batchesDeleted, complete }: PruneLedgerResult) => ({
  deleted,
  batchesDeleted,
  complete,
});

async function batchRows(batchId: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM batches WHERE batch_id = $1',
    [batchId],
  );
  return Number(rows[0]!.n);
}

async function ledgerRows(batchId: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM processed_events WHERE batch_id = $1',
    [batchId],
  );
  return Number(rows[0]!.n);
}

function prune(input: PruneLedgerInput): Promise<PruneLedgerResult> {
  return temporal.client.workflow.execute(WORKFLOW_TYPES.pruneLedger, {
    workflowId: `${id}-prune-${Math.random().toString(36).slice(2)}`,
    taskQueue,
    args: [input],
  });
}

void test('the worker creates the schedule from its configuration and updates it when that changes', async () => {
  const handle = temporal.client.schedule.getHandle(scheduleId);
  // The worker writes it in the background, so that it never holds up processing.
  await eventually('the worker wrote the schedule', () =>
    handle.describe().then(
      () => true,
      () => false,
    ),
  );
  const described = await handle.describe();
  assert.equal(described.action.workflowType, WORKFLOW_TYPES.pruneLedger);
  assert.equal(described.action.taskQueue, taskQueue);
  assert.equal((described.action.args?.[0] as PruneLedgerInput).retentionMs, 8 * DAY);
  assert.equal((described.action.args?.[0] as PruneLedgerInput).auditRetentionMs, 30 * DAY);
  assert.equal(described.spec.intervals?.[0]?.every, 3600_000);

  // A rollout with another retention: the next worker to start brings the schedule in line.
  await ensureLedgerRetentionSchedule(
    temporal.client,
    taskQueue,
    { ...retention, retentionMs: 9 * DAY },
    log,
  );
  const updated = await handle.describe();
  assert.equal((updated.action.args?.[0] as PruneLedgerInput).retentionMs, 9 * DAY);
  await ensureLedgerRetentionSchedule(temporal.client, taskQueue, retention, log);
});

void test("a run deletes the default partition's expired rows and batch records in chunks, and stops at maxChunks", async () => {
  // Days with no partition (before today, on a database migrated today): their rows are in the default.
  await processed('chunks-old', `${id}-c`, 5, 10);
  await processed('chunks-young', `${id}-c2`, 3, 1);
  const partial = await prune({ retentionMs: 8 * DAY, chunkRows: 2, maxChunks: 1 });
  assert.deepEqual(rowCounts(partial), { deleted: 2, batchesDeleted: 1, complete: false });
  const rest = await prune({ retentionMs: 8 * DAY, chunkRows: 2, maxChunks: 10 });
  assert.deepEqual(
    rowCounts(rest),
    { deleted: 3, batchesDeleted: 0, complete: true },
    'the next run continues where the last stopped',
  );
  assert.equal(await ledgerRows('chunks-old'), 0);
  assert.equal(await batchRows('chunks-old'), 0, 'the batch record goes with its ledger rows');
  assert.equal(await ledgerRows('chunks-young'), 3, 'rows within the retention stay');
  assert.equal(await batchRows('chunks-young'), 1);
});

void test('a scheduled run prunes the ledger after the duplicate window and batch records after the audit window: device state and rollups stay', async () => {
  const device = `${id}-s`;
  await processed('scheduled-old', device, 4, 9);
  await processed('scheduled-young', `${id}-s2`, 2, 7);
  await processed('scheduled-ancient', `${id}-s3`, 1, 31);
  await temporal.client.schedule.getHandle(scheduleId).trigger();
  await eventually(
    'the scheduled run deleted the expired rows',
    async () => (await ledgerRows('scheduled-old')) === 0 && (await batchRows('scheduled-ancient')) === 0,
  );
  assert.equal(await ledgerRows('scheduled-young'), 2, '7 days < the 8-day retention');
  assert.equal(
    await batchRows('scheduled-old'),
    1,
    '9 days: past the duplicate window, inside the audit window',
  );
  assert.equal(await batchRows('scheduled-young'), 1);
  assert.equal(await ledgerRows('scheduled-ancient'), 0);
  const state = await db.pool.query('SELECT 1 FROM device_state WHERE device_id = $1', [device]);
  assert.equal(state.rowCount, 1);
  const rollups = await db.pool.query<{ n: string }>(
    'SELECT sum(count) AS n FROM metric_rollups_minute WHERE device_id = $1',
    [device],
  );
  assert.equal(Number(rollups.rows[0]!.n), 4);
});

void test('a run drops the days past the retention, keeps the window, and a re-send inside it is still a duplicate', async () => {
  // Partitions for the last 12 days, as a worker running since then would have made them ahead.
  await db.pool.query(
    "SELECT ledger_ensure_partitions((now() AT TIME ZONE 'UTC')::date - 12, (now() AT TIME ZONE 'UTC')::date - 1)",
  );
  const device = `${id}-d`;
  await processed('drop-old', device, 3, 11);
  const kept = await processed('drop-kept', `${id}-k`, 2, 3);
  assert.ok(await exists(partitionOf(11)));
  const result = await prune({ retentionMs: 8 * DAY, chunkRows: 100, maxChunks: 5 });
  assert.ok(
    (result.partitionsDropped ?? 0) >= 4,
    `days 12 to 9 ago are past 8 days: ${JSON.stringify(result)}`,
  );
  assert.equal(await exists(partitionOf(11)), false, 'the day 11 days ago is dropped whole');
  assert.equal(await exists(partitionOf(3)), true, 'the day 3 days ago is inside the window');
  assert.equal(await exists(partitionOf(-3)), true, 'three days ahead are ready');
  assert.equal(await ledgerRows('drop-old'), 0);
  assert.equal(await ledgerRows('drop-kept'), 2);
  // A device's re-send inside the window meets its original: no second effect.
  const again = await applyBatchEffects(db.pool, batchInput('drop-resend', [kept[0]!]));
  assert.equal(again.applied, 0);
  assert.deepEqual(
    again.repeats.map((r) => [r.eventId, r.conflict, r.original?.batchId]),
    [[kept[0]!.eventId, false, 'drop-kept']],
  );
  const rollups = await db.pool.query<{ n: string }>(
    'SELECT sum(count) AS n FROM metric_rollups_minute WHERE device_id = $1',
    [device],
  );
  assert.equal(Number(rollups.rows[0]!.n), 3, 'effects stay when their ledger day goes');
});
