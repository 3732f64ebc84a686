/**
 * Issue 23, finding 6: records deleted before the bridge consumed them (retention overtook it, or
 * `kafka-delete-records`) were skipped with kafkajs's "Offset out of range, resetting to default
 * offset" and nothing else. Now each lost span is one ParkedRange note on the parking topic (reason
 * retention-gap, exact offsets and count), a count on sensor_bridge_retention_gap_records_total, and
 * the records after the gap are applied exactly once. Two ways the log start overtakes the bridge:
 * while it is stopped (seen when its partitions are assigned again) and while it runs (seen on the
 * fetch after kafkajs reset its position).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Kafka } from 'kafkajs';
import { effectCounts, readSince, topicEndOffsets } from '../../../local/run-verification.js';
import { produce, record, sensorData } from '../../../local/testing/events.js';
import { eventually, testBridgeConfig, uniqueId } from '../../../local/testing/test-stack.js';
import { createBridgeMetrics, type BridgeMetrics } from '../../../workers/bridge/bridge-metrics.js';
import { IngestBridge } from '../../../workers/bridge/ingest-bridge.js';
import { createLogger } from '../../../workers/lib/logger.js';
import { HEADERS } from '../../../workers/shared/topics.js';
import { startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const fixtures: WorkerFixture[] = [];
const bridges: IngestBridge[] = [];

after(async () => {
  for (const b of bridges) await b.stop().catch(() => undefined);
  for (const f of fixtures) await f.close();
});

interface GapNote {
  kind: string;
  reason: string;
  range: { topic: string; partition: number; firstOffset: string; lastOffset: string };
  records: number;
}

async function gapNotes(f: WorkerFixture): Promise<GapNote[]> {
  const notes: GapNote[] = [];
  await readSince(f.kafka, { topic: f.topics.parking, partitions: [] }, (_key, value, message) => {
    if (message.headers?.[HEADERS.eventType]?.toString() === 'ParkedRange')
      notes.push(JSON.parse(String(value)) as GapNote);
  });
  return notes;
}

/** Readings for devices `<prefix>d0..d4`, all to partition 0 so that their offsets are known. */
async function produceTo0(kafka: Kafka, topic: string, prefix: string, count: number): Promise<void> {
  const base = Date.now() - 60_000;
  await produce(
    kafka,
    topic,
    Array.from({ length: count }, (_, i) => ({
      ...record(sensorData(`${prefix}d${i % 5}`, i, { timestamp: base + i })),
      partition: 0,
    })),
  );
}

async function committed(f: WorkerFixture, group: string): Promise<bigint> {
  const admin = f.kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [f.topics.sensorData] });
    return BigInt(offsets?.partitions.find((p) => p.partition === 0)?.offset ?? '-1');
  } finally {
    await admin.disconnect();
  }
}

async function deleteBelow(f: WorkerFixture, offset: bigint): Promise<void> {
  const admin = f.kafka.admin();
  await admin.connect();
  try {
    // kafkajs's admin needs the topic's metadata loaded first.
    await admin.fetchTopicMetadata({ topics: [f.topics.sensorData] });
    await admin.deleteTopicRecords({
      topic: f.topics.sensorData,
      partitions: [{ partition: 0, offset: offset.toString() }],
    });
  } finally {
    await admin.disconnect();
  }
}

function bridgeOf(
  f: WorkerFixture,
  id: string,
  metrics: BridgeMetrics,
  beforeCommit?: (partition: number) => Promise<void>,
): IngestBridge {
  const bridge = new IngestBridge({
    config: testBridgeConfig(f.ep, id, f.topics),
    kafka: f.kafka,
    client: f.temporal.client,
    log: createLogger('test-bridge'),
    metrics,
    beforeCommit,
  });
  bridges.push(bridge);
  return bridge;
}

const gapCount = async (metrics: BridgeMetrics) => (await metrics.retentionGapRecords.get()).values[0]?.value;

