/**
 * Replacements for two of kafkajs 2.2.4's wire decoders, installed before a process's first fetch
 * (kafkajs loads its decoders on the first fetch). Only 2.2.4 is patched; any other version is left
 * alone and the caller says so loudly.
 *
 * 1. Records, headers in linear time. kafkajs folds a record's headers with one object spread per
 *    header: quadratic. Measured here: 10,000 headers (a 69 KB record) block the event loop for 62 s,
 *    and a 1 MB record can carry over 100,000. One such record stops a bridge's heartbeats;
 *    redelivered to the next member, it stalls the partition for good. Same code, linear fold, which
 *    also keeps headers named like Object.prototype members ('constructor', '__proto__') as plain
 *    values instead of mixing in the prototype's.
 * 2. Record batches that cannot be decoded (a codec kafkajs lacks, corrupt compressed bytes, a record
 *    that does not parse) throw inside kafkajs's fetch: the whole fetch fails, every partition in it
 *    stops, and the consumer crash-loops on the same batch (ingest hardening, finding 1). Here such a
 *    batch decodes to one placeholder record per offset that carries the reason
 *    (undecodableReason()), so the consumer dead-letters the offsets and moves on. Aborted
 *    transactions and control batches are filtered by kafkajs as before (read committed): the
 *    placeholders keep the batch's producer and control flags.
 * 3. Decoding within a memory budget (invariant 7, hostile world finding 3). A fetch response holds
 *    compressed bytes up to its maxBytes, but decoded they are several times more, and every record
 *    is an object of its own: a 32 MiB lz4 fetch decoded to about a million records, 1.7 GiB. Each
 *    fetch has a decode budget (decoded bytes plus DECODED_RECORD_OVERHEAD_BYTES per record) shared
 *    by its partitions: past its share a partition's next batch is left for the next fetch, as kafkajs
 *    leaves a batch cut at maxBytes (each partition decodes at least one batch, so it progresses). A
 *    batch that alone would cost more than the per-batch bound is undecodable (a decompression bomb,
 *    the codecs in kafka-codecs.ts stop inflating it at that bound). A reader of an exact range
 *    (withDecodeScope) materializes only the records of its range.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { maxDecompressedBatchBytes } from './kafka-codecs.js';
import { MemoryGate } from './memory-budget.js';

const require = createRequire(import.meta.url);

/** The version whose decoder this copies; any other is left alone. */
const PATCHED_VERSION = '2.2.4';
const RECORD_DECODER = 'kafkajs/src/protocol/recordBatch/record/v0/decoder.js';
const BATCH_DECODER = 'kafkajs/src/protocol/recordBatch/v0/decoder.js';
/** The module that requires BATCH_DECODER: once loaded, the original batch decoder is bound. */
const FETCH_MESSAGES_DECODER = 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js';

interface WireDecoder {
  readInt8(): number;
  readVarLong(): unknown;
  readVarInt(): number;
  readVarIntBytes(): Buffer | null;
  readVarIntArray<T>(reader: (d: WireDecoder) => T): T[];
}

interface BatchContext {
  readonly firstOffset?: string;
  readonly firstTimestamp?: string;
  readonly magicByte?: number;
  readonly isControlBatch?: boolean;
  readonly timestampType?: number;
  readonly maxTimestamp?: string;
}

interface LongLike {
  add(other: unknown): LongLike;
  toString(): string;
}

type HeaderValue = Buffer | null;

function setHeader(headers: Record<string, HeaderValue | HeaderValue[]>, name: string, value: unknown): void {
  Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
}

/** A batch's first offset and timestamp as numbers, when exact (below 2^53); else undefined. */
interface BatchBases {
  readonly offset: number | undefined;
  readonly timestamp: number | undefined;
}

function exactNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

// Every record of a batch shares its context object: the bases are parsed once per batch and kept
// beside it (not on it: consumers see the context as message.batchContext). kafkajs's BigInt Long
// parsed, added and printed them for every record (8 % of the bridge's CPU, profiled).
const basesOfBatch = new WeakMap<BatchContext, BatchBases>();

