import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { hardenKafkajs } from '../../../workers/lib/kafka-client.js';
import {
  encodeRecord,
  kafkajsRecordEncoder,
  type RecordInput,
} from '../../../workers/lib/kafkajs-record-encoder.js';
import { readMessages } from '../../../local/testing/events.js';
import { stack, testKafka, testTopics, uniqueId } from '../../../local/testing/test-stack.js';

const require = createRequire(import.meta.url);

const records: RecordInput[] = [
  {
    key: 'device-1',
    value: '{"a":1}',
    headers: { 'idempotency-key': 'e-1', 'event-type': 'SensorDataProcessed' },
  },
  { offsetDelta: 1999, timestampDelta: 123_456, key: Buffer.from([0, 1, 2]), value: Buffer.alloc(300, 7) },
  { key: null, value: null },
  { key: undefined, value: 'v', headers: {} },
  { key: 'ключ', value: 'значение ✓', headers: { заголовок: 'значение', many: ['a', Buffer.from('b'), ''] } },
  { offsetDelta: 70_000, timestampDelta: -5, key: '', value: '' },
  { timestampDelta: 2 ** 40 + 3, value: 'x'.repeat(20_000) },
];

test('the record encoder writes the same bytes as kafkajs for every shape it takes', () => {
  const kafkajs = kafkajsRecordEncoder();
  for (const record of records) {
    const ours = encodeRecord(record);
    assert.ok(ours, `encodes ${JSON.stringify(record).slice(0, 80)}`);
    assert.deepEqual(ours.buffer, kafkajs(record).buffer, JSON.stringify(record).slice(0, 80));
  }
});

test('shapes it does not know are left to kafkajs', () => {
  assert.equal(encodeRecord({ value: 5 as never }), undefined);
  assert.equal(encodeRecord({ value: 'v', timestampDelta: 0.5 }), undefined);
  assert.equal(encodeRecord({ value: 'v', headers: { h: null } }), undefined);
});

test('a send through the installed encoder reads back with its keys, values and headers', async () => {
  assert.equal(hardenKafkajs().records, 'installed');
  assert.notEqual(require('kafkajs/src/protocol/recordBatch/record/v0/index.js'), kafkajsRecordEncoder());
  const ep = await stack();
  const topics = await testTopics(ep, uniqueId('records'));
  const kafka = testKafka(ep);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const sent = Array.from({ length: 500 }, (_, i) => ({
      key: `device-${i % 7}`,
      value: JSON.stringify({ i, text: 'ü'.repeat(i % 5) }),
      partition: 0,
      headers: { 'idempotency-key': `e-${i}`, many: ['a', `b${i}`] },
    }));
    await producer.send({ topic: topics.processed, acks: -1, messages: sent });
    const seen = (await readMessages(kafka, topics.processed, sent.length)).map((message) => ({
      key: message.key!.toString(),
      value: message.value!.toString(),
      id: String(message.headers?.['idempotency-key']),
      many: (message.headers?.many as Buffer[]).map(String),
    }));
    assert.deepEqual(
      seen,
      sent.map((m) => ({
        key: m.key,
        value: m.value,
        id: m.headers['idempotency-key'],
        many: m.headers.many,
      })),
    );
  } finally {
    await producer.disconnect();
  }
});