void test('retention overtakes a stopped bridge: the gap is noted with its offsets, the rest applied once', async () => {
  const id = uniqueId('gapstop');
  const f = await startWorkerFixture(id);
  fixtures.push(f);
  const group = `${id}-bridge`;

  // Offsets 0-99: consumed and committed; then the bridge stops.
  const first = bridgeOf(f, id, createBridgeMetrics());
  await first.start();
  await produceTo0(f.kafka, f.topics.sensorData, `${id}-p1-`, 100);
  await eventually('the bridge committed offset 100', async () => (await committed(f, group)) === 100n);
  // And the worker read them: the deletion below must not expire their batches' ranges.
  await eventually(
    'offsets 0-99 applied',
    async () => (await effectCounts(f.db.pool, `${id}-p1-`)).ledger === 100,
  );
  await first.stop();

  // Offsets 100-149 arrive while it is stopped; retention deletes everything below 130.
  await produceTo0(f.kafka, f.topics.sensorData, `${id}-p2-`, 30);
  await produceTo0(f.kafka, f.topics.sensorData, `${id}-p3-`, 20);
  await deleteBelow(f, 130n);
  // And more after the deletion: offsets 150-169.
  await produceTo0(f.kafka, f.topics.sensorData, `${id}-p4-`, 20);

  const metrics = createBridgeMetrics();
  await bridgeOf(f, id, metrics).start();
  await eventually(
    'the records after the gap applied',
    async () =>
      (await effectCounts(f.db.pool, `${id}-p3-`)).ledger >= 20 &&
      (await effectCounts(f.db.pool, `${id}-p4-`)).ledger >= 20,
    90_000,
  );
  await eventually('the bridge committed offset 170', async () => (await committed(f, group)) === 170n);

  const notes = await gapNotes(f);
  assert.deepEqual(
    notes.map((n) => [n.reason, n.range.partition, n.range.firstOffset, n.range.lastOffset, n.records]),
    [['retention-gap', 0, '100', '129', 30]],
    'one note names the lost span exactly',
  );
  assert.equal(await gapCount(metrics), 30, 'the metric counts the lost records');
  for (const [prefix, applied] of [
    [`${id}-p1-`, 100],
    [`${id}-p2-`, 0],
    [`${id}-p3-`, 20],
    [`${id}-p4-`, 20],
  ] as const) {
    const effects = await effectCounts(f.db.pool, prefix);
    assert.equal(effects.ledger, applied, `${prefix}: in the ledger`);
    assert.equal(effects.rollupCount, applied, `${prefix}: counted once in the rollups`);
  }
});

void test('retention overtakes a running bridge between two fetches: the gap is noted before the next commit', async () => {
  const id = uniqueId('gaprun');
  const f = await startWorkerFixture(id);
  fixtures.push(f);
  const group = `${id}-bridge`;
  const metrics = createBridgeMetrics();
  let overtaken = false;
  // After the first batch's workflows started and before its commit: let the worker apply it, then
  // produce the next records and delete past the batch, so the next fetch finds the log start moved.
  const bridge = bridgeOf(f, id, metrics, async (partition) => {
    if (overtaken || partition !== 0) return;
    overtaken = true;
    await eventually(
      'the first batch applied',
      async () => (await effectCounts(f.db.pool, `${id}-p1-`)).ledger === 40,
    );
    await produceTo0(f.kafka, f.topics.sensorData, `${id}-p2-`, 25);
    await produceTo0(f.kafka, f.topics.sensorData, `${id}-p3-`, 15);
    await deleteBelow(f, 65n);
  });
  await bridge.start();
  const parkingFrom = await topicEndOffsets(f.kafka, f.topics.parking);
  await produceTo0(f.kafka, f.topics.sensorData, `${id}-p1-`, 40);
  await eventually(
    'the records after the gap applied',
    async () => (await effectCounts(f.db.pool, `${id}-p3-`)).ledger >= 15,
    90_000,
  );
  await eventually('the bridge committed offset 80', async () => (await committed(f, group)) === 80n);
  assert.ok(overtaken);
  const notes: GapNote[] = [];
  await readSince(f.kafka, parkingFrom, (_key, value, message) => {
    if (message.headers?.[HEADERS.eventType]?.toString() === 'ParkedRange')
      notes.push(JSON.parse(String(value)) as GapNote);
  });
  assert.deepEqual(
    notes.map((n) => [n.reason, n.range.partition, n.range.firstOffset, n.range.lastOffset, n.records]),
    [['retention-gap', 0, '40', '64', 25]],
  );
  assert.equal(await gapCount(metrics), 25);
  for (const [prefix, applied] of [
    [`${id}-p1-`, 40],
    [`${id}-p2-`, 0],
    [`${id}-p3-`, 15],
  ] as const) {
    const effects = await effectCounts(f.db.pool, prefix);
    assert.equal(effects.ledger, applied, `${prefix}: in the ledger`);
    assert.equal(effects.rollupCount, applied, `${prefix}: counted once in the rollups`);
  }
});
