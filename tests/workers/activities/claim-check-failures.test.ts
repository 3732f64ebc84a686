/**
 * The failure modes the claim check opens (decision 0008), each on the real servers: a batch workflow
 * names a range whose records expired (deleted before the worker read them), were replaced (the
 * topic recreated under the open batch) or lost a record inside (compaction). Each batch must end
 * parked with its reason: one ParkedRange record on the parking topic, the metric counted, no effect.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Kafka, Message } from 'kafkajs';
import {
  effectCounts,
  readSince,
  topicEndOffsets,
  type TopicOffsets,
} from '../../../local/run-verification.js';
import { ensureTopics, pipelineTopicSpecs } from '../../../local/topics.js';
import type { TopicNames } from '../../../workers/config.js';
import { KafkaRangeReader } from '../../../workers/lib/kafka-range-reader.js';
import { recordFingerprint } from '../../../workers/lib/record-fingerprint.js';
import { DEFAULT_ALERT_RULES } from '../../../workers/shared/alert-rules.js';
import { WORKER_METRICS } from '../../../workers/shared/metrics.js';
import {
  WORKFLOW_TYPES,
  batchWorkflowId,
  type BatchClaim,
  type ParkReason,
  type ProcessSensorBatchInput,
  type ProcessSensorBatchResult,
} from '../../../workers/shared/temporal.js';
import { HEADERS } from '../../../workers/shared/topics.js';
import { createWorkerMetrics } from '../../../workers/worker/worker-metrics.js';
import { record, sensorData } from '../../../local/testing/events.js';
import { eventually, uniqueId, type TestDatabase } from '../../../local/testing/test-stack.js';
import { startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const id = uniqueId('claim');
const metrics = createWorkerMetrics();
let f: WorkerFixture;
let ep: WorkerFixture['ep'];
let topics: TopicNames;
let db: TestDatabase;
let temporal: WorkerFixture['temporal'];
let kafka: Kafka;

before(async () => {
  f = await startWorkerFixture(id, {}, metrics);
  ({ ep, topics, db, temporal, kafka } = f);
});

after(async () => f?.close());

interface Produced {
  readonly first: bigint;
  readonly claim: BatchClaim;
}

/** Produces messages to partition 0 of `topic` in one send; returns where they went and their claim. */
async function produce(topic: string, messages: Message[]): Promise<Produced> {
  const timestamp = String(Date.now());
  const stamped = messages.map((m) => ({ ...m, partition: 0, timestamp }));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const [meta] = await producer.send({ topic, acks: -1, messages: stamped });
    const print = (m: Message) =>
      recordFingerprint(timestamp, Buffer.from(String(m.key)), Buffer.from(String(m.value)));
    return {
      first: BigInt(meta!.baseOffset!),
      claim: {
        records: stamped.length,
        firstRecord: print(stamped[0]!),
        lastRecord: print(stamped[stamped.length - 1]!),
      },
    };
  } finally {
    await producer.disconnect();
  }
}

async function runBatch(
  topic: string,
  first: bigint,
  last: bigint,
  claim: BatchClaim,
): Promise<ProcessSensorBatchResult> {
  const input: ProcessSensorBatchInput = {
    range: { topic, partition: 0, firstOffset: first.toString(), lastOffset: last.toString() },
    claim,
    rules: DEFAULT_ALERT_RULES,
    maxEventAgeMs: 3600_000,
    maxClockSkewMs: 60_000,
  };
  return (await temporal.client.workflow.execute(WORKFLOW_TYPES.processSensorBatch, {
    workflowId: batchWorkflowId(topic, 0, first.toString(), claim.firstRecord),
    taskQueue: `${id}-queue`,
    args: [input],
  })) as ProcessSensorBatchResult;
}

async function parkedCount(reason: ParkReason): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(WORKER_METRICS.batchesParked)?.get();
  return metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** The ParkedRange records on the parking topic since `from`. */
async function parkedRanges(
  from: TopicOffsets,
): Promise<{ reason: string; range: { firstOffset: string } }[]> {
  const found: { reason: string; range: { firstOffset: string } }[] = [];
  await readSince(kafka, from, (_key, value, message) => {
    if (message.headers?.[HEADERS.eventType]?.toString() === 'ParkedRange')
      found.push(JSON.parse(String(value)) as { reason: string; range: { firstOffset: string } });
  });
  return found;
}

/**
 * Runs the batch and checks that it parked its range for `reason`: nothing applied, the metric
 * counted once, and one ParkedRange record naming the range on the parking topic.
 */
