/**
 * Issue 23, finding 10: backpressure must not trust the bridge's clock. The bridge counts its own
 * starts on top of Temporal visibility until visibility lists them; it used to look for them among the
 * workflows started since its own clock's time minus a 30 s margin, so a bridge whose clock ran ahead
 * never found them and counted each twice (listed and "unseen") for ten minutes, pausing itself at
 * half its bound. Here the bridge's clock runs ten minutes ahead against the real Temporal server:
 * the estimate must equal the workflows actually open, and fall to zero once they close.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Backpressure } from '../../../workers/bridge/backpressure.js';
import { DEFAULT_ALERT_RULES } from '../../../workers/shared/alert-rules.js';
import { WORKFLOW_TYPES, type ProcessSensorBatchInput } from '../../../workers/shared/temporal.js';
import { eventually, stack, testTemporal, uniqueId } from '../../../local/testing/test-stack.js';

const id = uniqueId('bpclock');
const taskQueue = `${id}-queue`;
const SKEW_MS = 10 * 60_000;
const STARTS = 5;
const MAX_OPEN = 8;
let temporal: Awaited<ReturnType<typeof testTemporal>>;
const started: string[] = [];

before(async () => {
  temporal = await testTemporal(await stack());
});

after(async () => {
  // No worker polls this queue: end whatever the test left running.
  for (const workflowId of started)
    await temporal.client.workflow
      .getHandle(workflowId)
      .terminate('test over')
      .catch(() => undefined);
  await temporal?.close();
});

function input(n: number): ProcessSensorBatchInput {
  return {
    range: { topic: `${id}.sensor-data`, partition: 0, firstOffset: String(n), lastOffset: String(n) },
    claim: { records: 1, firstRecord: 'x', lastRecord: 'x' },
    rules: DEFAULT_ALERT_RULES,
    maxEventAgeMs: 3600_000,
    maxClockSkewMs: 60_000,
  };
}

void test('a bridge clock ten minutes ahead: the open-batch estimate follows the server', async () => {
  const changes: boolean[] = [];
  const backpressure = new Backpressure({
    client: temporal.client,
    taskQueue,
    maxOpenBatches: MAX_OPEN,
    pollMs: 200,
    now: () => Date.now() + SKEW_MS,
    onChange: (paused) => changes.push(paused),
  });
  // As the bridge starts a batch: wait for capacity, start, note the start, settle.
  for (let n = 0; n < STARTS; n++) {
    assert.ok(
      await backpressure.waitForCapacity(
        () => true,
        async () => undefined,
      ),
    );
    const workflowId = `batch:${id}:0:${n}`;
    await temporal.client.workflow.start(WORKFLOW_TYPES.processSensorBatch, {
      workflowId,
      taskQueue,
      args: [input(n)],
    });
    started.push(workflowId);
    backpressure.noteStarted(workflowId);
    backpressure.settle();
  }
  assert.equal(backpressure.estimatedOpen, STARTS, 'before visibility lists them, the own starts count');

  let last: number | undefined;
  await eventually(
    `the estimate is the ${STARTS} open workflows, each counted once`,
    async () => {
      last = await backpressure.poll();
      return last === STARTS;
    },
    20_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (last estimate ${last})`);
  });
  assert.equal(backpressure.isPaused, false, `${STARTS} open of ${MAX_OPEN}: not paused`);

  for (const workflowId of started) await temporal.client.workflow.getHandle(workflowId).terminate('closed');
  await eventually(
    'the estimate falls to zero once they closed',
    async () => {
      last = await backpressure.poll();
      return last === 0;
    },
    20_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (last estimate ${last})`);
  });
  assert.deepEqual(changes, [], 'the bridge never paused itself');
});
