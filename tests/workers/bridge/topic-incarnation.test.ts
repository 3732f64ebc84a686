/**
 * Invariant 1 when offsets start over (reliability finding 6), end to end on the real servers: the
 * sensor-data topic is deleted and created again under the same name while Temporal still holds the
 * batch workflows of its first life. The new records sit at the offsets that those runs cover; they
 * must be applied, not skipped as redeliveries, and the old events must stay applied once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { effectCounts } from '../../../local/run-verification.js';
import { ensureTopics, pipelineTopicSpecs } from '../../../local/topics.js';
import { IngestBridge } from '../../../workers/bridge/ingest-bridge.js';
import { produce, record, sensorData } from '../../../local/testing/events.js';
import { eventually, uniqueId } from '../../../local/testing/test-stack.js';
import { startFixtureBridge, startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const id = uniqueId('reborn');
const PARTITIONS = 3;
const EVENTS = 300;
let fixture: WorkerFixture | undefined;
let bridge: IngestBridge | undefined;

before(async () => {
  fixture = await startWorkerFixture(id);
});

after(async () => {
  await bridge?.stop();
  await fixture?.close();
});

async function produceLife(f: WorkerFixture, life: string): Promise<string> {
  const prefix = `${id}-${life}-`;
  const base = Date.now() - 60_000;
  const events = Array.from({ length: EVENTS }, (_, i) =>
    sensorData(`${prefix}d${i % 10}`, i, { timestamp: base + i }),
  );
  await produce(f.kafka, f.topics.sensorData, events.map(record));
  return prefix;
}

void test('a topic recreated under old batch runs: its new records are applied, none skipped', async () => {
  const f = fixture!;
  bridge = await startFixtureBridge(f, id);
  const first = await produceLife(f, 'first');
  await eventually(
    'the first life applied',
    async () => (await effectCounts(f.db.pool, first)).ledger === EVENTS,
  );
  await bridge.stop();
  bridge = undefined;

  const admin = f.kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [f.topics.sensorData] });
    await eventually(
      'the topic is gone',
      async () => !(await admin.listTopics()).includes(f.topics.sensorData),
    );
  } finally {
    await admin.disconnect();
  }
  await ensureTopics(f.ep.kafkaBrokers, pipelineTopicSpecs(f.topics, PARTITIONS));

  // Offsets start at 0 again; every batch of the new life collides with a run of the old one.
  bridge = await startFixtureBridge(f, id);
  const second = await produceLife(f, 'second');
  await eventually(
    'the second life applied',
    async () => (await effectCounts(f.db.pool, second)).ledger === EVENTS,
    90_000,
  );
  const again = await effectCounts(f.db.pool, first);
  assert.equal(again.ledger, EVENTS, 'the first life stays applied once');
  assert.equal(again.rollupCount, EVENTS);
  assert.equal((await effectCounts(f.db.pool, second)).rollupCount, EVENTS);
});
