// First, as in every process: kafkajs binds the grouping when it loads.
import { linearGrouping, producerGrouping } from '../../../workers/lib/kafkajs-producer-grouping.js';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { readMessages } from '../../../local/testing/events.js';
import { stack, testKafka, testTopics, uniqueId } from '../../../local/testing/test-stack.js';

const require = createRequire(import.meta.url);

test('kafkajs producers in this process group with the linear function', () => {
  assert.equal(producerGrouping(), 'installed');
  assert.equal(require('kafkajs/src/producer/groupMessagesPerPartition.js'), linearGrouping);
});

test('the linear grouping keeps each partition in send order, as kafkajs does', () => {
  const messages = Array.from({ length: 1000 }, (_, i) => ({
    key: `k${i}`,
    value: String(i),
    p: (i * 7) % 5,
  }));
  const grouped = linearGrouping({
    topic: 't',
    partitionMetadata: [{}, {}, {}, {}, {}],
    messages,
    partitioner: ({ message }) => (message as { p: number }).p,
  });
  assert.deepEqual(Object.keys(grouped).sort(), ['0', '1', '2', '3', '4']);
  for (let p = 0; p < 5; p++)
    assert.deepEqual(
      grouped[p],
      messages.filter((m) => m.p === p),
    );
  assert.deepEqual(linearGrouping({ topic: 't', partitionMetadata: [], messages, partitioner: () => 0 }), {});
});

test('a 3,000-message send to one partition arrives whole and in order', async () => {
  const ep = await stack();
  const topics = await testTopics(ep, uniqueId('grouping'));
  const kafka = testKafka(ep);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const values = Array.from({ length: 3000 }, (_, i) => String(i));
    const [meta] = await producer.send({
      topic: topics.processed,
      acks: -1,
      messages: values.map((value) => ({ key: 'same', value, partition: 0 })),
    });
    assert.equal(meta?.partition, 0);
    const seen = await readMessages(kafka, topics.processed, values.length);
    assert.deepEqual(
      seen.map((m) => m.value!.toString()),
      values,
    );
  } finally {
    await producer.disconnect();
  }
});