function batchBases(context: BatchContext): BatchBases {
  let bases = basesOfBatch.get(context);
  if (!bases) {
    bases = { offset: exactNumber(context.firstOffset), timestamp: exactNumber(context.firstTimestamp) };
    basesOfBatch.set(context, bases);
  }
  return bases;
}

/** base + delta printed, when both are numbers and the sum is exact; else undefined (kafkajs's Long). */
function exactSum(base: number | undefined, delta: unknown): string | undefined {
  if (base === undefined || typeof delta !== 'number') return undefined;
  const sum = base + delta;
  return Number.isSafeInteger(sum) ? String(sum) : undefined;
}

/**
 * A zig-zag varlong read as a number when it has at most 7 bytes (49 bits: a timestamp delta is
 * 1 to 3); a longer one is read by kafkajs as its Long.
 */
function readSmallVarLong(decoder: WireDecoder): number | unknown {
  const d = decoder as unknown as { buffer: Buffer; offset: number };
  const buffer = d.buffer;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    const byte = buffer[d.offset + i];
    if (byte === undefined) break;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      d.offset += i + 1;
      return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    }
    scale *= 128;
  }
  return decoder.readVarLong();
}

function linearRecordDecoder(): (decoder: WireDecoder, batchContext?: BatchContext) => unknown {
  const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): LongLike };
  const TimestampTypes = require('kafkajs/src/protocol/timestampTypes.js') as { LOG_APPEND_TIME: number };
  const decodeHeader = require('kafkajs/src/protocol/recordBatch/header/v0/decoder.js') as (
    d: WireDecoder,
  ) => { key: string; value: HeaderValue };

  return (decoder, batchContext = {}) => {
    const {
      firstOffset,
      firstTimestamp,
      magicByte,
      isControlBatch = false,
      timestampType,
      maxTimestamp,
    } = batchContext;
    const attributes = decoder.readInt8();
    const bases = batchBases(batchContext);
    const timestampDelta = readSmallVarLong(decoder);
    const timestamp =
      timestampType === TimestampTypes.LOG_APPEND_TIME && maxTimestamp
        ? maxTimestamp
        : (exactSum(bases.timestamp, timestampDelta) ??
          Long.fromValue(firstTimestamp).add(timestampDelta).toString());
    const offsetDelta = decoder.readVarInt();
    const offset =
      exactSum(bases.offset, offsetDelta) ?? Long.fromValue(firstOffset).add(offsetDelta).toString();
    const key = decoder.readVarIntBytes();
    const value = decoder.readVarIntBytes();
    // Same shape as kafkajs's fold (one value, or an array for a repeated name), in linear time.
    const headers: Record<string, HeaderValue | HeaderValue[]> = {};
    for (const header of decoder.readVarIntArray(decodeHeader)) {
      if (!Object.hasOwn(headers, header.key)) {
        setHeader(headers, header.key, header.value);
        continue;
      }
      const previous = headers[header.key]!;
      if (Array.isArray(previous)) previous.push(header.value);
      else setHeader(headers, header.key, [previous, header.value]);
    }
    return {
      magicByte,
      attributes,
      timestamp,
      offset,
      key,
      value,
      headers,
      isControlRecord: isControlBatch,
      batchContext,
    };
  };
}

/** The fetch decoder's view of a record batch, as kafkajs's batch decoder reads it. */
interface FetchDecoder {
  readInt64(): { toString(): string };
  readInt32(): number;
  readInt16(): number;
  readInt8(): number;
  slice(size: number): FetchDecoder;
  forward(size: number): void;
  readAll(): Buffer;
  readArray<T>(reader: (d: WireDecoder) => T): T[];
  readVarIntBytes(): Buffer | null;
  readonly buffer: Buffer;
}

interface Codec {
  decompress(buffer: Buffer): Promise<Buffer>;
}

