/**
 * Ingest hardening, end to end on the real servers: whatever a real Kafka producer writes is
 * processed. Kafka's own Java producer sends readings compressed with each codec (gzip, snappy, lz4,
 * zstd), interleaved with plain kafkajs sends; a transactional producer commits one transaction and
 * aborts another. Every committed reading must be applied exactly once, no aborted one at all, and
 * nothing may reach the dead-letter topic.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { effectCounts, readSince, topicEndOffsets } from '../../../local/run-verification.js';
import { IngestBridge } from '../../../workers/bridge/ingest-bridge.js';
import { produce, record, sensorData } from '../../../local/testing/events.js';
import { assertExactlyOnce } from '../../../local/testing/exactly-once.js';
import { javaConsoleProduce, type JavaCodec } from '../../helpers/java-producer.js';
import { uniqueId } from '../../../local/testing/test-stack.js';
import { startFixtureBridge, startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const id = uniqueId('foreign');
const PER_SEND = 40;
const CODECS: JavaCodec[] = ['gzip', 'snappy', 'lz4', 'zstd'];
let fixture: WorkerFixture | undefined;
let bridge: IngestBridge | undefined;
let fatal: Error | undefined;

before(async () => {
  fixture = await startWorkerFixture(id);
});

after(async () => {
  await bridge?.stop();
  await fixture?.close();
});

void test('readings from the Java producer in every codec, plain ones and a committed transaction: each applied once; an aborted one never', async () => {
  const f = fixture!;
  const prefix = `${id}-ok-`;
  const abortedPrefix = `${id}-aborted-`;
  const processedFrom = await topicEndOffsets(f.kafka, f.topics.processed);
  const dlqFrom = await topicEndOffsets(f.kafka, f.topics.deadLetter);
  bridge = await startFixtureBridge(f, id, (err) => (fatal = err));

  let seq = 0;
  const readings = (p: string) =>
    Array.from({ length: PER_SEND }, () =>
      sensorData(`${p}d${seq % 7}`, seq++, { timestamp: Date.now() - 1000 }),
    );
  let expected = 0;
  const plain = async () => {
    await produce(f.kafka, f.topics.sensorData, readings(prefix).map(record));
    expected += PER_SEND;
  };
  await plain();
  for (const codec of CODECS) {
    const batch = readings(prefix).map((e) => ({ key: e.deviceId, value: JSON.stringify(e) }));
    await javaConsoleProduce(f.ep, f.topics.sensorData, codec, batch);
    expected += PER_SEND;
    await plain();
  }

  // Read committed: a committed transaction's readings count, an aborted one's never do.
  const producer = f.kafka.producer({
    transactionalId: `${id}-tx`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const committed = await producer.transaction();
    await committed.send({ topic: f.topics.sensorData, messages: readings(prefix).map(record) });
    await committed.commit();
    expected += PER_SEND;
    const aborted = await producer.transaction();
    await aborted.send({ topic: f.topics.sensorData, messages: readings(abortedPrefix).map(record) });
    await aborted.abort();
  } finally {
    await producer.disconnect();
  }
  await plain();

  await assertExactlyOnce({
    pool: f.db.pool,
    kafka: f.kafka,
    prefix,
    valid: expected,
    devices: 7,
    processedFrom,
    timeoutMs: 120_000,
  });
  assert.equal(
    (await effectCounts(f.db.pool, abortedPrefix)).ledger,
    0,
    'no reading of the aborted transaction',
  );
  let deadLettered = 0;
  await readSince(f.kafka, dlqFrom, () => deadLettered++);
  assert.equal(deadLettered, 0, 'nothing dead-lettered: every codec was read');
  assert.equal(fatal, undefined, 'the consumer never stopped');
});
