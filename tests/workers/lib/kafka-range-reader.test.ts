/**
 * The claim check's reader on the real broker: a range comes back exact (first to last offset, in
 * order) from compressed and uncompressed batches alike, and reading it from a backlog decodes little
 * past its end (a fetch sized for the whole backlog decoded every record of it, decompressing them).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import {
  KafkaRangeReader,
  firstFetchBytes,
  nextFetchBytes,
} from '../../../workers/lib/kafka-range-reader.js';
import { seededRandom } from '../../../local/lib/seeded-random.js';
import { stack, testKafka, testTopics, uniqueId } from '../../../local/testing/test-stack.js';

const SENDS = 24;
const PER_SEND = 1000;
let kafka: Kafka;
let producer: Producer;
let reader: KafkaRangeReader;
let topic: string;

before(async () => {
  const ep = await stack();
  topic = (await testTopics(ep, uniqueId('range'))).sensorData;
  kafka = testKafka(ep);
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  // A backlog of lz4 batches with one uncompressed batch in the middle, as mixed producers leave it.
  // Readings with varied digits, like a fleet's: in such data a block end fell inside a match, which
  // the broker refused until the LZ4 writer left room at the end of each block (kafka-codecs.ts).
  const random = seededRandom(7);
  for (let s = 0; s < SENDS; s++) {
    await producer.send({
      topic,
      acks: -1,
      compression: s === SENDS / 2 ? CompressionTypes.None : CompressionTypes.LZ4,
      messages: Array.from({ length: PER_SEND }, (_, i) => ({
        key: `device-${i % 50}`,
        value: JSON.stringify({
          n: s * PER_SEND + i,
          readings: { temperature: 20 + random() * 10, humidity: random() * 100, pressure: 1000 + random() },
        }),
        partition: 0,
      })),
    });
  }
  reader = new KafkaRangeReader(kafka);
});

after(async () => {
  await reader?.close();
  await producer?.disconnect();
});

for (const [first, last] of [
  [1500, 4499],
  [11_990, 12_010],
  [0, 0],
  [SENDS * PER_SEND - 1, SENDS * PER_SEND - 1],
] as const) {
  test(`offsets ${first}..${last} read back exactly, decoding little past the range`, async () => {
    const read = await reader.read({
      topic,
      partition: 0,
      firstOffset: String(first),
      lastOffset: String(last),
    });
    const length = last - first + 1;
    assert.equal(read.outOfRange, false);
    assert.deepEqual(
      read.records.map((r) => Number(r.offset)),
      Array.from({ length }, (_, i) => first + i),
    );
    assert.deepEqual(
      read.records.map((r) => (JSON.parse(r.value!.toString()) as { n: number }).n),
      Array.from({ length }, (_, i) => first + i),
    );
    // Whole batches come back (a batch each side), and the density estimate errs by up to a batch;
    // the backlog is 24,000 records, which one 8 MiB fetch decoded.
    assert.ok(read.decoded <= length * 1.1 + 3 * PER_SEND, `decoded ${read.decoded} records for ${length}`);
  });
}

test('the next fetch is sized from the density the last one showed, within bounds', () => {
  assert.equal(nextFetchBytes(64 * 1024, 200n, 2800n), Math.ceil(2800 * ((64 * 1024) / 200) * 1.1));
  assert.equal(nextFetchBytes(64 * 1024, 1000n, 1n), 4 * 1024, 'never below 4 KiB');
  assert.equal(firstFetchBytes(1n), 4 * 1024);
  assert.equal(firstFetchBytes(1000n), 32_000);
  assert.equal(firstFetchBytes(5000n), 64 * 1024);
  assert.equal(nextFetchBytes(8 << 20, 10n, 1_000_000n), 8 << 20, 'never above 8 MiB');
});
