/**
 * Invariant 4: a processed event delivered twice (a retried publish) changes a downstream consumer
 * once — the example consumer on a real topic and a real database.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Consumer } from 'kafkajs';
import { InMemoryDedupWindow } from '../../../workers/consumers/dedup.js';
import { runExampleConsumer } from '../../../workers/consumers/example-processed-consumer.js';
import { HEADERS } from '../../../workers/shared/topics.js';
import { produce } from '../../../local/testing/events.js';
import {
  eventually,
  stack,
  testDatabase,
  testKafka,
  testTopics,
  uniqueId,
  type TestDatabase,
} from '../../../local/testing/test-stack.js';

const id = uniqueId('dedup');
let db: TestDatabase;
let consumer: Consumer | undefined;

before(async () => {
  db = await testDatabase(await stack(), id);
});
after(async () => {
  await consumer?.disconnect();
  await db?.drop();
});

test('the in-memory window drops repeats and forgets beyond its capacity', () => {
  const window = new InMemoryDedupWindow(2);
  assert.deepEqual(
    ['a', 'b', 'a', 'c', 'a'].map((k) => window.firstSeen(k)),
    [true, true, false, true, true],
  );
  assert.equal(window.duplicates, 1);
});

test('a redelivered SensorDataProcessed changes the example consumer once', async () => {
  const ep = await stack();
  const kafka = testKafka(ep);
  const topics = await testTopics(ep, id);
  const message = (eventId: string, deviceId: string) => ({
    key: deviceId,
    value: JSON.stringify({
      schemaVersion: 1,
      eventId,
      deviceId,
      eventTime: 1,
      processedAt: 2,
      batchId: 'b',
      source: { partition: 0, offset: '0' },
    }),
    headers: { [HEADERS.idempotencyKey]: `${deviceId}/${eventId}` },
  });
  // e1 published twice in one send and once more later: what a retried publish activity produces.
  // dev-b's e1 is another device's event with the same eventId: its own effect.
  await produce(kafka, topics.processed, [
    message('e1', 'dev-a'),
    message('e2', 'dev-a'),
    message('e1', 'dev-a'),
    message('e3', 'dev-b'),
    message('e1', 'dev-b'),
  ]);
  await produce(kafka, topics.processed, [message('e1', 'dev-a'), message('e3', 'dev-b')]);
  consumer = await runExampleConsumer(kafka, db.pool, topics.processed, `${id}-example`);
  await eventually('all seven deliveries consumed', async () => {
    const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM consumer_dedup');
    return Number(rows[0]!.n) === 4;
  });
  await new Promise((r) => setTimeout(r, 1000));
  const { rows } = await db.pool.query<{ device_id: string; processed: string }>(
    'SELECT device_id, processed FROM example_device_counts ORDER BY device_id',
  );
  assert.deepEqual(
    rows.map((r) => [r.device_id, Number(r.processed)]),
    [
      ['dev-a', 2],
      ['dev-b', 2],
    ],
  );
});
