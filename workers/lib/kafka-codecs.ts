/**
 * The record-batch codecs Kafka producers write, for kafkajs, which ships only gzip: snappy, lz4 and
 * zstd. Without them one batch from a librdkafka or Java producer with `compression.type=lz4` makes
 * the consumer throw on every fetch of its partition (ingest hardening, finding 1). Pure JavaScript
 * (no native build), except zstd, which Node's zlib has (Node ≥ 22.15; the project runs Node 26).
 *
 * Registered process-wide through kafkajs's public `CompressionCodecs`, by createKafka() and every
 * other place that builds a client, before the first fetch.
 *
 * Every decompressor is bounded (hostile world, finding 4): a batch that would inflate past
 * maxDecompressedBatchBytes() throws DecompressionLimitError as soon as its output passes the bound,
 * never holding more than the bound, and the tolerant batch decoder (kafkajs-decoders.ts) turns it
 * into an undecodable batch that is dead-lettered by its offsets. gzip (kafkajs's own codec inflates
 * without limit) and zstd stop through zlib's maxOutputLength; an LZ4 frame is checked against the
 * size its header declares or decoded block by block; snappy's blocks declare their length up front.
 */
// Before kafkajs: it binds its producers' grouping when it loads (kafkajs-producer-grouping.ts).
import './kafkajs-producer-grouping.js';
import { CompressionTypes } from 'kafkajs';
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
const lz4 = require('lz4js') as {
  decompressBound(src: Uint8Array): number;
  decompressFrame(src: Uint8Array, dst: Uint8Array): number;
  compressBound(n: number): number;
  compressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    hashTable: Uint32Array,
  ): number;
};
const xxh32 = require('lz4js/xxh32.js') as {
  hash(seed: number, src: Uint8Array, index: number, length: number): number;
};
const lz4Block = lz4 as unknown as {
  decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
};
const snappy = require('snappyjs') as {
  compress(src: Uint8Array): Uint8Array;
  uncompress(src: Uint8Array): Uint8Array;
};

/** What kafkajs hands a codec's compress(): its encoder, whose buffer holds the records. */
interface RecordsEncoder {
  readonly buffer: Buffer;
}

interface KafkajsCodec {
  compress(encoder: RecordsEncoder): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** The codecs a producer of this pipeline may be configured with (`KAFKA_COMPRESSION`). */
export const PRODUCER_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type ProducerCodec = (typeof PRODUCER_CODECS)[number];

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Default bound of one record batch's decompressed bytes, for processes that set none (tools, tests);
 * the bridge and the worker derive theirs from their memory limit (memory-budget.ts).
 */
export const DEFAULT_MAX_DECOMPRESSED_BATCH_BYTES = 64 * 1024 * 1024;
let maxBatchBytes = DEFAULT_MAX_DECOMPRESSED_BATCH_BYTES;

/** Sets this process's bound of one record batch's decompressed bytes. */
export function setMaxDecompressedBatchBytes(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 1)
    throw new RangeError(`decompression bound ${bytes}: expected bytes >= 1`);
  maxBatchBytes = bytes;
}

export function maxDecompressedBatchBytes(): number {
  return maxBatchBytes;
}

/** A batch that would inflate past the bound: it is dead-lettered as undecodable, never inflated. */
export class DecompressionLimitError extends Error {
  override name = 'DecompressionLimitError';
  constructor(codec: string, limit: number, detail = '') {
    super(`${codec} batch inflates past the ${limit}-byte decompression bound${detail}`);
  }
}

function checkBound(codec: string, bytes: number, limit: number, detail = ''): void {
  if (bytes > limit) throw new DecompressionLimitError(codec, limit, detail);
}

/** zlib's convenience methods fail with ERR_BUFFER_TOO_LARGE once the output passes maxOutputLength. */
function zlibLimit(codec: string, limit: number): (err: unknown) => never {
  return (err) => {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new DecompressionLimitError(codec, limit);
    throw err;
  };
}

/**
 * Java's producer frames snappy the xerial way (a 16-byte header, then length-prefixed raw blocks);
 * librdkafka writes one raw block. Both are read; this pipeline writes the xerial framing, which
 * every Kafka client reads.
 */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
const XERIAL_BLOCK_BYTES = 32 * 1024;

/** The uncompressed length a raw snappy block declares: a little-endian base-128 varint up front. */
export function snappyDeclaredLength(block: Uint8Array): number {
  let length = 0;
  for (let i = 0, scale = 1; i < 5; i++, scale *= 128) {
    const byte = block[i];
    if (byte === undefined) break;
    length += (byte & 0x7f) * scale;
    if (byte < 0x80) return length;
  }
  throw new Error('snappy: malformed uncompressed length');
}

