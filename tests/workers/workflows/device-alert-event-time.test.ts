/**
 * Alerts follow event time, not arrival order, on the real servers: a late or replayed breach starts
 * no alert, an older clearing reading does not resolve a current breach, and readings that reach one
 * alert out of order (across tasks or within one) are applied by event time. The alerts these tests
 * leave behind replay with the current workflow code.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { TopicNames } from '../../../workers/config.js';
import { createLogger } from '../../../workers/lib/logger.js';
import { dataConverter } from '../../../workers/lib/payload-codec.js';
import { DEFAULT_ALERT_RULES } from '../../../workers/shared/alert-rules.js';
import {
  WORKFLOW_TYPES,
  alertReadingSignal,
  alertTaskQueue,
  alertStateQuery,
  alertWorkflowId,
  type AlertReading,
  type AlertState,
  type DeviceAlertInput,
} from '../../../workers/shared/temporal.js';
import { startSensorWorker } from '../../../workers/worker/sensor-worker.js';
import { workflowBundle } from '../../../workers/worker/workflow-bundle.js';
import { BatchDriver } from '../../../local/testing/batch-driver.js';
import { sensorData } from '../../../local/testing/events.js';
import {
  eventually,
  testWorkerConfig,
  uniqueId,
  type TestDatabase,
} from '../../../local/testing/test-stack.js';
import { startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const id = uniqueId('alertet');
const RULE = DEFAULT_ALERT_RULES.find((r) => r.name === 'temperature-high')!;
const MINUTE = 60_000;
let fixture: WorkerFixture | undefined;
let db: TestDatabase;
let topics: TopicNames;
let client: WorkerFixture['temporal']['client'];
let driver: BatchDriver;
/** Alert workflow IDs these tests ran, replayed at the end. */
const ran: string[] = [];

before(async () => {
  // No escalation while a test runs: the transitions are the ones the readings cause.
  fixture = await startWorkerFixture(id, { escalation: { tiersMs: [3600_000] } });
  ({ db, topics } = fixture);
  client = fixture.temporal.client;
  driver = new BatchDriver(fixture.kafka, client, `${id}-queue`, topics.sensorData);
});

after(async () => {
  for (const workflowId of ran)
    await client.workflow
      .getHandle(workflowId)
      .terminate('test over')
      .catch(() => undefined);
  await fixture?.close();
});

let lateSeq = 0;
/** A reading of `deviceId` at `at` (epoch ms) with this temperature, for BatchDriver's extra readings. */
function reading(deviceId: string, at: number, temperature: number) {
  return sensorData(deviceId, 900_000 + lateSeq++, { timestamp: at, readings: { temperature } });
}