/**
 * Heap bytes one decoded record costs beyond its key and value bytes: kafkajs's message object, the
 * key and value views, offset and timestamp strings, headers (about 360 B, measured with a range
 * read), and what a consumer builds per record (the bridge's PartitionRecord, about 430 B).
 */
export const DECODED_RECORD_OVERHEAD_BYTES = 1024;

/** What one fetch may decode; set for a fetch by withDecodeScope, or per fetch from the process default. */
export interface DecodeScope {
  /**
   * Decode budget of each partition of the fetch: decoded bytes + DECODED_RECORD_OVERHEAD_BYTES per
   * record. Unset: the process's fetch budget (setFetchDecodeBytes).
   */
  readonly partitionBytes?: number;
  /** Only records with offsets in [from, to] are materialized, and the first one after `to`. */
  readonly offsets?: { readonly from: bigint; readonly to: bigint };
}

const DEFAULT_FETCH_DECODE_BYTES = 64 * 1024 * 1024;
let fetchDecodeBytes = DEFAULT_FETCH_DECODE_BYTES;

/** Sets this process's decode budget of one fetch response, shared by the partitions it holds. */
export function setFetchDecodeBytes(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 1)
    throw new RangeError(`fetch decode budget ${bytes}: expected bytes >= 1`);
  fetchDecodeBytes = bytes;
}

const decodeScopes = new AsyncLocalStorage<DecodeScope>();

/** Runs `fetch` (a broker fetch) with this decode scope instead of the process default. */
export function withDecodeScope<T>(scope: DecodeScope, fetch: () => Promise<T>): Promise<T> {
  return decodeScopes.run(scope, fetch);
}

/** Per partition record set of a fetch response (its decoder): what its batches cost so far. */
const spentBySet = new WeakMap<object, { batches: number; bytes: number }>();

/** The zig-zag varint offset delta of a record's bytes (attributes, timestamp delta, offset delta). */
function recordOffsetDelta(record: Buffer): number {
  let at = 1; // attributes
  while ((record[at++] ?? 0) >= 0x80); // timestamp delta, skipped
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    const byte = record[at++] ?? 0;
    value |= (byte & 0x7f) << shift;
    if (byte < 0x80) break;
  }
  return (value >>> 1) ^ -(value & 1);
}

/** Marks a placeholder record of a batch that could not be decoded (see the file comment). */
const UNDECODABLE = Symbol.for('sensor-pipeline.undecodable-batch');

/** The reason a fetched record is only a placeholder for an undecodable batch; undefined for a real one. */
export function undecodableReason(message: object): string | undefined {
  return (message as { [UNDECODABLE]?: string })[UNDECODABLE];
}

const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;

