/**
 * An alert storm on the real servers (docs/reliability.md, "Alert storm"): one batch in which every
 * device breaches both default rules, as a fleet of batteries installed the same month with a
 * firmware bug reporting 95 °C would. Every alert is raised exactly once, the storm's batch completes
 * with a small history, and a batch sent while the storm's alerts go out completes too. The test
 * prints how long each part took; its only bound on time is one that a wedged batch would exceed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { TEMPORAL_NAMESPACE, WORKFLOW_TYPES, alertTaskQueue } from '../../../workers/shared/temporal.js';
import { BatchDriver } from '../../../local/testing/batch-driver.js';
import { sensorData } from '../../../local/testing/events.js';
import { eventually, uniqueId } from '../../../local/testing/test-stack.js';
import { startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

/** One produce request of these readings stays under the broker's 1 MB record batch. */
const DEVICES = Number(process.env.STORM_DEVICES ?? 3000);
const ALERTS = DEVICES * 2;
/** A wedged batch (the fan-out retried from the start every 120 s) never gets there. */
const BOUND_MS = 15 * 60_000;

const id = uniqueId('storm');
let fixture: WorkerFixture | undefined;

before(async () => {
  // No escalation during the test: each alert has exactly one transition, its raise.
  fixture = await startWorkerFixture(id, { escalation: { tiersMs: [3600_000] } });
});

after(async () => {
  if (fixture) {
    // The storm's alerts would otherwise wait, open, for a worker that is gone.
    await fixture.temporal.client.workflowService
      .startBatchOperation({
        namespace: TEMPORAL_NAMESPACE,
        jobId: randomUUID(),
        reason: 'alert storm test over',
        visibilityQuery: `TaskQueue IN ('${id}-queue', '${alertTaskQueue(`${id}-queue`)}') AND ExecutionStatus = 'Running'`,
        terminationOperation: { identity: 'alert-storm-test' },
      })
      .catch((err: unknown) => console.warn(`could not terminate the storm's alerts: ${String(err)}`));
    await fixture.close();
  }
});

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

test(
  `a storm of ${ALERTS} alerts in one batch: each raised once, the batch and another complete`,
  {
    timeout: BOUND_MS + 120_000,
  },
  async () => {
    const { db, temporal, kafka, topics } = fixture!;
    const driver = new BatchDriver(kafka, temporal.client, `${id}-queue`, topics.sensorData);
    const raisedCount = async () =>
      Number(
        (
          await db.pool.query<{ n: string }>(
            "SELECT count(*) AS n FROM alert_transitions WHERE transition = 'raised'",
          )
        ).rows[0]!.n,
      );
    const now = Date.now();
    const readings = Array.from({ length: DEVICES }, (_, i) =>
      sensorData(`${id}-${i}`, 0, { timestamp: now - 1000, readings: { temperature: 95, battery: 5 } }),
    );

    const started = Date.now();
    const storm = driver.run(`${id}-first`, [], readings);
    await within(
      BOUND_MS,
      'the storm raising its first alerts',
      eventually('first alerts', async () => (await raisedCount()) >= 100, BOUND_MS),
    );
    const calmStarted = Date.now();
    const calm = await within(BOUND_MS, 'a batch sent during the storm', driver.run(`${id}-calm`, [20, 21]));
    const calmS = (Date.now() - calmStarted) / 1000;
    assert.equal(calm.result.applied, 2);
    const raisedDuringCalm = await raisedCount();

    const stormRun = await within(BOUND_MS, 'the storm batch', storm);
    const batchS = (Date.now() - started) / 1000;
    assert.equal(stormRun.result.applied, DEVICES);
    assert.equal(stormRun.result.alertSignals, ALERTS);
    await eventually('every alert raised', async () => (await raisedCount()) >= ALERTS, BOUND_MS);
    const allS = (Date.now() - started) / 1000;

    const transitions = await db.pool.query<{ n: string; alerts: string }>(
      'SELECT count(*) AS n, count(DISTINCT alert_id) AS alerts FROM alert_transitions',
    );
    assert.deepEqual(
      { n: Number(transitions.rows[0]!.n), alerts: Number(transitions.rows[0]!.alerts) },
      { n: ALERTS, alerts: ALERTS },
      'one raise per alert, nothing else',
    );
    const open = await db.pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM alerts WHERE status = 'open' AND run_id IS NOT NULL",
    );
    assert.equal(Number(open.rows[0]!.n), ALERTS);
    await eventually(
      'one alert workflow per device and rule in visibility',
      async () =>
        (
          await temporal.client.workflow.count(
            `TaskQueue = '${alertTaskQueue(`${id}-queue`)}' AND WorkflowType = '${WORKFLOW_TYPES.deviceAlert}'`,
          )
        ).count === ALERTS,
      120_000,
    );
    const { historyLength } = await temporal.client.workflow.getHandle(stormRun.workflowId).describe();
    assert.ok(historyLength < 200, `the storm batch's history stays small (${historyLength} events)`);

    console.log(
      `alert storm, ${DEVICES} devices x 2 rules = ${ALERTS} alerts: storm batch completed in ${batchS.toFixed(1)} s ` +
        `(history ${historyLength} events), every alert raised after ${allS.toFixed(1)} s; a batch sent ` +
        `${((calmStarted - started) / 1000).toFixed(1)} s in completed in ${calmS.toFixed(1)} s ` +
        `(${raisedDuringCalm} alerts raised by then)`,
    );
  },
);