async function expectParked(
  reason: ParkReason,
  topic: string,
  first: bigint,
  last: bigint,
  claim: BatchClaim,
): Promise<void> {
  const parkingFrom = await topicEndOffsets(kafka, topics.parking);
  const before = await parkedCount(reason);
  const result = await runBatch(topic, first, last, claim);
  assert.equal(result.parked, reason);
  assert.equal(result.applied, 0);
  assert.equal(await parkedCount(reason), before + 1, 'counted');
  assert.deepEqual(
    (await parkedRanges(parkingFrom)).map((p) => [p.reason, p.range.firstOffset]),
    [[reason, first.toString()]],
  );
}

const readings = (device: string, n: number) =>
  Array.from({ length: n }, (_, i) => record(sensorData(device, i)));

void test('records deleted before the worker read them: range-expired', async () => {
  const device = `${id}-expired`;
  const { first, claim } = await produce(topics.sensorData, readings(device, 10));
  const last = first + 9n;
  const admin = kafka.admin();
  await admin.connect();
  try {
    // What retention does to old segments: the log now starts after the range. (kafkajs's admin
    // needs the topic's metadata loaded first.)
    await admin.fetchTopicMetadata({ topics: [topics.sensorData] });
    await admin.deleteTopicRecords({
      topic: topics.sensorData,
      partitions: [{ partition: 0, offset: String(last + 1n) }],
    });
  } finally {
    await admin.disconnect();
  }
  await expectParked('range-expired', topics.sensorData, first, last, claim);
  assert.equal((await effectCounts(db.pool, device)).ledger, 0);
});

void test('the topic recreated under an open batch: range-replaced', async () => {
  const topic = `${id}.recreated`;
  await ensureTopics(ep.kafkaBrokers, [{ topic, partitions: 1 }]);
  const device = `${id}-replaced`;
  const { first, claim } = await produce(topic, readings(device, 10));
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
    await eventually('the topic is gone', async () => !(await admin.listTopics()).includes(topic));
  } finally {
    await admin.disconnect();
  }
  await ensureTopics(ep.kafkaBrokers, [{ topic, partitions: 1 }]);
  await produce(topic, readings(`${id}-other`, 10));
  await expectParked('range-replaced', topic, first, first + 9n, claim);
  assert.equal(
    (await effectCounts(db.pool, `${id}-other`)).ledger,
    0,
    'the other records are not taken for the claimed ones',
  );
});

void test('a record compacted away inside the range: records-missing', { timeout: 180_000 }, async () => {
  // A compacted topic (a misconfiguration claim check must survive): the cleaner drops an older
  // record of a key once its segment is closed.
  const topic = `${id}.compacted`;
  await ensureTopics(ep.kafkaBrokers, [
    {
      topic,
      partitions: 1,
      config: {
        'cleanup.policy': 'compact',
        'segment.ms': '100',
        'min.cleanable.dirty.ratio': '0.01',
        'min.compaction.lag.ms': '0',
        'delete.retention.ms': '100',
      },
    },
  ]);
  const device = `${id}-compacted`;
  const [a, b, bAgain, c] = [
    record(sensorData(`${device}a`, 1)),
    record(sensorData(`${device}b`, 2)),
    record(sensorData(`${device}b`, 3)),
    record(sensorData(`${device}c`, 4)),
  ];
  const { first, claim } = await produce(topic, [a!, b!, bAgain!, c!]);
  // Close the segment: the next append after segment.ms rolls it, and the cleaner may take it.
  await new Promise((r) => setTimeout(r, 500));
  await produce(topic, [record(sensorData(`${device}d`, 5))]);
  const reader = new KafkaRangeReader(kafka);
  try {
    await eventually(
      'the log cleaner removed the older record of key b',
      async () => {
        await produce(topic, [record(sensorData(`${device}e`, 6))]);
        const read = await reader.read({
          topic,
          partition: 0,
          firstOffset: first.toString(),
          lastOffset: (first + 3n).toString(),
        });
        return read.records.length === 3;
      },
      150_000,
    );
  } finally {
    await reader.close();
  }
  await expectParked('records-missing', topic, first, first + 3n, claim);
  assert.equal((await effectCounts(db.pool, device)).ledger, 0, 'no partial batch: nothing applied');
});

void test('local topics are set for claim check: sensor-data deletes, never compacts', () => {
  const spec = pipelineTopicSpecs(topics).find((s) => s.topic === topics.sensorData)!;
  assert.equal(spec.config?.['cleanup.policy'], 'delete');
});
