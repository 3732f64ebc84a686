/**
 * Worker Deployment Versioning on the real Temporal server (docs/decisions/0012-worker-versioning.md):
 * an alert started on build A stays on build A after build B, whose alert code is incompatible, is
 * made current; a new alert runs on B. Build A's worker is stopped while B is current, as a rollout
 * stops old pods: unversioned, B took A's alert at its next signal and failed replaying it.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import protos, { type temporal as proto } from '@temporalio/proto';
import type { WorkerConfig } from '../../../workers/config.js';
import { createLogger } from '../../../workers/lib/logger.js';
import { DEFAULT_ALERT_RULES } from '../../../workers/shared/alert-rules.js';
import {
  alertReadingSignal,
  alertStateQuery,
  alertTaskQueue,
  alertWorkflowId,
  WORKFLOW_TYPES,
  type DeviceAlertInput,
} from '../../../workers/shared/temporal.js';
import { startSensorWorker, type RunningWorker } from '../../../workers/worker/sensor-worker.js';
import { setCurrentVersion } from '../../../workers/worker/versioning.js';
import {
  eventually,
  stack,
  testDatabase,
  testKafka,
  testTemporal,
  testTopics,
  testWorkerConfig,
  uniqueId,
} from '../../../local/testing/test-stack.js';

const require = createRequire(import.meta.url);
const EventType = protos.temporal.api.enums.v1.EventType;
const id = uniqueId('versioning');
const buildA: WorkerDeploymentVersion = { deploymentName: `${id}-deployment`, buildId: 'build-a' };
const buildB: WorkerDeploymentVersion = { deploymentName: `${id}-deployment`, buildId: 'build-b' };
const rule = DEFAULT_ALERT_RULES.find((r) => r.name === 'temperature-high')!;
const cleanups: (() => Promise<unknown>)[] = [];

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

test('an alert stays on the build that started it; a new alert runs on the current build', async () => {
  const ep = await stack();
  const topics = await testTopics(ep, id);
  const db = await testDatabase(ep, id);
  cleanups.push(() => db.drop());
  const temporal = await testTemporal(ep);
  cleanups.push(() => temporal.close());
  const kafka = testKafka(ep);
  // An hour per tier: no escalation timer fires during the test, every task is a signal's.
  const config = testWorkerConfig(ep, id, topics, db.url, { escalation: { tiersMs: [3_600_000] } });
  const start = async (version: WorkerDeploymentVersion, workflowsPath?: string): Promise<RunningWorker> => {
    // Pinned alerts: the setting for a cluster that keeps each build's workers until its alerts end.
    const versioned: WorkerConfig = { ...config, ...version, alertVersioning: 'PINNED' };
    const running = await startSensorWorker({
      config: versioned,
      kafka,
      client: temporal.client,
      log: createLogger(`worker-${version.buildId}`),
      workflowsPath,
    });
    cleanups.push(() => running.shutdown());
    return running;
  };
  const input = (deviceId: string): DeviceAlertInput => ({ deviceId, rule, escalation: config.escalation });
  const raise = async (deviceId: string): Promise<WorkflowHandle> => {
    const handle = await temporal.client.workflow.signalWithStart(WORKFLOW_TYPES.deviceAlert, {
      workflowId: alertWorkflowId(deviceId, rule.name),
      taskQueue: alertTaskQueue(config.temporal.taskQueue),
      args: [input(deviceId)],
      signal: alertReadingSignal,
      signalArgs: [{ eventId: `${deviceId}-1`, value: 90, at: Date.now() }],
    });
    cleanups.push(() => handle.terminate('test over'));
    await eventually(
      `${deviceId} raised`,
      // Build B's alert registers its query after its first timer.
      () =>
        handle.query(alertStateQuery).then(
          (state) => state.status === 'open',
          () => false,
        ),
    );
    return handle;
  };

  const workerA = await start(buildA);
  await setCurrentVersion(temporal.client, buildA, { waitMs: 60_000 });
  const alertOnA = await raise(`${id}-a`);

  await start(buildB, require.resolve('../../helpers/workflows-build-b.ts'));
  await setCurrentVersion(temporal.client, buildB, { waitMs: 60_000 });
  const alertOnB = await raise(`${id}-b`);
  assert.deepEqual(await workflowTaskBuilds(alertOnB), ['build-b'], 'a new alert runs on the current build');
  assert.equal(
    firstCommand(await history(alertOnB)),
    EventType.EVENT_TYPE_TIMER_STARTED,
    "build B's code ran it",
  );
  assert.notEqual(firstCommand(await history(alertOnA)), EventType.EVENT_TYPE_TIMER_STARTED, "A's did not");

  // Build A's pods go; the alert started on A gets its next signal while only B polls.
  await workerA.shutdown();
  await alertOnA.signal(alertReadingSignal, { eventId: `${id}-a-2`, value: 70, at: Date.now() });
  // Past the sticky queue's 10 s schedule-to-start timeout, when an unpinned task reaches B.
  await new Promise((r) => setTimeout(r, 15_000));
  assert.deepEqual(
    await workflowTaskBuilds(alertOnA),
    ['build-a'],
    'build B took no task of the alert started on build A',
  );

  // Build A's workers back (a rollout that keeps the old version until its alerts close).
  await start(buildA);
  const state = await alertOnA.result();
  assert.equal(state.status, 'resolved', 'the alert started on A resolved on A');
  const events = await history(alertOnA);
  assert.ok(
    !events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED),
    'no workflow task failed (no non-determinism)',
  );
  assert.deepEqual(await workflowTaskBuilds(alertOnA), ['build-a'], 'every task of it ran on build A');
});

async function history(handle: WorkflowHandle): Promise<proto.api.history.v1.IHistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

/** The first event a workflow task's commands wrote: B's alert code starts with a timer. */
function firstCommand(
  events: proto.api.history.v1.IHistoryEvent[],
): proto.api.enums.v1.EventType | null | undefined {
  const i = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  return events[i + 1]?.eventType;
}

/** The builds that completed or failed the workflow's tasks, each once, in order of first use. */
async function workflowTaskBuilds(handle: WorkflowHandle): Promise<string[]> {
  const builds = new Set<string>();
  const events = await history(handle);
  const started = new Map<string, string>();
  for (const e of events) {
    const done = e.workflowTaskCompletedEventAttributes;
    if (done) builds.add(done.deploymentVersion?.buildId || 'unversioned');
    if (e.workflowTaskFailedEventAttributes)
      builds.add(`${started.get(String(e.workflowTaskFailedEventAttributes.startedEventId)) ?? '?'}: failed`);
    if (e.workflowTaskStartedEventAttributes)
      started.set(String(e.eventId), e.workflowTaskStartedEventAttributes.identity ?? '?');
  }
  return [...builds];
}