function tolerantBatchDecoder(recordDecoder: (d: WireDecoder, ctx: BatchContext) => unknown) {
  const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => FetchDecoder;
  const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): LongLike };
  const { KafkaJSPartialMessageError } = require('kafkajs/src/errors.js') as {
    KafkaJSPartialMessageError: new (message: string) => Error;
  };
  const { lookupCodecByAttributes } = require('kafkajs/src/protocol/message/compression/index.js') as {
    lookupCodecByAttributes(attributes: number): Codec | null;
  };
  const TimestampTypes = require('kafkajs/src/protocol/timestampTypes.js') as {
    LOG_APPEND_TIME: number;
    CREATE_TIME: number;
  };
  const decodeRecord = (d: FetchDecoder, ctx: BatchContext) =>
    recordDecoder(new Decoder(d.readVarIntBytes() ?? Buffer.alloc(0)) as unknown as WireDecoder, ctx);
  /**
   * The batch's records in the scope's offsets (all without a scope): the others are skipped by their
   * length, never materialized. The first record after the range is kept, so that the reader sees
   * where the batch went on.
   */
  const decodeRecords = (
    d: FetchDecoder,
    count: number,
    ctx: BatchContext,
    scope: DecodeScope | undefined,
  ) => {
    const records: unknown[] = [];
    const base = scope?.offsets ? BigInt(ctx.firstOffset ?? '0') : 0n;
    for (let i = 0; i < count; i++) {
      if (!scope?.offsets) {
        records.push(decodeRecord(d, ctx));
        continue;
      }
      const bytes = d.readVarIntBytes() ?? Buffer.alloc(0);
      const offset = base + BigInt(recordOffsetDelta(bytes));
      if (offset < scope.offsets.from) continue;
      records.push(recordDecoder(new Decoder(bytes) as unknown as WireDecoder, ctx));
      if (offset > scope.offsets.to) break;
    }
    return records;
  };

  // Same layout as kafkajs's recordBatch/v0/decoder.js: header fields first, then the records.
  return async (fetchDecoder: FetchDecoder) => {
    const firstOffset = fetchDecoder.readInt64().toString();
    const length = fetchDecoder.readInt32();
    const decoder = fetchDecoder.slice(length);
    fetchDecoder.forward(length);
    const remainingBytes = Buffer.byteLength(decoder.buffer);
    if (remainingBytes < length) {
      // The normal end of a fetch response that was cut at maxBytes: kafkajs handles it.
      throw new KafkaJSPartialMessageError(
        `Tried to decode a partial record batch: remainingBytes(${remainingBytes}) < recordBatchLength(${length})`,
      );
    }
    const partitionLeaderEpoch = decoder.readInt32();
    const magicByte = decoder.readInt8();
    decoder.readInt32(); // CRC: kafkajs does not check it either
    const attributes = decoder.readInt16();
    const lastOffsetDelta = decoder.readInt32();
    const firstTimestamp = decoder.readInt64().toString();
    const maxTimestamp = decoder.readInt64().toString();
    const producerId = decoder.readInt64().toString();
    const producerEpoch = decoder.readInt16();
    const firstSequence = decoder.readInt32();
    const context = {
      firstOffset,
      firstTimestamp,
      partitionLeaderEpoch,
      inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
      isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
      lastOffsetDelta,
      producerId,
      producerEpoch,
      firstSequence,
      maxTimestamp,
      timestampType:
        (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0
          ? TimestampTypes.LOG_APPEND_TIME
          : TimestampTypes.CREATE_TIME,
    };
    const recordContext = { ...context, magicByte };
    const scope = decodeScopes.getStore();
    let spent = spentBySet.get(fetchDecoder);
    if (!spent) spentBySet.set(fetchDecoder, (spent = { batches: 0, bytes: 0 }));
    // This partition's share of the fetch is decoded: the rest waits for the next fetch.
    if (scope && spent.batches > 0 && spent.bytes >= (scope.partitionBytes ?? fetchDecodeBytes))
      throw new KafkaJSPartialMessageError('the decode budget of this fetch is spent');
    spent.batches++;
    const bound = maxDecompressedBatchBytes();
    try {
      const codec = lookupCodecByAttributes(attributes);
      const count = decoder.readInt32();
      checkBatchCost(count, 0, bound);
      let records: unknown[];
      let bytes: number;
      if (!codec) {
        bytes = length;
        records = decodeRecords(decoder, count, recordContext, scope);
      } else {
        const plain = count <= 0 ? Buffer.alloc(0) : await inflate(codec, decoder.readAll(), bound);
        bytes = plain.length;
        checkBatchCost(count, bytes, bound);
        records = decodeRecords(new Decoder(plain), Math.max(0, count), recordContext, scope);
      }
      spent.bytes += bytes + records.length * DECODED_RECORD_OVERHEAD_BYTES;
      return { ...context, records };
    } catch (err) {
      if (err instanceof KafkaJSPartialMessageError) throw err;
      const reason = `record batch at offsets ${firstOffset}-${Long.fromValue(firstOffset).add(lastOffsetDelta).toString()} cannot be decoded: ${(err as Error).message}`;
      const inScope = (delta: number) => {
        if (!scope?.offsets) return true;
        const offset = BigInt(firstOffset) + BigInt(delta);
        return offset >= scope.offsets.from && offset <= scope.offsets.to + 1n;
      };
      const deltas = Array.from({ length: lastOffsetDelta + 1 }, (_, delta) => delta).filter(inScope);
      spent.bytes += deltas.length * DECODED_RECORD_OVERHEAD_BYTES;
      const records = deltas.map((delta) => ({
        magicByte,
        attributes: 0,
        timestamp: firstTimestamp,
        offset: Long.fromValue(firstOffset).add(delta).toString(),
        key: null,
        value: null,
        headers: {},
        isControlRecord: context.isControlBatch,
        batchContext: recordContext,
        [UNDECODABLE]: reason,
      }));
      return { ...context, records };
    }
  };
}

