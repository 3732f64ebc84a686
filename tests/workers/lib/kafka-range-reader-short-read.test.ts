/**
 * Issue 23, finding 7: a short read is a moment, not missing data. Right after a leader change the new
 * leader's high watermark can sit below a range the bridge already saw; the reader took the empty
 * fetch for the end of the log and the claim check parked the batch as records-missing, which redrive
 * skips. Here the range's last offsets are beyond the high watermark when the read starts and are
 * produced a few seconds later: the read waits for them and returns the whole range. A range that
 * never fills is returned after the bound and judged records-missing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Kafka, Message, Producer } from 'kafkajs';
import { checkClaim } from '../../../workers/activities/claim-check.js';
import { KafkaRangeReader } from '../../../workers/lib/kafka-range-reader.js';
import { recordFingerprint } from '../../../workers/lib/record-fingerprint.js';
import type { BatchClaim, BatchRange } from '../../../workers/shared/temporal.js';
import { stack, testKafka, testTopics, uniqueId } from '../../../local/testing/test-stack.js';

const BOUND_MS = 3000;
let kafka: Kafka;
let producer: Producer;
let reader: KafkaRangeReader;
let boundedReader: KafkaRangeReader;
let topic: string;

before(async () => {
  const ep = await stack();
  topic = (await testTopics(ep, uniqueId('shortread'), 2)).sensorData;
  kafka = testKafka(ep);
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  reader = new KafkaRangeReader(kafka);
  boundedReader = new KafkaRangeReader(kafka, { shortReadWaitMs: BOUND_MS });
});

after(async () => {
  await reader?.close();
  await boundedReader?.close();
  await producer?.disconnect();
});

const timestamp = '1700000000000';
const messages = (partition: number, from: number, count: number): Message[] =>
  Array.from({ length: count }, (_, i) => ({
    key: `device-${(from + i) % 7}`,
    value: JSON.stringify({ n: from + i }),
    partition,
    timestamp,
  }));

async function send(batch: Message[]): Promise<void> {
  await producer.send({ topic, acks: -1, messages: batch });
}

/** The claim the bridge would have made for these records at offsets first..first+n-1. */
function claimOf(batch: Message[]): BatchClaim {
  const print = (m: Message) =>
    recordFingerprint(timestamp, Buffer.from(String(m.key)), Buffer.from(String(m.value)));
  return {
    records: batch.length,
    firstRecord: print(batch[0]!),
    lastRecord: print(batch[batch.length - 1]!),
  };
}

void test('the range ends beyond the high watermark and fills while the read waits: all of it, no park', async () => {
  const all = messages(0, 0, 50);
  await send(all.slice(0, 30));
  const range: BatchRange = { topic, partition: 0, firstOffset: '0', lastOffset: '49' };
  const started = Date.now();
  const reading = reader.read(range);
  // The missing records arrive while the read waits, as a lagging high watermark catches up.
  await new Promise((r) => setTimeout(r, 3000));
  await send(all.slice(30));
  const read = await reading;
  assert.deepEqual(
    read.records.map((r) => Number(r.offset)),
    Array.from({ length: 50 }, (_, i) => i),
    'every offset of the range',
  );
  assert.ok(Date.now() - started >= 3000, 'the read waited for the log');
  assert.ok((read.waitedMs ?? 0) >= 2500, `waitedMs ${read.waitedMs}`);
  assert.equal(checkClaim(range, claimOf(all), read), undefined, 'the claim holds: nothing parked');
});

void test('a range the log never reaches is returned after the bound and judged records-missing', async () => {
  const batch = messages(1, 0, 20);
  await send(batch.slice(0, 12));
  const range: BatchRange = { topic, partition: 1, firstOffset: '0', lastOffset: '19' };
  const started = Date.now();
  const read = await boundedReader.read(range);
  const took = Date.now() - started;
  assert.ok(took >= BOUND_MS && took < BOUND_MS + 5000, `returned after ${took} ms (bound ${BOUND_MS})`);
  assert.equal(read.records.length, 12);
  const problem = checkClaim(range, claimOf(batch), read);
  assert.equal(problem?.reason, 'records-missing');
  assert.match(problem.detail, /after waiting \d+\.\d s for the log to reach it/);
});

void test('a range wholly on the log is read without waiting', async () => {
  const range: BatchRange = { topic, partition: 0, firstOffset: '10', lastOffset: '19' };
  const started = Date.now();
  const read = await reader.read(range);
  assert.equal(read.records.length, 10);
  assert.ok(Date.now() - started < 2000, 'no wait');
  assert.equal(read.waitedMs ?? 0, 0);
});
