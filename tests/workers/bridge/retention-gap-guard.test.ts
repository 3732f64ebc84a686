/**
 * The bridge's retention guard (workers/bridge/retention-gap.ts) on its own, with a stand-in for the
 * Kafka admin and producer: which jumps are gaps, where a gap ends, and that a retried check notes a
 * gap once. The real-server behaviour is tests/workers/bridge/retention-gap.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kafka, Message } from 'kafkajs';
import { createBridgeMetrics } from '../../../workers/bridge/bridge-metrics.js';
import { RetentionGuard, retentionGapNote } from '../../../workers/bridge/retention-gap.js';
import { createLogger } from '../../../workers/lib/logger.js';
import { HEADERS } from '../../../workers/shared/topics.js';

interface Log {
  logStart: Map<number, bigint>;
  committed: Map<number, bigint>;
  sent: Message[];
  /** The send (counted from 1) that fails, as with a broker down. */
  failSend?: number;
}

function fakeKafka(state: Log): Kafka {
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchTopicOffsets: async () =>
      [...state.logStart].map(([partition, low]) => ({
        partition,
        low: low.toString(),
        high: '1000',
        offset: '1000',
      })),
    fetchOffsets: async () => [
      {
        topic: 'sensor-data',
        partitions: [...state.committed].map(([partition, offset]) => ({
          partition,
          offset: offset.toString(),
        })),
      },
    ],
  };
  let sends = 0;
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    send: async ({ messages }: { messages: Message[] }) => {
      if (++sends === state.failSend) throw new Error('broker down');
      state.sent.push(...messages);
    },
  };
  return { admin: () => admin, producer: () => producer } as unknown as Kafka;
}

function guardOf(state: Log) {
  const metrics = createBridgeMetrics();
  const guard = new RetentionGuard({
    kafka: fakeKafka(state),
    topic: 'sensor-data',
    parkingTopic: 'sensor-data-parking',
    consumerGroup: 'g',
    log: createLogger('test', 'error'),
    metrics,
  });
  const counted = async () => (await metrics.retentionGapRecords.get()).values[0]?.value;
  const notes = () =>
    state.sent.map((m) => {
      const v = JSON.parse(String(m.value)) as {
        range: { firstOffset: string; lastOffset: string };
        records: number;
      };
      return [v.range.firstOffset, v.range.lastOffset, v.records];
    });
  return { guard, counted, notes };
}

void test('assignment: a committed position below the log start is a gap, committed to the log start', async () => {
  const state: Log = {
    logStart: new Map([
      [0, 130n],
      [1, 0n],
      [2, 50n],
    ]),
    committed: new Map([
      [0, 100n],
      [1, 7n],
      [2, -1n],
    ]),
    sent: [],
  };
  const { guard, counted, notes } = guardOf(state);
  assert.deepEqual(await guard.checkAssignment([0, 1, 2]), [{ partition: 0, offset: '130' }]);
  assert.deepEqual(notes(), [['100', '129', 30]], 'partition 1 is ahead of its log start, 2 has no position');
  assert.equal(await counted(), 30);
});

void test('a check retried after a failed send notes and counts each gap once', async () => {
  const state: Log = {
    logStart: new Map([
      [0, 10n],
      [1, 20n],
    ]),
    committed: new Map([
      [0, 5n],
      [1, 15n],
    ]),
    sent: [],
    failSend: 2,
  };
  const { guard, counted, notes } = guardOf(state);
  // The first gap's note goes out, the second's send fails: the caller retries the whole check.
  await assert.rejects(guard.checkAssignment([0, 1]), /broker down/);
  assert.deepEqual(await guard.checkAssignment([0, 1]), [
    { partition: 0, offset: '10' },
    { partition: 1, offset: '20' },
  ]);
  assert.deepEqual(notes(), [
    ['5', '9', 5],
    ['15', '19', 5],
  ]);
  assert.equal(await counted(), 10);
});

void test('a running bridge: a jump past a deleted span is a gap; a jump over live offsets is not', async () => {
  const state: Log = { logStart: new Map([[0, 0n]]), committed: new Map([[0, 40n]]), sent: [] };
  const { guard, counted, notes } = guardOf(state);
  await guard.checkAssignment([0]);
  // Transaction markers or aborted records at 40-41: the fetch starts at 42, the log still holds 40.
  await guard.beforeBatch(0, 42n);
  assert.deepEqual(notes(), []);
  guard.committed(0, 60n);
  // Retention moved the log start to 75; kafkajs reset to it and the fetch starts there.
  state.logStart.set(0, 75n);
  await guard.beforeBatch(0, 75n);
  // A fetch that starts after a marker past the log start: the gap ends at the log start.
  guard.committed(0, 90n);
  state.logStart.set(0, 100n);
  await guard.beforeBatch(0, 101n);
  assert.deepEqual(notes(), [
    ['60', '74', 15],
    ['90', '99', 10],
  ]);
  assert.equal(await counted(), 25);
  // A fetch at or before the expected offset (a refetch) is never checked.
  await guard.beforeBatch(0, 101n);
  await guard.beforeBatch(0, 50n);
  assert.equal(state.sent.length, 2);
});

void test("the note is a ParkedRange in the parking format, keyed by the gap's first offset", () => {
  const note = retentionGapNote(
    { topic: 'sensor-data', partition: 3, firstOffset: 100n, lastOffset: 129n, logStartOffset: 130n },
    'sensor-ingest-bridge',
  );
  assert.equal(note.key, 'sensor-data/3/100');
  assert.equal(note.headers?.[HEADERS.eventType], 'ParkedRange');
  assert.equal(note.headers?.[HEADERS.idempotencyKey], 'gap:sensor-data:3:100');
  assert.match(
    String(note.headers?.[HEADERS.parkingReason]),
    /^retention-gap: sensor-data\/3 offsets 100-129 \(30 records\)/,
  );
  const value = JSON.parse(String(note.value)) as Record<string, unknown>;
  assert.deepEqual(
    { kind: value.kind, reason: value.reason, range: value.range, records: value.records },
    {
      kind: 'ParkedRange',
      reason: 'retention-gap',
      range: { topic: 'sensor-data', partition: 3, firstOffset: '100', lastOffset: '129' },
      records: 30,
    },
  );
});
