/**
 * The vertical slice on the real servers: records in → bridge → batch workflows → Postgres effects
 * and SensorDataProcessed out; malformed records in the DLQ with their reasons; duplicates once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { appliedSoFar, readSince, topicEndOffsets } from '../../local/run-verification.js';
import { assertExactlyOnce } from '../../local/testing/exactly-once.js';
import { IngestBridge } from '../../workers/bridge/ingest-bridge.js';
import { createBridgeMetrics } from '../../workers/bridge/bridge-metrics.js';
import { createLogger } from '../../workers/lib/logger.js';
import type { DeadLetterEnvelope } from '../../workers/shared/events.js';
import { startSensorWorker, type RunningWorker } from '../../workers/worker/sensor-worker.js';
import { produce, record, sensorData } from '../../local/testing/events.js';
import {
  stack,
  testBridgeConfig,
  testDatabase,
  testKafka,
  testTemporal,
  testTopics,
  testWorkerConfig,
  uniqueId,
  type TestDatabase,
} from '../../local/testing/test-stack.js';

const id = uniqueId('slice');
const log = createLogger('test');
let db: TestDatabase;
let worker: RunningWorker;
let bridge: IngestBridge;
let temporal: Awaited<ReturnType<typeof testTemporal>>;

before(async () => {
  const ep = await stack();
  const topics = await testTopics(ep, id);
  db = await testDatabase(ep, id);
  temporal = await testTemporal(ep);
  const kafka = testKafka(ep);
  worker = await startSensorWorker({
    config: testWorkerConfig(ep, id, topics, db.url),
    kafka,
    client: temporal.client,
    log,
  });
  bridge = new IngestBridge({
    config: testBridgeConfig(ep, id, topics),
    kafka,
    client: temporal.client,
    log,
    metrics: createBridgeMetrics(),
  });
  await bridge.start();
});

after(async () => {
  await bridge?.stop();
  await worker?.shutdown();
  await temporal?.close();
  await db?.drop();
});

test('valid events take effect once, malformed ones land in the DLQ with a reason, the rest flows', async () => {
  const ep = await stack();
  const kafka = testKafka(ep);
  const topics = testBridgeConfig(ep, id, await testTopics(ep, id)).topics;
  const start = await topicEndOffsets(kafka, topics.processed);
  const dlqStart = await topicEndOffsets(kafka, topics.deadLetter);
  const devices = ['d1', 'd2', 'd3', 'd4'].map((d) => `${id}-${d}`);
  const base = Date.now() - 60_000;
  const valid = devices.flatMap((d) =>
    Array.from({ length: 150 }, (_, i) => sensorData(d, i, { timestamp: base + i })),
  );
  const malformed = [
    { key: devices[0]!, value: '{not json' },
    { key: devices[0]!, value: JSON.stringify({ ...sensorData(devices[0]!, 999), schemaVersion: 7 }) },
    {
      key: devices[1]!,
      value: JSON.stringify({ ...sensorData(devices[1]!, 998), readings: { temperature: 'hot' } }),
    },
    { key: null, value: JSON.stringify(sensorData(devices[2]!, 997)) },
  ];
  // A device re-sends two readings: same eventIds, one in the same fetch, one much later.
  const messages = [
    ...valid.slice(0, 300).map(record),
    ...malformed,
    record(valid[10]!),
    ...valid.slice(300).map(record),
  ];
  await produce(kafka, topics.sensorData, messages);
  await produce(kafka, topics.sensorData, [record(valid[20]!)]);

  const { effects } = await assertExactlyOnce({
    pool: db.pool,
    kafka,
    prefix: `${id}-`,
    valid: valid.length,
    devices: devices.length,
    processedFrom: start,
    deadLetter: { malformed: malformed.length, from: dlqStart },
  });
  // The progress lines of npm run local and the chaos run count the same events without a ledger scan.
  assert.equal(await appliedSoFar(db.pool, `${id}-`), effects.ledger);
  assert.equal(await appliedSoFar(db.pool, `${id}x-`), 0, "another run's prefix counts nothing");

  const reasons: string[] = [];
  await readSince(kafka, dlqStart, (_key, value) => {
    const envelope = JSON.parse(value!.toString()) as DeadLetterEnvelope;
    assert.equal(envelope.source.topic, topics.sensorData);
    reasons.push(`${envelope.kind}: ${envelope.reason}`);
  });
  assert.equal(
    reasons.length,
    malformed.length,
    `DLQ holds each malformed record once: ${reasons.join(' | ')}`,
  );
  assert.ok(reasons.some((r) => r.startsWith('malformed-json')));
  assert.ok(reasons.some((r) => r.startsWith('unknown-schema-version')));
  assert.ok(reasons.some((r) => r.startsWith('schema-violation') && r.includes('/readings')));
  assert.ok(reasons.some((r) => r.startsWith('missing-key')));

  const state = await db.pool.query<{ last_event_id: string }>(
    'SELECT last_event_id FROM device_state WHERE device_id = $1',
    [devices[3]],
  );
  assert.equal(state.rows[0]?.last_event_id, `${devices[3]}-149`, 'device state holds the latest reading');
});
