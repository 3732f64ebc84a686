/**
 * The codecs' bounds (hostile world, finding 4): no codec inflates a batch past the bound.
 * The LZ4 frames this pipeline writes and reads. Written frames declare 64 KiB blocks (a reader sizes
 * its output by that), and reading a frame with 4 MiB blocks hands back records that do not keep a
 * 4 MiB buffer alive. That the broker accepts the frames is shown where they are produced
 * (kafka-range-reader.test.ts); that Java's producer's frames are read, in foreign-producers.test.ts.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import {
  DecompressionLimitError,
  gzipDecompress,
  lz4Compress,
  lz4Decompress,
  snappyCompress,
  snappyDecompress,
  zstdDecompress,
} from '../../../workers/lib/kafka-codecs.js';

const require = createRequire(import.meta.url);
const lz4js = require('lz4js') as { compress(src: Uint8Array): Uint8Array };
const snappyjs = require('snappyjs') as { compress(src: Uint8Array): Uint8Array };

function sample(bytes: number): Buffer {
  const text = Array.from(
    { length: Math.ceil(bytes / 40) },
    (_, i) => `{"d":"device-${i % 97}","t":${i * 7}}`,
  ).join('');
  const out = Buffer.from(text).subarray(0, bytes);
  for (let i = 0; i < out.length; i += 101) out[i] = (i * 31) & 0xff; // some noise
  return out;
}

test('LZ4 frames round-trip at block boundaries and declare 64 KiB blocks', () => {
  for (const size of [0, 1, 65_471, 65_472, 65_473, 65_536, 300_000]) {
    const input = sample(size);
    const frame = lz4Compress(input);
    assert.equal(frame[5], 4 << 4, 'block descriptor: 64 KiB maximum block size');
    assert.deepEqual(lz4Decompress(frame), input, `${size} bytes`);
  }
});

test('a frame with 4 MiB blocks decodes into a buffer of its own size', () => {
  const input = sample(20_000);
  const frame = Buffer.from(lz4js.compress(input)); // lz4js's own writer: 4 MiB blocks
  const out = lz4Decompress(frame);
  assert.deepEqual(out, input);
  assert.ok(out.buffer.byteLength < 1 << 20, `backing store ${out.buffer.byteLength} bytes`);
});

/** Bytes that compress to almost nothing: a decompression bomb of `bytes`. */
function zeros(bytes: number): Buffer {
  return Buffer.alloc(bytes);
}

test('every codec stops inflating a batch at the bound: DecompressionLimitError, never the inflated bytes', async () => {
  const bound = 1 << 20;
  const bomb = zeros(8 << 20);
  const cases: [string, () => Promise<Buffer> | Buffer][] = [
    ['gzip', () => gzipDecompress(gzipSync(bomb), bound)],
    ['zstd', () => zstdDecompress(zstdCompressSync(bomb), bound)],
    ['lz4', () => lz4Decompress(lz4Compress(bomb), bound)],
    ['lz4', () => lz4Decompress(Buffer.from(lz4js.compress(bomb)), bound)], // 4 MiB blocks
    ['snappy', () => snappyDecompress(snappyCompress(bomb), bound)], // xerial
    ['snappy', () => snappyDecompress(Buffer.from(snappyjs.compress(bomb)), bound)], // raw
  ];
  for (const [codec, inflate] of cases) {
    await assert.rejects(
      async () => inflate(),
      (err: Error) =>
        err instanceof DecompressionLimitError &&
        err.message.startsWith(`${codec} batch inflates past the ${bound}-byte decompression bound`),
      codec,
    );
  }
});

test('below the bound every codec inflates as before', async () => {
  const input = sample(300_000);
  const bound = input.length;
  assert.deepEqual(await gzipDecompress(gzipSync(input), bound), input);
  assert.deepEqual(await zstdDecompress(zstdCompressSync(input), bound), input);
  assert.deepEqual(lz4Decompress(lz4Compress(input), bound), input);
  assert.deepEqual(lz4Decompress(Buffer.from(lz4js.compress(input)), bound), input); // block by block
  assert.deepEqual(snappyDecompress(snappyCompress(input), bound), input);
  assert.deepEqual(snappyDecompress(Buffer.from(snappyjs.compress(input)), bound), input);
});

test('an LZ4 frame that declares a content size past the bound is refused before any block is read', () => {
  const frame = lz4Compress(sample(1000));
  // The same frame with the content-size flag and a declared 1 TiB: the header alone refuses it.
  const header = Buffer.from(frame.subarray(0, 6));
  header[4] = header[4]! | 0x08;
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(1n << 40n);
  const withSize = Buffer.concat([header, size, Buffer.from([0]), frame.subarray(7)]);
  assert.throws(() => lz4Decompress(withSize, 1 << 20), /the frame declares 1099511627776 bytes/);
});
