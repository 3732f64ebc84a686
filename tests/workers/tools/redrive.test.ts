/**
 * Failure policy end to end: a permanent failure that is not any one event's (the schema does not
 * match the code: a botched migration) parks the batch's events with the reason; after the cause is
 * fixed, `npm run redrive` applies them exactly once, and a second re-drive is a no-op. (A row that
 * the database refuses for its own values costs only itself: tests/workers/activities/poison-values.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { effectCounts } from '../../../local/run-verification.js';
import type { TopicNames } from '../../../workers/config.js';
import { createLogger } from '../../../workers/lib/logger.js';
import { HEADERS } from '../../../workers/shared/topics.js';
import { redriveParked } from '../../../workers/tools/redrive.js';
import { BatchDriver } from '../../../local/testing/batch-driver.js';
import { sensorData } from '../../../local/testing/events.js';
import {
  stack,
  testBridgeConfig,
  testKafka,
  testTemporal,
  uniqueId,
  type TestDatabase,
} from '../../../local/testing/test-stack.js';
import { startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const id = uniqueId('park');
let db: TestDatabase;
let topics: TopicNames;
let temporal: Awaited<ReturnType<typeof testTemporal>>;

let fixture: WorkerFixture | undefined;

before(async () => {
  fixture = await startWorkerFixture(id);
  ({ db, topics, temporal } = fixture);
});

after(async () => fixture?.close());

test('a permanent failure parks the events; re-drive applies them once', async () => {
  const ep = await stack();
  const kafka = testKafka(ep);
  // A failure no retry fixes and no event causes: the apply statement names a column that is gone.
  await db.pool.query('ALTER TABLE processed_events RENAME COLUMN battery TO battery_moved');
  const events = Array.from({ length: 20 }, (_, i) => ({
    ...sensorData(`${id}-d${i % 4}`, i, { timestamp: Date.now() - 5000 + i }),
  }));
  const driver = new BatchDriver(kafka, temporal.client, `${id}-queue`, topics.sensorData);
  const { result } = await driver.run(`${id}-none`, [], events);
  assert.equal(result.applied, 0, 'the statement failed: nothing applied');
  assert.equal((await effectCounts(db.pool, `${id}-`)).ledger, 0);

  const reasons = await collectParkingReasons(kafka, topics.parking);
  assert.equal(reasons.length, events.length, 'every event of the batch is parked');
  assert.ok(
    reasons.every((r) => r.includes('apply-failed') && r.includes('battery') && r.includes('42703')),
    reasons[0],
  );

  await db.pool.query('ALTER TABLE processed_events RENAME COLUMN battery_moved TO battery');
  const config = testBridgeConfig(ep, id, topics);
  const first = await redriveParked(kafka, temporal.client, config, createLogger('redrive'));
  assert.equal(first.records, events.length);
  const deadline = Date.now() + 60_000;
  while ((await effectCounts(db.pool, `${id}-`)).ledger < events.length && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 250));
  const effects = await effectCounts(db.pool, `${id}-`);
  assert.equal(effects.ledger, events.length, 'all parked events applied');
  assert.equal(effects.rollupCount, events.length, 'once each');

  const second = await redriveParked(kafka, temporal.client, config, createLogger('redrive'));
  assert.deepEqual(
    second,
    { records: 0, started: 0, unreadable: 0, ranges: 0 },
    'a second re-drive finds nothing new',
  );
});

async function collectParkingReasons(kafka: ReturnType<typeof testKafka>, topic: string): Promise<string[]> {
  const reasons: string[] = [];
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = ends.reduce((n, o) => n + Number(o.high), 0);
  const consumer = kafka.consumer({ groupId: `${topic}-inspect` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        reasons.push(message.headers?.[HEADERS.parkingReason]?.toString() ?? '');
        if (reasons.length >= total) resolve();
      },
    });
  });
  await consumer.disconnect();
  return reasons;
}
