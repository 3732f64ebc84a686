/**
 * Invariants 1 and 2 with a real crash: the bridge is SIGKILLed after Temporal acknowledged its batch
 * starts and before it committed the offsets. The restarted bridge gets the same records again; its
 * starts collide, and each event's effects still exist exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  startPipelineProcess,
  stopPipelineProcess,
  waitReady,
  type PipelineProcess,
} from '../../../local/pipeline-processes.js';
import { topicEndOffsets } from '../../../local/run-verification.js';
import { assertBatchesCover, assertExactlyOnce } from '../../../local/testing/exactly-once.js';
import type { TopicNames } from '../../../workers/config.js';
import { produce, record, sensorData } from '../../../local/testing/events.js';
import {
  eventually,
  stack,
  testKafka,
  testProcessEnv,
  testTemporal,
  uniqueId,
  type TestDatabase,
} from '../../../local/testing/test-stack.js';
import { startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const id = uniqueId('redeliver');
let db: TestDatabase;
let topics: TopicNames;
let temporal: Awaited<ReturnType<typeof testTemporal>>;
const children: PipelineProcess[] = [];

let fixture: WorkerFixture | undefined;

before(async () => {
  fixture = await startWorkerFixture(id);
  ({ db, topics, temporal } = fixture);
});

after(async () => {
  for (const child of children) await stopPipelineProcess(child);
  await fixture?.close();
});

test('bridge killed between workflow start and offset commit: effects once after restart', async () => {
  const ep = await stack();
  const kafka = testKafka(ep);
  const env = testProcessEnv(ep, id, topics, db.url);
  const processedStart = await topicEndOffsets(kafka, topics.processed);
  const base = Date.now() - 30_000;
  const events = Array.from({ length: 900 }, (_, i) =>
    sensorData(`${id}-d${i % 30}`, i, { timestamp: base + i }),
  );
  await produce(kafka, topics.sensorData, events.map(record));

  const crashing = startPipelineProcess(
    'bridge',
    `${id}-bridge-crash`,
    { ...env, BRIDGE_FAILPOINT: 'crash-before-commit' },
    0,
  );
  children.push(crashing);
  const exitCode = await crashing.exited;
  assert.equal(exitCode, null, 'the bridge died by SIGKILL (no exit code)');
  assert.equal(crashing.child.signalCode, 'SIGKILL');

  const admin = kafka.admin();
  await admin.connect();
  const committed = await admin.fetchOffsets({ groupId: `${id}-bridge`, topics: [topics.sensorData] });
  await admin.disconnect();
  assert.ok(
    committed[0]!.partitions.every((p) => p.offset === '-1'),
    `nothing committed before the crash: ${JSON.stringify(committed[0]!.partitions)}`,
  );
  await eventually('the crashed bridge started at least one batch', async () => {
    const { count } = await temporal.client.workflow.count(`TaskQueue = '${id}-queue'`);
    return count > 0;
  });

  const restarted = startPipelineProcess(
    'bridge',
    `${id}-bridge`,
    env,
    19500 + Math.floor(Math.random() * 400),
  );
  children.push(restarted);
  await waitReady(restarted);
  await assertExactlyOnce({
    pool: db.pool,
    kafka,
    prefix: `${id}-`,
    valid: events.length,
    devices: 30,
    processedFrom: processedStart,
  });
  await assertBatchesCover(db.pool, events.length);
});
