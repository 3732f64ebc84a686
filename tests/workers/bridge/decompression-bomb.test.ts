/**
 * Hostile world, finding 4: decompression bombs. For each codec a record batch whose one record
 * inflates far past the decompression bound (256 MiB of gzip or zstd, 128 MiB of lz4, 80 MiB of
 * snappy, whose ratio is ~21:1) sits between good readings, and a real bridge and worker process
 * read them under the charts' memory limits. The good readings are applied once, the bomb's offset
 * is dead-lettered as undecodable-batch with the bound in its reason, and no VmRSS sample of either
 * process passes its limit (unbounded, one zstd bomb took the bridge to 623 MiB and the worker to 777).
 *
 * The bombs are built as streams and never held inflated here either: kafkajs encodes a one-record
 * batch and a stand-in codec hands the broker the prepared compressed bytes of that same record.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import * as zlib from 'node:zlib';
import type { Kafka } from 'kafkajs';
import { CompressionTypes } from 'kafkajs';
import {
  startPipelineProcess,
  stopPipelineProcess,
  waitReady,
  type PipelineProcess,
} from '../../../local/pipeline-processes.js';
import { effectCounts, readSince, topicEndOffsets } from '../../../local/run-verification.js';
import { record, sensorData } from '../../../local/testing/events.js';
import {
  eventually,
  stack,
  testDatabase,
  testKafka,
  testProcessEnv,
  testTopics,
  uniqueId,
  type TestDatabase,
} from '../../../local/testing/test-stack.js';
import type { TopicNames } from '../../../workers/config.js';
import type { BoundedDeadLetterEnvelope } from '../../../workers/lib/dead-letter.js';
import { lz4Compress } from '../../../workers/lib/kafka-codecs.js';
import { DEFAULT_MEMORY_LIMIT_BYTES, memoryBudget } from '../../../workers/lib/memory-budget.js';
import { formatPeaks, RssWatchdog } from '../../helpers/rss-watchdog.js';

const require = createRequire(import.meta.url);
const lz4 = require('lz4js') as {
  compressBound(n: number): number;
  compressBlock(src: Uint8Array, dst: Uint8Array, s: number, n: number, table: Uint32Array): number;
};
const snappy = require('snappyjs') as { compress(src: Uint8Array): Uint8Array };

const MIB = 1024 * 1024;
/** The charts' limit for both pods (charts/*\/values.yaml resources.limits.memory). */
const LIMIT = DEFAULT_MEMORY_LIMIT_BYTES;

type BombCodec = 'gzip' | 'zstd' | 'lz4' | 'snappy';
const BOMBS: readonly { codec: BombCodec; type: CompressionTypes; inflatedBytes: number }[] = [
  { codec: 'zstd', type: CompressionTypes.ZSTD, inflatedBytes: 256 * MIB },
  { codec: 'gzip', type: CompressionTypes.GZIP, inflatedBytes: 256 * MIB },
  { codec: 'lz4', type: CompressionTypes.LZ4, inflatedBytes: 128 * MIB },
  { codec: 'snappy', type: CompressionTypes.Snappy, inflatedBytes: 80 * MIB },
];

const id = uniqueId('bomb');
let topics: TopicNames;
let db: TestDatabase;
let kafka: Kafka;
const processes: PipelineProcess[] = [];

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n * 2; // zig-zag of a non-negative number
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

/**
 * The records section of a one-record batch whose value is `valueBytes` zeros, as chunks of at most
 * `chunkBytes`: the record's framing, the zeros, and an empty header list. Chunks of zeros only are
 * the same object, so that a codec compresses each distinct chunk once.
 */