export function snappyDecompress(buffer: Buffer, limit = maxBatchBytes): Buffer {
  if (buffer.length < XERIAL_HEADER_BYTES || !buffer.subarray(0, 8).equals(XERIAL_MAGIC)) {
    checkBound('snappy', snappyDeclaredLength(buffer), limit);
    return asBuffer(snappy.uncompress(buffer));
  }
  const blocks: Buffer[] = [];
  let total = 0;
  for (let at = XERIAL_HEADER_BYTES; at < buffer.length;) {
    if (at + 4 > buffer.length) throw new Error('snappy: truncated xerial block length');
    const size = buffer.readUInt32BE(at);
    at += 4;
    if (at + size > buffer.length) throw new Error(`snappy: xerial block of ${size} bytes runs past the end`);
    const block = buffer.subarray(at, at + size);
    total += snappyDeclaredLength(block);
    checkBound('snappy', total, limit);
    blocks.push(asBuffer(snappy.uncompress(block)));
    at += size;
  }
  return Buffer.concat(blocks);
}

export function snappyCompress(buffer: Buffer): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header);
  header.writeInt32BE(1, 8); // version
  header.writeInt32BE(1, 12); // minimum compatible version
  const parts: Buffer[] = [header];
  for (let at = 0; at < buffer.length; at += XERIAL_BLOCK_BYTES) {
    const block = asBuffer(snappy.compress(buffer.subarray(at, at + XERIAL_BLOCK_BYTES)));
    const size = Buffer.alloc(4);
    size.writeUInt32BE(block.length);
    parts.push(size, block);
  }
  return Buffer.concat(parts);
}

/**
 * An LZ4 frame as Kafka's broker accepts it: independent blocks (the FLG bit lz4js's own frame
 * writer leaves clear, which the broker rejects as "Dependent block stream is unsupported"), no
 * checksums but the header's. Blocks declared as 64 KiB, as Java's producer writes them, each with a
 * cleared match table. Not 4 MiB: a reader sizes its output by the block size a frame declares, and
 * lz4js zero-fills that, 4 MiB for every record batch of a few hundred readings (the bridge and the
 * worker then spent most of their CPU there: BENCHMARKS.md, 2026-12-01).
 *
 * Each block holds 64 bytes less than it declares. lz4js may start a match 10 bytes before a block's
 * end, where the format wants 12; decoders (Java's, librdkafka's) only notice when the block fills
 * the output buffer they size by the declared maximum, which a full block does: the broker then
 * refused the batch ("Error decoding offset ... of input buffer").
 */
const LZ4_MAGIC = 0x184d2204;
const LZ4_FLG = 0x60; // version 01, block independence
const LZ4_BD = 4 << 4; // 64 KiB maximum block size
const LZ4_BLOCK_BYTES = (64 << 10) - 64;
const LZ4_UNCOMPRESSED = 0x80000000;
/** One match table for every block: cleared per block, since blocks are independent. */
const lz4MatchTable = new Uint32Array(1 << 16);

export function lz4Compress(buffer: Buffer): Buffer {
  const header = Buffer.alloc(7);
  header.writeUInt32LE(LZ4_MAGIC, 0);
  header[4] = LZ4_FLG;
  header[5] = LZ4_BD;
  header[6] = (xxh32.hash(0, header, 4, 2) >>> 8) & 0xff;
  const parts: Buffer[] = [header];
  for (let at = 0; at < buffer.length; at += LZ4_BLOCK_BYTES) {
    const size = Math.min(LZ4_BLOCK_BYTES, buffer.length - at);
    const block = Buffer.allocUnsafe(lz4.compressBound(size));
    lz4MatchTable.fill(0);
    const written = lz4.compressBlock(buffer, block, at, size, lz4MatchTable);
    const length = Buffer.alloc(4);
    if (written === 0 || written >= size) {
      length.writeUInt32LE((LZ4_UNCOMPRESSED | size) >>> 0);
      parts.push(length, buffer.subarray(at, at + size));
    } else {
      length.writeUInt32LE(written);
      parts.push(length, block.subarray(0, written));
    }
  }
  parts.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(parts);
}

/**
 * Decompresses an LZ4 frame into a buffer sized by the blocks it declares, not zero-filled (lz4js's
 * own decompress() zero-fills it). Frames with 4 MiB blocks (this pipeline wrote those before, and
 * some producers still do) leave most of it unused: the records are copied out then, so that each
 * batch's records do not hold 4 MiB alive.
 */
const LZ4_BLOCK_SIZES: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };
const LZ4_CONTENT_SIZE = 0x08;
const LZ4_BLOCK_CHECKSUM = 0x10;