/** `promise`, or a failure naming `what` after `ms`. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const alertId = (device: string) => alertWorkflowId(device, RULE.name);
const state = (device: string): Promise<AlertState> =>
  client.workflow.getHandle(alertId(device)).query(alertStateQuery);

async function transitions(device: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ transition: string }>(
    'SELECT transition FROM alert_transitions WHERE alert_id = $1 ORDER BY at, sequence',
    [alertId(device)],
  );
  return rows.map((r) => r.transition);
}

async function raised(device: string): Promise<void> {
  ran.push(alertId(device));
  await eventually('alert raised and recorded', async () => (await transitions(device)).includes('raised'));
}

test(
  'a breach older than a reading the device already sent starts no alert',
  { timeout: 120_000 },
  async () => {
    const device = `${id}-seen`;
    await driver.run(device, [20]);
    const late = await driver.run(device, [], [reading(device, Date.now() - 20 * MINUTE, 95)]);
    assert.equal(
      late.result.applied,
      1,
      'the late reading itself is applied (device state keeps the newer one)',
    );
    assert.equal(late.result.alertSignals, 1, 'the breach is planned, and judged late when it is sent');
    await assert.rejects(
      client.workflow.getHandle(alertId(device)).describe(),
      WorkflowNotFoundError,
      'no alert workflow was started',
    );
    assert.deepEqual(await transitions(device), []);
  },
);

test(
  'a replayed breach older than the last reading of a resolved alert raises nothing new',
  { timeout: 120_000 },
  async () => {
    const device = `${id}-replay`;
    await driver.run(device, [95]);
    await raised(device);
    await driver.run(device, [40]);
    const first = (await client.workflow.getHandle(alertId(device)).result()) as AlertState;
    assert.equal(first.status, 'resolved');
    const { runId } = await client.workflow.getHandle(alertId(device)).describe();

    // The old breach (new event ID, event time 20 minutes ago) arrives with a current, normal reading:
    // the batch's newest reading is the device's newest, so only the resolved alert can tell it is late.
    const replay = await driver.run(device, [22], [reading(device, Date.now() - 20 * MINUTE, 96)]);
    assert.equal(replay.result.alertSignals, 2, 'breach and clear are planned as before');
    const now = await client.workflow.getHandle(alertId(device)).describe();
    assert.equal(now.runId, runId, 'no new alert run');
    assert.equal(now.status.name, 'COMPLETED');
    assert.deepEqual(await transitions(device), ['raised', 'resolved']);
  },
);

test('an older clearing reading does not resolve a current breach', { timeout: 120_000 }, async () => {
  const device = `${id}-oldclear`;
  await driver.run(device, [95]);
  await raised(device);
  await eventually(
    'the open alert is visible to the planner',
    async () =>
      (await db.pool.query("SELECT 1 FROM alerts WHERE alert_id = $1 AND status = 'open'", [alertId(device)]))
        .rowCount === 1,
  );
  const { runId } = await client.workflow.getHandle(alertId(device)).describe();

  const old = await driver.run(device, [], [reading(device, Date.now() - 10 * MINUTE, 40)]);
  assert.equal(old.result.alertSignals, 1, 'the clearing reading is sent to the open alert');
  await driver.run(device, [97]);
  await eventually('the newer breach applied, or the alert resolved', async () => {
    const s = await state(device);
    return s.lastValue === 97 || s.status === 'resolved';
  });

  const current = await state(device);
  assert.equal(current.status, 'open', 'the older clearing reading resolved the alert');
  assert.equal(current.lastValue, 97);
  assert.equal((await client.workflow.getHandle(alertId(device)).describe()).runId, runId, 'same run');
  assert.deepEqual(await transitions(device), ['raised']);
});

test(
  'readings reaching one alert out of order, in separate tasks, apply by event time',
  { timeout: 120_000 },
  async () => {
    const device = `${id}-order`;
    const input: DeviceAlertInput = { deviceId: device, rule: RULE, escalation: { tiersMs: [3600_000] } };
    const t = Date.now() - 5 * MINUTE;
    const send = async (r: AlertReading) => {
      await client.workflow.getHandle(alertId(device)).signal(alertReadingSignal, r);
      // The next signal waits until this one is applied (or ended the run), so each has its own task.
      await eventually('signal applied', async () => {
        const events = (await client.workflow.getHandle(alertId(device)).fetchHistory()).events ?? [];
        const signalled = events.findLastIndex((e) => !!e.workflowExecutionSignaledEventAttributes);
        return events
          .slice(signalled + 1)
          .some(
            (e) => !!(e.workflowTaskCompletedEventAttributes || e.workflowExecutionCompletedEventAttributes),
          );
      });
    };
    ran.push(alertId(device));
    await client.workflow.signalWithStart(WORKFLOW_TYPES.deviceAlert, {
      workflowId: alertId(device),
      taskQueue: alertTaskQueue(`${id}-queue`),
      args: [input],
      signal: alertReadingSignal,
      signalArgs: [{ eventId: `${device}-3`, value: 97, at: t + 3000 }],
    });
    await raised(device);
    await send({ eventId: `${device}-1`, value: 40, at: t + 1000 }); // older clear: ignored
    await send({ eventId: `${device}-2`, value: 96, at: t + 2000 }); // older breach: ignored
    await send({ eventId: `${device}-4`, value: 78, at: t + 4000 }); // newer, inside the band: applied

    const s = await state(device);
    assert.equal(s.status, 'open');
    assert.equal(s.lastValue, 78);
    assert.equal(s.lastReadingAt, t + 4000);
    assert.equal(s.raisedAt, t + 3000);
    assert.deepEqual(await transitions(device), ['raised']);
    const row = await db.pool.query<{ ms: string }>(
      'SELECT round(extract(epoch FROM last_reading_at) * 1000)::bigint AS ms FROM alerts WHERE alert_id = $1',
      [alertId(device)],
    );
    assert.equal(
      Number(row.rows[0]!.ms),
      t + 3000,
      'the alerts row has the last reading of its last transition',
    );
  },
);

test(
  'readings that reach one alert out of order within one task apply by event time',
  { timeout: 120_000 },
  async () => {
    // No worker polls this queue until every signal is in: the first task holds all of them.
    const queueId = `${id}-held`;
    const device = `${id}-batched`;
    const input: DeviceAlertInput = { deviceId: device, rule: RULE, escalation: { tiersMs: [3600_000] } };
    const t = Date.now() - 5 * MINUTE;
    ran.push(alertId(device));
    await client.workflow.signalWithStart(WORKFLOW_TYPES.deviceAlert, {
      workflowId: alertId(device),
      taskQueue: alertTaskQueue(`${queueId}-queue`),
      args: [input],
      signal: alertReadingSignal,
      signalArgs: [{ eventId: `${device}-1`, value: 95, at: t + 1000 }],
    });
    const handle = client.workflow.getHandle(alertId(device));
    await handle.signal(alertReadingSignal, { eventId: `${device}-3`, value: 40, at: t + 3000 });
    await handle.signal(alertReadingSignal, { eventId: `${device}-2`, value: 96, at: t + 2000 });

    const worker = await startSensorWorker({
      config: testWorkerConfig(fixture!.ep, queueId, topics, db.url, { escalation: input.escalation }),
      kafka: fixture!.kafka,
      client,
      log: createLogger('test-worker-held'),
    });
    try {
      // In signal order the clear (3) came before the breach (2) and the alert stayed open at 96.
      const final = (await within(60_000, 'the alert resolving', handle.result())) as AlertState;
      assert.equal(final.status, 'resolved');
      assert.equal(final.lastValue, 40);
      assert.equal(final.raisedAt, t + 1000);
      assert.deepEqual(await transitions(device), ['raised', 'resolved']);
    } finally {
      await worker.shutdown();
    }
  },
);

test('the alerts of these tests replay with the current workflow code', { timeout: 120_000 }, async () => {
  assert.ok(ran.length >= 3);
  for (const workflowId of ran) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    await Worker.runReplayHistory(
      { workflowBundle: await workflowBundle(), dataConverter },
      history,
      workflowId,
    );
  }
});
