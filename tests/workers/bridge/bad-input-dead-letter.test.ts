/**
 * Issue 7's bounds on what hostile input can cost, without servers: every dead-letter record fits a
 * fixed size whatever the input (docs/decisions/0005), sends are chunked under the broker's batch
 * limit, and kafkajs decodes a record with tens of thousands of headers in linear time.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import type { Message } from 'kafkajs';
import {
  chunkForSend,
  DEAD_LETTER_SEND_BYTES,
  deadLetterMessage,
  MAX_DEAD_LETTER_KEY_BYTES,
  MAX_DEAD_LETTER_RECORD_BYTES,
  MAX_DEAD_LETTER_VALUE_BYTES,
  messageBytes,
  type BoundedDeadLetterEnvelope,
} from '../../../workers/lib/dead-letter.js';
import { installKafkajsDecoders } from '../../../workers/lib/kafkajs-decoders.js';
import { HEADERS } from '../../../workers/shared/topics.js';

const require = createRequire(import.meta.url);
const topic = 't'.repeat(249); // the longest topic name Kafka allows

function envelopeOf(m: Message): BoundedDeadLetterEnvelope {
  return JSON.parse(m.value as string) as BoundedDeadLetterEnvelope;
}

test('a small record is kept whole: key and value round-trip for a re-drive, no truncation flag', () => {
  const value = Buffer.from('{"schemaVersion":2}');
  const m = deadLetterMessage(
    { topic: 'sensor-data', partition: 2, offset: '41', key: Buffer.from('dev-1'), value },
    'unknown-schema-version',
    'schemaVersion 2 is not supported',
  );
  const envelope = envelopeOf(m);
  assert.equal(Buffer.from(envelope.valueBase64, 'base64').toString(), value.toString());
  assert.equal(Buffer.from(envelope.key!, 'base64').toString(), 'dev-1');
  assert.equal(envelope.truncated, undefined);
  assert.deepEqual(envelope.source, { topic: 'sensor-data', partition: 2, offset: '41' });
  assert.equal(m.headers?.[HEADERS.idempotencyKey], 'sensor-data/2/41');
});

test('the worst input still yields a record under MAX_DEAD_LETTER_RECORD_BYTES, flagged as truncated', () => {
  const value = Buffer.alloc(1_000_000, 0xff);
  const key = Buffer.alloc(1_000_000, 0x6b);
  // Control characters expand sixfold in JSON; astral characters are 2 UTF-16 units, 4 bytes.
  const reason = '\u0001'.repeat(300) + '😈'.repeat(10_000);
  const m = deadLetterMessage(
    { topic, partition: 2147483647, offset: '9223372036854775807', key, value },
    'header-abuse',
    reason,
  );
  assert.ok(messageBytes(m) <= MAX_DEAD_LETTER_RECORD_BYTES, `${messageBytes(m)} bytes`);
  const envelope = envelopeOf(m);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  assert.deepEqual(envelope.truncated, {
    key: { bytes: key.length, sha256: sha(key) },
    value: { bytes: value.length, sha256: sha(value) },
  });
  assert.deepEqual(
    Buffer.from(envelope.valueBase64, 'base64'),
    value.subarray(0, MAX_DEAD_LETTER_VALUE_BYTES),
  );
  assert.deepEqual(Buffer.from(envelope.key!, 'base64'), key.subarray(0, MAX_DEAD_LETTER_KEY_BYTES));
  assert.ok(!/[\uD800-\uDBFF]$/.test(envelope.reason), 'no half surrogate pair at the cut');
});

test('sends are chunked under the byte budget, and a record larger than it still goes alone', () => {
  const big = (n: number): Message => ({ key: null, value: 'x'.repeat(n) });
  const messages = [
    ...Array.from({ length: 100 }, () => big(30_000)),
    big(DEAD_LETTER_SEND_BYTES + 1),
    big(10),
  ];
  const chunks = chunkForSend(messages);
  assert.deepEqual(chunks.flat(), messages, 'order and content kept');
  for (const chunk of chunks) {
    const bytes = chunk.reduce((sum, m) => sum + messageBytes(m), 0);
    assert.ok(chunk.length === 1 || bytes <= DEAD_LETTER_SEND_BYTES, `${bytes} bytes in ${chunk.length}`);
  }
  assert.equal(chunkForSend(Array.from({ length: 1200 }, () => big(1))).length, 3, 'at most 500 per send');
});

test('kafkajs decodes 30,000 headers in linear time, faithfully, once the decoder is installed', () => {
  assert.equal(installKafkajsDecoders(), 'installed');
  assert.equal(installKafkajsDecoders(), 'installed', 'idempotent');
  const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => {
    buffer: Buffer;
  };
  const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => { readVarInt(): number };
  const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as (
    d: unknown,
    ctx: object,
  ) => { offset: string; key: Buffer; value: Buffer; headers: Record<string, unknown> };

  const headers: Record<string, string | string[]> = { trace: ['a', 'b', 'c'] };
  for (const [name, value] of [
    ['__proto__', 'p'],
    ['constructor', 'c'],
  ])
    Object.defineProperty(headers, name!, { value, enumerable: true });
  for (let i = 0; i < 30_000; i++) headers[`h${i}`] = '';
  const { buffer } = encodeRecord({
    offsetDelta: 3,
    timestampDelta: 0,
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    headers,
  });
  const decoder = new Decoder(buffer);
  decoder.readVarInt(); // the record's length prefix
  const started = performance.now();
  const record = decodeRecord(decoder, { firstOffset: '10', firstTimestamp: '0' });
  const ms = performance.now() - started;
  // The quadratic fold takes about a minute for 10,000; linear takes tens of milliseconds for 30,000.
  assert.ok(ms < 2_000, `decoding took ${ms.toFixed(0)} ms`);
  assert.equal(record.offset, '13');
  assert.equal(Object.keys(record.headers).length, 30_003);
  assert.deepEqual(record.headers.trace, [Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]);
  assert.deepEqual(Object.getOwnPropertyDescriptor(record.headers, '__proto__')?.value, Buffer.from('p'));
  assert.deepEqual(record.headers.constructor, Buffer.from('c'));
  assert.equal(Object.getPrototypeOf(record.headers), Object.prototype);
});