function* recordChunks(valueBytes: number, chunkBytes: number): Generator<Buffer> {
  const key = Buffer.from(`${id}-bomb`);
  const body = [Buffer.from([0]), varint(0), varint(0), varint(key.length), key, varint(valueBytes)];
  const bodyBytes = body.reduce((n, b) => n + b.length, 0) + valueBytes + 1;
  const head = Buffer.concat([varint(bodyBytes), ...body]);
  const zeros = Buffer.alloc(chunkBytes);
  const total = head.length + valueBytes + 1;
  for (let at = 0; at < total; at += chunkBytes) {
    const end = Math.min(total, at + chunkBytes);
    if (at >= head.length && end < total && end - at === chunkBytes) {
      yield zeros;
      continue;
    }
    const chunk = Buffer.alloc(end - at);
    if (at < head.length) head.copy(chunk, 0, at, Math.min(head.length, end));
    // The last byte of the records is the header count, 0: already zero.
    yield chunk;
  }
}

async function streamCompressed(
  stream: zlib.Gzip | zlib.ZstdCompress,
  chunks: Iterable<Buffer>,
): Promise<Buffer> {
  const out: Buffer[] = [];
  stream.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => stream.on('end', resolve).on('error', reject));
  for (const chunk of chunks) if (!stream.write(chunk)) await new Promise((r) => stream.once('drain', r));
  stream.end();
  await done;
  return Buffer.concat(out);
}