/**
 * One inflation at a time, each reserving the bound: a bomb may hold up to the bound until it is
 * refused, and a worker reads several ranges at once (two bombs inflating together took a worker
 * within 40 MiB of its limit). lz4 and snappy inflate on the event loop one at a time anyway.
 */
let inflations: { gate: MemoryGate; bound: number } | undefined;

async function inflate(codec: Codec, compressed: Buffer, bound: number): Promise<Buffer> {
  if (inflations?.bound !== bound) inflations = { gate: new MemoryGate(bound), bound };
  const release = await inflations.gate.acquire(bound);
  try {
    return await codec.decompress(compressed);
  } finally {
    release();
  }
}

/** A batch that would cost more than the bound to hold decoded is undecodable. */
function checkBatchCost(count: number, bytes: number, bound: number): void {
  const cost = bytes + Math.max(0, count) * DECODED_RECORD_OVERHEAD_BYTES;
  if (cost > bound)
    throw new Error(
      `${count} records${bytes > 0 ? ` of ${bytes} bytes` : ''} would take ${cost} bytes decoded, past the ${bound}-byte bound of a batch`,
    );
}

/**
 * Gives every broker fetch that runs without a scope of its own (the consumers') the process's
 * decode budget, split between the partitions it asks for.
 */
function installFetchDecodeScope(): void {
  const Broker = require('kafkajs/src/broker/index.js') as {
    prototype: { fetch(this: unknown, args: { topics?: { partitions: unknown[] }[] }): Promise<unknown> };
  };
  const fetch = Broker.prototype.fetch;
  Broker.prototype.fetch = function (this: unknown, args) {
    if (decodeScopes.getStore()) return fetch.call(this, args);
    const partitions = Math.max(1, args.topics?.reduce((n, t) => n + t.partitions.length, 0) ?? 1);
    return decodeScopes.run({ partitionBytes: Math.ceil(fetchDecodeBytes / partitions) }, () =>
      fetch.call(this, args),
    );
  };
}

export type DecoderInstall = 'installed' | 'other-kafkajs-version' | 'too-late';

let installedRecord: unknown;
let installedBatch: unknown;

/**
 * Installs both decoders for this process; idempotent. 'too-late' means a consumer already fetched
 * with the originals, which stay in use: the caller should say so loudly.
 */
export function installKafkajsDecoders(): DecoderInstall {
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== PATCHED_VERSION) return 'other-kafkajs-version';
  const recordPath = require.resolve(RECORD_DECODER);
  const batchPath = require.resolve(BATCH_DECODER);
  if (
    installedRecord !== undefined &&
    require.cache[recordPath]?.exports === installedRecord &&
    require.cache[batchPath]?.exports === installedBatch
  )
    return 'installed';
  if (require.cache[require.resolve(FETCH_MESSAGES_DECODER)]) return 'too-late';
  require(recordPath);
  require(batchPath);
  const linear = linearRecordDecoder();
  installedRecord = linear;
  installedBatch = tolerantBatchDecoder(linear as (d: WireDecoder, ctx: BatchContext) => unknown);
  installFetchDecodeScope();
  require.cache[recordPath]!.exports = installedRecord;
  require.cache[batchPath]!.exports = installedBatch;
  return 'installed';
}
