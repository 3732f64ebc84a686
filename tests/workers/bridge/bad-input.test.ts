/**
 * Issue 7 end to end: the bad-input corpus (tests/fixtures/bad-input), three times over and
 * interleaved with valid readings, through a real bridge process and a real worker. Every bad record
 * lands in the DLQ once with its reason and the original position, key and value; every valid event
 * takes effect once; the bridge process never dies. Then a flood of 1 MB values and deep nesting:
 * the pipeline keeps flowing and the bridge's resident memory stays bounded.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Kafka, Message } from 'kafkajs';
import {
  startPipelineProcess,
  stopPipelineProcess,
  waitReady,
  type PipelineProcess,
} from '../../../local/pipeline-processes.js';
import { effectCounts, processedTopicCounts, topicEndOffsets } from '../../../local/run-verification.js';
import type { TopicNames } from '../../../workers/config.js';
import {
  chunkForSend,
  MAX_DEAD_LETTER_RECORD_BYTES,
  MAX_DEAD_LETTER_VALUE_BYTES,
  type BoundedDeadLetterEnvelope,
} from '../../../workers/lib/dead-letter.js';
import { installKafkajsDecoders } from '../../../workers/lib/kafkajs-decoders.js';
import { createLogger } from '../../../workers/lib/logger.js';
import { HEADERS } from '../../../workers/shared/topics.js';
import { startSensorWorker, type RunningWorker } from '../../../workers/worker/sensor-worker.js';
import { badInputCorpus, type CorpusCase } from '../../fixtures/bad-input/corpus.js';
import { readRecords, recordsBetween } from '../../fixtures/bad-input/read-records.js';
import { record, sensorData } from '../../../local/testing/events.js';
import {
  eventually,
  stack,
  testDatabase,
  testKafka,
  testProcessEnv,
  testTemporal,
  testTopics,
  testWorkerConfig,
  uniqueId,
  type TestDatabase,
} from '../../../local/testing/test-stack.js';

// This process reads the corpus back: its own consumers need the linear header decoding too.
const headerDecoding = installKafkajsDecoders();

const id = uniqueId('badin');
const COPIES = 3;
/** Header on each produced corpus message, so that a record read back names its case. */
const CASE_HEADER = 'bad-input-case';
const FLOOD_OVERSIZE = 1000;
/** Below the broker's default message.max.bytes (1,048,588) with the record's framing. */
const FLOOD_VALUE_BYTES = 1_000_000;
const FLOOD_DEEP = 2000;
/**
 * Resident-memory growth allowed during the flood. The bridge holds at most one fetch per partition
 * (maxBytesPerPartition 2 MiB × 3 partitions, maxBytes 16 MiB per response), the dead letters of that
 * fetch (≤ 32 KiB each) and the producer's request; V8 collects lazily, so allow a few times the
 * largest response. Retaining the flood would be 1 GB: an order of magnitude above the bound.
 */
const RSS_GROWTH_BOUND_MIB = 160;

let db: TestDatabase;
let topics: TopicNames;
let worker: RunningWorker;
let temporal: Awaited<ReturnType<typeof testTemporal>>;
let bridge: PipelineProcess;
let kafka: Kafka;

before(async () => {
  const ep = await stack();
  topics = await testTopics(ep, id);
  db = await testDatabase(ep, id);
  temporal = await testTemporal(ep);
  kafka = testKafka(ep);
  worker = await startSensorWorker({
    config: testWorkerConfig(ep, id, topics, db.url),
    kafka,
    client: temporal.client,
    log: createLogger('test-worker'),
  });
  bridge = startPipelineProcess(
    'bridge',
    `${id}-bridge`,
    testProcessEnv(ep, id, topics, db.url),
    20_000 + Math.floor(Math.random() * 2000),
  );
  await waitReady(bridge);
});

after(async () => {
  // Each step on its own: a failing one must not leave a gigabyte of flood on the shared broker.
  const steps: [string, () => Promise<unknown>][] = [
    ['stop the bridge', async () => bridge && stopPipelineProcess(bridge)],
    ['stop the worker', async () => worker?.shutdown()],
    [
      'delete the topics',
      async () => {
        if (!topics) return;
        const admin = kafka.admin();
        await admin.connect();
        try {
          await admin.deleteTopics({ topics: Object.values(topics) });
        } finally {
          await admin.disconnect();
        }
      },
    ],
    ['close Temporal', async () => temporal?.close()],
    ['drop the database', async () => db?.drop()],
  ];
  const failures: string[] = [];
  for (const [what, step] of steps)
    await step().catch((err: unknown) => failures.push(`${what}: ${String(err)}`));
  assert.deepEqual(failures, [], 'clean-up');
});

