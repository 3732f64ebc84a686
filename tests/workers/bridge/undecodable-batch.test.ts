/**
 * Ingest hardening, finding 1, on the real servers: a record batch the consumer cannot decode never
 * halts the partition. Between good readings sit unparseable values and an lz4 batch read by a
 * kafkajs that has no lz4 codec (its stock state: the exact failure that crash-looped the bridge).
 * The good readings are applied once; each bad offset is in the dead-letter topic with its reason;
 * the consumer never stops.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { effectCounts, readSince, topicEndOffsets } from '../../../local/run-verification.js';
import { IngestBridge } from '../../../workers/bridge/ingest-bridge.js';
import { hardenKafkajs } from '../../../workers/lib/kafka-client.js';
import type { BoundedDeadLetterEnvelope } from '../../../workers/lib/dead-letter.js';
import { HEADERS } from '../../../workers/shared/topics.js';
import { record, sensorData } from '../../../local/testing/events.js';
import { eventually, uniqueId } from '../../../local/testing/test-stack.js';
import { startFixtureBridge, startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const require = createRequire(import.meta.url);
const id = uniqueId('undecodable');
let fixture: WorkerFixture | undefined;
let bridge: IngestBridge | undefined;

before(async () => {
  fixture = await startWorkerFixture(id);
});

after(async () => {
  await bridge?.stop();
  await fixture?.close();
});

interface Sent {
  readonly first: bigint;
  readonly last: bigint;
}

void test('undecodable and unparseable records between good ones: the good applied, the bad dead-lettered by offset, no stop', async () => {
  const f = fixture!;
  const good = `${id}-good-`;
  const lost = `${id}-lz4-`;
  const dlqFrom = await topicEndOffsets(f.kafka, f.topics.deadLetter);
  const producer = f.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const { CompressionTypes } = require('kafkajs') as typeof import('kafkajs');
  // Everything to partition 0, one send per group, so that each group's offsets are known.
  const send = async (messages: { key: string; value: string }[], compression = CompressionTypes.None) => {
    const [meta] = await producer.send({
      topic: f.topics.sensorData,
      acks: -1,
      compression,
      messages: messages.map((m) => ({ ...m, partition: 0 })),
    });
    const first = BigInt(meta!.baseOffset!);
    return { first, last: first + BigInt(messages.length - 1) } satisfies Sent;
  };
  const readings = (prefix: string, n: number, from: number) =>
    Array.from({ length: n }, (_, i) => record(sensorData(`${prefix}d${i % 5}`, from + i))) as {
      key: string;
      value: string;
    }[];
  let unparseable: Sent;
  let undecodable: Sent;
  try {
    await send(readings(good, 30, 0));
    unparseable = await send([
      { key: `${good}d0`, value: '{oops' },
      { key: `${good}d1`, value: '[1, 2' },
      { key: `${good}d2`, value: '\u0000\u0001binary' },
    ]);
    undecodable = await send(readings(lost, 20, 0), CompressionTypes.LZ4);
    await send(readings(good, 30, 30));
  } finally {
    await producer.disconnect();
  }

  // From here this process's kafkajs reads lz4 as stock kafkajs 2.2.4 does: not at all.
  hardenKafkajs();
  const codecs = (require('kafkajs') as { CompressionCodecs: Record<number, () => unknown> })
    .CompressionCodecs;
  codecs[CompressionTypes.LZ4] = () => {
    throw new Error('LZ4 compression not implemented');
  };
  let fatal: Error | undefined;
  bridge = await startFixtureBridge(f, id, (err) => (fatal = err));

  await eventually(
    'the 60 good readings applied',
    async () => (await effectCounts(f.db.pool, good)).ledger === 60,
    90_000,
  );
  const dead = new Map<bigint, BoundedDeadLetterEnvelope>();
  await eventually(
    'the 23 bad offsets dead-lettered',
    async () => {
      dead.clear();
      await readSince(f.kafka, dlqFrom, (_key, value, message) => {
        const envelope = JSON.parse(value!.toString()) as BoundedDeadLetterEnvelope;
        assert.equal(message.headers?.[HEADERS.dlqSourceOffset]?.toString(), envelope.source.offset);
        dead.set(BigInt(envelope.source.offset), envelope);
      });
      return dead.size >= 23;
    },
    30_000,
  );
  assert.equal(dead.size, 23, 'one dead letter per bad offset, none for a good one');
  for (let o = unparseable!.first; o <= unparseable!.last; o++)
    assert.equal(dead.get(o)?.kind, 'malformed-json', `offset ${o}`);
  for (let o = undecodable!.first; o <= undecodable!.last; o++) {
    const envelope = dead.get(o);
    assert.equal(envelope?.kind, 'undecodable-batch', `offset ${o}`);
    assert.equal(envelope.source.partition, 0);
    assert.match(
      envelope.reason,
      new RegExp(
        `record batch at offsets ${undecodable!.first}-${undecodable!.last} cannot be decoded: LZ4 compression not implemented`,
      ),
    );
  }
  assert.equal((await effectCounts(f.db.pool, lost)).ledger, 0, 'an undecodable reading has no effect');
  assert.equal(fatal, undefined, 'the consumer never stopped');
  assert.equal(bridge.ready, true, 'the bridge is still a group member');
});
