/**
 * Alerts with a human in the loop, on the real Temporal server: a breach raises one alert per device
 * and rule, repeats feed the same workflow, silence escalates on durable timers, an acknowledgement
 * stops the escalation, and a return to normal (past the hysteresis band) resolves the alert.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TopicNames } from '../../../workers/config.js';
import {
  acknowledgeSignal,
  alertReadingSignal,
  alertStateQuery,
  alertWorkflowId,
  type AlertState,
  type ProcessSensorBatchResult,
} from '../../../workers/shared/temporal.js';
import { BatchDriver } from '../../../local/testing/batch-driver.js';
import { eventually, testTemporal, uniqueId, type TestDatabase } from '../../../local/testing/test-stack.js';
import { startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const id = uniqueId('alerts');
const TIER_MS = 1500;
let db: TestDatabase;
let topics: TopicNames;
let temporal: Awaited<ReturnType<typeof testTemporal>>;

let fixture: WorkerFixture | undefined;

before(async () => {
  fixture = await startWorkerFixture(id, { escalation: { tiersMs: [TIER_MS, TIER_MS] } });
  ({ db, topics, temporal } = fixture);
  driver = new BatchDriver(fixture.kafka, temporal.client, `${id}-queue`, topics.sensorData);
});

after(async () => fixture?.close());

let driver: BatchDriver;

/** Runs one batch workflow with the given temperatures for a device, as the bridge would start it. */
async function batch(deviceId: string, temperatures: number[]): Promise<ProcessSensorBatchResult> {
  return (await driver.run(deviceId, temperatures)).result;
}

async function alertState(deviceId: string): Promise<AlertState> {
  return temporal.client.workflow
    .getHandle(alertWorkflowId(deviceId, 'temperature-high'))
    .query(alertStateQuery);
}

async function runsOf(deviceId: string): Promise<number> {
  const { count } = await temporal.client.workflow.count(
    `WorkflowId = '${alertWorkflowId(deviceId, 'temperature-high')}'`,
  );
  return count;
}

test('no acknowledgement: one alert, escalated tier by tier, resolved when readings clear', async () => {
  const device = `${id}-silent`;
  const result = await batch(device, [22, 85, 86]);
  assert.equal(result.alertSignals, 1, 'one signal for the breach of this batch');
  await eventually(
    'alert raised',
    async () => (await alertState(device).catch(() => undefined))?.status === 'open',
  );

  await batch(device, [90]);
  await eventually('visibility settles', async () => (await runsOf(device)) >= 1);
  assert.equal(await runsOf(device), 1, 'a repeated breach feeds the same alert workflow');

  await eventually(
    'escalated through both tiers',
    async () => (await alertState(device)).level === 2,
    15_000,
  );
  assert.equal((await alertState(device)).lastValue, 90);

  // 78 is below the threshold but inside the hysteresis band (80 - 5): still open.
  await batch(device, [78]);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await alertState(device)).status, 'open', 'inside the hysteresis band the alert stays open');

  await batch(device, [70]);
  const final = (await temporal.client.workflow
    .getHandle(alertWorkflowId(device, 'temperature-high'))
    .result()) as AlertState;
  assert.equal(final.status, 'resolved');

  const transitions = await db.pool.query<{ transition: string }>(
    'SELECT transition FROM alert_transitions WHERE alert_id = $1 ORDER BY sequence',
    [alertWorkflowId(device, 'temperature-high')],
  );
  assert.deepEqual(
    transitions.rows.map((r) => r.transition),
    ['raised', 'escalated', 'escalated', 'resolved'],
  );
});

test('a device that keeps breaching still escalates: readings do not postpone a tier', async () => {
  const device = `${id}-hot`;
  await batch(device, [91]);
  await eventually(
    'alert raised',
    async () => (await alertState(device).catch(() => undefined))?.status === 'open',
  );
  // Breaching readings well inside each tier's 1.5 s, for longer than both tiers, signalled as the
  // batches signal them (a batch a reading would be slower than a tier on a loaded machine): before
  // deadlines, each one restarted the tier's timer and the alert never escalated.
  const handle = temporal.client.workflow.getHandle(alertWorkflowId(device, 'temperature-high'));
  const started = Date.now();
  let gap = 0;
  let last = Date.now();
  for (let i = 0; Date.now() - started < 2 * TIER_MS + 2_000; i++) {
    await handle.signal(alertReadingSignal, { eventId: `${device}-hot-${i}`, value: 92, at: Date.now() });
    gap = Math.max(gap, Date.now() - last);
    last = Date.now();
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(gap < TIER_MS, `readings ${gap} ms apart: too slow to show the timer was not restarted`);
  assert.equal((await alertState(device)).level, 2, 'escalated through both tiers while readings arrived');
});

test('acknowledged alert stops escalating and resolves on normal readings', async () => {
  const device = `${id}-acked`;
  await batch(device, [95]);
  await eventually(
    'alert raised',
    async () => (await alertState(device).catch(() => undefined))?.status === 'open',
  );
  await temporal.client.workflow
    .getHandle(alertWorkflowId(device, 'temperature-high'))
    .signal(acknowledgeSignal, { by: 'oncall@example.com' });
  await eventually('acknowledged', async () => (await alertState(device)).status === 'acknowledged');

  await new Promise((r) => setTimeout(r, TIER_MS * 2));
  const state = await alertState(device);
  assert.equal(state.level, 0, 'no escalation after the acknowledgement');
  assert.equal(state.acknowledgedBy, 'oncall@example.com');

  await batch(device, [40]);
  const final = (await temporal.client.workflow
    .getHandle(alertWorkflowId(device, 'temperature-high'))
    .result()) as AlertState;
  assert.equal(final.status, 'resolved');
  const row = await db.pool.query<{ status: string; acknowledged_by: string }>(
    'SELECT status, acknowledged_by FROM alerts WHERE alert_id = $1',
    [alertWorkflowId(device, 'temperature-high')],
  );
  assert.deepEqual(row.rows[0], { status: 'resolved', acknowledged_by: 'oncall@example.com' });
});

test('a healthy device costs no alert signals', async () => {
  const result = await batch(`${id}-healthy`, [20, 21, 22, 79.9]);
  assert.equal(result.alertSignals, 0);
});