async function produce(messages: Message[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (const chunk of chunkForSend(messages))
      await producer.send({ topic: topics.sensorData, acks: -1, messages: chunk });
  } finally {
    await producer.disconnect();
  }
}

function vmRssKib(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/(\d+)/)?.[1]);
}

async function bridgeStillServing(): Promise<void> {
  assert.equal(bridge.child.exitCode, null, 'the bridge process is alive');
  assert.equal(bridge.child.signalCode, null);
  const res = await fetch(`http://127.0.0.1:${bridge.metricsPort}/readyz`);
  assert.equal(res.status, 200, 'the bridge is still ready');
  const log = readFileSync(bridge.logFile, 'utf8');
  assert.doesNotMatch(
    log,
    /consumer crashed|dead-letter failed|header decoding is not linear/,
    'no consumer crash, no failed dead-letter send, linear header decoding',
  );
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const b64 = (b: Buffer | null) => (b ? b.toString('base64') : null);

test('the corpus three times between valid readings: each bad record in the DLQ once, each valid event once', async () => {
  assert.equal(headerDecoding, 'installed');
  const pid = bridge.child.pid!;
  const now = Date.now();
  const copies: CorpusCase[][] = Array.from({ length: COPIES }, (_, copy) =>
    badInputCorpus({ devicePrefix: `${id}-c${copy}-`, now }),
  );
  const valid = [];
  const messages: Message[] = [];
  let seq = 0;
  for (const [copy, corpus] of copies.entries()) {
    for (const [i, c] of corpus.entries()) {
      for (let k = 0; k < 2; k++) {
        const event = sensorData(`${id}-v${seq % 25}`, seq++, { timestamp: now - 5000 });
        valid.push(event);
        messages.push(record(event));
      }
      for (const m of c.messages) {
        messages.push({ ...m, headers: { ...m.headers, [CASE_HEADER]: `${copy}/${i}` } });
      }
    }
  }
  const sourceStart = await topicEndOffsets(kafka, topics.sensorData);
  const dlqStart = await topicEndOffsets(kafka, topics.deadLetter);
  const processedStart = await topicEndOffsets(kafka, topics.processed);
  await produce(messages);

  const all = copies.flat();
  const deadLetterCases = all.filter((c) => c.expect.outcome === 'dead-letter');
  const acceptedIds = all.flatMap((c) => (c.expect.outcome === 'effect-once' ? c.expect.eventIds : []));
  const conflicts = all.reduce(
    (n, c) => n + (c.expect.outcome === 'effect-once' ? (c.expect.conflicts ?? 0) : 0),
    0,
  );
  const expectedEffects = valid.length + acceptedIds.length;

  await eventually(
    `${deadLetterCases.length + conflicts} dead letters`,
    async () =>
      recordsBetween(dlqStart, await topicEndOffsets(kafka, topics.deadLetter)) >=
      deadLetterCases.length + conflicts,
    180_000,
  );
  await eventually(
    `${expectedEffects} events applied`,
    async () => (await effectCounts(db.pool, `${id}-`)).ledger >= expectedEffects,
    180_000,
  );

  // What each source position held, by the case header.
  const sourceCase = new Map<string, { c: CorpusCase; key: Buffer | null; value: Buffer | null }>();
  for (const { partition, message } of await readRecords(kafka, sourceStart)) {
    const tag = message.headers?.[CASE_HEADER]?.toString();
    if (!tag) continue;
    const [copy, i] = tag.split('/').map(Number);
    sourceCase.set(`${partition}/${message.offset}`, {
      c: copies[copy!]![i!]!,
      key: message.key,
      value: message.value,
    });
  }

  const seen = new Map<CorpusCase, number>();
  let conflictsSeen = 0;
  for (const { message } of await readRecords(kafka, dlqStart)) {
    const envelope = JSON.parse(message.value!.toString()) as BoundedDeadLetterEnvelope;
    const position = `${envelope.source.partition}/${envelope.source.offset}`;
    const h = (name: string) => message.headers?.[name]?.toString();
    assert.equal(envelope.source.topic, topics.sensorData);
    assert.equal(h(HEADERS.dlqSourceTopic), topics.sensorData);
    assert.equal(`${h(HEADERS.dlqSourcePartition)}/${h(HEADERS.dlqSourceOffset)}`, position);
    assert.equal(h(HEADERS.idempotencyKey), `${topics.sensorData}/${position}`);
    const origin = sourceCase.get(position);
    assert.ok(origin, `DLQ record ${position} (${envelope.kind}: ${envelope.reason}) is a corpus message`);
    const { c } = origin;
    if (c.expect.outcome === 'effect-once' && c.expect.conflicts) {
      assert.equal(envelope.kind, 'event-id-conflict', `${c.name}: ${envelope.reason}`);
      conflictsSeen++;
      continue;
    }
    assert.equal(c.expect.outcome, 'dead-letter', `${c.name} must not be dead-lettered: ${envelope.reason}`);
    if (c.expect.outcome !== 'dead-letter') continue;
    seen.set(c, (seen.get(c) ?? 0) + 1);
    assert.equal(envelope.kind, c.expect.kind, `${c.name}: ${envelope.reason}`);
    assert.ok(envelope.reason.includes(c.expect.reason), `${c.name}: '${envelope.reason}'`);
    assert.equal(h(HEADERS.dlqReason), `${envelope.kind}: ${envelope.reason}`, `${c.name}: reason header`);
    const size =
      (message.key?.length ?? 0) +
      message.value!.length +
      Object.entries(message.headers ?? {}).reduce((sum, [k, v]) => sum + k.length + String(v).length, 0);
    assert.ok(size <= MAX_DEAD_LETTER_RECORD_BYTES, `${c.name}: DLQ record of ${size} bytes`);
    if (c.expect.stage === 'worker') {
      // The worker dead-letters the parsed event: the same JSON document, re-serialized.
      assert.deepEqual(
        JSON.parse(Buffer.from(envelope.valueBase64, 'base64').toString()),
        JSON.parse(origin.value!.toString()),
        c.name,
      );
      assert.equal(envelope.key, b64(origin.key), c.name);
      continue;
    }
    // The bridge keeps the original bytes for a re-drive, or a flagged prefix with the digest.
    const valueTruncated = envelope.truncated?.value;
    if (valueTruncated) {
      assert.deepEqual(
        valueTruncated,
        { bytes: origin.value!.length, sha256: sha256(origin.value!) },
        c.name,
      );
      assert.equal(
        envelope.valueBase64,
        origin.value!.subarray(0, MAX_DEAD_LETTER_VALUE_BYTES).toString('base64'),
      );
    } else {
      assert.equal(envelope.valueBase64, origin.value ? origin.value.toString('base64') : '', c.name);
    }
    const keyTruncated = envelope.truncated?.key;
    if (keyTruncated) {
      assert.deepEqual(keyTruncated, { bytes: origin.key!.length, sha256: sha256(origin.key!) }, c.name);
    } else {
      assert.equal(envelope.key, b64(origin.key), c.name);
    }
  }
  const missing = deadLetterCases
    .filter((c) => seen.get(c) !== 1)
    .map((c) => `${c.name} ×${seen.get(c) ?? 0}`);
  assert.deepEqual(missing, [], 'every bad record is in the DLQ exactly once');
  assert.equal(conflictsSeen, conflicts, 'every reuse of an eventId for another reading is a conflict');

  const effects = await effectCounts(db.pool, `${id}-`);
  assert.equal(effects.ledger, expectedEffects, 'ledger: every valid event once, no bad one');
  assert.equal(effects.rollupCount, expectedEffects, 'rollups count every valid event once');
  // Header abuse rides on otherwise valid readings: none of them may have taken effect.
  const rejectedIds = deadLetterCases.map((c) => `${c.deviceId}-1`);
  const leaked = await db.pool.query<{ event_id: string }>(
    'SELECT event_id FROM processed_events WHERE event_id = ANY($1)',
    [rejectedIds],
  );
  assert.deepEqual(leaked.rows, [], 'no dead-lettered reading has an effect');
  await eventually(
    'every applied event published once',
    async () => (await processedTopicCounts(kafka, processedStart, `${id}-`)).uniqueKeys === expectedEffects,
  );
  assert.equal((await processedTopicCounts(kafka, processedStart, `${id}-`)).uniqueKeys, expectedEffects);
  assert.equal(
    recordsBetween(dlqStart, await topicEndOffsets(kafka, topics.deadLetter)),
    deadLetterCases.length + conflicts,
    'nothing else reached the DLQ',
  );
  assert.equal(bridge.child.pid, pid, 'one bridge process throughout');
  await bridgeStillServing();
});

test('a flood of 1 MB values and deep nesting: the pipeline keeps flowing, bridge memory stays bounded', async () => {
  const pid = bridge.child.pid!;
  const baselineSamples: number[] = [];
  for (let i = 0; i < 10; i++) {
    baselineSamples.push(vmRssKib(pid));
    await new Promise((r) => setTimeout(r, 200));
  }
  const baseline = Math.max(...baselineSamples);
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, vmRssKib(pid));
  }, 100);

  const dlqStart = await topicEndOffsets(kafka, topics.deadLetter);
  const before = (await effectCounts(db.pool, `${id}-`)).ledger;
  const deep = Buffer.from(`{"schemaVersion":${'['.repeat(8000)}${']'.repeat(8000)}}`);
  const flood: Message[] = [];
  for (let i = 0; i < FLOOD_DEEP; i++) {
    flood.push({ key: `${id}-flood${i % 50}`, value: deep });
    if (i % 2 === 0 && i / 2 < FLOOD_OVERSIZE) {
      const value = Buffer.alloc(FLOOD_VALUE_BYTES, 0x20);
      value.write(`{"n":${i}}`);
      flood.push({ key: `${id}-flood${i % 50}`, value });
    }
  }
  const after = Array.from({ length: 200 }, (_, i) => sensorData(`${id}-after${i % 10}`, i));
  const started = Date.now();
  try {
    await produce(flood);
    await produce(after.map(record));
    await eventually(
      `${flood.length} flood records dead-lettered`,
      async () => recordsBetween(dlqStart, await topicEndOffsets(kafka, topics.deadLetter)) >= flood.length,
      // 171 s measured at a load average of 15-20 on 2 cores: every fetch of junk still starts a batch.
      420_000,
    );
    await eventually(
      'the valid readings after the flood applied',
      async () => (await effectCounts(db.pool, `${id}-`)).ledger === before + after.length,
      120_000,
    );
  } finally {
    clearInterval(sampler);
  }
  const growthMib = (peak - baseline) / 1024;
  console.log(
    `flood of ${flood.length} records (${FLOOD_OVERSIZE} × ${FLOOD_VALUE_BYTES} B, ${FLOOD_DEEP} × ${deep.length} B nested) ` +
      `drained in ${((Date.now() - started) / 1000).toFixed(1)} s; bridge VmRSS ${(baseline / 1024).toFixed(0)} MiB → ` +
      `peak ${(peak / 1024).toFixed(0)} MiB (+${growthMib.toFixed(0)} MiB, bound ${RSS_GROWTH_BOUND_MIB})`,
  );

  const kinds = new Map<string, number>();
  let dlqBytes = 0;
  for (const { message } of await readRecords(kafka, dlqStart)) {
    const envelope = JSON.parse(message.value!.toString()) as BoundedDeadLetterEnvelope;
    kinds.set(envelope.kind, (kinds.get(envelope.kind) ?? 0) + 1);
    dlqBytes += message.value!.length;
    if (envelope.kind === 'oversize') assert.equal(envelope.truncated?.value?.bytes, FLOOD_VALUE_BYTES);
  }
  assert.deepEqual(Object.fromEntries(kinds), {
    oversize: FLOOD_OVERSIZE,
    'unknown-schema-version': FLOOD_DEEP,
  });
  assert.ok(dlqBytes <= flood.length * MAX_DEAD_LETTER_RECORD_BYTES, `${dlqBytes} DLQ bytes`);
  assert.ok(growthMib < RSS_GROWTH_BOUND_MIB, `bridge RSS grew by ${growthMib.toFixed(0)} MiB`);
  assert.equal(bridge.child.pid, pid, 'one bridge process throughout');
  await bridgeStillServing();
});
