/**
 * The LZ4 frames this pipeline writes and reads. Written frames declare 64 KiB blocks (a reader sizes
 * its output by that), and reading a frame with 4 MiB blocks hands back records that do not keep a
 * 4 MiB buffer alive. That the broker accepts the frames is shown where they are produced
 * (kafka-range-reader.test.ts); that Java's producer's frames are read, in foreign-producers.test.ts.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { lz4Compress, lz4Decompress } from '../../../workers/lib/kafka-codecs.js';

const require = createRequire(import.meta.url);
const lz4js = require('lz4js') as { compress(src: Uint8Array): Uint8Array };

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