export function lz4Decompress(buffer: Buffer, limit = maxBatchBytes): Buffer {
  // lz4js reads a declared content size as 32 bits (a lie or 4 GiB reads as anything): block by block.
  if (buffer.length > 4 && buffer[4]! & LZ4_CONTENT_SIZE) return lz4DecompressBlocks(buffer, limit);
  // The block size the frame declares, per block.
  const bound = lz4.decompressBound(buffer);
  if (bound > limit) return lz4DecompressBlocks(buffer, limit);
  const out = Buffer.allocUnsafe(bound);
  const size = lz4.decompressFrame(buffer, out);
  return size * 2 < bound ? Buffer.from(out.subarray(0, size)) : out.subarray(0, size);
}

/**
 * An LZ4 frame whose declared bound passes the limit (a bomb, or many blocks declared larger than
 * they are): decoded one block at a time, stopping as soon as the output passes the limit.
 */
function lz4DecompressBlocks(buffer: Buffer, limit: number): Buffer {
  if (buffer.length < 7 || buffer.readUInt32LE(0) !== LZ4_MAGIC) throw new Error('lz4: invalid frame');
  const flags = buffer[4]!;
  const blockMax = LZ4_BLOCK_SIZES[(buffer[5]! >> 4) & 7];
  if (blockMax === undefined) throw new Error('lz4: invalid block size');
  let at = 6;
  if (flags & LZ4_CONTENT_SIZE) {
    const declared = Number(buffer.readBigUInt64LE(at));
    checkBound('lz4', declared, limit, ` (the frame declares ${declared} bytes)`);
    at += 8;
  }
  at += 1; // header checksum
  const scratch = Buffer.allocUnsafe(blockMax);
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    if (at + 4 > buffer.length) throw new Error('lz4: truncated block length');
    const word = buffer.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    const size = word & ~LZ4_UNCOMPRESSED;
    if (at + size > buffer.length) throw new Error('lz4: block runs past the end of the frame');
    let block: Buffer;
    if (word & LZ4_UNCOMPRESSED) block = buffer.subarray(at, at + size);
    else block = scratch.subarray(0, lz4Block.decompressBlock(buffer, scratch, at, size, 0));
    total += block.length;
    checkBound('lz4', total, limit);
    parts.push(Buffer.from(block));
    at += size + (flags & LZ4_BLOCK_CHECKSUM ? 4 : 0);
  }
  return Buffer.concat(parts, total);
}

export async function zstdDecompress(buffer: Buffer, limit = maxBatchBytes): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) =>
    zlib.zstdDecompress(buffer, { maxOutputLength: limit }, (err, out) => (err ? reject(err) : resolve(out))),
  ).catch(zlibLimit('zstd', limit));
}

const gunzip = promisify(zlib.unzip);

/** gzip (or zlib-wrapped deflate, which kafkajs's own codec also accepts), bounded. */
export function gzipDecompress(buffer: Buffer, limit = maxBatchBytes): Promise<Buffer> {
  return gunzip(buffer, { maxOutputLength: limit }).catch(zlibLimit('gzip', limit));
}

const gzip = promisify(zlib.gzip);

function zstdCompress(buffer: Buffer): Buffer {
  return zlib.zstdCompressSync(buffer);
}

function codec(
  compress: (b: Buffer) => Buffer | Promise<Buffer>,
  decompress: (b: Buffer) => Buffer | Promise<Buffer>,
): () => KafkajsCodec {
  const instance: KafkajsCodec = {
    compress: async (encoder) => compress(encoder.buffer),
    decompress: async (buffer) => decompress(buffer),
  };
  return () => instance;
}

let registered = false;

/** Registers snappy, lz4 and zstd with kafkajs for this process, and a bounded gzip; idempotent. */
export function registerKafkaCodecs(): void {
  if (registered) return;
  // kafkajs is CommonJS and its lexer-visible exports miss CompressionCodecs: take the same object.
  const codecs = (require('kafkajs') as { CompressionCodecs: Record<number, () => KafkajsCodec> })
    .CompressionCodecs;
  codecs[CompressionTypes.GZIP] = codec(
    (b) => gzip(b),
    (b) => gzipDecompress(b),
  );
  codecs[CompressionTypes.Snappy] = codec(snappyCompress, (b) => snappyDecompress(b));
  codecs[CompressionTypes.LZ4] = codec(lz4Compress, (b) => lz4Decompress(b));
  codecs[CompressionTypes.ZSTD] = codec(zstdCompress, (b) => zstdDecompress(b));
  registered = true;
}

/** kafkajs's CompressionTypes value for a configured codec name. */
export function compressionType(name: ProducerCodec): CompressionTypes {
  const types: Record<ProducerCodec, CompressionTypes> = {
    none: CompressionTypes.None,
    gzip: CompressionTypes.GZIP,
    snappy: CompressionTypes.Snappy,
    lz4: CompressionTypes.LZ4,
    zstd: CompressionTypes.ZSTD,
  };
  return types[name];
}
