/**
 * The local broker authenticates with SCRAM-SHA-512 and enforces per-service ACLs, so the pipeline's
 * authenticated code path is the one every other test exercises.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KafkaRangeReader } from '../../workers/lib/kafka-range-reader.js';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaClientConfig, type StackEndpoints } from '../../local/config.js';
import { stack, testKafka, testTopics, uniqueId } from '../../local/testing/test-stack.js';
import type { TopicNames } from '../../workers/config.js';

let ep: StackEndpoints;
let topics: TopicNames;

before(async () => {
  ep = await stack();
  topics = await testTopics(ep, uniqueId('auth'), 1);
});

after(async () => {
  const admin = testKafka(ep).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin.disconnect();
});

const noRetry = { retry: { retries: 0 }, connectionTimeout: 3000, authenticationTimeout: 3000 };

test('a client without credentials is refused', async () => {
  const kafka = new Kafka({
    clientId: 'anonymous',
    brokers: ep.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    ...noRetry,
  });
  const admin = kafka.admin();
  await assert.rejects(async () => {
    await admin.connect();
    await admin.listTopics();
  });
  await admin.disconnect().catch(() => undefined);
});

test('a wrong password is refused with an authentication error', async () => {
  const kafka = new Kafka({
    ...kafkaClientConfig(ep, 'wrong-password', 'worker'),
    sasl: { mechanism: 'scram-sha-512', username: 'sensor-worker', password: 'not-the-password' },
    ...noRetry,
  });
  const admin = kafka.admin();
  await assert.rejects(admin.connect(), /SASL SCRAM SHA512 authentication failed/);
  await admin.disconnect().catch(() => undefined);
});

test('the worker may produce and read by offset but not use a consumer group', async () => {
  const kafka = new Kafka({ ...kafkaClientConfig(ep, 'worker-acl', 'worker'), connectionTimeout: 3000 });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const [meta] = await producer.send({ topic: topics.processed, messages: [{ key: 'k', value: 'v' }] });
    assert.equal(meta?.errorCode, 0);
    // The claim check: the worker reads a batch's range itself, with no group.
    const reader = new KafkaRangeReader(kafka);
    try {
      const at = meta!.baseOffset!;
      const read = await reader.read({
        topic: topics.processed,
        partition: meta!.partition,
        firstOffset: at,
        lastOffset: at,
      });
      assert.deepEqual(
        read.records.map((r) => String(r.value)),
        ['v'],
      );
    } finally {
      await reader.close();
    }
  } finally {
    await producer.disconnect();
  }
  // Consuming needs access to a group, which the worker lacks: the broker refuses even the
  // coordinator lookup that the bridge's user is allowed (kafkajs reports it as not found).
  const groupId = uniqueId('worker-acl');
  const offsetsAs = async (principal: 'bridge' | 'worker') => {
    const admin = new Kafka({
      ...kafkaClientConfig(ep, 'acl-probe', principal),
      retry: { retries: 3, initialRetryTime: 200 },
    }).admin();
    await admin.connect();
    try {
      return await admin.fetchOffsets({ groupId, topics: [topics.processed] });
    } finally {
      await admin.disconnect();
    }
  };
  assert.equal((await offsetsAs('bridge')).length, 1);
  await assert.rejects(offsetsAs('worker'), /group coordinator|not authori[sz]ed/i);
});

test('the bridge may consume its group and write the dead-letter topic', async () => {
  const kafka = new Kafka({ ...kafkaClientConfig(ep, 'bridge-acl', 'bridge'), ...noRetry });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: topics.deadLetter, messages: [{ key: 'k', value: 'dead' }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: uniqueId('bridge-acl') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topics.deadLetter], fromBeginning: true });
    const value = await new Promise<string>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
      void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
    });
    assert.equal(value, 'dead');
  } finally {
    await consumer.disconnect();
  }
});

test("KEDA's lag reader may read offsets and the group's commits, but neither consume nor produce", async () => {
  const kafka = new Kafka({ ...kafkaClientConfig(ep, 'lag-reader-acl', 'lagReader'), ...noRetry });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topics.sensorData);
    assert.ok(ends.length > 0, 'the lag reader could not list the topic offsets');
    const committed = await admin.fetchOffsets({
      groupId: uniqueId('lag-reader'),
      topics: [topics.sensorData],
    });
    assert.equal(committed.length, 1);
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  try {
    await assert.rejects(
      producer.send({ topic: topics.sensorData, messages: [{ key: 'k', value: 'v' }] }),
      /not authori[sz]ed/i,
    );
  } finally {
    await producer.disconnect();
  }
  const reader = new KafkaRangeReader(kafka);
  try {
    await assert.rejects(
      reader.read({ topic: topics.sensorData, partition: 0, firstOffset: '0', lastOffset: '0' }),
      /not authori[sz]ed/i,
    );
  } finally {
    await reader.close();
  }
});