/** An LZ4 frame as this pipeline writes one (kafka-codecs.ts): 64 KiB blocks, each compressed once. */
function lz4Frame(chunks: Iterable<Buffer>): Buffer {
  const parts: Buffer[] = [lz4Compress(Buffer.alloc(0)).subarray(0, 7)]; // magic, flags, block size, checksum
  const cache = new Map<Buffer, Buffer>();
  const table = new Uint32Array(1 << 16);
  for (const chunk of chunks) {
    let block = cache.get(chunk);
    if (!block) {
      const dst = Buffer.alloc(lz4.compressBound(chunk.length));
      table.fill(0);
      const n = lz4.compressBlock(chunk, dst, 0, chunk.length, table);
      const length = Buffer.alloc(4);
      length.writeUInt32LE(n);
      block = Buffer.concat([length, dst.subarray(0, n)]);
      cache.set(chunk, block);
    }
    parts.push(block);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/** Xerial-framed snappy, as Java's producer writes it. */
function snappyXerial(chunks: Iterable<Buffer>): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
  const parts: Buffer[] = [header];
  const cache = new Map<Buffer, Buffer>();
  for (const chunk of chunks) {
    let block = cache.get(chunk);
    if (!block) {
      const compressed = Buffer.from(snappy.compress(chunk));
      const length = Buffer.alloc(4);
      length.writeUInt32BE(compressed.length);
      block = Buffer.concat([length, compressed]);
      cache.set(chunk, block);
    }
    parts.push(block);
  }
  return Buffer.concat(parts);
}

async function bombBytes(codec: BombCodec, inflatedBytes: number): Promise<Buffer> {
  switch (codec) {
    case 'gzip':
      return streamCompressed(zlib.createGzip(), recordChunks(inflatedBytes, MIB));
    case 'zstd':
      return streamCompressed(zlib.createZstdCompress(), recordChunks(inflatedBytes, MIB));
    case 'lz4':
      return lz4Frame(recordChunks(inflatedBytes, (64 << 10) - 64));
    case 'snappy':
      return snappyXerial(recordChunks(inflatedBytes, 32 << 10));
  }
}

before(async () => {
  const ep = await stack();
  topics = await testTopics(ep, id);
  db = await testDatabase(ep, id);
  kafka = testKafka(ep);
  // Snappy inflates ~21:1 at most: its bomb is 4 MiB on the wire, past the broker's default 1 MiB.
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: 2,
          name: topics.sensorData,
          configEntries: [{ name: 'max.message.bytes', value: String(8 * MIB) }],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
});

after(async () => {
  for (const p of processes) await stopPipelineProcess(p).catch(() => undefined);
  await db?.drop();
});

void test('a decompression bomb in every codec is dead-lettered by its offset, the readings around it applied, within the memory limits', async (t) => {
  const ep = await stack();
  const codecs = (require('kafkajs') as { CompressionCodecs: Record<number, () => unknown> })
    .CompressionCodecs;
  const good = `${id}-good-`;
  const dlqFrom = await topicEndOffsets(kafka, topics.deadLetter);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const bombOffsets = new Map<string, BombCodec>();
  let sent = 0;
  try {
    const readings = async () => {
      const messages = Array.from({ length: 10 }, () => ({
        ...record(sensorData(`${good}d${sent % 4}`, sent++)),
        partition: 0,
      }));
      await producer.send({ topic: topics.sensorData, acks: -1, messages });
    };
    for (const bomb of BOMBS) {
      await readings();
      const compressed = await bombBytes(bomb.codec, bomb.inflatedBytes);
      const real = codecs[bomb.type]!;
      // kafkajs encodes a one-record batch; the broker gets the bomb as that record, compressed.
      codecs[bomb.type] = () => ({
        compress: async () => compressed,
        decompress: async () => Buffer.alloc(0),
      });
      try {
        const [meta] = await producer.send({
          topic: topics.sensorData,
          acks: -1,
          compression: bomb.type,
          messages: [{ key: `${id}-bomb`, value: 'stand-in', partition: 0 }],
        });
        bombOffsets.set(meta!.baseOffset!, bomb.codec);
      } finally {
        codecs[bomb.type] = real;
      }
    }
    await readings();
  } finally {
    await producer.disconnect();
  }

  const env = { ...testProcessEnv(ep, id, topics, db.url), MEMORY_LIMIT_BYTES: String(LIMIT) };
  const port = 24_000 + Math.floor(Math.random() * 2000);
  const worker = startPipelineProcess('worker', `${id}-worker`, env, port + 1);
  processes.push(worker);
  await waitReady(worker);
  const bridge = startPipelineProcess('bridge', `${id}-bridge`, env, port);
  processes.push(bridge);
  const watchdog = new RssWatchdog(
    processes.map((p) => ({ name: p.role, pid: p.child.pid!, limitBytes: LIMIT })),
  );
  const dead = new Map<string, BoundedDeadLetterEnvelope>();
  try {
    await eventually(
      `the ${sent} good readings applied`,
      async () => watchdog.report().over !== undefined || (await effectCounts(db.pool, good)).ledger >= sent,
      240_000,
    );
    await eventually(
      'every bomb dead-lettered',
      async () => {
        if (watchdog.report().over) return true;
        await readSince(kafka, dlqFrom, (_key, value) => {
          const envelope = JSON.parse(value!.toString()) as BoundedDeadLetterEnvelope;
          dead.set(envelope.source.offset, envelope);
        });
        return [...bombOffsets.keys()].every((o) => dead.has(o));
      },
      60_000,
    );
  } finally {
    const { peaks, over } = watchdog.stop();
    t.diagnostic(`peak RSS: ${formatPeaks(peaks)}`);
    assert.equal(over, undefined, `a process passed its memory limit: ${formatPeaks(peaks)}`);
  }
  assert.equal((await effectCounts(db.pool, good)).ledger, sent, 'every good reading once');
  const bound = memoryBudget(LIMIT).maxBatchBytes;
  for (const [offset, codec] of bombOffsets) {
    const envelope = dead.get(offset);
    assert.equal(envelope?.kind, 'undecodable-batch', `${codec} bomb at offset ${offset}`);
    assert.match(
      envelope.reason,
      new RegExp(`${codec} batch inflates past the ${bound}-byte decompression bound`),
      codec,
    );
  }
  assert.equal(dead.size, bombOffsets.size, 'nothing else dead-lettered');
  for (const p of processes)
    assert.equal(p.child.exitCode ?? p.child.signalCode, null, `${p.name} still running`);
});
